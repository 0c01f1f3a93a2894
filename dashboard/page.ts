import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { STRICT_PAGE_HEADERS, loadPublicFiles } from '../core/strict-page.js'

/**
 * The page, its script and its stylesheet allow nothing from elsewhere (core/strict-page.ts): no
 * inline script, no inline style, no frames, no form posts. SMS text is attacker-controlled (anyone
 * can text the wallet SIM), so even a rendering slip in the script cannot run injected code or send
 * the key anywhere.
 */
const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8'
} as const
type FileName = keyof typeof FILES

/**
 * Chart.js (MIT, a pinned dependency), served by the daemon itself as `/dashboard/chart.js`: the
 * overview's charts need nothing from elsewhere. Its package exports only its modules, so the
 * standalone build is found beside the main entry.
 */
function chartLibrary (): Buffer {
  const main = createRequire(import.meta.url).resolve('chart.js')
  return readFileSync(join(dirname(main), 'chart.umd.min.js'))
}

/**
 * `/dashboard`: the public page, script and styles. The page gets no data without a key: it calls
 * the API (`api/routes/operator.ts` and the rest) with `Authorization: Bearer` like every client.
 */
export function dashboardPage () {
  const files = loadPublicFiles(import.meta.url, join('dashboard', 'public'), Object.keys(FILES) as FileName[])
  const chart = chartLibrary()

  function send (reply: FastifyReply, name: FileName): FastifyReply {
    return reply.headers(STRICT_PAGE_HEADERS).type(FILES[name]).send(files.get(name))
  }

  return async function register (app: FastifyInstance): Promise<void> {
    const page = { schema: { hide: true } }
    app.get('/dashboard', page, async (_request, reply) => send(reply, 'index.html'))
    app.get('/dashboard/', page, async (_request, reply) => send(reply, 'index.html'))
    app.get('/dashboard/app.js', page, async (_request, reply) => send(reply, 'app.js'))
    app.get('/dashboard/app.css', page, async (_request, reply) => send(reply, 'app.css'))
    app.get('/dashboard/chart.js', page, async (_request, reply) => reply.headers(STRICT_PAGE_HEADERS).type('text/javascript; charset=utf-8').send(chart))
  }
}
