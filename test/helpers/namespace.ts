// A Temporal namespace of a test's own on the shared dev server: its visibility counts and worker deployments see
// no other test file's workflows.
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';

/** Registers `namespace` (one day's retention) and waits until workflows can be listed in it. */
export async function createNamespace(connection: Connection, namespace: string): Promise<Client> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  const client = new Client({ connection, namespace });
  for (let i = 0; ; i++) {
    try {
      await client.workflow.count('');
      return client;
    } catch (err) {
      if (i > 60) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Polls `read` until `ok` holds for its value (visibility lags a write by a moment), or fails with the last value. */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}
