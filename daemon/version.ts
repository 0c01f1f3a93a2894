import { existsSync, readFileSync } from 'node:fs'
import { findUp } from '../core/find-up.js'

function isOurPackage (path: string): boolean {
  return existsSync(path) && (JSON.parse(readFileSync(path, 'utf8')) as { name?: string }).name === 'harpoon-daemon'
}

/** The package version, from the package.json above this file (works from source and from dist/). */
export function packageVersion (): string {
  const path = findUp(import.meta.url, 'package.json', isOurPackage)
  return path === null ? '0.0.0' : (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? '0.0.0'
}
