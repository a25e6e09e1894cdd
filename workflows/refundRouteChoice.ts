// The route of a case's refund by the customer's agreement (暂行办法 art. 17: 退款方式比照购买商品的支付方式; another way only
// with the consumer's express agreement), shared by the processes that refund an order. The rule is policy/refundRoute.ts.
//
// When the order snapshot shows that the original payment cannot take the refund (cash on delivery, a closed route),
// the case asks the customer at opening (notice, at least once) and accepts the action `refund-route` until the
// refund is paid: a bank account by its payee reference (the number stays with the payment provider), or the
// platform balance. The refund clock is not paused for the choice: when the refund is ready the customer is
// reminded, and the refund waits for the choice until an hour before it falls due; with no choice by then it goes to
// the platform balance, free to withdraw, recorded as the default and said so in the refund notice.
import { patched } from '@temporalio/workflow';
import type { PartyActionDef } from '../policy/process';
import {
  refundRouteRule,
  routeAtPayment,
  routeChoiceEndsAt,
  type ChosenRefundRoute,
  type OrderPayment,
  type RefundRoute,
  type RefundRouteRule,
} from '../policy/refundRoute';
import { refuse, type CaseKit } from './caseKit';
import { CaseErrors } from './definitions';
import { REFUND_ROUTE_BY_AGREEMENT_PATCH } from './patches';

/** Cases from this patch on ask the customer when the original route cannot take the refund; cases before keep the former rule. */
export { REFUND_ROUTE_BY_AGREEMENT_PATCH };

/** The route a refund is paid along, and how it was settled. */
export interface SettledRefundRoute {
  route: RefundRoute;
  payeeRef?: string;
  /** Set when the case asked: the customer's choice, or the default when none came in time. */
  basis?: 'chosen' | 'default';
}

export class RefundRouteAgreement {
  /** True when the case asks the customer (the original route cannot take the refund, and the case is under the patch). */
  readonly asks: boolean;
  private chosen: ChosenRefundRoute | undefined;
  private settled: SettledRefundRoute | undefined;
  private askedAt: Date | undefined;
  private reminded = false;
  private readonly rule: RefundRouteRule;

  /**
   * Registers the action for every case (a case that does not ask refuses it, 422). `formerRoute` is the route of
   * the cases opened before the patch, and of every case whose original route can take the refund.
   */
  constructor(
    private readonly kase: CaseKit,
    action: PartyActionDef<ChosenRefundRoute>,
    private readonly o: { prefix: string; customer: { kind: 'customer'; id: string }; payment: OrderPayment | undefined; formerRoute: RefundRoute },
  ) {
    const rule = (this.rule = refundRouteRule(o.payment));
    this.asks = rule.route === 'ask_customer' && patched(REFUND_ROUTE_BY_AGREEMENT_PATCH);
    kase.onAction(action, {
      refusal: () => {
        if (!this.asks) {
          refuse(CaseErrors.PolicyRefused, rule.route === 'ask_customer'
            ? 'This case refunds by the rule it was opened under; no route is chosen'
            : 'The refund goes back the way the order was paid (暂行办法 art. 17); no other way is chosen');
        }
        return this.settled ? `The refund was already paid (${this.settled.route})` : null;
      },
      run: async (body, actor) => {
        this.chosen = body.route === 'bank_account' ? { route: 'bank_account', payeeRef: body.payeeRef } : { route: 'platform_balance' };
        await kase.record(`${o.prefix}.refund_route_chosen`, { ...this.chosen }, { actor: actor.id });
      },
    });
  }

  /** What the case records at opening: `customer_choice` when it asks, else the route it will pay along. */
  get openingRoute(): RefundRoute | 'customer_choice' {
    return this.asks ? 'customer_choice' : this.o.formerRoute;
  }

  /** At opening, once the request is eligible: the question, recorded, and its notice (at least once: it concerns a right). */
  async ask(): Promise<void> {
    if (!this.asks || this.askedAt) return;
    this.askedAt = new Date();
    const reason = this.rule.route === 'ask_customer' ? this.rule.reason : null;
    await this.kase.record(`${this.o.prefix}.refund_route_requested`, { reason, method: this.o.payment!.method, choices: ['bank_account', 'platform_balance'] });
    await this.kase.notify(`${this.o.prefix}.refund_route_needed`, this.o.customer, { reason: reason ?? '' });
  }

  /**
   * The refund clock runs (e.g. the goods were received): the customer, who has not chosen, is reminded once with the
   * instant the refund stops waiting, which the case shows as deadline `refundRouteChoiceBy`.
   */
  async remind(choiceEndsAt: Date): Promise<void> {
    if (!this.asks || this.chosen || this.settled || this.reminded || choiceEndsAt.getTime() <= Date.now()) return;
    this.reminded = true;
    this.kase.setDeadline('refundRouteChoiceBy', choiceEndsAt);
    await this.kase.notify(`${this.o.prefix}.refund_route_reminder`, this.o.customer, { dueAt: choiceEndsAt.toISOString() });
  }

  /** When the refund stops waiting for the choice (policy/refundRoute.ts routeChoiceEndsAt). */
  endsAt(o: { dueAt?: Date; waitMs: number }): Date {
    return routeChoiceEndsAt({ now: new Date(), askedAt: this.askedAt ?? new Date(), ...o });
  }

  /**
   * The route of the refund about to be paid. A case that asks waits for the choice until `endsAt(o)`, reminding the
   * customer first; no choice by then: the platform balance, recorded as the default. Settled once: a later part of
   * the refund goes the same way.
   */
  async settle(o: { dueAt?: Date; waitMs: number }): Promise<SettledRefundRoute> {
    if (this.settled) return this.settled;
    if (!this.asks) return (this.settled = { route: this.o.formerRoute });
    if (!this.chosen) {
      const endsAt = this.endsAt(o);
      await this.remind(endsAt);
      const left = endsAt.getTime() - Date.now();
      if (left > 0) {
        await this.kase.record('step.entered', {}, { step: 'awaiting_refund_route' });
        await this.kase.until(() => this.chosen !== undefined && this.kase.settled(), left);
      }
    }
    this.kase.clearDeadline('refundRouteChoiceBy');
    const r = routeAtPayment(this.chosen);
    if (r.basis === 'default') await this.kase.record(`${this.o.prefix}.refund_route_defaulted`, { route: r.route, withdrawal: 'free' });
    this.settled = r;
    return r;
  }
}
