import { execFile, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { CLI, spawnDaemon, type DaemonProcess } from '../helpers/daemon-process.js'
import { onPath } from '../system-needs.js'
import { MODEM_NETWORKS } from '../../core/networks.js'

const run = promisify(execFile)
const RECEIVER = resolve(import.meta.dirname, '../../webhooks/examples/receiver.mjs')
const running: DaemonProcess[] = []
const cleanups: Array<() => void> = []
afterEach(async () => {
  for (const d of running.splice(0)) { if (d.child.exitCode === null) { d.child.kill('SIGTERM'); await d.exited } }
  while (cleanups.length > 0) cleanups.pop()?.()
})

describe('npm start without modems: virtual modems', () => {
  it('needs nothing but Node: with no socat on PATH it prints the key, is healthy with a virtual modem per network, and harpoon simulate pays a test payment over AT/PDU', async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    // A PATH with nothing on it: the daemon and the CLI may not rely on socat or any other program.
    const bare = tempDir('harpoon-bare-path-')
    cleanups.push(bare.cleanup)
    const env = { ...process.env, PATH: bare.path }
    expect(onPath('socat', env.PATH)).toBe(false)
    const daemon = await spawnDaemon(dir.path, { webhooks: { allow_private_targets: true, retry_schedule: [1, 1] } }, { env })
    running.push(daemon)
    const key = /hpn_test_sk_[0-9A-Za-z]{40}/.exec(daemon.output())?.[0] as string
    expect(key).toBeDefined()
    const auth = { authorization: `Bearer ${key}` }

    // Virtual modems are logged as such and come up connected over their virtual serial ports.
    expect(daemon.logs().filter((l) => String(l['msg']).startsWith('VIRTUAL modem started'))).toHaveLength(MODEM_NETWORKS.length)
    const modems = await waitFor(async () => {
      const body = await (await fetch(`${daemon.url}/v1/modems`, { headers: auth })).json() as { data: Array<{ id: string, port: string, connected: boolean, virtual: boolean, network: string }> }
      return body.data.length === MODEM_NETWORKS.length && body.data.every((m) => m.connected) ? body.data : undefined
    }, 'virtual modems to connect')
    expect(modems.map((m) => m.network).sort()).toEqual([...MODEM_NETWORKS].sort())
    expect(modems.every((m) => m.virtual && m.port.startsWith('virtual:'))).toBe(true)
    const health = await fetch(`${daemon.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok' })

    const created = await (await fetch(`${daemon.url}/v1/payments/initialize`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ amount: 250 })
    })).json() as { data: { reference: string, hpn_code: string, pay_to: Array<{ network: string, msisdn: string }> } }
    // A GHS payment is offered the Ghanaian wallets only.
    expect(created.data.pay_to.map((w) => w.network).sort()).toEqual(['at', 'mtn', 'telecel'])

    // The merchant's server: the receiver from webhooks/README.md, run as documented.
    const endpoint = await (await fetch(`${daemon.url}/v1/webhooks`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:1/placeholder', events: ['transaction.completed'] })
    })).json() as { data: { id: string, secret: string } }
    const receiver = spawn(process.execPath, [RECEIVER], { env: { ...process.env, HARPOON_WEBHOOK_SECRET: endpoint.data.secret, PORT: '0' } })
    cleanups.push(() => { receiver.kill() })
    let received = ''
    receiver.stdout.on('data', (c: Buffer) => { received += c.toString() })
    const receiverPort = await waitFor(async () => /listening on (\d+)/.exec(received)?.[1], 'the receiver to listen')
    const put = await fetch(`${daemon.url}/v1/webhooks/${endpoint.data.id}`, {
      method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ url: `http://127.0.0.1:${receiverPort}/harpoon` })
    })
    expect(put.status).toBe(200)

    const config = join(dir.path, 'harpoon.json')
    const port = new URL(daemon.url).port
    // The CLI reaches the daemon on the configured port; the test daemon listens on port 0, so
    // point a copy of the config at the port it got.
    const cfg = JSON.parse(readFileSync(config, 'utf8')) as { api: { port: number } }
    cfg.api.port = Number(port)
    writeFileSync(join(dir.path, 'cli.json'), JSON.stringify(cfg))
    const { stdout } = await run(process.execPath, [CLI, 'simulate', '--config', join(dir.path, 'cli.json'), '--network', 'mtn', '--amount', '250', '--reference', created.data.hpn_code.toLowerCase()], { env })
    const result = JSON.parse(stdout) as { path: string, outcome: string, payment: string, payment_status: string }
    expect(result).toMatchObject({ path: 'virtual_modem', outcome: 'credit', payment: created.data.reference, payment_status: 'SUCCESS' })

    const payment = await (await fetch(`${daemon.url}/v1/payments/${created.data.reference}`, { headers: auth })).json() as { data: { status: string, credits: Array<{ match_method: string }> } }
    expect(payment.data.status).toBe('SUCCESS')
    expect(payment.data.credits[0]?.match_method).toBe('code')
    // The simulated SMS is in the inbox like any other, with its parts.
    const inbox = await (await fetch(`${daemon.url}/v1/sms`, { headers: auth })).json() as { data: Array<{ modem_id: string, outcome: string, parts: number }> }
    expect(inbox.data[0]).toMatchObject({ modem_id: 'virtual-mtn', outcome: 'credit' })
    // It came over the serial path: the virtual modem read it with AT+CMGL and deleted it from its SIM after the commit.
    const mtn = await waitFor(async () => {
      const body = await (await fetch(`${daemon.url}/v1/modems`, { headers: auth })).json() as { data: Array<{ id: string, counters: { received: number, deleted: number } }> }
      const row = body.data.find((m) => m.id === 'virtual-mtn')
      return row !== undefined && row.counters.deleted >= 1 ? row : undefined
    }, 'the virtual modem to delete the read SMS')
    expect(mtn.counters.received).toBeGreaterThanOrEqual(1)
    // The signed webhook reached the merchant's receiver, which verified it.
    const delivered = await waitFor(async () => received.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { received: string, reference: string })
      .find((e) => e.received === 'transaction.completed'), 'the webhook to be delivered')
    expect(delivered.reference).toBe(created.data.reference)

    const metrics = await (await fetch(`${daemon.url}/metrics`, { headers: auth })).text()
    expect(metrics).toMatch(/harpoon_modem_connected\{modem="virtual-mtn",network="mtn",virtual="true"\} 1/)
    expect(metrics).toMatch(/harpoon_sms_stored\{outcome="credit"\} 1/)
  })
})
