import { createServer } from 'node:net'

/**
 * A loopback port free at the moment of asking, for a daemon whose own URL must be in its config
 * before it starts (a channel's callback_url), or that must come back on the same port after a restart. Another process could take it in between; tests on
 * one machine make that unlikely, and a taken port fails the start loudly rather than silently.
 */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}
