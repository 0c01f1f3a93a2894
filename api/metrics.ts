import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * The Prometheus registry of one daemon. One per process in production; tests build several, so
 * nothing here touches prom-client's global registry.
 */
export function createMetrics () {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'harpoon_process_' })
  const httpRequests = new Counter({
    name: 'harpoon_http_requests_total',
    help: 'HTTP requests served, by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry]
  })
  const httpDuration = new Histogram({
    name: 'harpoon_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry]
  })
  return { registry, httpRequests, httpDuration }
}

export type Metrics = ReturnType<typeof createMetrics>
