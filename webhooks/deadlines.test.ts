import { describe, expect, it } from 'vitest'
import { MAX_SLOT_MS, SharedDeadlines, type Expiring } from './deadlines.js'

/** An attempt that records why it was expired. */
function attempt (): Expiring & { reasons: Error[] } {
  const reasons: Error[] = []
  return { reasons, expire: (reason) => { reasons.push(reason) } }
}

describe('shared attempt deadlines', () => {
  it('puts attempts that start within one slot together, and a later attempt in a new slot', () => {
    let now = 1_000
    const deadlines = new SharedDeadlines(30_000, () => now)
    const first = deadlines.slot()
    now += MAX_SLOT_MS - 1
    expect(deadlines.slot()).toBe(first)
    now += 1
    expect(deadlines.slot()).not.toBe(first)
    expect(deadlines.longestMs).toBe(30_000 + MAX_SLOT_MS)
    deadlines.close()
  })

  it('keeps a slot to a twentieth of a short timeout', () => {
    expect(new SharedDeadlines(200).longestMs).toBe(210)
    expect(new SharedDeadlines(10).longestMs).toBe(11)
  })

  it('expires the attempts still in a slot once the timeout has passed, with a TimeoutError, and not those that ended', async () => {
    const deadlines = new SharedDeadlines(20)
    const slot = deadlines.slot()
    const [running, ended] = [attempt(), attempt()]
    slot.add(running)
    slot.add(ended)
    slot.delete(ended)
    await new Promise<void>((resolve) => { const poll = setInterval(() => { if (running.reasons.length > 0) { clearInterval(poll); resolve() } }, 5) })
    expect(running.reasons).toHaveLength(1)
    expect(running.reasons[0]).toMatchObject({ name: 'TimeoutError' })
    expect(ended.reasons).toEqual([])
    // An attempt joining an expired slot is expired at once; a new attempt gets a new slot.
    const late = attempt()
    slot.add(late)
    expect(late.reasons).toHaveLength(1)
    expect(deadlines.slot()).not.toBe(slot)
    deadlines.close()
  })
})
