import { createServer, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/temp-dir.js'
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon-process.js'
import { waitFor } from '../helpers/wait-for.js'
import { MODEM_NETWORKS } from '../../core/networks.js'

const running: DaemonProcess[] = []
const cleanups: Array<() => void> = []
afterEach(async () => {
  for (const d of running.splice(0)) { if (d.child.exitCode === null) { d.child.kill('SIGKILL'); await d.exited } }
  while (cleanups.length > 0) cleanups.pop()?.()
})

function dir (): string {
  const d = tempDir()
  cleanups.push(d.cleanup)
  return d.path
}

describe('harpoon start', () => {
  it('on an empty database prints one test key, serves the API with it, and stops cleanly on SIGTERM', async () => {
    const path = dir()
    const daemon = await spawnDaemon(path, { virtual_modems: false })
    running.push(daemon)
    const key = /hpn_test_sk_[0-9A-Za-z]{40}/.exec(daemon.output())?.[0]
    expect(key).toBeDefined()

    const health = await fetch(`${daemon.url}/healthz`)
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok' })
    const created = await fetch(`${daemon.url}/v1/payments/initialize`, {
      method: 'POST', headers: { authorization: `Bearer ${key as string}`, 'content-type': 'application/json' }, body: JSON.stringify({ amount: '12.50' })
    })
    expect(created.status).toBe(201)
    const metrics = await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${key as string}` } })
    expect(metrics.status).toBe(200)

    daemon.child.kill('SIGTERM')
    expect(await daemon.exited).toBe(0)
    const messages = daemon.logs().map((l) => l['msg'])
    expect(messages).toContain('signal received: stopping gracefully')
    expect(messages.at(-1)).toBe('stopped')
    // Logs never carry the key; only the one-time banner does.
    expect(daemon.logs().some((l) => JSON.stringify(l).includes(key as string))).toBe(false)

    // Second start on the same database: no new key, the old one still works.
    const again = await spawnDaemon(path, { virtual_modems: false })
    running.push(again)
    expect(again.output()).not.toMatch(/hpn_test_sk_/)
    const list = await fetch(`${again.url}/v1/payments`, { headers: { authorization: `Bearer ${key as string}` } })
    expect((await list.json() as { data: unknown[] }).data).toHaveLength(1)
  })

  it('survives a configured modem whose port does not exist: logs what to do, retries, and the API and the virtual modems run on', async () => {
    const port = '/dev/serial/by-id/usb-harpoon-test-missing-if00-port0'
    const daemon = await spawnDaemon(dir(), { virtual_modems: true, modems: [{ id: 'mtn-1', port, msisdn: '0244000001' }] }, { timeoutMs: 30_000 })
    running.push(daemon)
    // Two failed opens: the first was not the last thing the daemon did.
    const failures = await waitFor(() => {
      const lines = daemon.logs().filter((l) => l['modem'] === 'mtn-1' && l['code'] === 'modem_open_failed')
      return lines.length >= 2 ? lines : undefined
    }, 'two failed opens of the missing port')
    expect(failures[0]).toMatchObject({ level: 40, port, err: expect.stringContaining(port) as unknown, hint: expect.stringContaining('/dev/serial/by-id/') as unknown })
    expect(daemon.child.exitCode).toBeNull()
    const key = /hpn_test_sk_[0-9A-Za-z]{40}/.exec(daemon.output())?.[0] as string
    const modems = await waitFor(async () => {
      const body = await (await fetch(`${daemon.url}/v1/modems`, { headers: { authorization: `Bearer ${key}` } })).json() as { data: Array<{ id: string, connected: boolean }> }
      return body.data.filter((m) => m.connected).length === MODEM_NETWORKS.length ? body.data : undefined
    }, 'the virtual modems (one per network) to connect beside the missing one')
    expect(modems.find((m) => m.id === 'mtn-1')).toMatchObject({ connected: false, last_error: expect.stringContaining('cannot open') as unknown })
    const health = await fetch(`${daemon.url}/healthz`)
    expect(health.status).toBe(200)
    const body = await health.json() as { status: string, database: string, modems: Array<{ id: string, connected: boolean }> }
    expect(body).toMatchObject({ status: 'degraded', database: 'ok' })
    expect(body.modems).toContainEqual(expect.objectContaining({ id: 'mtn-1', connected: false }))
  })

  it('refuses to start on a bad config, naming the key', async () => {
    await expect(spawnDaemon(dir(), { api: { port: 0, colour: 'red' } })).rejects.toThrow(/api\.colour: is not a known key/)
  })

  it('exits with 1 when its API port is taken, after its virtual modems and embedded simulators started, instead of hanging', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => { blocker.close() })
    const port = (blocker.address() as AddressInfo).port
    // A service manager restarts a process that exits; one that said it failed and stayed up is never restarted.
    await expect(spawnDaemon(dir(), { api: { host: '127.0.0.1', port } })).rejects.toThrow(/start exited with 1 before it was ready:[\s\S]*EADDRINUSE/)
  })
})
