import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * webhook_fanout's receiver, run as its own process for both sides of the bench: the daemon's
 * deliveries and the raw undici baseline's POSTs each cross a process boundary to reach it. (In the
 * bench process, it shared a thread with the baseline's client, so a baseline round trip needed no
 * other process to be scheduled, while each of the daemon's did.) Counts every POST and answers
 * `ok`; `GET /count` answers the count so far, and is not counted.
 */
let count = 0
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') { res.end(String(count)); return }
  req.resume()
  req.on('end', () => { count++; res.end('ok') })
})
server.keepAliveTimeout = 5000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING http://127.0.0.1:${(server.address() as AddressInfo).port}\n`)
})
const stop = (): void => { server.closeAllConnections(); server.close(() => process.exit(0)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
