import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A fresh registry (one per daemon; tests make their own) with Node's default metrics and the project's prefix. */
export function createMetricsRegistry(options: { defaults?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'risk_oracle_' });
  return registry;
}

export { Counter, Gauge, Histogram, Registry };
