import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startPtyModem } from '../../fixtures/modem-harness/pty.js'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { firstKey } from '../helpers/http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { spawnDaemon } from '../helpers/daemon-process.js'

const track = cleanupAfterEach()
const DIST = resolve(import.meta.dirname, '../../dist')

/** "pid (comm) state ppid …" of a live process, or null when it is gone (or a zombie: exited, not reaped). */
function statOf (pid: number): { state: string, ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm may hold spaces and parentheses: read after the last ')'.
    const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return state === 'Z' ? null : { state, ppid: Number(ppid) }
  } catch { return null }
}

/** Every live process below `root`: its children, their children, … (from /proc). */
function descendants (root: number): number[] {
  const parentOf = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const s = statOf(Number(entry))
    if (s !== null) parentOf.set(Number(entry), s.ppid)
  }
  const found: number[] = []
  let frontier = [root]
  while (frontier.length > 0) {
    const next = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid)
    found.push(...next)
    frontier = next
  }
  return found
}

const ptyDirs = (tmp: string): string[] => readdirSync(tmp).filter((d) => d.startsWith('harpoon-pty-'))
const allGone = (pids: readonly number[]): true | undefined => pids.every((pid) => statOf(pid) === null) ? true : undefined

/**
 * Issue 11: SIGKILL of a daemon running virtual modems left `socat` children running and
 * /tmp/harpoon-pty-* folders behind. No helper outlives the process that started it, and a folder
 * whose owner is gone is removed.
 */
describe('a process killed with SIGKILL leaves no pseudo-terminal helpers behind', () => {
  it('the daemon: its virtual modems leave no process and no temp folder', async () => {
    const dir = tempDir()
    const tmp = tempDir()
    track.later(dir.cleanup)
    track.later(tmp.cleanup)
    const daemon = await spawnDaemon(dir.path, { virtual_modems: true }, { env: { ...process.env, TMPDIR: tmp.path } })
    const key = firstKey(daemon.output())
    await waitFor(async () => {
      const res = await (await fetch(`${daemon.url}/v1/modems`, { headers: { authorization: `Bearer ${key}` } })).json() as { data: Array<{ connected: boolean }> }
      return res.data.length > 0 && res.data.every((m) => m.connected) ? true : undefined
    }, 'the virtual modems to connect')
    const helpers = descendants(daemon.child.pid as number)

    daemon.child.kill('SIGKILL')
    await daemon.exited
    await waitFor(() => allGone(helpers), `the daemon's helpers ${helpers.join(', ')} to exit`)
    expect(ptyDirs(tmp.path)).toEqual([])
  })

  it('the pty harness: socat dies with its owner, and the next harness start removes the folder', async () => {
    const tmp = tempDir()
    track.later(tmp.cleanup)
    // A process that puts a simulator on a pseudo-terminal and then just runs, as a test worker does.
    const script = `
      const { startPtyModem } = await import(${JSON.stringify(`${DIST}/fixtures/modem-harness/pty.js`)})
      const { ModemSimulator } = await import(${JSON.stringify(`${DIST}/modem/virtual/engine.js`)})
      const modem = await startPtyModem(new ModemSimulator())
      console.log('ready ' + modem.path)
      setInterval(() => {}, 1000)`
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: tmp.path }, stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise<void>((done) => owner.once('exit', () => done()))
    track.later(async () => { owner.kill('SIGKILL'); await exited })
    let out = ''
    owner.stdout.on('data', (c: Buffer) => { out += c.toString() })
    await waitFor(() => out.includes('ready') ? true : undefined, 'the pty modem to start')
    const helpers = descendants(owner.pid as number)
    expect(helpers.length).toBeGreaterThan(0)
    const left = ptyDirs(tmp.path)
    expect(left).toHaveLength(1)

    owner.kill('SIGKILL')
    await exited
    await waitFor(() => allGone(helpers), `socat ${helpers.join(', ')} to exit after its owner was killed`)

    const before = process.env['TMPDIR']
    process.env['TMPDIR'] = tmp.path
    try {
      const next = await startPtyModem(new ModemSimulator())
      expect(ptyDirs(tmp.path)).not.toContain(left[0])
      await next.close()
    } finally {
      if (before === undefined) delete process.env['TMPDIR']
      else process.env['TMPDIR'] = before
    }
    expect(ptyDirs(tmp.path)).toEqual([])
  })
})
