import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SYSTEM_NEEDS, ensureNeeds, isMet, onPath, pathExists, planNeeds, type SystemNeed } from './system-needs.js'
import { tempDir } from './helpers/temp-dir.js'

const socat = SYSTEM_NEEDS.find((n) => n.apt === 'socat')!
const chromium = SYSTEM_NEEDS.find((n) => n.apt === 'chromium')!

describe('the test suite\'s system needs', () => {
  it('lists socat, chromium and its fonts, and the PostgreSQL server, each with the reason it is needed', () => {
    expect(SYSTEM_NEEDS.map((n) => n.apt)).toEqual(['socat', 'chromium', 'fonts-liberation', 'postgresql'])
    for (const n of SYSTEM_NEEDS) expect(n.why.length).toBeGreaterThan(10)
  })

  it('is ready when nothing is missing, installs as root with apt-get', () => {
    expect(planNeeds([], { canInstall: false, hasAptGet: false })).toEqual({ kind: 'ready' })
    expect(planNeeds([socat, chromium], { canInstall: true, hasAptGet: true })).toEqual({ kind: 'install', packages: ['socat', 'chromium'] })
  })

  it('otherwise stops with one message naming the exact command', () => {
    const plan = planNeeds([socat, chromium], { canInstall: false, hasAptGet: true })
    expect(plan.kind).toBe('stop')
    const message = (plan as { message: string }).message
    expect(message).toContain('\n  sudo apt-get install -y --no-install-recommends socat chromium\n')
    expect(message).toContain(socat.why)
    const elsewhere = planNeeds([socat], { canInstall: false, hasAptGet: false })
    expect((elsewhere as { message: string }).message).toContain("this system's package manager")
  })

  it('as root installs the missing packages with apt-get, then checks again', () => {
    const installed = new Set<string>()
    const calls: string[][] = []
    const apt = (args: readonly string[]): boolean => {
      calls.push([...args])
      if (args[0] === 'install') for (const p of args.slice(3)) installed.add(p)
      return true
    }
    const met = (n: SystemNeed): boolean => installed.has(n.apt)
    expect(ensureNeeds([socat, chromium], { canInstall: true, hasAptGet: true }, apt, met)).toEqual({ ok: true })
    expect(calls).toEqual([['update'], ['install', '-y', '--no-install-recommends', 'socat', 'chromium']])
    expect(ensureNeeds([socat], { canInstall: true, hasAptGet: true }, () => false, () => false))
      .toEqual({ ok: false, message: expect.stringContaining('\n  apt-get install -y --no-install-recommends socat\n') as unknown })
    expect(ensureNeeds([socat], { canInstall: false, hasAptGet: true }, () => { throw new Error('must not run apt-get') }, () => false).ok).toBe(false)
  })

  it('finds the PostgreSQL server under any version folder, and says how to install it when absent', () => {
    const dir = tempDir()
    try {
      const pattern = join(dir.path, 'postgresql', '*', 'bin', 'initdb')
      expect(pathExists(pattern)).toBe(false)
      mkdirSync(join(dir.path, 'postgresql', '17', 'bin'), { recursive: true })
      expect(pathExists(pattern)).toBe(false)
      writeFileSync(join(dir.path, 'postgresql', '17', 'bin', 'initdb'), '')
      expect(pathExists(pattern)).toBe(true)
      const postgres = SYSTEM_NEEDS.find((n) => n.apt === 'postgresql')!
      const plan = planNeeds([postgres], { canInstall: false, hasAptGet: true })
      expect((plan as { message: string }).message).toContain('\n  sudo apt-get install -y --no-install-recommends postgresql\n')
    } finally {
      dir.cleanup()
    }
  })

  it('finds commands on PATH only when executable', () => {
    const dir = tempDir()
    try {
      writeFileSync(join(dir.path, 'tool'), '#!/bin/sh\n')
      expect(onPath('tool', dir.path)).toBe(false)
      chmodSync(join(dir.path, 'tool'), 0o755)
      expect(onPath('tool', `/nonexistent:${dir.path}`)).toBe(true)
      expect(onPath('tool', '')).toBe(false)
      expect(isMet({ apt: 'x', file: join(dir.path, 'tool'), why: 'test' })).toBe(true)
      expect(isMet({ apt: 'x', command: 'no-such-tool-harpoon', why: 'test' })).toBe(false)
    } finally {
      dir.cleanup()
    }
  })
})
