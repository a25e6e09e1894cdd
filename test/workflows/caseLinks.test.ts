// A return whose platform review is rejected opens a linked complaint (patch return-linked-complaint, CaseKit
// openLinkedCase) on the time-skipping server: the real openLinkedCase activity over the real case-opening service
// (processes/caseOpening.ts) and PostgreSQL, opening the catalogue's complaint process (processes/complaint.ts, channel
// linked_case) on its own queue; the return's and the complaint's other writes on the in-memory fakes. A link to a
// process the catalogue does not have is skipped.
import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { caseLinkActivities } from '../../activities/caseLinks';
import type { OpenLinkedCaseInput } from '../../activities/types';
import { createDb, type Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import type { Ports } from '../../lib/ports';
import { ClientPool } from '../../lib/temporal';
import { createCaseOpening } from '../../processes/caseOpening';
import { completeTaskUpdate, type Actor } from '../../workflows/definitions';
import { returnWithin7Days, type ReturnCaseInput } from '../../workflows/returnWithin7Days';
import { executeUpdate, openTaskOf, testPolicy, waitForState, workflowBundle, createTimeSkippingEnv } from '../../scripts/harness/timeSkipping';
import { createFakeActivities } from '../../scripts/harness/fakeActivities';
import { caseWorkflowsPath } from '../../worker/caseWorkflows';
import { requireEnv } from '../helpers/env';

const merchant: Actor = { id: 'principal-merchant-links', role: 'merchant', merchantId: 'merchant-links' };
const agent: Actor = { id: 'principal-agent-links', role: 'agent' };
const returnQueue = 'links-return';
const complaintQueue = 'links-complaint';

let env: TestWorkflowEnvironment;
let db: Db;
let fake: ReturnType<typeof createFakeActivities>;
let returnWorker: Worker;
let complaintWorker: Worker;
let running: Promise<unknown>;
let openLinkedCase: (i: OpenLinkedCaseInput) => ReturnType<ReturnType<typeof caseLinkActivities>['openLinkedCase']>;

beforeAll(async () => {
  db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 4 });
  env = await createTimeSkippingEnv();
  fake = createFakeActivities();
  const logger = createLogger('test', 'silent');
  // The service as the worker builds it (worker/worker.ts), its complaints started on their own queue.
  const caseOpening = createCaseOpening({
    db,
    logger,
    ports: {} as Ports, // a complaint's opening uses no port
    secrets: { registration: 'r'.repeat(32), requestHash: 'h'.repeat(32), webhooks: { carrier: 'c'.repeat(32) } },
    currentPolicy: () => testPolicy(),
    temporal: { clients: new ClientPool(env.connection, env.namespace ?? 'default'), taskQueue: complaintQueue },
  });
  ({ openLinkedCase } = caseLinkActivities({ db, logger, caseOpening }));
  const bundle = workflowBundle();
  returnWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: returnQueue,
    activities: { ...fake.activities, openLinkedCase },
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }),
  });
  complaintWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: complaintQueue,
    activities: fake.activities,
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }),
  });
  running = Promise.all([returnWorker.run(), complaintWorker.run()]);
});

afterAll(async () => {
  returnWorker?.shutdown();
  complaintWorker?.shutdown();
  await running;
  await env?.teardown();
  await db?.$disconnect();
});

/** A return rejected by the merchant and by the platform: its row in PostgreSQL (the link and the audit trail need it). */
async function rejectedReturn(): Promise<{ caseId: string; result: { outcome: string } }> {
  const caseId = `RET-LINK-${crypto.randomUUID()}`;
  const now = Date.now();
  const policy = testPolicy();
  const { version: _v, officialYears: _o, provisionalYears: _p, ...handWritten } = policy.calendar;
  const input: ReturnCaseInput = {
    caseId,
    policy: { ...policy, calendar: handWritten },
    openedBy: 'principal-storefront-links',
    order: { orderId: 'ORD-LINK-1', lineItemId: 'LI-1', category: 'apparel', amountMinor: 19900, currency: 'CNY', customerId: 'cust-links', merchantId: merchant.merchantId! },
    requestType: 'refund_only',
    reasonCode: 'not_received',
    requestedAt: new Date(now).toISOString(),
  };
  await db.case.create({ data: { id: caseId, type: 'return', status: 'open', step: 'opened', customerId: 'cust-links', merchantId: merchant.merchantId, policyVersion: 'test', workflowId: caseId, summary: {}, openedBy: input.openedBy } });
  const h = await env.client.workflow.start(returnWithin7Days, { taskQueue: returnQueue, workflowId: caseId, args: [input] });
  const complete = async (type: string, actor: Actor, payload: unknown) => {
    const v = await waitForState(h, (s) => !!openTaskOf(s, type), type);
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
  };
  await complete('return.merchant_review', merchant, { decision: 'reject', reasonCode: 'goods_delivered' });
  await complete('return.platform_review', agent, { decision: 'reject', reasonCode: 'goods_delivered' });
  return { caseId, result: await h.result() };
}

const auditOf = async (caseId: string) => (await db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } })).map((e) => ({ type: e.type, eventKey: e.eventKey, payload: e.payload as Record<string, unknown> }));

test('a return rejected at platform review opens a linked complaint once: handed over / escalated from, on both timelines', async () => {
  const { caseId, result } = await rejectedReturn();
  expect(result).toEqual({ outcome: 'rejected' });

  // The link, read from the return: handed over to the complaint it opened.
  const links = await db.caseLink.findMany({ where: { OR: [{ fromCaseId: caseId }, { toCaseId: caseId }] } });
  expect(links).toHaveLength(1);
  const [link] = links;
  expect(link).toMatchObject({ fromCaseId: caseId, type: 'handed_over_to', createdBy: 'system' });
  const complaintId = link.toCaseId;
  expect(complaintId).toMatch(/^CMP-/);

  // The complaint: opened by the platform with the return's ids only (channel linked_case), its workflow run on its own queue.
  const complaint = await db.case.findUniqueOrThrow({ where: { id: complaintId } });
  expect(complaint).toMatchObject({ type: 'complaint', openedBy: 'system', customerId: 'cust-links', merchantId: merchant.merchantId });
  expect((complaint.summary as any).workflowInput).toMatchObject({
    caseId: complaintId,
    openedBy: 'system',
    complainantId: 'cust-links',
    merchantId: merchant.merchantId,
    orderId: 'ORD-LINK-1',
    channel: 'linked_case',
    category: 'return_refused',
    linkedFrom: { returnCaseId: caseId, reasonCode: 'goods_delivered' },
  });
  expect(complaint.summary).toMatchObject({ returnCaseId: caseId, orderId: 'ORD-LINK-1', reasonCode: 'goods_delivered', channel: 'linked_case' });
  expect(await db.complaintRecord.findUniqueOrThrow({ where: { caseId: complaintId } })).toMatchObject({ channel: 'linked_case', category: 'return_refused', description: null });
  // Its workflow runs: the information review is the first step.
  const complaintCase = env.client.workflow.getHandle(complaintId);
  await waitForState(complaintCase, (s) => !!openTaskOf(s, 'complaint.information_review'), 'complaint review task');
  expect(fake.of('recordCaseEvent').find((e) => e.caseId === complaintId && e.type === 'case.opened')?.payload).toMatchObject({ channel: 'linked_case', returnCaseId: caseId, reasonCode: 'goods_delivered' });
  await complaintCase.terminate('test over');

  // Both audit trails record the link; the return's event is the one the link names.
  const returnLinked = (await auditOf(caseId)).filter((e) => e.type === 'case.linked');
  expect(returnLinked).toEqual([{ type: 'case.linked', eventKey: link.eventKey, payload: { linkType: 'handed_over_to', direction: 'outgoing', caseId: complaintId, caseType: 'complaint' } }]);
  const complaintLinked = (await auditOf(complaintId)).filter((e) => e.type === 'case.linked');
  expect(complaintLinked).toEqual([{ type: 'case.linked', eventKey: `linked:${link.eventKey}`, payload: { linkType: 'escalated_from', direction: 'incoming', caseId, caseType: 'return', linkEventKey: link.eventKey } }]);

  // The return's own writes: no skipped link; the rejection notice and the close after the link.
  const events = fake.of('recordCaseEvent').filter((e) => e.caseId === caseId).map((e) => e.type);
  expect(events).not.toContain('case.link_skipped');
  expect(events.slice(-1)).toEqual(['case.closed']);

  // A retried activity (the same input: the key derived from the case id and its event sequence) opens nothing new.
  const again = await openLinkedCase({
    fromCaseId: caseId,
    caseType: 'complaint',
    body: { returnCaseId: caseId, orderId: 'ORD-LINK-1', lineItemId: 'LI-1', customerId: 'cust-links', merchantId: merchant.merchantId!, reasonCode: 'goods_delivered' },
    linkType: 'handed_over_to',
    idempotencyKey: `${caseId}:link:${link.eventKey.split(':').pop()}`,
    eventKey: link.eventKey,
    at: (await db.auditEvent.findFirstOrThrow({ where: { caseId, eventKey: link.eventKey } })).at.toISOString(),
  });
  expect(again).toEqual({ status: 'linked', caseId: complaintId, caseType: 'complaint', replayed: true });
  expect(await db.case.count({ where: { type: 'complaint', summary: { path: ['returnCaseId'], equals: caseId } } })).toBe(1);
  expect(await db.caseLink.count({ where: { fromCaseId: caseId } })).toBe(1);
  expect((await auditOf(caseId)).filter((e) => e.type === 'case.linked')).toHaveLength(1);
  expect((await auditOf(complaintId)).filter((e) => e.type === 'case.linked')).toHaveLength(1);
});

test('a link to a process the catalogue does not have opens nothing and says why', async () => {
  const caseId = `RET-LINK-${crypto.randomUUID()}`;
  await db.case.create({ data: { id: caseId, type: 'return', status: 'open', step: 'opened', customerId: 'cust-links', merchantId: merchant.merchantId, policyVersion: 'test', workflowId: caseId, summary: {}, openedBy: 'principal-storefront-links' } });
  const skipped = await openLinkedCase({
    fromCaseId: caseId,
    caseType: 'mediation',
    body: { returnCaseId: caseId, customerId: 'cust-links', merchantId: merchant.merchantId! },
    linkType: 'handed_over_to',
    idempotencyKey: `${caseId}:link:1`,
    eventKey: `${caseId}:1`,
    at: new Date().toISOString(),
  });
  expect(skipped).toMatchObject({ status: 'skipped', reason: 'process_not_in_catalogue' });
  expect(await db.caseLink.count({ where: { OR: [{ fromCaseId: caseId }, { toCaseId: caseId }] } })).toBe(0);
});
