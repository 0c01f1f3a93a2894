/**
 * Polls `check` every `intervalMs` until it returns a value (not undefined), or fails naming what it
 * waited for. The one polling loop of the test suites; `until` is its yes/no form.
 */
export async function waitFor<T> (check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

export async function until (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, intervalMs = 10): Promise<void> {
  await waitFor(async () => await check() ? true : undefined, what, timeoutMs, intervalMs)
}
