// Graceful shutdown: closing the API lets in-flight requests finish and refuses new ones.
import { startApi } from '../../api/server';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';

test('close() drains an in-flight request, then the port refuses connections', async () => {
  let release!: () => void;
  const dbGate = new Promise<void>((r) => (release = r));
  const db = { $queryRaw: async () => { await dbGate; return [{ '?column?': 1 }]; } } as any;
  const connection = { workflowService: { getSystemInfo: async () => ({}) } } as any;
  const api = await startApi({ cfg: loadConfig({}), db, connection, logger: createLogger('test', 'silent'), port: 0, host: '127.0.0.1' });

  const inFlight = fetch(`${api.url}/readyz`);
  await new Promise((r) => setTimeout(r, 100)); // the request is now waiting on the database
  let closed = false;
  const closing = api.close().then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 100));
  expect(closed).toBe(false); // still draining
  release();
  const res = await inFlight;
  expect(res.status).toBe(200);
  // 'ready', or 'degraded' while the official holiday data ends within 60 days (test/api/calendar.api.test.ts): both 200.
  expect(await res.json()).toMatchObject({ status: expect.stringMatching(/^(ready|degraded)$/), checks: { database: 'ok', temporal: 'ok' } });
  await closing;
  expect(closed).toBe(true);
  await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
});
