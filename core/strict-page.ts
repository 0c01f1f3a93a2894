import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { findUp } from './find-up.js'

/**
 * The headers of every page the daemon serves to a browser (the operator dashboard, the hosted
 * checkout): scripts, styles and images from the daemon only, no inline script or style, no
 * frames, no form posts, no Referer (a checkout link's token must never travel to the shop the
 * customer is sent back to), no caching.
 */
export const STRICT_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
    "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store'
}

/**
 * A page's static files, read once at start (a running daemon should not depend on its checkout
 * staying put). `folder` is found beside `moduleUrl` or above it, from source and from dist/.
 */
export function loadPublicFiles<Name extends string> (moduleUrl: string, folder: string, names: readonly Name[]): ReadonlyMap<Name, Buffer> {
  const dir = findUp(moduleUrl, folder, (path) => names.every((n) => existsSync(join(path, n))))
  if (dir === null) throw new Error(`${folder} not found beside the daemon; is the package complete?`)
  return new Map(names.map((n) => [n, readFileSync(join(dir, n))]))
}
