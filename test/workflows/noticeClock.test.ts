// A clock that starts at a notice's delivery (CaseKit awaitNoticeDelivered / dayPeriodFromDelivery) on the
// time-skipping server: the receipt of another notice does not start it, the first receipt of its own notice does (a
// second receipt, a resend's, moves nothing), and the period is counted with dayPeriodEndsAt from the acceptance.
import crypto from 'node:crypto';
import { dayPeriodEndsAt, withKnownCoverage } from '../../policy/businessCalendar';
import { testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { noticeDeliveredSignal } from '../../workflows/definitions';
import { noticeClockProbe, type NoticeClockInput } from './probes/noticeClock';
import { probeWorker } from '../helpers/probeWorker';

const probe = probeWorker('notice-clock', require.resolve('./probes/noticeClock'));
const { taskQueue } = probe;

test('the period runs from the first confirmed acceptance of its notice, counted in civil days', async () => {
  const caseId = `NCL-${crypto.randomUUID()}`;
  await probe.db.case.create({ data: { id: caseId, type: 'notice_clock_probe', status: 'open', step: 'opened', customerId: 'cust-clock', policyVersion: 'test', workflowId: caseId, summary: {}, openedBy: 'principal-storefront' } });
  const noticeKey = `${caseId}:thread.message_posted:customer:cust-clock`;
  const input: NoticeClockInput = { caseId, policy: testPolicy(), days: 7 };
  const h = await probe.env.client.workflow.start(noticeClockProbe, { taskQueue, workflowId: caseId, args: [input] });
  await waitForState(h, (s) => s.step === 'awaiting_delivery', 'waiting for the delivery receipt');
  // The notice was queued asking for a receipt (a dispatcher of a test system sharing the database may have taken it).
  expect(await probe.db.notification.findUniqueOrThrow({ where: { id: noticeKey } })).toMatchObject({ receipt: true });

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
  const events = (await probe.db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } })).map((e) => [e.type, e.payload]);
  expect(events).toContainEqual(['notice.period_started', { noticeKey, deliveredAt: acceptedAt.toISOString(), endsAt: expectedEnd.toISOString() }]);
  expect((await probe.db.case.findUniqueOrThrow({ where: { id: caseId } })).outcome).toBe('period_ended');
});
