// A Harpoon webhook receiver: Node 18+, no dependencies.
// Run: HARPOON_WEBHOOK_SECRET=whsec_... PORT=3000 node receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'

const SECRET = process.env.HARPOON_WEBHOOK_SECRET // the whsec_... shown when you created the endpoint
const TOLERANCE_SECONDS = 5 * 60

// Webhooks are delivered at least once: remember what you processed. In production keep this in
// your database (a unique index on webhook_id), in the same transaction as the order update.
const processed = new Set()

export function verifyHarpoonWebhook (secret, headers, rawBody, nowSeconds = Math.floor(Date.now() / 1000)) {
  const timestamp = headers['x-harpoon-timestamp']
  const signature = headers['x-harpoon-signature']
  if (typeof timestamp !== 'string' || !/^\d+$/.test(timestamp) || typeof signature !== 'string') return false
  // Refuse old (and future) timestamps so a captured request cannot be replayed later.
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return false
  // HMAC-SHA256 keyed with the whole secret string, over "{timestamp}.{raw body}".
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')
  const a = Buffer.from(expected)
  const b = Buffer.from(signature)
  return a.length === b.length && timingSafeEqual(a, b) // constant-time compare
}

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    // Verify the raw bytes exactly as received, before any JSON parsing.
    const rawBody = Buffer.concat(chunks)
    if (!verifyHarpoonWebhook(SECRET, req.headers, rawBody)) {
      res.writeHead(401).end('invalid signature or timestamp')
      return
    }
    const event = JSON.parse(rawBody.toString('utf8'))
    // Dedupe on the webhook_id inside the signed body: it is the same on every retry and replay.
    if (processed.has(event.webhook_id)) {
      res.writeHead(200).end('already processed')
      return
    }
    processed.add(event.webhook_id)
    // Your work goes here, e.g. for "transaction.completed" ship event.data.client_reference.
    console.log(JSON.stringify({ received: event.event, webhook_id: event.webhook_id, reference: event.data.reference ?? null }))
    res.writeHead(200).end('ok') // any 2xx, within the daemon's timeout
  })
})

server.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening on ${server.address().port}`)
})
