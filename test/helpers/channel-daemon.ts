import { spawnDaemon, type DaemonProcess } from './daemon-process.js'
import { apiCall, firstKey } from './http.js'
import { freePort } from './ports.js'
import { startReceiver, type Receiver } from '../webhooks/receiver.js'

/** A spawned daemon with one payment channel, a webhook receiver registered with it, and its first key. */
export interface ChannelDaemon {
  daemon: DaemonProcess
  receiver: Receiver
  key: string
  /** The `data` of a successful API call, or an Error naming the call and the error body. */
  call: <T>(method: string, path: string, body?: unknown) => Promise<T>
  /** Any API call: its status and parsed body, for the answers a test expects to be errors. */
  raw: (method: string, path: string, body?: unknown) => Promise<{ status: number, body: any }>
  /** The webhook events the receiver got for one payment, in arrival order. */
  webhooks: <P extends { reference: string }>(reference: string) => Array<{ event: string, data: P }>
  /** The provider legs of one payment (`GET /v1/payments/{reference}/audit`). */
  legs: <L>(reference: string) => Promise<L[]>
  /** SIGTERM to the daemon, then the receiver closes. */
  close: () => Promise<void>
}

/**
 * Starts the daemon as an operator would (no virtual modems, webhooks and channel calls on short test
 * schedules) with the one channel `channelAt` returns for the API's port (its callback URL needs it).
 */
export async function startChannelDaemon (dir: string, channelAt: (apiPort: number) => Record<string, unknown>): Promise<ChannelDaemon> {
  const receiver = await startReceiver()
  const port = await freePort()
  const daemon = await spawnDaemon(dir, {
    api: { port, rate_limit: { max: 10_000, window_ms: 1000 } },
    virtual_modems: false,
    webhooks: { allow_private_targets: true, retry_schedule: [0.2, 0.5, 1], poll_interval_ms: 50 },
    channel_calls: { timeout_ms: 2_000, retry_schedule: [0.05, 0.1, 0.2], status_schedule: [0.2, 0.5, 1], poll_interval_ms: 50 },
    channels: [channelAt(port)]
  })
  const key = firstKey(daemon.output())
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => await apiCall<T>(`${daemon.url}${path}`, key, method, body)
  await call('POST', '/v1/webhooks', { url: receiver.url })
  return {
    daemon,
    receiver,
    key,
    call,
    raw: async (method, path, body) => {
      const res = await fetch(`${daemon.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      return { status: res.status, body: await res.json() }
    },
    webhooks: <P extends { reference: string }>(reference: string) =>
      receiver.requests.map((r) => JSON.parse(r.body) as { event: string, data: P }).filter((e) => e.data.reference === reference),
    legs: async <L>(reference: string) => (await call<{ legs: L[] }>('GET', `/v1/payments/${reference}/audit`)).legs,
    close: async () => {
      if (daemon.child.exitCode === null) { daemon.child.kill('SIGTERM'); await daemon.exited }
      await receiver.close()
    }
  }
}
