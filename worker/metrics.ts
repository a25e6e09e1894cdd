// Activity metrics: a worker interceptor that counts every activity attempt and every attempt that threw, and
// times each attempt (local activities, which run inside a workflow task, apart from queued ones).
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { metric, type Registry } from '../lib/metrics';

export function activityMetricsInterceptor(registry: Registry): ActivityInterceptorsFactory {
  const executions = metric(registry, 'counter', {
    name: 'casework_activity_executions_total',
    help: 'Activity attempts started by this worker (each retry counts)',
    labelNames: ['activity'],
  });
  const failures = metric(registry, 'counter', {
    name: 'casework_activity_failures_total',
    help: 'Activity attempts that ended with an error (each failed retry counts; includes cancellations and timeouts seen by the worker)',
    labelNames: ['activity'],
  });
  const seconds = metric(registry, 'histogram', {
    name: 'casework_activity_duration_seconds',
    help: 'Time of one activity attempt in this worker, from its start to its result or error',
    labelNames: ['activity', 'local'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  });
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const labels = { activity: ctx.info.activityType };
        executions.inc(labels);
        const end = seconds.startTimer({ ...labels, local: String(ctx.info.isLocal) });
        try {
          return await next(input);
        } catch (err) {
          failures.inc(labels);
          throw err;
        } finally {
          end();
        }
      },
    },
  });
}
