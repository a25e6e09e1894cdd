// Activity metrics: a worker interceptor that counts every activity attempt and every attempt that threw.
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
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const labels = { activity: ctx.info.activityType };
        executions.inc(labels);
        try {
          return await next(input);
        } catch (err) {
          failures.inc(labels);
          throw err;
        }
      },
    },
  });
}
