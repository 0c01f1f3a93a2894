import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What to do with an answer the upstream gave: hand it on, or cut the connection without it. */
export type ProxyVerdict = 'pass' | 'drop'

export interface HttpProxy {
  /** `http://127.0.0.1:PORT`: what the agent is configured with. */
  readonly url: string
  /** Requests go to these in turn (several central nodes behind one URL). */
  upstreams: string[]
  /** Called with each upstream answer before it is handed on. */
  onAnswer: ((request: { method: string, path: string }, status: number) => ProxyVerdict) | null
  /** How many requests each upstream answered. */
  readonly answeredBy: Map<string, number>
  close: () => Promise<void>
}

async function body (req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/**
 * A plain HTTP proxy between an agent and its central, for the tests: round-robin over upstreams,
 * and a hook that can withhold an answer the central already gave (the lost acknowledgement). An
 * upstream that does not answer makes the proxy cut the agent's connection, as a dead link would.
 */
export async function startHttpProxy (upstreams: string[]): Promise<HttpProxy> {
  let next = 0
  const proxy: HttpProxy = {
    url: '',
    upstreams,
    onAnswer: null,
    answeredBy: new Map(),
    close: async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() }) }
  }
  const server: Server = createServer((req, res) => {
    (async () => {
      const upstream = proxy.upstreams[next++ % proxy.upstreams.length] as string
      const path = req.url ?? '/'
      try {
        const payload = await body(req)
        const headers: Record<string, string> = {}
        for (const h of ['authorization', 'content-type', 'user-agent']) { const v = req.headers[h]; if (typeof v === 'string') headers[h] = v }
        const answer = await fetch(`${upstream}${path}`, { method: req.method ?? 'GET', headers, body: payload.length > 0 ? payload : undefined })
        const text = Buffer.from(await answer.arrayBuffer())
        proxy.answeredBy.set(upstream, (proxy.answeredBy.get(upstream) ?? 0) + 1)
        if (proxy.onAnswer?.({ method: req.method ?? 'GET', path }, answer.status) === 'drop') { req.socket.destroy(); return }
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text)
      } catch {
        req.socket.destroy()
      }
    })().catch(() => { req.socket.destroy() })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return Object.assign(proxy, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })
}
