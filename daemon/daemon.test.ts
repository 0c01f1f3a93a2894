import { createServer, type AddressInfo, type Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import pino from 'pino'
import { loadConfig } from '../config/load.js'
import { testDatabase } from '../test/helpers/ledger.js'
import { tempDir } from '../test/helpers/temp-dir.js'
import { waitFor } from '../test/helpers/wait-for.js'
import { startDaemon } from './daemon.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

/** Servers, child processes (socat's virtual modems) and pipes this process holds, by kind. */
function openHandles (): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (['TCPServerWrap', 'TCPSocketWrap', 'ProcessWrap', 'PipeWrap', 'TTYWrap'].includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

async function takenPort (): Promise<number> {
  const blocker: Server = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => { await new Promise<void>((resolve) => blocker.close(() => { resolve() })) })
  return (blocker.address() as AddressInfo).port
}

describe('startDaemon', () => {
  it('a start that fails half-way (its API port taken) closes what it had opened: virtual modems, embedded simulators, the ledger', async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const port = await takenPort()
    const path = join(dir.path, 'harpoon.json')
    // No modems and no channels: the virtual fleet (socat) and both embedded simulators start before the API.
    writeFileSync(path, JSON.stringify({ database: await testDatabase(dir.path), log_level: 'silent', api: { host: '127.0.0.1', port } }))
    const config = loadConfig(path)
    // The worker's own stdout and stderr pipes open on first use: open them before counting.
    process.stdout.write('')
    process.stderr.write('')
    const before = openHandles()

    await expect(startDaemon(config, { logger: pino({ level: 'silent' }), print: () => {} })).rejects.toMatchObject({ code: 'EADDRINUSE' })
    // A closed socket's handle goes on the loop turn after its close (PostgreSQL's pool): wait for that.
    await waitFor(() => JSON.stringify(openHandles()) === JSON.stringify(before) ? true : undefined, 'the failed start\'s handles to close', 10_000)
    expect(openHandles()).toEqual(before)

    // The ledger was closed cleanly: the same configuration on a free port starts and serves.
    const daemon = await startDaemon({ ...config, api: { ...config.api, port: 0 } }, { logger: pino({ level: 'silent' }), print: () => {} })
    try {
      expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200)
    } finally {
      await daemon.stop()
    }
  })
})
