// Warranty repair (policy 7.1/7.2/7.3, the three-guarantee rules, 消法 art. 24) on the time-skipping server:
// every branch, lapse and deadline of cases that start now (patch repair-three-guarantee-remedies). The path of
// cases that started before is kept by the replay of their fixtures (test/replay/histories.test.ts).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addWorkingDays, addWorkingHours } from '../../policy/businessCalendar';
import { deadlineFrom } from '../../policy/durations';
import { caseStateQuery, completeTaskUpdate, cancelCaseUpdate, type Actor } from '../../workflows/definitions';
import { addMonths, warrantyEndsAt } from '../../policy/warrantyRepair';
import {
  chooseRemedyUpdate,
  decideQuoteUpdate,
  disputeDamageUpdate,
  handOverItemUpdate,
  submitRatingUpdate,
  warrantyRepair,
  type RepairCaseInput,
} from '../../workflows/warrantyRepair';
import { deliverParcel, executeUpdate, openTaskOf, testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { useTimeSkippingWorker } from '../helpers/timeSkippingWorker';
import { warrantyEndingToday } from '../../scripts/harness/bodies';
import { repairInput, repairWorker } from '../../scripts/scenarios/warrantyRepair';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const agent: Actor = { id: 'principal-agent-1', role: 'agent' };
const supervisor: Actor = { id: 'principal-supervisor-1', role: 'supervisor' };
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };

let env: TestWorkflowEnvironment;
let fakes: Awaited<ReturnType<typeof repairWorker>>;
const taskQueue = 'repairs-test';
let n = 0;

useTimeSkippingWorker((e) => repairWorker(e, taskQueue), (e, made) => {
  env = e;
  fakes = made;
});

type Handle = Awaited<ReturnType<typeof start>>;

/**
 * A repair case on this server. The server's clock runs years ahead as the tests skip time, past the holiday years a
 * case would carry; its calendar is given as written by hand (no year coverage), so no deadline reads holiday data
 * (that is test/workflows/calendar.test.ts's subject) and every deadline here is exact against i.policy.calendar.
 */
function input(over: Parameters<typeof repairInput>[1] = {}): RepairCaseInput {
  const i = repairInput(`REP-TS-${++n}-${Date.now()}`, over);
  const { version: _v, officialYears: _o, provisionalYears: _p, ...handWritten } = i.policy.calendar;
  return { ...i, policy: { ...i.policy, calendar: handWritten } };
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
const arrivedAtOf = (caseId: string) => event(caseId, 'repair.item_arrived').payload.arrivedAt as string;
const repaired = { result: 'repaired', faultCode: 'power_supply', partsUsed: ['PSU-2000-A'] };

async function complete(h: Handle, type: string, payload: unknown, actor: Actor = agent) {
  const v = await waitForState(h, (s) => !!openTaskOf(s, type), `${type} task`);
  return executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
}
/**
 * When the SLA behind a task started, in workflow time. A deadline that reaches a year the case holds only provisionally
 * reads that year first (caseKit, calendar-years-read), so its task row is written a moment after the clock started.
 */
async function slaStartOf(h: Handle, slaName: string): Promise<Date> {
  const v = await h.query(caseStateQuery);
  return new Date(v.slas.filter((x) => x.name === slaName).at(-1)!.startedAt);
}
const atStep = (h: Handle, step: string) => waitForState(h, (s) => s.step === step, step);

/** The courier hand-over; the carrier's delivery event follows at once. */
async function handOver(h: Handle) {
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'courier', carrier: 'SF', trackingNumber: 'SF1234567890' } }] });
  await deliverParcel(env, h, 'SF1234567890');
}

/** In warranty: first response, hand-over and receipt; the repair task is then open. */
async function toRepairing(h: Handle) {
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await handOver(h);
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  return waitForState(h, (s) => !!openTaskOf(s, 'repair.technician_report'), 'repair task');
}

async function choose(h: Handle, c: 'repair' | 'replacement' | 'refund') {
  await atStep(h, 'awaiting_remedy_choice');
  return executeUpdate(h, chooseRemedyUpdate, { args: [{ actor: storefront, choice: c }] });
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

test('in warranty: free repair (parts, labour, shipping), arrival by carrier, repaired within 5 working days of it, recorded per item, warranty extended, rated', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_report', repaired);
  await shipAndRate(h, 5);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 5 });

  const [response, receipt, repair, ship] = tasksOf(i.caseId);
  expect(tasksOf(i.caseId).map((t) => [t.type, t.role, t.slaName])).toEqual([
    ['repair.first_response', 'agent', 'firstResponse'],
    ['repair.confirm_receipt', 'agent', 'receipt'],
    ['repair.technician_report', 'agent', 'repair'],
    ['repair.return_shipment', 'agent', 'returnShipment'],
  ]);
  const cal = i.policy.calendar;
  const arrivedAt = arrivedAtOf(i.caseId);
  expect(event(i.caseId, 'repair.item_arrived').payload).toEqual({ source: 'carrier', arrivedAt });
  expect(response.dueAt).toBe(addWorkingHours(cal, new Date(response.at), 2).toISOString());
  // 7.1: both the receipt confirmation and the repair count from the arrival.
  expect(receipt.dueAt).toBe(addWorkingDays(cal, new Date(arrivedAt), 1).toISOString());
  expect(repair.dueAt).toBe(addWorkingDays(cal, new Date(arrivedAt), 5).toISOString());
  expect(ship.dueAt).toBe(addWorkingDays(cal, new Date(ship.at), 2).toISOString());

  expect(event(i.caseId, 'repair.free_repair_confirmed').payload).toEqual({ partsCovered: true, labourCovered: true, shippingCovered: true });
  expect(event(i.caseId, 'case.opened').payload).toMatchObject({ itemId: i.item!.itemId });
  const result = event(i.caseId, 'repair.result_recorded');
  expect(result.payload).toEqual({ ...repaired, withinSla: true, technicianId: agent.id, arrivedAt, completedAt: expect.any(String) });
  expect(forCase(i.caseId, fakes.itemRepairs)).toEqual([
    expect.objectContaining({ itemId: i.item!.itemId, problemCategory: 'does_not_power_on', faultCode: 'power_supply', result: 'repaired', partsUsed: ['PSU-2000-A'], technicianId: agent.id, inWarranty: true, arrivedAt }),
  ]);
  // 消法 art. 24: the courier to the centre is paid back (the carrier's quote, no cap), the shipment back is booked.
  expect(forCase(i.caseId, fakes.shipping).map((s) => [s.leg, s.carrier, s.cap, s.decided])).toEqual([
    ['to_centre', 'SF', undefined, { amountMinor: 2300, currency: 'CNY', basis: 'carrier_quote', quote: { amountMinor: 2300, currency: 'CNY' } }],
    ['from_centre', 'JD', undefined, { amountMinor: 1500, currency: 'CNY', basis: 'carrier_quote', quote: { amountMinor: 1500, currency: 'CNY' } }],
  ]);
  expect(event(i.caseId, 'repair.shipping_reimbursed').payload).toMatchObject({ leg: 'to_centre', amountMinor: 2300, currency: 'CNY' });
  // Three-guarantee rules art. 8: the warranty does not count the time from the hand-over to the shipment back.
  const handedOverAt = event(i.caseId, 'repair.handed_over').at;
  const shippedAt = event(i.caseId, 'repair.item_shipped').at;
  const warrantyEndsAt = event(i.caseId, 'repair.warranty_checked').payload.warrantyEndsAt;
  const extended = new Date(new Date(warrantyEndsAt).getTime() + (new Date(shippedAt).getTime() - new Date(handedOverAt).getTime())).toISOString();
  expect(event(i.caseId, 'repair.warranty_extended').payload).toEqual({ basis: 'repair_time', from: warrantyEndsAt, warrantyEndsAt: extended });
  expect(templatesOf(i.caseId)).toEqual(['repair.received', 'repair.hand_over_requested', 'repair.item_received', 'repair.item_shipped', 'survey.requested', 'repair.closed.repaired']);
  expect(progressOf(i.caseId)).toEqual({
    handOverMethod: 'courier',
    handOverCarrier: 'SF',
    handOverReference: 'SF1234567890',
    receivedAt: arrivedAt,
    arrivalSource: 'carrier',
    result: 'repaired',
    faultCode: 'power_supply',
    returnCarrier: 'JD',
    returnTracking: 'JD0001234567',
    warrantyEndsAt: extended,
    rating: 5,
    feedback: 'rated',
  });
  expect(forCase(i.caseId, fakes.vouchers)).toHaveLength(0);
  expect(of(i.caseId, 'escalateTask')).toHaveLength(0);
});

test('in warranty, the shipping has no cap (消法 art. 24): 120.00 paid for a bulky parcel, above the quote by more than 20 %, an agent approves it beside the repair; the way back at the quote of 45.00', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, {
    args: [{ actor: storefront, handOver: { method: 'courier', carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '120.00', currency: 'CNY' }, receiptIds: ['att_7e036cc9059f3b236264bdb05abe5c7d'] } }],
  });
  await deliverParcel(env, h, 'SF1234567890');
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'repair.shipping_review') && !!openTaskOf(s, 'repair.confirm_receipt'), 'shipping review beside the receipt');
  expect(openTaskOf(v, 'repair.shipping_review')!.role).toBe('agent');
  expect(event(i.caseId, 'repair.shipping_assessed').payload).toEqual({
    leg: 'to_centre', decision: 'review', reason: 'above_quote_margin', paidMinor: 12000, allowedMinor: 2760, quotedMinor: 2300, quotedCurrency: 'CNY', marginPercent: 20, receiptIds: ['att_7e036cc9059f3b236264bdb05abe5c7d'],
  });
  // The repair goes on while the agent looks at the receipt.
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await complete(h, 'repair.technician_report', repaired);
  await complete(h, 'repair.shipping_review', { approvedAmount: '120.00', evidenceIds: ['att_7e036cc9059f3b236264bdb05abe5c7d'] });
  await complete(h, 'repair.return_shipment', { carrier: 'EMS', trackingNumber: 'EMS123456789' });
  await atStep(h, 'awaiting_rating');
  await executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating: 4 }] });
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 4 });
  expect(forCase(i.caseId, fakes.shipping).map((s) => [s.leg, s.cap, s.decided?.amountMinor, s.decided?.basis])).toEqual([
    ['to_centre', undefined, 12000, 'agent_approved'],
    ['from_centre', undefined, 4500, 'carrier_quote'],
  ]);
  expect(event(i.caseId, 'repair.shipping_approved').payload).toEqual({ leg: 'to_centre', amountMinor: 12000, currency: 'CNY', evidenceIds: ['att_7e036cc9059f3b236264bdb05abe5c7d'] });
  expect(event(i.caseId, 'repair.shipping_reimbursed').payload).toMatchObject({ leg: 'to_centre', amountMinor: 12000 });
});

test('in warranty, paid within the margin: paid back as paid, no review; out of warranty no shipping is paid', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'courier', carrier: 'EMS', trackingNumber: 'EMS123456780', paid: { amount: '50.00', currency: 'CNY' } } }] });
  await deliverParcel(env, h, 'EMS123456780');
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await complete(h, 'repair.technician_report', repaired);
  await shipAndRate(h, 5);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 5 });
  expect(forCase(i.caseId, fakes.shipping)[0]).toMatchObject({ leg: 'to_centre', decided: { amountMinor: 5000, basis: 'paid' } });
  expect(tasksOf(i.caseId).map((t) => t.type)).not.toContain('repair.shipping_review');
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
  const delay = of(i.caseId, 'notify').find((x) => x.template === 'repair.response_delayed');
  expect(delay.recipient).toEqual({ kind: 'customer', id: i.order.customerId });
  expectFiredAt(delay.at, task.dueAt);

  await complete(h, 'repair.first_response', { solution: 'free_repair' }, supervisor);
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'cancelled', rating: null });
  expect(templatesOf(i.caseId)).toContain('repair.closed.cancelled');
});

test('out of warranty: quote accepted, drop-off is the arrival, paid repair replaced; no shipping paid, no warranty change', async () => {
  const i = outOfWarranty();
  const h = await start(i);
  await complete(h, 'repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 29900, currency: 'CNY' });
  const v = await atStep(h, 'awaiting_quote_decision');
  const deciding = v.slas.find((s) => s.name === 'quoteDecision')!;
  expect(deciding.dueAt).toBe(deadlineFrom(new Date(deciding.startedAt), i.policy.warrantyRepair.quoteDecision.within, i.policy.calendar).toISOString());
  await executeUpdate(h, decideQuoteUpdate, { args: [{ actor: storefront, decision: 'accept' }] });
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'drop_off', reference: 'SP-001-7788' } }] });
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await complete(h, 'repair.technician_report', { result: 'replaced', faultCode: 'mainboard' });
  await shipAndRate(h, 4);
  expect(await h.result()).toEqual({ outcome: 'replaced', rating: 4 });

  expect(event(i.caseId, 'repair.item_arrived').payload).toEqual({ source: 'drop_off', arrivedAt: event(i.caseId, 'repair.handed_over').at });
  expect(forCase(i.caseId, fakes.arrivalChecks)).toHaveLength(0);
  expect(eventTypes(i.caseId)).not.toContain('repair.free_repair_confirmed');
  expect(forCase(i.caseId, fakes.shipping)).toHaveLength(0);
  expect(eventTypes(i.caseId)).not.toContain('repair.warranty_extended');
  expect(forCase(i.caseId, fakes.itemRepairs)[0]).toMatchObject({ result: 'replaced', inWarranty: false });
});

test('out of warranty: declined quote closes quote_declined; an unanswered one lapses at exactly 7 days (quote_lapsed)', async () => {
  const a = outOfWarranty();
  const ha = await start(a);
  await complete(ha, 'repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 15000, currency: 'CNY' });
  await atStep(ha, 'awaiting_quote_decision');
  await executeUpdate(ha, decideQuoteUpdate, { args: [{ actor: storefront, decision: 'decline' }] });
  expect(await ha.result()).toEqual({ outcome: 'quote_declined', rating: null });

  const i = outOfWarranty();
  const h = await start(i);
  await complete(h, 'repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 15000, currency: 'CNY' });
  const v = await atStep(h, 'awaiting_quote_decision');
  const due = v.deadlines.quoteDecision!;
  expect(await h.result()).toEqual({ outcome: 'quote_lapsed', rating: null });
  const lapsed = event(i.caseId, 'repair.quote_lapsed');
  expect(lapsed.payload).toEqual({ dueAt: due });
  expectFiredAt(lapsed.at, due);
  expect(progressOf(i.caseId)).toMatchObject({ quoteDecision: 'lapsed' });
});

test('hand-over lapses at exactly 7 days: the case closes abandoned', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  const v = await atStep(h, 'awaiting_hand_over');
  const due = v.deadlines.handOver!;
  expect(await h.result()).toEqual({ outcome: 'abandoned', rating: null });
  const abandoned = event(i.caseId, 'repair.abandoned');
  expect(abandoned.payload).toEqual({ reason: 'no_hand_over_by_deadline', dueAt: due });
  expectFiredAt(abandoned.at, due);
});

test("the carrier's delivery event is the arrival: the clocks run from the delivery time; a late receipt confirmation escalates to a supervisor at exactly 1 working day and cannot move the repair deadline", async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'courier', carrier: 'SF', trackingNumber: 'SF5550001111' } }] });
  await atStep(h, 'awaiting_arrival');
  await env.sleep(4 * HOUR + 60_000);
  const delivered = await deliverParcel(env, h, 'SF5550001111', HOUR);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.confirm_receipt'), 'receipt task');
  expect(forCase(i.caseId, fakes.arrivalChecks)).toHaveLength(0); // the event came before the expected delivery: never asked
  const handedOverAt = event(i.caseId, 'repair.handed_over').at;
  const arrivedAt = arrivedAtOf(i.caseId);
  expect(arrivedAt).toBe(delivered.deliveredAt);
  expect(new Date(arrivedAt).getTime()).toBeGreaterThan(new Date(handedOverAt).getTime());
  const receipt = tasksOf(i.caseId).find((t) => t.type === 'repair.confirm_receipt');
  expect(receipt.dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(arrivedAt), 1).toISOString());

  await sleepPast(i.caseId, 'repair.confirm_receipt');
  const v = await waitForState(h, (s) => openTaskOf(s, 'repair.confirm_receipt')?.role === 'supervisor', 'receipt escalated');
  expect(openTaskOf(v, 'repair.confirm_receipt')!.escalated).toBe(true);
  const breach = of(i.caseId, 'escalateTask').find((e) => e.kind === 'breach');
  expect(breach).toMatchObject({ action: 'reassign-to-supervisor', slaName: 'receipt', dueAt: receipt.dueAt });
  expectFiredAt(breach.at, receipt.dueAt);
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' }, supervisor);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.technician_report'));
  const repair = tasksOf(i.caseId).find((t) => t.type === 'repair.technician_report');
  expect(repair.dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(arrivedAt), 5).toISOString());
  expect(of(i.caseId, 'notify').find((x) => x.template === 'repair.item_received').params.repairDueAt).toBe(repair.dueAt);
});

test('no delivery event: the carrier is asked only once the expected delivery (3 days) is overdue; its delivery time is the arrival', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await atStep(h, 'awaiting_hand_over');
  fakes.arrivals.set('SF6060606060', { afterChecks: 1, at: new Date((await env.currentTimeMs()) + 2 * DAY).toISOString() });
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'courier', carrier: 'SF', trackingNumber: 'SF6060606060' } }] });
  await atStep(h, 'awaiting_arrival');
  await env.sleep(3 * DAY - HOUR);
  expect(forCase(i.caseId, fakes.arrivalChecks)).toHaveLength(0);
  await env.sleep(2 * HOUR);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.confirm_receipt'), 'receipt task');
  expect(forCase(i.caseId, fakes.arrivalChecks)).toHaveLength(1);
  expect(arrivedAtOf(i.caseId)).toBe(fakes.arrivals.get('SF6060606060')!.at);
  expect(event(i.caseId, 'repair.item_arrived').payload).toMatchObject({ source: 'carrier' });
  // The receipt's working day counts from the carrier's delivery time (2 days after the hand-over), not from the poll:
  // its deadline is that one, whatever day of the week the test runs (the server's clock starts at the real time).
  const receipt = await sleepPast(i.caseId, 'repair.confirm_receipt');
  expect(receipt.dueAt).toBe(deadlineFrom(new Date(fakes.arrivals.get('SF6060606060')!.at!), i.policy.warrantyRepair.receipt.within, i.policy.calendar).toISOString());
  await waitForState(h, (s) => openTaskOf(s, 'repair.confirm_receipt')?.role === 'supervisor', 'receipt escalated');
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' }, supervisor);
  await complete(h, 'repair.technician_report', repaired);
  await shipAndRate(h, 4);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 4 });
});

test('repair breach at 5 working days: supervisors alerted, replacement or repair offered; silence applies the replacement at exactly 3 days; the replacement restarts the warranty', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  const repair = tasksOf(i.caseId).find((t) => t.type === 'repair.technician_report');
  await sleepPast(i.caseId, 'repair.technician_report');

  const v = await atStep(h, 'awaiting_remedy_choice');
  expect(openTaskOf(v, 'repair.technician_report')).toMatchObject({ role: 'agent', escalated: true });
  const breach = of(i.caseId, 'escalateTask').find((e) => e.kind === 'breach');
  expect(breach).toMatchObject({ action: 'notify', slaName: 'repair', dueAt: repair.dueAt });
  expectFiredAt(breach.at, repair.dueAt);
  const offered = event(i.caseId, 'repair.remedy_choice_offered');
  const due = v.deadlines.remedyDecision!;
  expect(offered.payload).toEqual({ reason: 'repair_sla_breached', options: ['replacement', 'repair'], onSilence: 'replacement', dueAt: due });
  expectFiredAt(offered.at, repair.dueAt);
  expect(due).toBe(new Date(new Date(offered.at).getTime() + 3 * DAY).toISOString());
  // A choice the case does not offer is refused at once.
  await expect(executeUpdate(h, chooseRemedyUpdate, { args: [{ actor: storefront, choice: 'refund' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });

  await env.sleep(new Date(due).getTime() - (await env.currentTimeMs()) + 60_000);
  await atStep(h, 'returning');
  const silence = event(i.caseId, 'repair.remedy_applied_on_silence');
  expect(silence.payload).toEqual({ reason: 'repair_sla_breached', choice: 'replacement', dueAt: due });
  expectFiredAt(silence.at, due);
  expect(of(i.caseId, 'closeTask').find((c) => c.taskId === repair.taskId)).toMatchObject({ status: 'cancelled' });
  await shipAndRate(h, 3);
  expect(await h.result()).toEqual({ outcome: 'replaced', rating: 3 });
  const shippedAt = event(i.caseId, 'repair.item_shipped').at;
  expect(event(i.caseId, 'repair.warranty_extended').payload).toMatchObject({ basis: 'replacement_restarts', warrantyEndsAt: warrantyEndsAt(i.policy.calendar, new Date(shippedAt), 12).toISOString() });
  expect(progressOf(i.caseId)).toMatchObject({ remedyChoice: 'replacement' });
  // No report was made; the replacement enters the item's record (art. 14, patch repair-count-any-fault): a new item.
  expect(forCase(i.caseId, fakes.itemRepairs)).toEqual([expect.objectContaining({ result: 'replaced', faultCode: 'other', itemId: i.item!.itemId, completedAt: shippedAt })]);
});

test('repair breach: the customer chooses to wait; the escalated repair completes; a technician finishing during an offer withdraws it', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await sleepPast(i.caseId, 'repair.technician_report');
  await choose(h, 'repair');
  const v = await atStep(h, 'repairing');
  expect(openTaskOf(v, 'repair.technician_report')).toMatchObject({ escalated: true });
  await complete(h, 'repair.technician_report', repaired);
  await shipAndRate(h, 2);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 2 });
  expect(event(i.caseId, 'repair.result_recorded').payload).toMatchObject({ result: 'repaired', withinSla: false });
  expect(event(i.caseId, 'repair.remedy_chosen').payload).toEqual({ choice: 'repair' });

  const j = input();
  const hj = await start(j);
  await toRepairing(hj);
  await sleepPast(j.caseId, 'repair.technician_report');
  await atStep(hj, 'awaiting_remedy_choice');
  await complete(hj, 'repair.technician_report', repaired);
  await atStep(hj, 'returning');
  await expect(executeUpdate(hj, chooseRemedyUpdate, { args: [{ actor: storefront, choice: 'replacement' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await shipAndRate(hj, 4);
  expect(await hj.result()).toEqual({ outcome: 'repaired', rating: 4 });
  expect(event(j.caseId, 'repair.remedy_withdrawn').payload).toEqual({ reason: 'repair_completed' });
});

test('voucher policy: the breach issues the voucher as compensation and the repair goes on; at exactly 30 days from the arrival it is overdue: supervisors alerted, replacement or refund; the refund pays the price back', async () => {
  const i = input({ policy: voucherPolicy() });
  const h = await start(i);
  await toRepairing(h);
  const arrivedAt = arrivedAtOf(i.caseId);
  const v0 = await atStep(h, 'repairing');
  expect(v0.deadlines.repairLongStop).toBe(new Date(new Date(arrivedAt).getTime() + 30 * DAY).toISOString());
  await sleepPast(i.caseId, 'repair.technician_report');
  await waitForState(h, () => eventTypes(i.caseId).includes('repair.voucher_issued'), 'voucher');
  expect(event(i.caseId, 'repair.voucher_issued').payload).toMatchObject({ amountMinor: 5000, currency: 'CNY', reason: 'repair_sla_breached' });
  expect(forCase(i.caseId, fakes.vouchers)).toHaveLength(1);
  expect(eventTypes(i.caseId)).not.toContain('repair.remedy_choice_offered');

  const longStop = v0.deadlines.repairLongStop!;
  await env.sleep(new Date(longStop).getTime() - (await env.currentTimeMs()) + 60_000);
  const v = await atStep(h, 'awaiting_remedy_choice');
  const overdue = event(i.caseId, 'repair.overdue');
  expect(overdue.payload).toEqual({ dueAt: longStop });
  expectFiredAt(overdue.at, longStop);
  expect(of(i.caseId, 'notify').filter((x) => x.template === 'task.escalated' && x.key.endsWith(':repairLongStop'))).toHaveLength(1);
  expect(event(i.caseId, 'repair.remedy_choice_offered').payload).toMatchObject({ reason: 'repair_overdue', options: ['replacement', 'refund'] });
  expect(v.deadlines.remedyDecision).toBeDefined();
  await executeUpdate(h, chooseRemedyUpdate, { args: [{ actor: storefront, choice: 'refund' }] });
  await atStep(h, 'awaiting_rating');
  await executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating: 1 }] });
  expect(await h.result()).toEqual({ outcome: 'refunded', rating: 1 });
  expect(forCase(i.caseId, fakes.fake.of('issueRefund'))).toEqual([expect.objectContaining({ amountMinor: 39900, currency: 'CNY', eventKey: `${i.caseId}:refund` })]);
  expect(tasksOf(i.caseId).map((t) => t.type)).not.toContain('repair.return_shipment');
  expect(templatesOf(i.caseId)).toEqual(expect.arrayContaining(['repair.refunded', 'repair.closed.refunded']));
});

test('not repairable in warranty: replacement or refund, never the item back as it is; silence applies the replacement at exactly 3 days (also under the voucher policy)', async () => {
  const i = input({ policy: voucherPolicy() });
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_report', { result: 'not_repairable', faultCode: 'mainboard', reasonCode: 'parts_unavailable' });
  const v = await atStep(h, 'awaiting_remedy_choice');
  const due = v.deadlines.remedyDecision!;
  expect(event(i.caseId, 'repair.remedy_choice_offered').payload).toEqual({ reason: 'not_repairable', options: ['replacement', 'refund'], onSilence: 'replacement', dueAt: due });
  await env.sleep(new Date(due).getTime() - (await env.currentTimeMs()) + 60_000);
  await atStep(h, 'returning');
  const silence = event(i.caseId, 'repair.remedy_applied_on_silence');
  expect(silence.payload).toEqual({ reason: 'not_repairable', choice: 'replacement', dueAt: due });
  expectFiredAt(silence.at, due);
  await shipAndRate(h, 5);
  expect(await h.result()).toEqual({ outcome: 'replaced', rating: 5 });
  expect(event(i.caseId, 'repair.item_shipped').payload).toMatchObject({ resolution: 'replaced' });
  expect(forCase(i.caseId, fakes.vouchers)).toHaveLength(0);
  expect(forCase(i.caseId, fakes.itemRepairs)[0]).toMatchObject({ result: 'not_repairable', faultCode: 'mainboard' });
});

test('early fault within 7 days of delivery: return, exchange or repair; the refund is paid once the item arrives, with no repair', async () => {
  const i = input({ deliveredAt: new Date(Date.now() - 3 * DAY).toISOString() });
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await atStep(h, 'awaiting_remedy_choice');
  expect(event(i.caseId, 'repair.entitlement').payload).toEqual({ reason: 'early_fault_return', options: ['refund', 'replacement', 'repair'], priorRepairsOfFault: 0 });
  await choose(h, 'refund');
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'drop_off', reference: 'SP-001-7788' } }] });
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await atStep(h, 'awaiting_rating');
  await executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating: 5 }] });
  expect(await h.result()).toEqual({ outcome: 'refunded', rating: 5 });
  expect(tasksOf(i.caseId).map((t) => t.type)).toEqual(['repair.first_response', 'repair.confirm_receipt']);
  expect(forCase(i.caseId, fakes.fake.of('issueRefund'))).toHaveLength(1);
  expect(progressOf(i.caseId)).toMatchObject({ entitlement: 'early_fault_return', remedyChoice: 'refund' });
});

test('early fault within 15 days: exchange or repair, silence applies the exchange; an item repaired twice for the fault: replacement or refund', async () => {
  const i = input({ deliveredAt: new Date(Date.now() - 10 * DAY).toISOString() });
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  const v = await atStep(h, 'awaiting_remedy_choice');
  const due = v.deadlines.remedyDecision!;
  expect(event(i.caseId, 'repair.remedy_choice_offered').payload).toEqual({ reason: 'early_fault_exchange', options: ['replacement', 'repair'], onSilence: 'replacement', dueAt: due });
  await env.sleep(new Date(due).getTime() - (await env.currentTimeMs()) + 60_000);
  await atStep(h, 'awaiting_hand_over');
  expectFiredAt(event(i.caseId, 'repair.remedy_applied_on_silence').at, due);
  expect(event(i.caseId, 'step.entered').payload).toEqual({ plan: 'replacement' });
  await handOver(h);
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await shipAndRate(h, 4);
  expect(await h.result()).toEqual({ outcome: 'replaced', rating: 4 });

  const j = input({ item: { itemId: 'itm-twice', priorRepairsOfFault: 2 } });
  const hj = await start(j);
  await complete(hj, 'repair.first_response', { solution: 'free_repair' });
  await atStep(hj, 'awaiting_remedy_choice');
  expect(event(j.caseId, 'repair.remedy_choice_offered').payload).toMatchObject({ reason: 'repeat_fault', options: ['replacement', 'refund'] });
  await expect(executeUpdate(hj, chooseRemedyUpdate, { args: [{ actor: storefront, choice: 'repair' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  // Nothing handed over yet: the customer may cancel while choosing, and the case closes at once.
  const choosingSince = await env.currentTimeMs();
  await executeUpdate(hj, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await hj.result()).toEqual({ outcome: 'cancelled', rating: null });
  expect(event(j.caseId, 'repair.remedy_withdrawn').payload).toEqual({ reason: 'cancelled' });
  expect(new Date(event(j.caseId, 'case.closed').at).getTime() - choosingSince).toBeLessThan(60_000);
});

test('user damage with evidence: out of warranty with a quote; the dispute goes to a supervisor, who overturns it; the free repair goes on', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await expect(executeUpdate(h, disputeDamageUpdate, { args: [{ actor: storefront, reasonCode: 'normal_use' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await complete(h, 'repair.technician_report', { result: 'user_damage', faultCode: 'mechanical', evidenceIds: ['att_0d98f4ec1a713f658fe29d7e6f497194', 'att_12a6a26d8987565d8d1b5287ef949332'], quoteAmountMinor: 12000, currency: 'CNY' });
  await atStep(h, 'awaiting_quote_decision');
  expect(event(i.caseId, 'repair.user_damage_recorded').payload).toEqual({ faultCode: 'mechanical', evidenceIds: ['att_0d98f4ec1a713f658fe29d7e6f497194', 'att_12a6a26d8987565d8d1b5287ef949332'], amountMinor: 12000, currency: 'CNY' });
  expect(progressOf(i.caseId)).toMatchObject({ inWarranty: false, quoteAmountMinor: 12000 });
  await executeUpdate(h, disputeDamageUpdate, { args: [{ actor: storefront, reasonCode: 'normal_use' }] });
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.damage_review'), 'review task');
  const review = tasksOf(i.caseId).find((t) => t.type === 'repair.damage_review');
  expect(review).toMatchObject({ role: 'supervisor', slaName: 'damageReview' });
  expect(review.dueAt).toBe(addWorkingDays(i.policy.calendar, await slaStartOf(h, 'damageReview'), 2).toISOString());
  await expect(complete(h, 'repair.damage_review', { decision: 'overturned' }, agent)).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
  await complete(h, 'repair.damage_review', { decision: 'overturned' }, supervisor);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.technician_report'), 'repair again');
  await complete(h, 'repair.technician_report', repaired);
  await shipAndRate(h, 5);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 5 });
  expect(event(i.caseId, 'repair.damage_reviewed').payload).toEqual({ decision: 'overturned' });
  expect(progressOf(i.caseId)).toMatchObject({ inWarranty: true, damageDispute: 'overturned' });
  expect(forCase(i.caseId, fakes.itemRepairs).map((r) => r.result)).toEqual(['user_damage', 'repaired']);
  expect(forCase(i.caseId, fakes.shipping).map((s) => s.leg)).toEqual(['to_centre', 'from_centre']);
});

test('user damage upheld: the quote again, no second dispute; accepted, the paid repair; declined elsewhere, the item goes back unrepaired', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_report', { result: 'user_damage', faultCode: 'display', evidenceIds: ['att_8353d1c696930289485c007461c624bd'], quoteAmountMinor: 8000, currency: 'CNY' });
  await atStep(h, 'awaiting_quote_decision');
  await executeUpdate(h, disputeDamageUpdate, { args: [{ actor: storefront, reasonCode: 'not_caused_by_me' }] });
  await complete(h, 'repair.damage_review', { decision: 'upheld' }, supervisor);
  await waitForState(h, (s) => s.step === 'awaiting_quote_decision' && eventTypes(i.caseId).includes('repair.damage_reviewed'));
  await expect(executeUpdate(h, disputeDamageUpdate, { args: [{ actor: storefront, reasonCode: 'other' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await executeUpdate(h, decideQuoteUpdate, { args: [{ actor: storefront, decision: 'accept' }] });
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.technician_report'));
  const paid = tasksOf(i.caseId).filter((t) => t.type === 'repair.technician_report')[1];
  expect(paid.dueAt).toBe(addWorkingDays(i.policy.calendar, await slaStartOf(h, paid.slaName), 5).toISOString());
  await complete(h, 'repair.technician_report', repaired);
  await shipAndRate(h, 3);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 3 });
  expect(of(i.caseId, 'notify').find((x) => x.template === 'repair.damage_reviewed').params).toMatchObject({ decision: 'upheld' });
  expect(forCase(i.caseId, fakes.shipping).map((s) => s.leg)).toEqual(['to_centre']);
  expect(eventTypes(i.caseId)).not.toContain('repair.warranty_extended');

  const j = input();
  const hj = await start(j);
  await toRepairing(hj);
  await complete(hj, 'repair.technician_report', { result: 'user_damage', faultCode: 'display', evidenceIds: ['att_8353d1c696930289485c007461c624bd'], quoteAmountMinor: 8000, currency: 'CNY' });
  await atStep(hj, 'awaiting_quote_decision');
  await executeUpdate(hj, decideQuoteUpdate, { args: [{ actor: storefront, decision: 'decline' }] });
  await shipAndRate(hj, 1);
  expect(await hj.result()).toEqual({ outcome: 'returned_unrepaired', rating: 1 });
});

test('neither an event nor the carrier asked three times reports the arrival: at exactly 14 days the staff confirmation becomes the arrival, and the repair counts from it', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await atStep(h, 'awaiting_hand_over');
  fakes.arrivals.set('SF4040404040', { afterChecks: 10_000 });
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'courier', carrier: 'SF', trackingNumber: 'SF4040404040' } }] });
  await atStep(h, 'awaiting_arrival');
  const handedOverAt = event(i.caseId, 'repair.handed_over').at;
  const giveUp = new Date(new Date(handedOverAt).getTime() + 14 * DAY).toISOString();
  await env.sleep(new Date(giveUp).getTime() - (await env.currentTimeMs()) + 60_000);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.confirm_receipt'), 'receipt task');
  const unreported = event(i.caseId, 'repair.arrival_not_reported');
  expect(unreported.payload).toEqual({ carrier: 'SF', dueAt: giveUp });
  expectFiredAt(unreported.at, giveUp);
  // No delivery event: asked from the expected delivery (3 days), spread over the rest of the 14 days: three questions.
  expect(forCase(i.caseId, fakes.arrivalChecks)).toHaveLength(3);
  const receipt = tasksOf(i.caseId).find((t) => t.type === 'repair.confirm_receipt');
  expect(receipt.dueAt).toBe(addWorkingDays(i.policy.calendar, await slaStartOf(h, receipt.slaName), 1).toISOString());
  expect(forCase(i.caseId, fakes.shipping)).toHaveLength(0);
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.technician_report'));
  const arrivedAt = arrivedAtOf(i.caseId);
  expect(event(i.caseId, 'repair.item_arrived').payload).toEqual({ source: 'staff', arrivedAt });
  expect(arrivedAt).toBe(event(i.caseId, 'repair.item_received').at);
  expect(tasksOf(i.caseId).find((t) => t.type === 'repair.technician_report').dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(arrivedAt), 5).toISOString());
  expect(forCase(i.caseId, fakes.shipping).map((s) => s.leg)).toEqual(['to_centre']);
  await complete(h, 'repair.technician_report', repaired);
  await shipAndRate(h, 3);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 3 });
});

test('a disputed user-damage finding left unreviewed escalates to supervisors at exactly 2 working days; upheld, the unanswered quote lapses and the item goes back unrepaired', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_report', { result: 'user_damage', faultCode: 'display', evidenceIds: ['att_cd586b038b5998df1d1efbb9d751bd09'], quoteAmountMinor: 8000, currency: 'CNY' });
  await atStep(h, 'awaiting_quote_decision');
  await executeUpdate(h, disputeDamageUpdate, { args: [{ actor: storefront, reasonCode: 'evidence_insufficient' }] });
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.damage_review'), 'review task');
  const review = await sleepPast(i.caseId, 'repair.damage_review');
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'repair.damage_review')?.escalated, 'review escalated');
  expect(openTaskOf(v, 'repair.damage_review')!.role).toBe('supervisor');
  const breach = of(i.caseId, 'escalateTask').find((e) => e.kind === 'breach' && e.slaName === 'damageReview');
  expect(breach).toMatchObject({ action: 'notify', dueAt: review.dueAt });
  expectFiredAt(breach.at, review.dueAt);
  await complete(h, 'repair.damage_review', { decision: 'upheld' }, supervisor);
  const q = await waitForState(h, (s) => s.step === 'awaiting_quote_decision' && eventTypes(i.caseId).includes('repair.damage_reviewed'));
  const due = q.deadlines.quoteDecision!;
  expect(due).toBe(deadlineFrom(new Date(q.slas.filter((s) => s.name === 'quoteDecision').at(-1)!.startedAt), i.policy.warrantyRepair.quoteDecision.within, i.policy.calendar).toISOString());
  await env.sleep(new Date(due).getTime() - (await env.currentTimeMs()) + 60_000);
  await atStep(h, 'returning');
  const lapsed = event(i.caseId, 'repair.quote_lapsed');
  expect(lapsed.payload).toEqual({ dueAt: due });
  expectFiredAt(lapsed.at, due);
  await shipAndRate(h, 1);
  expect(await h.result()).toEqual({ outcome: 'returned_unrepaired', rating: 1 });
  expect(progressOf(i.caseId)).toMatchObject({ inWarranty: false, damageDispute: 'upheld', quoteDecision: 'lapsed' });
});

test('no rating within the feedback window: the case closes with no_rating recorded', async () => {
  const i = input();
  const h = await start(i);
  await toRepairing(h);
  await complete(h, 'repair.technician_report', repaired);
  await complete(h, 'repair.return_shipment', { carrier: 'JD', trackingNumber: 'JD0001234567' });
  const v = await atStep(h, 'awaiting_rating');
  const due = v.deadlines.feedback!;
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 'no_rating' });
  const none = event(i.caseId, 'repair.no_rating');
  expect(none.payload).toEqual({ dueAt: due });
  expectFiredAt(none.at, due);
});

test('update validators: wrong step, bad payloads and a cancellation after hand-over are refused without changing the case', async () => {
  const i = input();
  const h = await start(i);
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'repair.first_response'));
  const taskId = openTaskOf(v, 'repair.first_response')!.taskId;
  const quoted = executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: agent, payload: { solution: 'paid_repair', quoteAmountMinor: 100, currency: 'CNY' } }] });
  await expect(quoted).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await expect(executeUpdate(h, decideQuoteUpdate, { args: [{ actor: storefront, decision: 'accept' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await expect(executeUpdate(h, chooseRemedyUpdate, { args: [{ actor: storefront, choice: 'replacement' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: agent, payload: { solution: 'free_repair' } }] });
  await handOver(h);
  await expect(executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] })).rejects.toMatchObject({ cause: { type: 'PolicyRefused' } });
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
  await expect(complete(h, 'repair.technician_report', { result: 'repaired', faultCode: 'power_supply' })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await expect(complete(h, 'repair.technician_report', { result: 'user_damage', faultCode: 'mechanical', evidenceIds: [], quoteAmountMinor: 100, currency: 'CNY' })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await complete(h, 'repair.technician_report', repaired);
  await shipAndRate(h, 5);
  expect(await h.result()).toEqual({ outcome: 'repaired', rating: 5 });
});

test('the warranty as the Civil Code counts it (patch warranty-civil-months): delivered at 00:00 Shanghai time twelve months ago, asked on the last day, in warranty to 24:00', async () => {
  const { deliveredAt, warrantyMonths } = warrantyEndingToday(12);
  const i = input({ warrantyMonths, deliveredAt });
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.first_response'), 'free repair response');
  const endsAt = warrantyEndsAt(i.policy.calendar, new Date(deliveredAt), warrantyMonths);
  expect(event(i.caseId, 'repair.warranty_checked').payload).toEqual({ inWarranty: true, warrantyEndsAt: endsAt.toISOString() });
  expect((await h.query(caseStateQuery)).deadlines.warrantyEndsAt).toBe(endsAt.toISOString());
  // Today is the last day: the former count (months added to the instant) had ended at 00:00 today.
  expect(addMonths(new Date(deliveredAt), warrantyMonths).getTime()).toBeLessThanOrEqual(new Date(i.requestedAt).getTime());
  expect(endsAt.getTime()).toBeGreaterThan(new Date(i.requestedAt).getTime());
  expect(endsAt.getTime() - new Date(deliveredAt).getTime()).toBeGreaterThan(warrantyMonths * 28 * DAY);
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'cancelled', rating: null });
});

describe('two repairs, of any fault, by any repairer (三包 art. 11, patch repair-count-any-fault)', () => {
  const counted = (caseId: string, platform: number, externalRecordIds: string[] = []) => ({ itemId: `itm-${caseId}`, repairCount: { platform, confirmedExternal: 0 }, externalRecordIds });

  test("another repairer's record confirmed brings the count to two: the plan waits for the review, then replacement or refund; the replacement enters the item's record", async () => {
    const i = input({ problemCategory: 'battery' });
    i.item = counted(i.caseId, 1, ['xrr-a']);
    const h = await start(i);
    // The review opens once the free repair is confirmed, for agents, with its SLA from the policy; the plan waits for it.
    await complete(h, 'repair.first_response', { solution: 'free_repair' });
    await atStep(h, 'awaiting_external_record_review');
    await waitForState(h, (s) => !!openTaskOf(s, 'repair.external_record_review'), 'review task');
    const review = tasksOf(i.caseId).find((t) => t.type === 'repair.external_record_review');
    expect(review).toMatchObject({ role: 'agent', slaName: 'externalRecordReview' });
    expect(review.dueAt).toBe(addWorkingDays(i.policy.calendar, await slaStartOf(h, 'externalRecordReview'), 2).toISOString());
    expect(eventTypes(i.caseId)).not.toContain('repair.entitlement');
    await expect(complete(h, 'repair.external_record_review', { decision: 'rejected' })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
    await complete(h, 'repair.external_record_review', { decision: 'confirmed', evidenceIds: ['att_a2db193cc994f63a5e693638a0a7e50e'] });
    await atStep(h, 'awaiting_remedy_choice');
    expect(forCase(i.caseId, fakes.externalReviews)).toEqual([{ caseId: i.caseId, recordId: 'xrr-a', decision: 'confirmed', reasonCode: null, reviewedBy: agent.id, at: expect.any(String) }]);
    expect(event(i.caseId, 'repair.external_record_reviewed').payload).toEqual({ recordId: 'xrr-a', decision: 'confirmed', reasonCode: null, evidenceIds: ['att_a2db193cc994f63a5e693638a0a7e50e'], onSilence: false });
    expect(event(i.caseId, 'repair.entitlement').payload).toEqual({ reason: 'repeat_fault', options: ['replacement', 'refund'], repairCount: { platform: 1, confirmedExternal: 1, total: 2 } });
    expect(progressOf(i.caseId)).toMatchObject({ entitlement: 'repeat_fault' });
    await choose(h, 'replacement');
    await handOver(h);
    await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
    await shipAndRate(h, 5);
    expect(await h.result()).toEqual({ outcome: 'replaced', rating: 5 });
    // Art. 14: the replacement is a new item; in the record, the repairs before it no longer count.
    expect(forCase(i.caseId, fakes.itemRepairs)).toEqual([expect.objectContaining({ itemId: i.item.itemId, result: 'replaced', inWarranty: true, eventKey: `${i.caseId}:replacement` })]);
  });

  test("a rejected record does not count: one repair, the free repair goes on; two records are reviewed one after the other", async () => {
    const i = input();
    i.item = counted(i.caseId, 1, ['xrr-b', 'xrr-c']);
    const h = await start(i);
    await complete(h, 'repair.first_response', { solution: 'free_repair' });
    await atStep(h, 'awaiting_external_record_review');
    await complete(h, 'repair.external_record_review', { decision: 'rejected', reasonCode: 'not_authorised_repairer' });
    await complete(h, 'repair.external_record_review', { decision: 'rejected', reasonCode: 'duplicate' });
    await atStep(h, 'awaiting_hand_over');
    expect(forCase(i.caseId, fakes.externalReviews).map((r) => [r.recordId, r.decision, r.reasonCode])).toEqual([
      ['xrr-b', 'rejected', 'not_authorised_repairer'],
      ['xrr-c', 'rejected', 'duplicate'],
    ]);
    expect(eventTypes(i.caseId)).not.toContain('repair.entitlement');
    expect(eventTypes(i.caseId)).not.toContain('repair.remedy_choice_offered');
    expect(events(i.caseId).filter((e) => e.type === 'step.entered').at(-1).payload).toEqual({ plan: 'repair' });
    await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await h.result()).toEqual({ outcome: 'cancelled', rating: null });
  });

  test('two repairs of other categories: replacement or refund at once, no review; a review lapsing under default-decision counts the record; a cancellation ends an open review', async () => {
    const i = input({ problemCategory: 'display' });
    i.item = counted(i.caseId, 2);
    const h = await start(i);
    await complete(h, 'repair.first_response', { solution: 'free_repair' });
    await atStep(h, 'awaiting_remedy_choice');
    expect(event(i.caseId, 'repair.entitlement').payload).toEqual({ reason: 'repeat_fault', options: ['replacement', 'refund'], repairCount: { platform: 2, confirmedExternal: 0, total: 2 } });
    expect(tasksOf(i.caseId).map((t) => t.type)).not.toContain('repair.external_record_review');
    await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await h.result()).toEqual({ outcome: 'cancelled', rating: null });

    const lapsing = testPolicy((p) => void (p.warrantyRepair.externalRecordReview = { within: { amount: 2, unit: 'working-days' }, onBreach: 'default-decision' }));
    const j = input({ policy: lapsing });
    j.item = counted(j.caseId, 1, ['xrr-d']);
    const hj = await start(j);
    await complete(hj, 'repair.first_response', { solution: 'free_repair' });
    await atStep(hj, 'awaiting_external_record_review');
    await sleepPast(j.caseId, 'repair.external_record_review');
    await atStep(hj, 'awaiting_remedy_choice');
    expect(event(j.caseId, 'repair.external_record_reviewed').payload).toEqual({ recordId: 'xrr-d', decision: 'confirmed', reasonCode: null, evidenceIds: [], onSilence: true });
    expect(forCase(j.caseId, fakes.externalReviews)).toEqual([expect.objectContaining({ recordId: 'xrr-d', decision: 'confirmed', reviewedBy: null })]);
    await executeUpdate(hj, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await hj.result()).toEqual({ outcome: 'cancelled', rating: null });

    const k = input();
    k.item = counted(k.caseId, 0, ['xrr-e']);
    const hk = await start(k);
    await complete(hk, 'repair.first_response', { solution: 'free_repair' });
    await waitForState(hk, (s) => !!openTaskOf(s, 'repair.external_record_review'), 'review task');
    await executeUpdate(hk, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await hk.result()).toEqual({ outcome: 'cancelled', rating: null });
    expect(of(k.caseId, 'closeTask').map((c) => [c.status, c.resolution])).toEqual([['completed', 'completed'], ['cancelled', 'cancelled']]);
    expect(forCase(k.caseId, fakes.externalReviews)).toEqual([]);
  });
});
