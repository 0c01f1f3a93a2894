import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** One method and route: its answers by status code and its durations, as plain numbers. */
interface RouteSeries {
  readonly method: string
  readonly route: string
  readonly statuses: Map<number, number>
  /** Observations per bucket of DURATION_BUCKETS (each counted in its own bucket only; the export adds them up). */
  readonly buckets: number[]
  sum: number
  count: number
}

/**
 * What every request adds to `harpoon_http_requests_total` and `harpoon_http_request_duration_seconds`,
 * kept as plain numbers and handed to prom-client only when scraped. prom-client's `inc` and
 * `observe` validate and hash their labels on every call: several microseconds of each GET on the
 * bench, for figures read once a scrape. The exposition is prom-client's own, the same bytes
 * (api/metrics.test.ts).
 */
export class HttpMetrics {
  /** In the order first seen (the exposition's order). */
  readonly #series: RouteSeries[] = []
  /** The same series by method, then route: found without building a key string per request. */
  readonly #byMethod = new Map<string, Map<string, RouteSeries>>()

  /** One answered request: `route` is its route's pattern (never the raw URL: the label set stays small). */
  record (method: string, route: string, status: number, seconds: number): void {
    let routes = this.#byMethod.get(method)
    if (routes === undefined) { routes = new Map(); this.#byMethod.set(method, routes) }
    let s = routes.get(route)
    if (s === undefined) {
      s = { method, route, statuses: new Map(), buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }
      routes.set(route, s)
      this.#series.push(s)
    }
    s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1)
    s.sum += seconds
    s.count++
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= (DURATION_BUCKETS[i] as number)) { (s.buckets[i] as number)++; break }
    }
  }

  series (): IterableIterator<RouteSeries> { return this.#series.values() }
}

type DurationLabels = 'method' | 'route'

/**
 * The duration histogram, written from HttpMetrics at scrape time. prom-client's registry reads a
 * histogram through `getForPromString` (text) and `get` (JSON, which calls it): answering it here
 * is the one way in, since a Histogram takes observations one at a time.
 */
class RouteDurations extends Histogram<DurationLabels> {
  readonly #http: HttpMetrics

  constructor (http: HttpMetrics, registry: Registry) {
    super({
      name: 'harpoon_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry]
    })
    this.#http = http
  }

  /** prom-client's shape: cumulative `_bucket` lines per series with `le` first, then `+Inf`, `_sum` and `_count`. */
  async getForPromString (): Promise<{ name: string, help: string, type: 'histogram', values: unknown[], aggregator: 'sum' }> {
    const name = 'harpoon_http_request_duration_seconds'
    const values: unknown[] = []
    for (const s of this.#http.series()) {
      const sharedLabels = { method: s.method, route: s.route }
      let acc = 0
      DURATION_BUCKETS.forEach((le, i) => {
        acc += s.buckets[i] as number
        values.push({ labels: { le }, sharedLabels, value: acc, metricName: `${name}_bucket`, exemplar: null })
      })
      values.push({ labels: { le: '+Inf' }, sharedLabels, value: s.count, metricName: `${name}_bucket`, exemplar: null })
      values.push({ labels: {}, sharedLabels, value: s.sum, metricName: `${name}_sum`, exemplar: undefined })
      values.push({ labels: {}, sharedLabels, value: s.count, metricName: `${name}_count`, exemplar: undefined })
    }
    return { name, help: 'HTTP request duration', type: 'histogram', values, aggregator: 'sum' }
  }
}

/**
 * The Prometheus registry of one daemon. One per process in production; tests build several, so
 * nothing here touches prom-client's global registry. `http` takes every answered request.
 */
export function createMetrics () {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'harpoon_process_' })
  const http = new HttpMetrics()
  new Counter({
    name: 'harpoon_http_requests_total',
    help: 'HTTP requests served, by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
    // Totals since start, set afresh at each scrape.
    collect () {
      this.reset()
      for (const s of http.series()) for (const [status, n] of s.statuses) this.inc({ method: s.method, route: s.route, status: String(status) }, n)
    }
  })
  new RouteDurations(http, registry)
  return { registry, http }
}

export type Metrics = ReturnType<typeof createMetrics>
