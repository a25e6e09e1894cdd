// The e-mail outbox on a pool of its own (DB_BACKGROUND_POOL_SIZE; worker/worker.ts backgroundDb): while the cases'
// work holds every connection of the main pool, a queued notice is still delivered.
import type { PoolClient } from 'pg';
import { queueNotification } from '../../activities/caseWrites';
import { poolOf } from '../../lib/db';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem({ backgroundPool: 2 });
});
afterAll(async () => {
  await sys?.stop();
});

test('every connection of the main pool held: a notice queued then is delivered all the same', async () => {
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId!), headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  const caseId = opened.body.caseId as string;
  const pool = poolOf(sys.db);
  const held: PoolClient[] = [];
  try {
    for (let i = 0; i < pool.options.max; i++) held.push(await pool.connect());
    expect(pool.totalCount).toBe(pool.options.max);
    expect(pool.idleCount).toBe(0);
    const key = `${caseId}:pool-test`;
    await queueNotification(held[0], { key, caseId, template: 'thread.message_posted', recipient: { kind: 'merchant', id: sys.keys.merchant.merchantId! }, params: { caseId, from: 'customer', attachments: 0 }, at: new Date().toISOString(), eventKey: `${key}:event` }, sys.taskQueue);
    const sent = await eventually(async () => (await held[0].query<{ status: string }>('SELECT status FROM notifications WHERE id = $1', [key])).rows[0]?.status === 'sent' || undefined, 'the notice sent while the main pool is full');
    expect(sent).toBe(true);
    expect(sys.mail.messages.some((m) => m.to.includes(`${sys.keys.merchant.merchantId}@merchant.test`))).toBe(true);
  } finally {
    for (const c of held) c.release();
  }
});
