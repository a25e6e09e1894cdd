// Prometheus metrics plumbing shared by the API and the worker. Each app builds its own prom-client Registry (never the
// global default one), so tests can run several apps in one process; the API and the worker share one when in one process.
import { Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

export { Registry };

type Kind = { counter: Counter<string>; gauge: Gauge<string>; histogram: Histogram<string> };

/**
 * The metric registered under `name` in `registry`, created on first use. Registering a name twice throws in prom-client;
 * this lets two apps (or an app and a worker) that share a registry declare the same metric without conflicting.
 */
export function metric<K extends keyof Kind>(
  registry: Registry,
  kind: K,
  config: K extends 'counter' ? CounterConfiguration<string> : K extends 'gauge' ? GaugeConfiguration<string> : HistogramConfiguration<string>,
): Kind[K] {
  const existing = registry.getSingleMetric(config.name);
  if (existing) return existing as Kind[K];
  const registers = [registry];
  if (kind === 'counter') return new Counter({ ...(config as CounterConfiguration<string>), registers }) as Kind[K];
  if (kind === 'gauge') return new Gauge({ ...(config as GaugeConfiguration<string>), registers }) as Kind[K];
  return new Histogram({ ...(config as HistogramConfiguration<string>), registers }) as Kind[K];
}
