import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * webhook_fanout's receiver, run as its own process for both sides of the bench: the daemon's
 * deliveries and the raw undici baseline's POSTs each cross a process boundary to reach it. (In the
 * bench process, it shared a thread with the baseline's client, so a baseline round trip needed no
 * other process to be scheduled, while each of the daemon's did.) Counts every POST and answers
 * `ok`; `GET /count` answers the count so far, and is not counted. `GET /count?at_least=N` answers
 * once the count reaches N: the bench waits for the daemon's last delivery without polling (a poll
 * every 20 ms took CPU from the daemon and this receiver that the baseline's run did not pay, and
 * ended the clock up to 20 ms late).
 */
let count = 0
const waiting: Array<{ atLeast: number, answer: () => void }> = []
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/count') === true) {
    const atLeast = Number(new URL(req.url, 'http://receiver').searchParams.get('at_least') ?? 0)
    if (count >= atLeast) res.end(String(count))
    else waiting.push({ atLeast, answer: () => res.end(String(count)) })
    return
  }
  req.resume()
  req.on('end', () => {
    count++
    res.end('ok')
    for (let i = waiting.length - 1; i >= 0; i--) {
      const w = waiting[i] as { atLeast: number, answer: () => void }
      if (count >= w.atLeast) { waiting.splice(i, 1); w.answer() }
    }
  })
})
server.keepAliveTimeout = 5000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING http://127.0.0.1:${(server.address() as AddressInfo).port}\n`)
})
const stop = (): void => { server.closeAllConnections(); server.close(() => process.exit(0)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
