// Requests and their durations per route, counted with a few array writes per request and turned
// into Prometheus series only when /metrics is read. prom-client's own Counter and Histogram check
// and hash the label set on every inc/observe, even through a labels()-bound child, and allocate
// for it: 2 us a request in a warm loop against 0.02 us here, about 4% of /healthz in a CPU profile
// (docs/benchmarks.md). The two metric objects below plug into prom-client's registry (its text
// format, its content type), so only the counting is ours.
import type { Registry } from 'prom-client'

/** Upper bounds of the duration buckets, in seconds (+Inf is implied). */
export const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const

/** One route and method: answers by status code, and the duration histogram. */
export class RouteStats {
  private readonly statuses = new Map<number, number>()
  /** Non-cumulative counts per bucket; the last one is +Inf. */
  private readonly buckets = new Array<number>(DURATION_BUCKETS.length + 1).fill(0)
  private sum = 0
  private count = 0

  constructor(
    readonly method: string,
    readonly route: string,
  ) {}

  record(status: number, seconds: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
    let i = 0
    while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] as number)) i += 1
    this.buckets[i] = (this.buckets[i] ?? 0) + 1
    this.sum += seconds
    this.count += 1
  }

  counterValues(): MetricValue[] {
    return [...this.statuses].map(([status, value]) => ({ labels: { method: this.method, route: this.route, status_code: status }, value }))
  }

  histogramValues(name: string): MetricValue[] {
    // A route never asked for has no series, as with prom-client's own histogram.
    if (this.count === 0) return []
    const labels = { method: this.method, route: this.route }
    const values: MetricValue[] = []
    let cumulative = 0
    DURATION_BUCKETS.forEach((le, i) => {
      cumulative += this.buckets[i] ?? 0
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative })
    })
    values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: this.count })
    values.push({ metricName: `${name}_sum`, labels, value: this.sum })
    values.push({ metricName: `${name}_count`, labels, value: this.count })
    return values
  }
}

interface MetricValue {
  metricName?: string
  labels: Record<string, string | number>
  value: number
}

/** The route statistics of one app, exposed as http_requests_total and http_request_duration_seconds. */
export class RouteMetrics {
  private readonly byKey = new Map<string, RouteStats>()

  constructor(registry: Registry) {
    const counter = {
      name: 'http_requests_total',
      help: 'HTTP responses by route and status',
      type: 'counter',
      aggregator: 'sum',
      get: () => ({ ...counter, values: [...this.byKey.values()].flatMap((s) => s.counterValues()) }),
    }
    const histogram = {
      name: 'http_request_duration_seconds',
      help: 'HTTP response time',
      type: 'histogram',
      aggregator: 'sum',
      get: () => ({ ...histogram, values: [...this.byKey.values()].flatMap((s) => s.histogramValues(histogram.name)) }),
    }
    // prom-client's registry takes any object with a name and get(); its types name its own classes.
    registry.registerMetric(counter as unknown as Parameters<Registry['registerMetric']>[0])
    registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0])
  }

  /** The statistics of one route pattern and method, made on first use and kept (patterns are few). */
  stats(method: string, route: string): RouteStats {
    const key = `${method} ${route}`
    let found = this.byKey.get(key)
    if (found === undefined) {
      found = new RouteStats(method, route)
      this.byKey.set(key, found)
    }
    return found
  }
}
