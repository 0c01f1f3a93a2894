/** One API call with a key; the `data` of a success envelope, or an Error naming the call and the error body. */
export async function apiCall<T> (url: string, key: string, method = 'GET', body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const json = await res.json() as { success: boolean, data: T }
  if (!json.success) throw new Error(`${method} ${url}: ${JSON.stringify(json)}`)
  return json.data
}

/** The first-start test key a spawned daemon printed. */
export function firstKey (output: string): string {
  const key = /hpn_test_sk_[0-9A-Za-z]{40}/.exec(output)?.[0]
  if (key === undefined) throw new Error(`no first-start key in the daemon's output:\n${output}`)
  return key
}
