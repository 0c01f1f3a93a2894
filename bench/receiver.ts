import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { harpoonSignature } from '../webhooks/signer.js'
import type { Cleanup } from './harness.js'

export interface Webhook { webhookId: string, event: string, reference: string | null, at: number }

/**
 * A merchant's webhook receiver on loopback. Given the endpoint secret (`verifyWith`) it verifies
 * `X-Harpoon-Signature` as the webhooks README tells merchants to (401 on a bad one); before, it only counts.
 */
export async function startReceiver (cleanup: Cleanup, options: { onWebhook?: (w: Webhook) => void } = {}) {
  let secret: string | null = null
  let count = 0
  let rejected = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      count++
      if (secret === null) { res.end('ok'); return }
      const body = Buffer.concat(chunks).toString('utf8')
      const ts = Number(req.headers['x-harpoon-timestamp'])
      if (req.headers['x-harpoon-signature'] !== harpoonSignature(secret, ts, body)) { rejected++; res.writeHead(401).end(); return }
      const parsed = JSON.parse(body) as { event: string, webhook_id: string, data?: { reference?: string } }
      res.end('ok')
      options.onWebhook?.({ webhookId: parsed.webhook_id, event: parsed.event, reference: parsed.data?.reference ?? null, at: performance.now() })
    })
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  cleanup.push(async () => { server.closeAllConnections(); await new Promise<void>((resolve) => server.close(() => resolve())) })
  return {
    url,
    count: () => count,
    rejected: () => rejected,
    /** From now on, verify every webhook with this endpoint secret. */
    verifyWith: (s: string): void => { secret = s }
  }
}
