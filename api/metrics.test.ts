import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.js'

/** The HTTP series of a registry's text exposition (the process's default metrics differ from run to run). */
async function httpLines (registry: Registry): Promise<string> {
  const text = await registry.metrics()
  return text.split('\n').filter((l) => l.includes('harpoon_http_')).join('\n')
}

/** The same requests through prom-client's own Counter and Histogram, as the API recorded them before. */
async function reference (requests: ReadonlyArray<[string, string, number, number]>): Promise<{ text: string, json: unknown }> {
  const registry = new Registry()
  const total = new Counter({ name: 'harpoon_http_requests_total', help: 'HTTP requests served, by route and status code', labelNames: ['method', 'route', 'status'] as const, registers: [registry] })
  const duration = new Histogram({
    name: 'harpoon_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry]
  })
  for (const [method, route, status, seconds] of requests) {
    total.inc({ method, route, status: String(status) })
    duration.observe({ method, route }, seconds)
  }
  return { text: await httpLines(registry), json: await registry.getMetricsAsJSON() }
}

describe('HTTP metrics', () => {
  it('expose exactly what prom-client\'s Counter and Histogram would for the same requests, in text and JSON', async () => {
    const requests: Array<[string, string, number, number]> = [
      ['GET', '/v1/payments/:id', 200, 0.0004], ['GET', '/v1/payments/:id', 200, 0.001], ['GET', '/v1/payments/:id', 404, 0.003],
      ['POST', '/v1/payments/initialize', 201, 0.02], ['POST', '/v1/payments/initialize', 422, 3.5], ['GET', 'unmatched', 404, 0.0001],
      ['GET', '/v1/payments/:id', 200, 2.5]
    ]
    const metrics = createMetrics()
    expect(await httpLines(metrics.registry)).toBe((await reference([])).text)
    for (const [method, route, status, seconds] of requests) metrics.http.record(method, route, status, seconds)
    const expected = await reference(requests)
    expect(await httpLines(metrics.registry)).toBe(expected.text)
    const json = (await metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('harpoon_http_'))
    expect(json).toEqual(expected.json)
    // Scraped twice: totals, not increments.
    expect(await httpLines(metrics.registry)).toBe(expected.text)
  })
})
