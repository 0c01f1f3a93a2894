/**
 * Polls `check` every `intervalMs` until it returns a value (not undefined), or fails naming what it
 * waited for, and, when `describe` is given, what still stood in the way at the end (its text is
 * appended to the error, so a timeout says what was stuck rather than only that something was). The
 * one polling loop of the test suites; `until` is its yes/no form.
 */
export async function waitFor<T> (check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000, intervalMs = 100,
  describe?: () => string | Promise<string>): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${describe === undefined ? '' : `; outstanding: ${await described(describe)}`}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** The describe callback's text; its own failure is reported in its place rather than masking the timeout. */
async function described (describe: () => string | Promise<string>): Promise<string> {
  try {
    return await describe()
  } catch (err) {
    return `(could not describe: ${err instanceof Error ? err.message : String(err)})`
  }
}

export async function until (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, intervalMs = 10): Promise<void> {
  await waitFor(async () => await check() ? true : undefined, what, timeoutMs, intervalMs)
}
