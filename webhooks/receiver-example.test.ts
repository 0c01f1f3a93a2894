import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { webhookHarness, type Harness } from '../test/webhooks/harness.js'
import { until } from '../test/webhooks/receiver.js'
import { createEndpoint, updateEndpoint } from './endpoints.js'

const here = import.meta.dirname
const NODE_EXAMPLE = join(here, 'examples', 'receiver.mjs')
const PYTHON_EXAMPLE = join(here, 'examples', 'receiver.py')
const hasPython = spawnSync('python3', ['--version']).status === 0

/** Runs a documented receiver as its README says: secret and port from the environment. */
async function runExample (command: string, file: string, secret: string): Promise<{ child: ChildProcess, port: number, output: () => string }> {
  const child = spawn(command, [file], { env: { ...process.env, HARPOON_WEBHOOK_SECRET: secret, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (c: Buffer) => { out += c.toString('utf8') })
  child.stderr?.on('data', (c: Buffer) => { out += c.toString('utf8') })
  await until(() => /listening on \d+/.test(out), 10_000, `${file} to listen`)
  return { child, port: Number(/listening on (\d+)/.exec(out)?.[1]), output: () => out }
}

const sign = (secret: string, ts: number, body: string): string => 'sha256=' + createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')

async function post (port: number, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  await res.arrayBuffer()
  return res.status
}

describe('the documented receivers', () => {
  let h: Harness | null = null
  const harnesses = (x: Harness): void => { h = x }
  let child: ChildProcess | null = null
  afterEach(async () => {
    child?.kill()
    child = null
    await h?.close()
    h = null
  })

  it('README includes the example receivers verbatim', () => {
    const readme = readFileSync(join(here, 'README.md'), 'utf8')
    expect(readme).toContain('```js\n' + readFileSync(NODE_EXAMPLE, 'utf8') + '```')
    expect(readme).toContain('```python\n' + readFileSync(PYTHON_EXAMPLE, 'utf8') + '```')
  })

  const cases: Array<[string, string, string, boolean]> = [['Node', process.execPath, NODE_EXAMPLE, true], ['Python', 'python3', PYTHON_EXAMPLE, hasPython]]
  for (const [name, command, file, available] of cases) {
    it.skipIf(!available)(`${name}: accepts every delivery; rejects a tampered body and a stale timestamp`, async () => {
      const h = await webhookHarness()
      harnesses(h)
      const { endpoint, secret } = await createEndpoint(h.ledger, h.owner, { url: 'http://127.0.0.1:9/placeholder' })
      const example = await runExample(command, file, secret)
      child = example.child
      await updateEndpoint(h.ledger, h.owner, endpoint.id, { url: `http://127.0.0.1:${example.port}/hook` })
      for (let i = 0; i < 3; i++) await h.cancelPayment()
      h.webhooks.dispatcher.start()
      const test = await h.webhooks.dispatcher.sendTest(await h.ledger.webhookEndpoints.get(h.owner, endpoint.id))
      expect(test.result.delivered).toBe(true)
      await until(async () => (await h.deliveries()).every((d) => d.status === 'delivered'), 15_000, 'every delivery accepted')
      const deliveries = await h.deliveries()
      expect(deliveries).toHaveLength(4)
      for (const d of deliveries) expect(example.output()).toContain(d.webhook_id)

      const body = deliveries[0]?.body ?? ''
      const now = Math.floor(Date.now() / 1000)
      const tampered = body.replace('"CANCELLED"', '"SUCCESS"')
      expect(tampered).not.toBe(body)
      expect(await post(example.port, tampered, { 'x-harpoon-timestamp': String(now), 'x-harpoon-signature': sign(secret, now, body) })).toBe(401)
      const stale = now - 301
      expect(await post(example.port, body, { 'x-harpoon-timestamp': String(stale), 'x-harpoon-signature': sign(secret, stale, body) })).toBe(401)
      expect(await post(example.port, body, { 'x-harpoon-timestamp': String(now), 'x-harpoon-signature': sign('whsec_wrong', now, body) })).toBe(401)
      expect(await post(example.port, body, {})).toBe(401)
      // A correctly signed repeat is acknowledged but not processed twice.
      expect(await post(example.port, body, { 'x-harpoon-timestamp': String(now), 'x-harpoon-signature': sign(secret, now, body) })).toBe(200)
      const id = deliveries[0]?.webhook_id ?? ''
      expect(example.output().split(id).length - 1).toBe(1)
    })
  }
})
