// A clock that starts at a notice's delivery (CaseKit awaitNoticeDelivered / dayPeriodFromDelivery) on the
// time-skipping server: the receipt of another notice does not start it, the first receipt of its own notice does (a
// second receipt, a resend's, moves nothing), and the period is counted with dayPeriodEndsAt from the acceptance.
import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { applyWritesIn } from '../../activities/caseWrites';
import type { CaseActivities } from '../../activities/types';
import { createDb, withPgTransaction, type Db } from '../../lib/db';
import { dayPeriodEndsAt, withKnownCoverage } from '../../policy/businessCalendar';
import { createTimeSkippingEnv, testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { noticeDeliveredSignal } from '../../workflows/definitions';
import { requireEnv } from '../helpers/env';
import { noticeClockProbe, type NoticeClockInput } from './probes/noticeClock';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let db: Db;
const taskQueue = 'notice-clock';
const caseWrites: Pick<CaseActivities, 'applyCaseWrites'> = {
  applyCaseWrites: async (input) => {
    await withPgTransaction(db, (client) => applyWritesIn(client, input.caseId, input.writes, null));
  },
};

beforeAll(async () => {
  db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 4 });
  env = await createTimeSkippingEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('./probes/noticeClock'), activities: caseWrites });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.$disconnect();
});

test('the period runs from the first confirmed acceptance of its notice, counted in civil days', async () => {
  const caseId = `NCL-${crypto.randomUUID()}`;
  await db.case.create({ data: { id: caseId, type: 'notice_clock_probe', status: 'open', step: 'opened', customerId: 'cust-clock', policyVersion: 'test', workflowId: caseId, summary: {}, openedBy: 'principal-storefront' } });
  const noticeKey = `${caseId}:thread.message_posted:customer:cust-clock`;
  const input: NoticeClockInput = { caseId, policy: testPolicy(), days: 7 };
  const h = await env.client.workflow.start(noticeClockProbe, { taskQueue, workflowId: caseId, args: [input] });
  await waitForState(h, (s) => s.step === 'awaiting_delivery', 'waiting for the delivery receipt');
  // The notice was queued asking for a receipt (a dispatcher of a test system sharing the database may have taken it).
  expect(await db.notification.findUniqueOrThrow({ where: { id: noticeKey } })).toMatchObject({ receipt: true });

  // Another notice's receipt starts nothing.
  await h.signal(noticeDeliveredSignal, { noticeKey: `${caseId}:notice:other`, acceptedAt: new Date(Date.now() - 86_400_000).toISOString() });
  const acceptedAt = new Date();
  await h.signal(noticeDeliveredSignal, { noticeKey, acceptedAt: acceptedAt.toISOString() });
  // A resend of the same notice (same key) accepted later: the clock stays where it started.
  await h.signal(noticeDeliveredSignal, { noticeKey, acceptedAt: new Date(acceptedAt.getTime() + 3 * 86_400_000).toISOString() });

  const result = await h.result();
  const expectedEnd = dayPeriodEndsAt(withKnownCoverage(input.policy.calendar), acceptedAt, 7, { extendOverHolidays: true });
  expect(result.deliveredAt).toBe(acceptedAt.toISOString());
  expect(result.endsAt).toBe(expectedEnd.toISOString());
  // Seven civil days from the day after delivery: at least six days after the acceptance, and the workflow slept to it.
  expect(expectedEnd.getTime() - acceptedAt.getTime()).toBeGreaterThan(6 * 86_400_000);
  expect(new Date(result.endedAt).getTime()).toBeGreaterThanOrEqual(expectedEnd.getTime());
  const events = (await db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } })).map((e) => [e.type, e.payload]);
  expect(events).toContainEqual(['notice.period_started', { noticeKey, deliveredAt: acceptedAt.toISOString(), endsAt: expectedEnd.toISOString() }]);
  expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).outcome).toBe('period_ended');
});
