import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { until as waitUntil } from '../helpers/wait-for.js'

export interface Received {
  method: string
  /** Path and query as sent (callbacks that are GETs carry everything in the query). */
  url: string
  headers: IncomingHttpHeaders
  body: string
  at: number
}

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void

/**
 * A real node:http receiver on loopback whose behaviour a test swaps at will (down, hanging,
 * trickling, redirecting…). Records every request it read completely.
 */
export async function startReceiver (handler: Handler = (_q, res) => { res.end('ok') }, port = 0) {
  const requests: Received[] = []
  let current = handler
  const waiters: Array<() => void> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() })
      for (const w of waiters.splice(0)) w()
      current(req, res, requests.length)
    })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as AddressInfo).port
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}/hook`,
    requests,
    setHandler (h: Handler): void { current = h },
    /** Resolves once at least `n` requests arrived (polling-free). */
    async waitFor (n: number, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`receiver got ${requests.length} of ${n} requests`)
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 200) })
      }
    },
    async close (): Promise<void> {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>

export async function until (check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  await waitUntil(check, what, timeoutMs, 50)
}
