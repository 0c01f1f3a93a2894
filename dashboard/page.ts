import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { findUp } from '../core/find-up.js'

/**
 * The page, its script and its stylesheet allow nothing from elsewhere: no inline script, no inline
 * style, no frames, no form posts. SMS text is attacker-controlled (anyone can text the wallet SIM),
 * so even a rendering slip in the script cannot run injected code or send the key anywhere.
 */
const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"
].join('; ')

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8'
} as const
type FileName = keyof typeof FILES

/** The folder holding index.html (works from source and from dist/). */
function publicDir (): string {
  const dir = findUp(import.meta.url, join('dashboard', 'public'), (path) => existsSync(join(path, 'index.html')))
  if (dir === null) throw new Error('dashboard/public not found beside the daemon; is the package complete?')
  return dir
}

/**
 * `/dashboard`: the public page, script and styles. The page gets no data without a key: it calls
 * the API (`api/routes/operator.ts` and the rest) with `Authorization: Bearer` like every client.
 */
export function dashboardPage () {
  const dir = publicDir()
  // Read once: three small files, and a running daemon should not depend on its checkout staying put.
  const files = new Map<FileName, Buffer>((Object.keys(FILES) as FileName[]).map((f) => [f, readFileSync(join(dir, f))]))

  function send (reply: FastifyReply, name: FileName): FastifyReply {
    return reply
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .type(FILES[name])
      .send(files.get(name))
  }

  return async function register (app: FastifyInstance): Promise<void> {
    const page = { schema: { hide: true } }
    app.get('/dashboard', page, async (_request, reply) => send(reply, 'index.html'))
    app.get('/dashboard/', page, async (_request, reply) => send(reply, 'index.html'))
    app.get('/dashboard/app.js', page, async (_request, reply) => send(reply, 'app.js'))
    app.get('/dashboard/app.css', page, async (_request, reply) => send(reply, 'app.css'))
  }
}
