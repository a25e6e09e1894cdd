// Warranty repair (policy 7.1/7.2/7.3) on the time-skipping server: every branch and deadline.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { addWorkingDays, addWorkingHours } from '../../policy/businessCalendar';
import { deadlineFrom } from '../../policy/durations';
import { completeTaskUpdate, cancelCaseUpdate, type Actor } from '../../workflows/definitions';
import {
  decideQuoteUpdate,
  decideRemedyUpdate,
  handOverItemUpdate,
  submitRatingUpdate,
  warrantyRepair,
  type RepairCaseInput,
} from '../../workflows/warrantyRepair';
import { createTimeSkippingEnv, executeUpdate, openTaskOf, testPolicy, waitForState } from '../helpers/timeSkipping';
import { repairInput, repairWorker } from '../fixtures/scenarios/warrantyRepair';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const agent: Actor = { id: 'principal-agent-1', role: 'agent' };
const supervisor: Actor = { id: 'principal-supervisor-1', role: 'supervisor' };
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };

let env: TestWorkflowEnvironment;
let worker: Worker;
let fakes: Awaited<ReturnType<typeof repairWorker>>;
let running: Promise<void>;
const taskQueue = 'repairs-test';
let n = 0;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  fakes = await repairWorker(env, taskQueue);
  worker = fakes.worker;
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

type Handle = Awaited<ReturnType<typeof start>>;

function input(over: Parameters<typeof repairInput>[1] = {}): RepairCaseInput {
  return repairInput(`REP-TS-${++n}-${Date.now()}`, over);
}
const outOfWarranty = (policy?: RepairCaseInput['policy']) => input({ warrantyMonths: 12, deliveredMonthsAgo: 14, policy });
const voucherPolicy = () => testPolicy((p) => void (p.warrantyRepair.breachRemedy = 'voucher'));

async function start(i: RepairCaseInput) {
  return env.client.workflow.start(warrantyRepair, { taskQueue, workflowId: i.caseId, args: [i] });
}

/**
 * The event came from the deadline's own timer: never before the deadline, and well before any later deadline
 * (the bound is the minute of slack the tests sleep past a deadline, not a latency budget).
 */
function expectFiredAt(actualIso: string, dueIso: string) {
  const late = new Date(actualIso).getTime() - new Date(dueIso).getTime();
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(60_000);
}

const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const of = (caseId: string, name: Parameters<typeof fakes.fake.of>[0]) => forCase(caseId, fakes.fake.of(name));
const tasksOf = (caseId: string) => forCase(caseId, fakes.fake.tasks());
const events = (caseId: string) => of(caseId, 'recordCaseEvent');
const eventTypes = (caseId: string) => events(caseId).map((e) => e.type);
const event = (caseId: string, type: string) => events(caseId).find((e) => e.type === type);
const templatesOf = (caseId: string) => of(caseId, 'notify').map((e) => e.template);
const progressOf = (caseId: string) => Object.assign({}, ...forCase(caseId, fakes.progress).map((p) => p.patch));

async function complete(h: Handle, type: string, payload: unknown, actor: Actor = agent) {
  const v = await waitForState(h, (s) => !!openTaskOf(s, type), `${type} task`);
  return executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
}
const atStep = (h: Handle, step: string) => waitForState(h, (s) => s.step === step, step);

async function handOver(h: Handle) {
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'courier', carrier: 'SF', trackingNumber: 'SF1234567890' } }] });
}

/** In warranty: first response, hand-over and receipt; the repair task is then open. */
async function toRepairing(h: Handle) {
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await handOver(h);
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  return waitForState(h, (s) => !!openTaskOf(s, 'repair.technician_result'), 'repair task');
}

/** Sleeps on the test server until just past a task's deadline (measured from the task's creation in workflow time). */
async function sleepPast(caseId: string, type: string) {
  // The workflow lists a task as soon as it decides on it; the openTask activity records it a moment later.
  let t = tasksOf(caseId).find((x) => x.type === type);
  for (let i = 0; !t && i < 200; i++) {
    await new Promise((r) => setTimeout(r, 25));
    t = tasksOf(caseId).find((x) => x.type === type);
  }
  if (!t) throw new Error(`no ${type} task was opened for ${caseId}`);
  await env.sleep(new Date(t.dueAt).getTime() - (await env.currentTimeMs()) + 1_000);
  return t;
}

async function shipAndRate(h: Handle, rating: number) {
  await complete(h, 'repair.return_shipment', { carrier: 'JD', trackingNumber: 'JD0001234567' });
  await atStep(h, 'awaiting_rating');
  await executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating }] });
}

test('in warranty: free repair (parts and labour), hand-over, receipt, repaired within 5 working days, shipped back, rated', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_result', { result: 'repaired' });
  await shipAndRate(h, 5);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 5 });

  const [response, receipt, repair, ship] = tasksOf(i.caseId);
  expect(tasksOf(i.caseId).map((t) => [t.type, t.role, t.slaName])).toEqual([
    ['repair.first_response', 'agent', 'firstResponse'],
    ['repair.confirm_receipt', 'agent', 'receipt'],
    ['repair.technician_result', 'agent', 'repair'],
    ['repair.return_shipment', 'agent', 'returnShipment'],
  ]);
  const cal = i.policy.calendar;
  expect(response.dueAt).toBe(addWorkingHours(cal, new Date(response.at), 2).toISOString());
  expect(receipt.dueAt).toBe(addWorkingDays(cal, new Date(receipt.at), 1).toISOString());
  expect(repair.dueAt).toBe(addWorkingDays(cal, new Date(repair.at), 5).toISOString());
  expect(ship.dueAt).toBe(addWorkingDays(cal, new Date(ship.at), 2).toISOString());

  expect(event(i.caseId, 'repair.warranty_checked').payload).toMatchObject({ inWarranty: true });
  expect(event(i.caseId, 'repair.free_repair_confirmed').payload).toEqual({ partsCovered: true, labourCovered: true });
  expect(event(i.caseId, 'repair.result_recorded').payload).toEqual({ result: 'repaired', withinSla: true });
  expect(event(i.caseId, 'repair.item_shipped').payload).toEqual({ carrier: 'JD', trackingNumber: 'JD0001234567', resolution: 'repaired' });
  expect(event(i.caseId, 'case.closed').payload).toEqual({ outcome: 'repaired', rating: 5 });
  expect(templatesOf(i.caseId)).toEqual([
    'repair.received',
    'repair.hand_over_requested',
    'repair.item_received',
    'repair.item_shipped',
    'survey.requested',
    'repair.closed.repaired',
  ]);
  expect(of(i.caseId, 'notify').find((x) => x.template === 'repair.item_received').params.repairDueAt).toBe(repair.dueAt);
  expect(progressOf(i.caseId)).toEqual({
    handOverMethod: 'courier',
    handOverCarrier: 'SF',
    handOverReference: 'SF1234567890',
    receivedAt: expect.any(String),
    result: 'repaired',
    returnCarrier: 'JD',
    returnTracking: 'JD0001234567',
    rating: 5,
    feedback: 'rated',
  });
  expect(forCase(i.caseId, fakes.vouchers)).toHaveLength(0);
  expect(of(i.caseId, 'escalateTask')).toHaveLength(0);
});

test('first response lapses: at exactly 2 working hours the task goes to a supervisor and the customer is told of the delay', async () => {
  const i = input();
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.first_response'));
  const task = tasksOf(i.caseId)[0];
  expect(task.dueAt).toBe(addWorkingHours(i.policy.calendar, new Date(task.at), 2).toISOString());
  await sleepPast(i.caseId, 'repair.first_response');

  const v = await waitForState(h, (s) => openTaskOf(s, 'repair.first_response')?.role === 'supervisor', 'reassigned');
  expect(openTaskOf(v, 'repair.first_response')!.escalated).toBe(true);
  const escalations = of(i.caseId, 'escalateTask');
  expect(escalations.map((e) => e.kind)).toEqual(['reminder', 'breach']);
  expect(escalations[1]).toMatchObject({ action: 'reassign-to-supervisor', slaName: 'firstResponse', dueAt: task.dueAt });
  expectFiredAt(escalations[1].at, task.dueAt);
  const notices = of(i.caseId, 'notify');
  expect(notices.find((x) => x.template === 'task.escalated').recipient).toEqual({ kind: 'role', id: 'supervisor' });
  const delay = notices.find((x) => x.template === 'repair.response_delayed');
  expect(delay.recipient).toEqual({ kind: 'customer', id: i.order.customerId });
  expectFiredAt(delay.at, task.dueAt);
  expectFiredAt(event(i.caseId, 'repair.response_delayed').at, task.dueAt);

  // The supervisor answers; the customer then withdraws before handing the item over.
  await complete(h, 'repair.first_response', { solution: 'free_repair' }, supervisor);
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'cancelled', rating: null });
  expect(of(i.caseId, 'closeTask')[0]).toMatchObject({ status: 'completed', actor: supervisor.id });
  expect(templatesOf(i.caseId)).toContain('repair.closed.cancelled');
});

test('out of warranty: the agent quotes, the customer accepts, the paid repair runs to the end', async () => {
  const i = outOfWarranty();
  const h = await start(i);
  await complete(h, 'repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 29900, currency: 'CNY' });
  const v = await atStep(h, 'awaiting_quote_decision');
  const deciding = v.slas.find((s) => s.name === 'quoteDecision')!;
  expect(deciding.dueAt).toBe(deadlineFrom(new Date(deciding.startedAt), i.policy.warrantyRepair.quoteDecision.within, i.policy.calendar).toISOString());
  expect(v.deadlines.quoteDecision).toBe(deciding.dueAt);
  await executeUpdate(h, decideQuoteUpdate, { args: [{ actor: storefront, decision: 'accept' }] });
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'drop_off', reference: 'SP-001-7788' } }] });
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await complete(h, 'repair.technician_result', { result: 'replaced' });
  await shipAndRate(h, 4);
  expect(await h.result()).toEqual({ outcome: 'replaced', rating: 4 });

  expect(event(i.caseId, 'repair.warranty_checked').payload).toMatchObject({ inWarranty: false });
  expect(eventTypes(i.caseId)).not.toContain('repair.free_repair_confirmed');
  expect(event(i.caseId, 'repair.quote_offered').payload).toEqual({ amountMinor: 29900, currency: 'CNY' });
  expect(of(i.caseId, 'notify').find((x) => x.template === 'repair.quote_offered').params).toMatchObject({ amountMinor: 29900, currency: 'CNY', dueAt: deciding.dueAt });
  expect(progressOf(i.caseId)).toMatchObject({ quoteAmountMinor: 29900, quoteCurrency: 'CNY', quoteDecision: 'accept', handOverMethod: 'drop_off', handOverCarrier: null, handOverReference: 'SP-001-7788' });
});

test('out of warranty: the customer declines the quote; the case closes quote_declined', async () => {
  const i = outOfWarranty();
  const h = await start(i);
  await complete(h, 'repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 15000, currency: 'CNY' });
  await atStep(h, 'awaiting_quote_decision');
  await executeUpdate(h, decideQuoteUpdate, { args: [{ actor: storefront, decision: 'decline' }] });
  expect(await h.result()).toEqual({ outcome: 'quote_declined', rating: null });
  expect(tasksOf(i.caseId)).toHaveLength(1);
  expect(progressOf(i.caseId)).toMatchObject({ quoteDecision: 'decline' });
  expect(templatesOf(i.caseId).at(-1)).toBe('repair.closed.quote_declined');
});

test('out of warranty: an unanswered quote lapses at exactly 7 days (reminder at 70 %); the case closes quote_lapsed', async () => {
  const i = outOfWarranty();
  const h = await start(i);
  await complete(h, 'repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 15000, currency: 'CNY' });
  const v = await atStep(h, 'awaiting_quote_decision');
  const due = v.deadlines.quoteDecision!;
  const startedAt = v.slas.find((s) => s.name === 'quoteDecision')!.startedAt;
  expect(due).toBe(deadlineFrom(new Date(startedAt), i.policy.warrantyRepair.quoteDecision.within, i.policy.calendar).toISOString());
  expect(await h.result()).toEqual({ outcome: 'quote_lapsed', rating: null });
  const lapsed = event(i.caseId, 'repair.quote_lapsed');
  expect(lapsed.payload).toEqual({ dueAt: due });
  expectFiredAt(lapsed.at, due);
  const reminder = of(i.caseId, 'notify').find((x) => x.template === 'repair.reminder');
  expect(reminder.params).toMatchObject({ action: 'quote_decision', dueAt: due });
  expectFiredAt(reminder.at, new Date(new Date(startedAt).getTime() + Math.round(7 * DAY * 0.7)).toISOString());
  expect(progressOf(i.caseId)).toMatchObject({ quoteDecision: 'lapsed' });
  expect(templatesOf(i.caseId).at(-1)).toBe('repair.closed.quote_lapsed');
});

test('hand-over lapses at exactly 7 days: the case closes abandoned', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  const v = await atStep(h, 'awaiting_hand_over');
  const due = v.deadlines.handOver!;
  const sla = v.slas.find((s) => s.name === 'handOver')!;
  expect(due).toBe(deadlineFrom(new Date(sla.startedAt), i.policy.warrantyRepair.handOver.within, i.policy.calendar).toISOString());
  expect(await h.result()).toEqual({ outcome: 'abandoned', rating: null });
  const abandoned = event(i.caseId, 'repair.abandoned');
  expect(abandoned.payload).toEqual({ reason: 'no_hand_over_by_deadline', dueAt: due });
  expectFiredAt(abandoned.at, due);
  expect(tasksOf(i.caseId)).toHaveLength(1);
  expect(templatesOf(i.caseId)).toEqual(expect.arrayContaining(['repair.reminder', 'repair.closed.abandoned']));
});

test('repair breach at 5 working days: supervisors alerted, the voucher offered at once; accepted, it is issued and the item goes back', async () => {
  const i = input({ policy: voucherPolicy() });
  const h = await start(i);
  await toRepairing(h);
  const repair = tasksOf(i.caseId).find((t) => t.type === 'repair.technician_result');
  expect(repair.dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(repair.at), 5).toISOString());
  await sleepPast(i.caseId, 'repair.technician_result');

  const v = await atStep(h, 'awaiting_remedy_decision');
  expect(openTaskOf(v, 'repair.technician_result')).toMatchObject({ role: 'agent', escalated: true });
  const breach = of(i.caseId, 'escalateTask').find((e) => e.kind === 'breach');
  expect(breach).toMatchObject({ action: 'notify', slaName: 'repair', dueAt: repair.dueAt });
  expectFiredAt(breach.at, repair.dueAt);
  expect(of(i.caseId, 'notify').find((x) => x.template === 'task.escalated').recipient).toEqual({ kind: 'role', id: 'supervisor' });
  const offered = event(i.caseId, 'repair.remedy_offered');
  expect(offered.payload).toEqual({ reason: 'repair_sla_breached', remedy: 'voucher', amountMinor: 5000, currency: 'CNY' });
  expectFiredAt(offered.at, repair.dueAt);
  expect(of(i.caseId, 'notify').find((x) => x.template === 'repair.remedy_offered').params).toMatchObject({ remedy: 'voucher', amountMinor: 5000, dueAt: v.deadlines.remedyDecision });

  await executeUpdate(h, decideRemedyUpdate, { args: [{ actor: storefront, decision: 'accept' }] });
  await shipAndRate(h, 3);
  expect(await h.result()).toEqual({ outcome: 'voucher_issued', rating: 3 });
  expect(of(i.caseId, 'closeTask').find((c) => c.taskId === repair.taskId)).toMatchObject({ status: 'cancelled' });
  expect(forCase(i.caseId, fakes.vouchers)).toEqual([expect.objectContaining({ amountMinor: 5000, currency: 'CNY', eventKey: `${i.caseId}:voucher` })]);
  expect(eventTypes(i.caseId)).toEqual(expect.arrayContaining(['repair.sla_breached', 'repair.remedy_accepted', 'repair.voucher_issued']));
  expect(progressOf(i.caseId)).toMatchObject({ remedy: 'voucher', remedyDecision: 'accept' });
  expect(progressOf(i.caseId).result).toBeUndefined();
});

test('repair breach: the customer declines the replacement; the escalated repair goes on and completes', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await sleepPast(i.caseId, 'repair.technician_result');
  await atStep(h, 'awaiting_remedy_decision');
  expect(event(i.caseId, 'repair.remedy_offered').payload).toEqual({ reason: 'repair_sla_breached', remedy: 'replacement' });
  await executeUpdate(h, decideRemedyUpdate, { args: [{ actor: storefront, decision: 'decline' }] });
  const v = await atStep(h, 'repairing');
  expect(openTaskOf(v, 'repair.technician_result')).toMatchObject({ escalated: true });
  await complete(h, 'repair.technician_result', { result: 'repaired' });
  await shipAndRate(h, 2);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 2 });
  expect(event(i.caseId, 'repair.result_recorded').payload).toEqual({ result: 'repaired', withinSla: false });
  expect(event(i.caseId, 'repair.remedy_declined').payload).toEqual({ remedy: 'replacement', lapsed: false });
  expect(progressOf(i.caseId)).toMatchObject({ remedy: 'replacement', remedyDecision: 'decline', result: 'repaired' });
  expect(forCase(i.caseId, fakes.vouchers)).toHaveLength(0);
});

test('repair breach: the technician finishes while the offer is open; the offer is withdrawn', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await sleepPast(i.caseId, 'repair.technician_result');
  await atStep(h, 'awaiting_remedy_decision');
  await complete(h, 'repair.technician_result', { result: 'repaired' });
  await complete(h, 'repair.return_shipment', { carrier: 'JD', trackingNumber: 'JD0001234567' });
  await atStep(h, 'awaiting_rating');
  await expect(executeUpdate(h, decideRemedyUpdate, { args: [{ actor: storefront, decision: 'accept' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating: 4 }] });
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 4 });
  expect(event(i.caseId, 'repair.remedy_withdrawn').payload).toEqual({ reason: 'repair_completed' });
  expect(progressOf(i.caseId)).toMatchObject({ remedyDecision: 'withdrawn', result: 'repaired' });
});

test('not repairable: the replacement is offered; accepted, the replacement ships', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_result', { result: 'not_repairable', reasonCode: 'parts_unavailable' });
  await atStep(h, 'awaiting_remedy_decision');
  expect(event(i.caseId, 'repair.remedy_offered').payload).toEqual({ reason: 'not_repairable', remedy: 'replacement' });
  await executeUpdate(h, decideRemedyUpdate, { args: [{ actor: storefront, decision: 'accept' }] });
  await shipAndRate(h, 5);
  expect(await h.result()).toEqual({ outcome: 'replaced', rating: 5 });
  expect(event(i.caseId, 'repair.result_recorded').payload).toEqual({ result: 'not_repairable', reasonCode: 'parts_unavailable', withinSla: true });
  expect(event(i.caseId, 'repair.item_shipped').payload).toMatchObject({ resolution: 'replaced' });
  expect(of(i.caseId, 'escalateTask').filter((e) => e.kind === 'breach')).toHaveLength(0);
});

test('not repairable, voucher policy: the customer lets the offer lapse; the item goes back unrepaired', async () => {
  const i = input({ policy: voucherPolicy() });
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_result', { result: 'not_repairable', reasonCode: 'beyond_economic_repair' });
  const v = await atStep(h, 'awaiting_remedy_decision');
  const due = v.deadlines.remedyDecision!;
  await env.sleep(3 * DAY + 60_000);
  await atStep(h, 'returning');
  expect(event(i.caseId, 'repair.remedy_declined').payload).toEqual({ remedy: 'voucher', lapsed: true });
  expectFiredAt(event(i.caseId, 'repair.remedy_declined').at, due);
  await shipAndRate(h, 1);
  expect(await h.result()).toEqual({ outcome: 'returned_unrepaired', rating: 1 });
  expect(forCase(i.caseId, fakes.vouchers)).toHaveLength(0);
  expect(progressOf(i.caseId)).toMatchObject({ remedy: 'voucher', remedyDecision: 'lapsed', result: 'not_repairable' });
});

test('no rating within the feedback window: the case closes with no_rating recorded', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_result', { result: 'repaired' });
  await complete(h, 'repair.return_shipment', { carrier: 'JD', trackingNumber: 'JD0001234567' });
  const v = await atStep(h, 'awaiting_rating');
  const due = v.deadlines.feedback!;
  expect(due).toBe(deadlineFrom(new Date(v.slas.find((s) => s.name === 'feedback')!.startedAt), i.policy.warrantyRepair.feedback.within, i.policy.calendar).toISOString());
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 'no_rating' });
  const none = event(i.caseId, 'repair.no_rating');
  expect(none.payload).toEqual({ dueAt: due });
  expectFiredAt(none.at, due);
  expect(event(i.caseId, 'case.closed').payload).toEqual({ outcome: 'repaired', rating: 'no_rating' });
  expect(progressOf(i.caseId)).toMatchObject({ rating: null, feedback: 'no_rating' });
});

test('update validators: wrong step, bad payloads and a cancellation after hand-over are refused without changing the case', async () => {
  const i = input();
  const h = await start(i);
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'repair.first_response'));
  const taskId = openTaskOf(v, 'repair.first_response')!.taskId;
  // In warranty the proposal is the free repair: a quote is not a valid answer to this task.
  const quoted = executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: agent, payload: { solution: 'paid_repair', quoteAmountMinor: 100, currency: 'CNY' } }] });
  await expect(quoted).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await expect(executeUpdate(h, decideQuoteUpdate, { args: [{ actor: storefront, decision: 'accept' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await expect(executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating: 5 }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });

  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: agent, payload: { solution: 'free_repair' } }] });
  await atStep(h, 'awaiting_hand_over');
  const badHandOver = executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'courier', carrier: 'SF', trackingNumber: '1' } as any }] });
  await expect(badHandOver).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await handOver(h);
  await expect(executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] })).rejects.toMatchObject({ cause: { type: 'PolicyRefused' } });
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await complete(h, 'repair.technician_result', { result: 'repaired' });
  await complete(h, 'repair.return_shipment', { carrier: 'JD', trackingNumber: 'JD0001234567' });
  await atStep(h, 'awaiting_rating');
  await expect(executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating: 6 }] })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating: 5 }] });
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 5 });
  expect(eventTypes(i.caseId).filter((t) => t === 'repair.rated')).toHaveLength(1);
});
