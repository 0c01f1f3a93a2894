import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { IpayClient } from '../../channels/ipay/client.js'
import { captureIo as capture } from '../../test/helpers/capture-io.js'
import { CLI } from '../../test/helpers/daemon-process.js'
import { waitFor } from '../../test/helpers/wait-for.js'
import { runCli } from '../cli.js'
import { ipaySimCommand } from './ipay-sim.js'

describe('harpoon ipay-sim', () => {
  it('serves iPay for a vendor given on the command line, prints where, never prints its key, and stops cleanly', async () => {
    const cap = capture()
    let stop = (): void => {}
    const stopped = new Promise<void>((resolve) => { stop = resolve })
    const exit = ipaySimCommand(['--port', '0', '--vendor', 'shop:s3cret-shop-key', '--log-level', 'silent'], cap.io, stopped)
    const baseUrl = await waitFor(() => /base_url\s+(\S+)/.exec(cap.out())?.[1], 'the printed base_url')
    const ipnUrl = /ipn_url\s+(\S+)/.exec(cap.out())?.[1] ?? ''
    expect(cap.out()).toContain('0700000002  cancelled')
    expect(cap.out()).not.toContain('s3cret-shop-key')
    const client = new IpayClient({ base_url: baseUrl, ipn_url: ipnUrl, vendor_id: 'shop', hash_key: 's3cret-shop-key', live: false, currency: 'KES' })
    const session = await client.transact({ oid: 'CLI-1', amountMinor: 10_000, phone: '0712345678', callbackUrl: 'http://127.0.0.1:9/cb' })
    expect(session.sid).toMatch(/^[0-9a-f-]{36}$/)
    await client.close()
    stop()
    expect(await exit).toBe(0)
  })

  it('refuses bad flags with exit code 2 and the usage', async () => {
    for (const args of [['--port', 'abc'], ['--vendor', 'nokey'], ['--colour', 'red'], ['--customer-delay-ms', '-1']]) {
      const cap = capture()
      expect(await ipaySimCommand(args, cap.io, Promise.resolve()), args.join(' ')).toBe(2)
      expect(cap.err()).toContain('usage: harpoon ipay-sim')
    }
  })

  it('is reached through the CLI without any configuration', async () => {
    const cap = capture()
    expect(await runCli(['ipay-sim', '--help'], cap.io)).toBe(0)
    expect(cap.out()).toContain('usage: harpoon ipay-sim')
  })

  it('runs as a process and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'ipay-sim', '--port', '0', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    child.stdout.on('data', (c: Buffer) => { text += c.toString() })
    child.stderr.on('data', (c: Buffer) => { text += c.toString() })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const url = await waitFor(() => /listening on (\S+)/.exec(text)?.[1], `the simulator's URL in:\n${text}`)
      const overview = await (await fetch(`${url}/_sim`)).json() as { vendors: string[] }
      expect(overview.vendors).toEqual(['demo'])
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
