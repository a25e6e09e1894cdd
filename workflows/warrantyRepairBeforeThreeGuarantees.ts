// Policy 7.1 / 7.2 / 7.3: warranty repair, as cases that started before the three-guarantee rules run it
// (workflows/warrantyRepair.ts takes this path when the patch repair-three-guarantee-remedies is absent).
// Kept unchanged so that those cases replay; new cases never come here.
import { ApplicationFailure, allHandlersFinished, condition, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { WarrantyRepairActivities } from '../activities/warrantyRepair';
import { describeDuration } from '../policy/durations';
import type { Shipment } from '../policy/schemas';
import {
  checkWarranty,
  warrantyRepairActions as actions,
  warrantyRepairTasks,
  type CustomerDecision,
  type HandOver,
} from '../policy/warrantyRepair';
import type { z } from 'zod';
import type { CaseKit, HumanTaskSpec, TaskOutcome } from './caseKit';
import { CaseErrors } from './definitions';
import type { SlaFacts } from './sla';
import type { RepairCaseInput, RepairOutcome, RepairResult } from './warrantyRepair';

const repairsQueued = proxyActivities<WarrantyRepairActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
// Not bounded (patch local-steps-bounded bounds the kit's own writes): some of these call a port (SMS, face check,
// carrier) whose one call may take longer than LOCAL_STEP_BOUND.
const repairsLocal = proxyLocalActivities<WarrantyRepairActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

type Awaiting = 'quote_decision' | 'hand_over' | 'remedy_decision' | 'rating';
type TechnicianResult = z.infer<(typeof warrantyRepairTasks)['repair.technician_result']['payload']>;
type Quote = z.infer<(typeof warrantyRepairTasks)['repair.first_response_quote']['payload']>;

/** The repair as cases run it before the three-guarantee rules (patch repair-three-guarantee-remedies). */
export async function repairBeforeThreeGuarantees(input: RepairCaseInput, kase: CaseKit): Promise<RepairResult> {
  const rules = input.policy.warrantyRepair;
  const { order } = input;
  const repairs = kase.localWrites ? repairsLocal : repairsQueued;
  const customer = { kind: 'customer' as const, id: order.customerId };
  const agents = { kind: 'role' as const, id: 'agent' };
  // The SLA wording of the e-mails comes from the policy values (templates format it per locale).
  const slaWording = { responseWithin: describeDuration(rules.firstResponse.within), repairWithin: describeDuration(rules.repair.within) };

  let quoteDecision: CustomerDecision | undefined;
  let handOver: HandOver | undefined;
  let remedyDecision: CustomerDecision | undefined;
  let rating: number | undefined;

  // The customer may cancel until the item is handed over for repair.
  const cancelled = kase.allowCancellation(() => (handOver ? 'The item was already handed over for repair; the case can no longer be cancelled' : null));
  kase.onAction(actions['quote-decision'], {
    refusal: () => kase.unlessAwaiting('quote_decision', quoteDecision !== undefined),
    run: async ({ decision }, actor) => {
      quoteDecision = decision;
      await kase.record('repair.quote_decided', { decision }, { actor: actor.id });
    },
  });
  kase.onAction(actions['hand-over'], {
    refusal: () => kase.unlessAwaiting('hand_over', handOver !== undefined),
    run: async (h, actor) => {
      handOver = h;
      await kase.record('repair.handed_over', { method: h.method, ...(h.method === 'courier' && { carrier: h.carrier }) }, { actor: actor.id });
    },
  });
  kase.onAction(actions['remedy-decision'], {
    refusal: () => kase.unlessAwaiting('remedy_decision', remedyDecision !== undefined),
    run: async ({ decision }, actor) => {
      remedyDecision = decision;
      await kase.record('repair.remedy_decided', { decision }, { actor: actor.id });
    },
  });
  kase.onAction(actions.rating, {
    refusal: () => kase.unlessAwaiting('rating', rating !== undefined),
    run: async ({ rating: r }, actor) => {
      rating = r;
      await kase.record('repair.rated', { rating: r }, { actor: actor.id });
    },
  });

  const close = async (outcome: RepairOutcome, rated: RepairResult['rating'] = null): Promise<RepairResult> => {
    await kase.record('case.closed', { outcome, rating: rated }, { step: 'closed', outcome, closed: true });
    await kase.notify(`repair.closed.${outcome}`, customer);
    await condition(allHandlersFinished);
    return { outcome, rating: rated };
  };

  /** The case waits on the customer for `step` under an SLA clock; the reminder e-mail names the step and the deadline. */
  const waitOnCustomer = (step: Awaiting, slaName: string, policy: typeof rules.handOver) => {
    const wait = kase.awaitParty(step, slaName, policy);
    const remind = (facts: SlaFacts) => kase.notify('repair.reminder', customer, { action: step, dueAt: facts.dueAt }, `:${wait.clock.name}:${wait.clock.facts.startedAt}`);
    return { clock: wait.clock, until: (done: () => boolean) => wait.until(done, remind) };
  };

  /**
   * A human task whose SLA breach also calls `onBreach` while the task stays open (the task's own breach
   * action, e.g. the supervisor escalation, runs in CaseKit). `settled()` tells onBreach when the task is done.
   */
  const taskWatchingBreach = async <P>(spec: HumanTaskSpec, onBreach: (sla: SlaFacts, settled: () => boolean) => Promise<void>): Promise<TaskOutcome<P>> => {
    let outcome: TaskOutcome<P> | undefined;
    const running = kase.humanTask<P>(spec).then((o) => void (outcome = o));
    const sla = kase.view.slas.filter((s) => s.name === spec.slaName).at(-1)!;
    await condition(() => outcome !== undefined || sla.outcome === 'breached');
    if (outcome === undefined) await onBreach(sla, () => outcome !== undefined);
    await running;
    return outcome!;
  };

  /** The policy's remedy (replacement or voucher), offered to the customer, who accepts or declines; silence declines. */
  const offerRemedy = async (reason: 'repair_sla_breached' | 'not_repairable', resumeStep: string, withdrawn: () => boolean = () => false): Promise<boolean> => {
    const remedy = rules.breachRemedy;
    const terms: Record<string, string | number> = remedy === 'voucher' ? { remedy, amountMinor: rules.voucherAmountMinor, currency: rules.voucherCurrency } : { remedy };
    remedyDecision = undefined;
    const deciding = waitOnCustomer('remedy_decision', 'remedyDecision', rules.remedyDecision);
    await repairs.recordRepairProgress({ caseId: input.caseId, patch: { remedy } });
    await kase.record('repair.remedy_offered', { reason, ...terms }, { step: 'awaiting_remedy_decision' });
    await kase.notify('repair.remedy_offered', customer, { reason, ...terms, ...slaWording, dueAt: deciding.clock.dueAt.toISOString() }, `:${reason}`);
    const decided = await deciding.until(() => remedyDecision !== undefined || withdrawn());
    if (remedyDecision === undefined && withdrawn()) {
      await repairs.recordRepairProgress({ caseId: input.caseId, patch: { remedyDecision: 'withdrawn' } });
      await kase.record('repair.remedy_withdrawn', { reason: 'repair_completed' }, { step: resumeStep });
      return false;
    }
    const accepted = remedyDecision === 'accept';
    const lapsed = decided.outcome === 'breached';
    await repairs.recordRepairProgress({ caseId: input.caseId, patch: { remedyDecision: lapsed ? 'lapsed' : remedyDecision } });
    await kase.record(accepted ? 'repair.remedy_accepted' : 'repair.remedy_declined', { remedy, lapsed }, { step: accepted ? 'remedy' : resumeStep });
    return accepted;
  };

  /** An accepted remedy: a voucher now (the item goes back as it is), or a replacement shipped in step 5. */
  const deliverRemedy = async (): Promise<RepairOutcome> => {
    if (rules.breachRemedy === 'replacement') return 'replaced';
    const { voucherId } = await repairs.issueRepairVoucher({
      caseId: input.caseId,
      amountMinor: rules.voucherAmountMinor,
      currency: rules.voucherCurrency,
      at: new Date().toISOString(),
      eventKey: `${input.caseId}:voucher`,
    });
    await kase.record('repair.voucher_issued', { voucherId, amountMinor: rules.voucherAmountMinor, currency: rules.voucherCurrency });
    await kase.notify('repair.voucher_issued', customer, { amountMinor: rules.voucherAmountMinor, currency: rules.voucherCurrency });
    return 'voucher_issued';
  };

  // Opening: the warranty check, the same pure rule the API applied (7.1: per the manufacturer's policy).
  const warranty = checkWarranty({ deliveredAt: new Date(order.deliveredAt), warrantyMonths: input.warrantyMonths, requestedAt: new Date(input.requestedAt) });
  if (!warranty.ok) throw ApplicationFailure.create({ type: CaseErrors.PolicyRefused, message: warranty.message, nonRetryable: true });
  kase.setDeadline('warrantyEndsAt', warranty.warrantyEndsAt);
  await kase.record('case.opened', {
    orderId: order.orderId,
    productRef: order.productRef,
    problemCategory: input.problemCategory,
    warrantyMonths: input.warrantyMonths,
    policyVersion: input.policy.version,
  }, { actor: input.openedBy, step: 'first_response' });
  await kase.record('repair.warranty_checked', { inWarranty: warranty.inWarranty, warrantyEndsAt: warranty.warrantyEndsAt.toISOString() });
  await kase.notify('repair.received', customer, { inWarranty: warranty.inWarranty ? 'yes' : 'no', ...slaWording });

  // 1. Response within 2 working hours: an agent acknowledges and proposes a solution: the free repair in
  //    warranty, a quote otherwise. A lapse goes to a supervisor and the customer is told of the delay.
  const response = await taskWatchingBreach<{ solution: 'free_repair' } | Quote>({
    type: warranty.inWarranty ? 'repair.first_response' : 'repair.first_response_quote',
    role: 'agent',
    sla: rules.firstResponse,
    slaName: 'firstResponse',
    notifyOnEscalation: agents,
    interrupt: () => cancelled(),
  }, async () => {
    await kase.record('repair.response_delayed', {});
    await kase.notify('repair.response_delayed', customer, slaWording);
  });
  if (cancelled() || response.kind !== 'completed') return close('cancelled');

  // 2. Warranty: in warranty the repair is free, parts and labour included (7.3). Out of warranty the
  //    customer accepts or declines the quote; declined or unanswered, the case closes.
  if (response.payload.solution === 'free_repair') {
    await kase.record('repair.free_repair_confirmed', { partsCovered: true, labourCovered: true }, { actor: response.actor.id });
  } else {
    const quote = response.payload;
    const deciding = waitOnCustomer('quote_decision', 'quoteDecision', rules.quoteDecision);
    await repairs.recordRepairProgress({ caseId: input.caseId, patch: { quoteAmountMinor: quote.quoteAmountMinor, quoteCurrency: quote.currency } });
    await kase.record('repair.quote_offered', { amountMinor: quote.quoteAmountMinor, currency: quote.currency }, { actor: response.actor.id, step: 'awaiting_quote_decision' });
    await kase.notify('repair.quote_offered', customer, { amountMinor: quote.quoteAmountMinor, currency: quote.currency, dueAt: deciding.clock.dueAt.toISOString() });
    const decided = await deciding.until(() => quoteDecision !== undefined || cancelled());
    if (cancelled()) return close('cancelled');
    await repairs.recordRepairProgress({ caseId: input.caseId, patch: { quoteDecision: decided.outcome === 'breached' ? 'lapsed' : quoteDecision } });
    const ended = await kase.endedBy(decided, { event: 'repair.quote_lapsed', outcome: 'quote_lapsed' });
    if (ended) return close(ended);
    if (quoteDecision === 'decline') return close('quote_declined');
  }

  // 3. The customer hands the item over (courier tracking number or drop-off reference) before the deadline.
  const handingOver = waitOnCustomer('hand_over', 'handOver', rules.handOver);
  await kase.record('step.entered', {}, { step: 'awaiting_hand_over' });
  await kase.notify('repair.hand_over_requested', customer, { dueAt: handingOver.clock.dueAt.toISOString() });
  const handed = await handingOver.until(() => handOver !== undefined || cancelled());
  const ended = await kase.endedBy(handed, { event: 'repair.abandoned', reason: 'no_hand_over_by_deadline', outcome: 'abandoned' });
  if (ended) return close(ended);
  await repairs.recordRepairProgress({
    caseId: input.caseId,
    patch: handOver!.method === 'courier'
      ? { handOverMethod: 'courier', handOverCarrier: handOver!.carrier, handOverReference: handOver!.trackingNumber }
      : { handOverMethod: 'drop_off', handOverCarrier: null, handOverReference: handOver!.reference },
  });

  // 4. Repair within 5 working days of receipt (7.1). The service team confirms receipt, which starts the
  //    repair clock; the technician records the result. A breach escalates to a supervisor and offers the
  //    policy's remedy at once; so does an item that cannot be repaired.
  await kase.record('step.entered', {}, { step: 'awaiting_receipt' });
  const receipt = await kase.humanTask<{ outcome: 'received' }>({
    type: 'repair.confirm_receipt',
    role: 'agent',
    sla: rules.receipt,
    slaName: 'receipt',
    notifyOnEscalation: agents,
  });
  if (receipt.kind !== 'completed') return close('cancelled');
  await repairs.recordRepairProgress({ caseId: input.caseId, patch: { receivedAt: new Date().toISOString() } });
  await kase.record('repair.item_received', {}, { actor: receipt.actor.id, step: 'repairing' });

  let remedyAccepted = false;
  const repairing = taskWatchingBreach<TechnicianResult>({
    type: 'repair.technician_result',
    role: 'agent',
    sla: rules.repair,
    slaName: 'repair',
    notifyOnEscalation: agents,
    interrupt: () => remedyAccepted,
  }, async (sla, settled) => {
    await kase.record('repair.sla_breached', { dueAt: sla.dueAt });
    remedyAccepted = await offerRemedy('repair_sla_breached', 'repairing', settled);
  });
  await kase.notify('repair.item_received', customer, { repairDueAt: kase.view.deadlines.repair ?? null, ...slaWording });
  const repair = await repairing;

  let resolution: RepairOutcome;
  if (remedyAccepted || repair.kind !== 'completed') {
    resolution = await deliverRemedy();
  } else {
    const result = repair.payload;
    await repairs.recordRepairProgress({ caseId: input.caseId, patch: { result: result.result } });
    await kase.record('repair.result_recorded', { ...result, withinSla: repair.sla.outcome === 'met' }, { actor: repair.actor.id });
    if (result.result === 'not_repairable') {
      const accepted = await offerRemedy('not_repairable', 'returning');
      resolution = accepted ? await deliverRemedy() : 'returned_unrepaired';
    } else {
      resolution = result.result;
    }
  }

  // 5. Back to the customer with tracking: the repaired item, its replacement, or the item as it is.
  await kase.record('step.entered', { shipping: resolution }, { step: 'returning' });
  const shipped = await kase.humanTask<Shipment>({
    type: 'repair.return_shipment',
    role: 'agent',
    sla: rules.returnShipment,
    slaName: 'returnShipment',
    notifyOnEscalation: agents,
  });
  if (shipped.kind !== 'completed') return close('cancelled');
  const { carrier, trackingNumber } = shipped.payload;
  await repairs.recordRepairProgress({ caseId: input.caseId, patch: { returnCarrier: carrier, returnTracking: trackingNumber } });
  await kase.record('repair.item_shipped', { carrier, trackingNumber, resolution }, { actor: shipped.actor.id });
  await kase.notify('repair.item_shipped', customer, { carrier, trackingNumber });

  // 6. Satisfaction feedback (7.1): the customer rates the service 1-5 within the window; silence is recorded.
  const feedback = waitOnCustomer('rating', 'feedback', rules.feedback);
  await kase.record('step.entered', {}, { step: 'awaiting_rating' });
  await kase.notify('survey.requested', customer);
  const rated = await feedback.until(() => rating !== undefined);
  if (rated.outcome === 'breached') await kase.record('repair.no_rating', { dueAt: rated.facts.dueAt });
  await repairs.recordRepairProgress({ caseId: input.caseId, patch: rating !== undefined ? { rating, feedback: 'rated' } : { rating: null, feedback: 'no_rating' } });
  return close(resolution, rating ?? 'no_rating');
}
