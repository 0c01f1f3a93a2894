import { afterEach } from 'vitest'
import type { DaemonProcess } from './daemon-process.js'

/**
 * Registers an afterEach that stops every daemon a test started (SIGTERM, then waits for the exit)
 * and then runs the other clean-ups newest first, so temp dirs go only once nothing uses them.
 */
export function cleanupAfterEach (): { daemon: (d: DaemonProcess) => DaemonProcess, later: (fn: () => void | Promise<void>) => void } {
  const daemons: DaemonProcess[] = []
  const fns: Array<() => void | Promise<void>> = []
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) { d.child.kill('SIGTERM'); await d.exited }
    }
    while (fns.length > 0) await fns.pop()?.()
  })
  return { daemon: (d) => { daemons.push(d); return d }, later: (fn) => { fns.push(fn) } }
}
