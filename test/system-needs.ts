import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/**
 * What the test suites need from the machine beyond Node, one Debian package a line. A need is met
 * when its `command` is on PATH or its `file` exists. A later need (a database server, say) is one
 * more line here.
 */
export interface SystemNeed {
  /** The Debian package that provides it. */
  readonly apt: string
  readonly command?: string
  /** A path; a `*` segment stands for any one folder name (a version number, say). */
  readonly file?: string
  /** Shown when it is missing. */
  readonly why: string
}

export const SYSTEM_NEEDS: readonly SystemNeed[] = [
  { apt: 'socat', command: 'socat', why: 'pseudo-terminal pairs for the modem end-to-end tests' },
  { apt: 'chromium', file: '/usr/bin/chromium', why: "the dashboard's browser tests drive Debian's chromium (no browser is downloaded)" },
  { apt: 'fonts-liberation', file: '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', why: 'the same fonts in every dashboard screenshot' },
  { apt: 'postgresql', file: '/usr/lib/postgresql/*/bin/initdb', why: 'the ledger suites also run on PostgreSQL: the tests start their own server from its binaries (initdb, pg_ctl) in a temporary folder' }
]

export interface Machine {
  /** Root with apt-get: it can install what is missing itself. */
  readonly canInstall: boolean
  readonly hasAptGet: boolean
}

export type NeedsPlan =
  | { readonly kind: 'ready' }
  | { readonly kind: 'install', readonly packages: readonly string[] }
  | { readonly kind: 'stop', readonly message: string }

export function onPath (command: string, path = process.env['PATH'] ?? ''): boolean {
  return path.split(delimiter).filter((dir) => dir !== '').some((dir) => {
    try { accessSync(join(dir, command), constants.X_OK); return true } catch { return false }
  })
}

/** True when `pattern` names an existing path, its `*` segments matching any one folder name. */
export function pathExists (pattern: string): boolean {
  const star = pattern.split('/').indexOf('*')
  if (star === -1) return existsSync(pattern)
  const segments = pattern.split('/')
  const parent = segments.slice(0, star).join('/') || '/'
  let names: string[]
  try { names = readdirSync(parent) } catch { return false }
  return names.some((name) => pathExists([...segments.slice(0, star), name, ...segments.slice(star + 1)].join('/')))
}

export function isMet (need: SystemNeed): boolean {
  return (need.command !== undefined && onPath(need.command)) || (need.file !== undefined && pathExists(need.file))
}

export function installCommand (packages: readonly string[], sudo: boolean): string {
  return `${sudo ? 'sudo ' : ''}apt-get install -y --no-install-recommends ${packages.join(' ')}`
}

/** What to do about the missing needs: nothing, install them, or stop with one message naming the command. */
export function planNeeds (missing: readonly SystemNeed[], machine: Machine): NeedsPlan {
  if (missing.length === 0) return { kind: 'ready' }
  const packages = missing.map((n) => n.apt)
  if (machine.canInstall) return { kind: 'install', packages }
  const lines = missing.map((n) => `  - ${n.apt}: ${n.why}`)
  const how = machine.hasAptGet
    ? `Install them once, then run npm test again:\n\n  ${installCommand(packages, true)}\n`
    : `Install these packages with this system's package manager (Debian: ${installCommand(packages, true)}), then run npm test again.\n`
  return { kind: 'stop', message: `the test suite needs packages this machine does not have:\n${lines.join('\n')}\n\n${how}` }
}

function machine (): Machine {
  const hasAptGet = onPath('apt-get')
  const root = process.getuid?.() === 0
  // HARPOON_TEST_NO_INSTALL=1: a root shell that must not change the machine gets the message instead.
  return { hasAptGet, canInstall: hasAptGet && root && process.env['HARPOON_TEST_NO_INSTALL'] !== '1' }
}

/** Runs apt-get with its output on the terminal; true when it succeeded. */
export type AptGet = (args: readonly string[]) => boolean

const aptGet: AptGet = (args) => {
  process.stderr.write(`harpoon tests: apt-get ${args.join(' ')} (for the test suite's system needs)\n`)
  return spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0
}

/**
 * Meets the needs or says why not: nothing to do, an apt-get install (root), or one message naming
 * the command to run. `met` and `apt` are parameters so the flow is tested without touching the machine.
 */
export function ensureNeeds (needs: readonly SystemNeed[], m: Machine, apt: AptGet = aptGet, met: (n: SystemNeed) => boolean = isMet): { ok: true } | { ok: false, message: string } {
  const plan = planNeeds(needs.filter((n) => !met(n)), m)
  if (plan.kind === 'ready') return { ok: true }
  if (plan.kind === 'stop') return { ok: false, message: plan.message }
  // A failed update (no network to the mirrors) may still leave lists the install can use.
  apt(['update'])
  if (!apt(['install', '-y', '--no-install-recommends', ...plan.packages])) {
    return { ok: false, message: `apt-get could not install ${plan.packages.join(' ')}; install them by hand, then run npm test again:\n\n  ${installCommand(plan.packages, false)}\n` }
  }
  const still = needs.filter((n) => !met(n))
  return still.length === 0 ? { ok: true } : { ok: false, message: `still missing after apt-get install: ${still.map((n) => n.apt).join(', ')}\n` }
}

/**
 * vitest globalSetup for `npm test` and `npm run test:faults`: checks the machine before any test runs.
 * As root with apt-get it installs what is missing (as `playwright install --with-deps` does);
 * otherwise it stops at once with the command to run.
 */
export function setup (): void {
  const result = ensureNeeds(SYSTEM_NEEDS, machine())
  if (result.ok) return
  process.stderr.write(`\nharpoon tests: ${result.message}\n`)
  // One message and out: no test runs on a machine that would fail most of them.
  process.exit(1)
}
