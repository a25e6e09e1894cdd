// 7.1 / 7.3: eligibility for the 7-day no-reason return. Pure: used by the API (422) and the workflow.
// Plain code and data only: the zod schemas are in returns.schemas.ts, which the task payloads and action bodies
// below load on first use (policy/lazySchema.ts), so a workflow that only waits never evaluates zod.
import type { z } from 'zod';
import { dayPeriodEndsAt, monthPeriodEndsAt, type BusinessCalendar } from './businessCalendar';
import { lazySchema } from './lazySchema';
import { defineActions, defineTasks } from './process';
import type { OrderPayment } from './refundRoute';

type Schemas = typeof import('./returns.schemas');
const schemas = (): Schemas => require('./returns.schemas');

/**
 * The default reimbursement cap of one no-reason return parcel: 30.00 CNY. A standard domestic parcel costs 10.00 to
 * 30.00 CNY with the carriers the platform quotes (the carrier port's quotes span that range), so a customer
 * who ships the usual way is reimbursed in full, while what a customer adds on top (express or same-day
 * service, insurance, bulky freight) is not charged to the platform without limit. The platform pays this more than
 * 暂行办法 asks (the consumer bears a no-reason return's shipping unless agreed otherwise). A quality claim has no cap:
 * the seller bears the necessary transport costs (消法 art. 24; qualityShippingAssessment).
 */
export const DEFAULT_RETURN_SHIPPING_CAP_MINOR = 3000;
export const DEFAULT_RETURN_SHIPPING_CURRENCY = 'CNY';
/** The default margin above the carrier's quote paid without an agent's approval (policy qualityShippingMarginPercent). */
export const DEFAULT_QUALITY_SHIPPING_MARGIN_PERCENT = 20;

export type ReturnPolicy = z.infer<typeof import('./returns.policySchema').returnPolicySchema>;

/**
 * 消法 art. 25 / 暂行办法 art. 6: the four kinds of goods the law itself excludes from no-reason returns, fixed in
 * code: made to order; fresh and perishable; digital goods downloaded online or unsealed by the consumer
 * (`digital-download` always, `digital-media` once the order snapshot says the consumer unsealed it); delivered
 * newspapers and periodicals. Policy JSON cannot add to them (returns.schemas.ts refuses).
 */
export const STATUTORY_EXCLUDED_CATEGORIES = ['customized', 'perishable', 'digital-download', 'newspapers-periodicals'] as const;
/** 消法 art. 25 (3): a sealed audio-visual or software carrier is excluded only once the consumer unsealed it. */
export const UNSEALABLE_DIGITAL_CATEGORY = 'digital-media';

/**
 * What a storefront category code is for a no-reason return: one of the four statutory kinds of 消法 art. 25 /
 * 暂行办法 art. 6 (`customized`; `perishable`; `digital-download`, and `digital-media` once unsealed; `newspapers-
 * periodicals`), a kind unsuitable by its nature (`by-nature`, 暂行办法 art. 7: refused only with the consumer's
 * confirmation at purchase), or `ordinary` goods.
 */
export const returnCategoryKinds = ['customized', 'perishable', 'digital-download', 'digital-media', 'newspapers-periodicals', 'by-nature', 'ordinary'] as const;
export type ReturnCategoryKind = (typeof returnCategoryKinds)[number];

/**
 * The default table of the storefront's category codes (policy `categoryKinds`). The statutory codes themselves
 * (STATUTORY_EXCLUDED_CATEGORIES, `digital-media`) are their own kinds in code and need no row.
 * - 消法 art. 25(1) 消费者定作的: made to the consumer's order or measure;
 * - art. 25(2) 鲜活易腐的: fresh, live and perishable goods;
 * - art. 25(3) 在线下载或者消费者拆封的音像制品、计算机软件等数字化商品: downloads, and sealed carriers once unsealed;
 * - art. 25(4) 交付的报纸、期刊;
 * - 《网络购买商品七日无理由退货暂行办法》(国家工商行政管理总局令第90号) art. 7: 拆封后易影响人身安全或者生命健康的, 或者拆封后易
 *   导致商品品质发生改变的商品; 一经激活或者试用后价值贬损较大的商品; 销售时已明示的临近保质期的商品、有瑕疵的商品
 *   (excluded only when the consumer confirmed it at purchase, art. 7 last paragraph);
 * - the usual departments of ordinary goods, so that only a code nobody listed is logged as unknown.
 */
export const DEFAULT_CATEGORY_KINDS: Readonly<Record<string, ReturnCategoryKind>> = {
  // 消法 art. 25(1)
  'custom-made': 'customized',
  'made-to-order': 'customized',
  'made-to-measure': 'customized',
  personalized: 'customized',
  engraved: 'customized',
  // art. 25(2)
  'fresh-produce': 'perishable',
  'fresh-food': 'perishable',
  fruit: 'perishable',
  vegetables: 'perishable',
  meat: 'perishable',
  seafood: 'perishable',
  'live-seafood': 'perishable',
  dairy: 'perishable',
  'frozen-food': 'perishable',
  'baked-goods': 'perishable',
  flowers: 'perishable',
  'fresh-flowers': 'perishable',
  'live-plants': 'perishable',
  'live-animals': 'perishable',
  // art. 25(3)
  ebooks: 'digital-download',
  'software-download': 'digital-download',
  'music-download': 'digital-download',
  'game-codes': 'digital-download',
  'audio-video': 'digital-media',
  'music-cd': 'digital-media',
  'video-dvd': 'digital-media',
  'software-boxed': 'digital-media',
  'video-games': 'digital-media',
  // art. 25(4)
  newspapers: 'newspapers-periodicals',
  periodicals: 'newspapers-periodicals',
  magazines: 'newspapers-periodicals',
  // 暂行办法 art. 7
  'intimate-apparel': 'by-nature',
  underwear: 'by-nature',
  cosmetics: 'by-nature',
  'personal-care': 'by-nature',
  'health-supplements': 'by-nature',
  'medical-devices': 'by-nature',
  'near-expiry': 'by-nature',
  'seconds-disclosed': 'by-nature',
  // ordinary goods
  apparel: 'ordinary',
  shoes: 'ordinary',
  bags: 'ordinary',
  accessories: 'ordinary',
  jewellery: 'ordinary',
  watches: 'ordinary',
  electronics: 'ordinary',
  'mobile-phones': 'ordinary',
  computers: 'ordinary',
  appliances: 'ordinary',
  'home-goods': 'ordinary',
  kitchenware: 'ordinary',
  furniture: 'ordinary',
  books: 'ordinary',
  toys: 'ordinary',
  'baby-products': 'ordinary',
  sports: 'ordinary',
  outdoor: 'ordinary',
  'auto-parts': 'ordinary',
  tools: 'ordinary',
  stationery: 'ordinary',
  'pet-supplies': 'ordinary',
  'packaged-food': 'ordinary',
  // the three-guarantee catalogue's goods (DEFAULT_THREE_GUARANTEE_CATEGORIES): ordinary goods for a no-reason return
  telephones: 'ordinary',
  'home-audio-video': 'ordinary',
  televisions: 'ordinary',
  'video-recorders': 'ordinary',
  camcorders: 'ordinary',
  'radio-cassette-players': 'ordinary',
  'electronic-keyboards': 'ordinary',
  refrigerators: 'ordinary',
  'washing-machines': 'ordinary',
  'electric-fans': 'ordinary',
  'microwave-ovens': 'ordinary',
  'vacuum-cleaners': 'ordinary',
  'air-conditioners': 'ordinary',
  'range-hoods': 'ordinary',
  'gas-water-heaters': 'ordinary',
  'sewing-machines': 'ordinary',
  clocks: 'ordinary',
  bicycles: 'ordinary',
  motorcycles: 'ordinary',
};

/** The codes that are their own statutory kinds in code, whatever the table says (消法 art. 25). */
const STATUTORY_CODE_KINDS: Readonly<Record<string, ReturnCategoryKind>> = {
  customized: 'customized',
  perishable: 'perishable',
  'digital-download': 'digital-download',
  'digital-media': 'digital-media',
  'newspapers-periodicals': 'newspapers-periodicals',
};

export interface CategoryKind {
  kind: ReturnCategoryKind;
  /** False: the code is in no table (returnable as ordinary goods, and logged so that a new storefront code is noticed). */
  known: boolean;
}

/**
 * The kind of a storefront category code: a statutory code is its own kind; then the policy's `byNatureCategories`;
 * then the policy's table (`categoryKinds`). A code in none is ordinary and unknown: returnable, and the API logs it.
 */
export function categoryKindOf(category: string, rules: { byNatureCategories?: readonly string[]; categoryKinds?: Readonly<Record<string, ReturnCategoryKind>> }): CategoryKind {
  const own = Object.prototype.hasOwnProperty.call(STATUTORY_CODE_KINDS, category) ? STATUTORY_CODE_KINDS[category] : undefined;
  if (own) return { kind: own, known: true };
  const table = rules.categoryKinds ?? {};
  const mapped = Object.prototype.hasOwnProperty.call(table, category) ? table[category] : undefined;
  if (mapped && mapped !== 'by-nature' && mapped !== 'ordinary') return { kind: mapped, known: true };
  if ((rules.byNatureCategories ?? []).includes(category)) return { kind: 'by-nature', known: true };
  return mapped ? { kind: mapped, known: true } : { kind: 'ordinary', known: false };
}

/** 消法 art. 24 / the three-guarantee rules: the remedies of a quality claim, counted in days from delivery. */
export const DEFAULT_QUALITY_REMEDIES = { returnDays: 7, exchangeDays: 15, warrantyMonths: 12 } as const;

/**
 * 民法典 art. 621(2): a buyer who does not object to the quality within a reasonable period, and at the latest within
 * two years of receiving the goods, is taken to accept it; a warranty period (质量保证期) applies instead when there is
 * one. The platform's period for objecting to quality, in months from delivery (policy `qualityObjectionMonths`, at
 * least 24); an item's longer warranty lengthens it.
 */
export const DEFAULT_QUALITY_OBJECTION_MONTHS = 24;

/**
 * The three-guarantee catalogue (三包目录), as storefront category codes (policy `threeGuaranteeCategories`): only these
 * goods have the 15-day exchange limit of 《部分商品修理更换退货责任规定》 art. 10 (an exchange after it: repair, art.
 * 11). The catalogue is the rules' annex 《实施三包的部分商品目录》 (bicycles, colour and black-and-white televisions, video
 * recorders, camcorders, radio-cassette players, electronic keyboards, refrigerators, washing machines, electric fans,
 * microwave ovens, vacuum cleaners, air conditioners, range hoods, gas water heaters, sewing machines, clocks and
 * watches, motorcycles), with the goods of the three-guarantee rules of their own on the same 7/15-day pattern (mobile
 * phones, fixed telephones, microcomputers, household audio-visual goods). Broad codes (`electronics`, `appliances`)
 * are left out on purpose: they hold goods outside the catalogue (a kettle, headphones), which the 15-day limit must
 * not reach; a storefront that sends them gets the longer rule for every such item, which the law allows. Household
 * cars have rules of their own (家用汽车产品修理更换退货责任规定) and are not in this list.
 */
export const DEFAULT_THREE_GUARANTEE_CATEGORIES: readonly string[] = [
  'mobile-phones',
  'telephones',
  'computers',
  'home-audio-video',
  'televisions',
  'video-recorders',
  'camcorders',
  'radio-cassette-players',
  'electronic-keyboards',
  'refrigerators',
  'washing-machines',
  'electric-fans',
  'microwave-ovens',
  'vacuum-cleaners',
  'air-conditioners',
  'range-hoods',
  'gas-water-heaters',
  'sewing-machines',
  'watches',
  'clocks',
  'bicycles',
  'motorcycles',
];

/** Whether the category is in the three-guarantee catalogue the case carries (policy `threeGuaranteeCategories`). */
export function inThreeGuaranteeCatalogue(category: string, catalogue: readonly string[] | undefined): boolean {
  return (catalogue ?? DEFAULT_THREE_GUARANTEE_CATEGORIES).includes(category);
}

/**
 * The end of the period for objecting to quality (民法典 arts. 620, 621): `objectionMonths` from delivery, or the item's
 * warranty when longer, counted as the Civil Code counts months (arts. 201–204, monthPeriodEndsAt: from the day after
 * delivery to 24:00 of the corresponding day, a last day on a rest day moving on). A request is inside while it is
 * strictly before the result.
 */
export function qualityObjectionEndsAt(calendar: BusinessCalendar, deliveredAt: Date, o: { objectionMonths: number; warrantyMonths?: number }): Date {
  return monthPeriodEndsAt(calendar, deliveredAt, Math.max(o.objectionMonths, o.warrantyMonths ?? 0), { extendOverHolidays: true });
}

export const defaultReturnPolicy: ReturnPolicy = {
  windowDays: 7,
  // On: art. 203 moves a last day that falls on a statutory rest day, which favours the consumer.
  extendWindowOverHolidays: true,
  // 消法 art. 25: the statutory four only (fixed in code; listed here for the reader).
  excludedCategories: [...STATUTORY_EXCLUDED_CATEGORIES],
  // 暂行办法 art. 7: refused only when the consumer confirmed the exclusion at purchase.
  byNatureCategories: ['intimate-apparel'],
  // The storefront's category codes onto the statutory and by-nature kinds (an unknown code is returnable, and logged).
  categoryKinds: { ...DEFAULT_CATEGORY_KINDS },
  qualityRemedies: { ...DEFAULT_QUALITY_REMEDIES },
  returnShippingPaidBy: 'platform',
  // 30.00 CNY: covers a standard domestic parcel with any quoted carrier (see DEFAULT_RETURN_SHIPPING_CAP_MINOR).
  returnShippingCapMinor: DEFAULT_RETURN_SHIPPING_CAP_MINOR,
  returnShippingCurrency: DEFAULT_RETURN_SHIPPING_CURRENCY,
  merchantReview: { within: { amount: 48, unit: 'hours' }, remindAt: 0.5, onBreach: 'default-decision' },
  platformReviewRequestWindow: { amount: 7, unit: 'days' },
  platformReview: { within: { amount: 2, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  customerShipment: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  returnReceipt: { amount: 15, unit: 'days' },
  carrierPollEvery: { amount: 6, unit: 'hours' },
  // Policy 7.2: the delivery event ends the wait; past 3 days with none, the carrier is asked (at most 3 times).
  carrierExpectedDelivery: { amount: 3, unit: 'days' },
  refundWithinDaysOfReceipt: 7,
  // 暂行办法 art. 17: a refund without return waits 3 days after the question for the customer's choice of route.
  refundRouteChoice: { amount: 3, unit: 'days' },
  inspectionEndsBeforeRefundDue: { amount: 2, unit: 'hours' },
  merchantInspection: { within: { amount: 3, unit: 'working-days' }, remindAt: 0.5, onBreach: 'default-decision' },
  incompleteChoice: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  sendBack: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  damageDispute: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  qualityShippingMarginPercent: DEFAULT_QUALITY_SHIPPING_MARGIN_PERCENT,
  damageReview: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'default-decision' },
  exchangeShipment: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  // 民法典 art. 621: two years from receipt, or the warranty when longer.
  qualityObjectionMonths: DEFAULT_QUALITY_OBJECTION_MONTHS,
  // 三包 art. 10: the 15-day exchange limit for the catalogue's goods only.
  threeGuaranteeCategories: [...DEFAULT_THREE_GUARANTEE_CATEGORIES],
  // 消法 art. 24 / 民法典 art. 563: an agent decides whether a late quality return may be terminated; a lapse goes to a supervisor.
  terminationReview: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  // The customer chooses exchange, repair or withdrawal after a refused termination; silence closes the case with the repair's instructions.
  qualityRemedyChoice: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
};

/** The fields added for the consumer-law rules, for a case whose policy section predates them. */
export function withLawDefaults(p: ReturnPolicy): Required<ReturnPolicy> {
  const d = defaultReturnPolicy as Required<ReturnPolicy>;
  return {
    ...d,
    ...p,
    byNatureCategories: p.byNatureCategories ?? d.byNatureCategories,
    categoryKinds: p.categoryKinds ?? d.categoryKinds,
    qualityRemedies: p.qualityRemedies ?? d.qualityRemedies,
    qualityObjectionMonths: p.qualityObjectionMonths ?? d.qualityObjectionMonths,
    threeGuaranteeCategories: p.threeGuaranteeCategories ?? d.threeGuaranteeCategories,
    terminationReview: p.terminationReview ?? d.terminationReview,
    qualityRemedyChoice: p.qualityRemedyChoice ?? d.qualityRemedyChoice,
  } as Required<ReturnPolicy>;
}

/**
 * Why a merchant rejects a request at review, before it has the goods. Damage or missing parts are not among them:
 * completeness is decided at inspection, with evidence (暂行办法 art. 8). Cases opened before keep the reasons they
 * recorded.
 */
export const merchantRejectionReasons = [
  'category_excluded',
  'outside_return_window',
  'quality_claim_disputed',
  'goods_delivered',
  'other',
] as const;

/**
 * 暂行办法 art. 8: why returned goods are not complete. The goods' own quality, function, parts and marks count;
 * packaging opened or missing does not (an inspection that lists only packaging is complete).
 */
export const incompletenessReasons = ['used_beyond_inspection', 'parts_missing', 'gifts_missing', 'damaged_after_delivery', 'marks_removed', 'digital_unsealed', 'other'] as const;
export type IncompletenessReason = (typeof incompletenessReasons)[number];

/**
 * A quality return (消法 art. 24): what the customer did to the goods beyond the defect claimed. Completeness (暂行办法
 * art. 8) is a rule of no-reason returns only; a quality return is refunded in full, less only such damage, with evidence.
 */
export const customerDamageReasons = ['physical_damage', 'liquid_damage', 'parts_missing', 'tampering', 'other'] as const;
/**
 * 消法 art. 24 / 民法典 art. 563(1)(4): why the conditions for terminating the contract hold after the 7 days (the
 * defect defeats the purpose of the contract), or why they do not (task return.termination_review). Codes only: the
 * agent's words go in a task note (POST /v1/tasks/{taskId}/notes, PostgreSQL only), named in the answer by its id.
 */
export const terminationHoldsGrounds = ['defect_defeats_purpose', 'safety_hazard', 'not_repairable', 'repeated_failure', 'wrong_goods', 'materially_not_as_described', 'other'] as const;
export const terminationFailsGrounds = ['defect_minor', 'repairable', 'replaceable', 'defect_not_established', 'not_returned_promptly', 'other'] as const;
/** What the customer does after a refused termination: an exchange (when still due), a repair (a warranty repair case), or withdraw. */
export const qualityRemedyChoices = ['exchange', 'repair', 'withdraw'] as const;
export type QualityRemedyChoice = (typeof qualityRemedyChoices)[number];

/** Why the customer disputes a customer-damage finding on a quality return. */
export const returnDamageDisputeReasons = ['damage_is_the_defect', 'damage_before_delivery', 'damage_in_transit', 'evidence_insufficient', 'amount_too_high', 'other'] as const;

export type ReviewDecision = z.infer<Schemas['reviewDecisionSchema']>;

/** Human steps of the return. */
export const returnTasks = defineTasks({
  /** 8.2: the merchant answers the return request. */
  'return.merchant_review': {
    role: 'merchant',
    get payload() {
      return lazySchema(() => schemas().reviewDecisionSchema);
    },
  },
  /**
   * The platform's review after a merchant rejection (automatic for quality and non-delivery claims), or of a return
   * parcel the merchant never confirmed receiving. Final within the platform only: the customer keeps the routes of
   * 消法 art. 39 (consumer association, 12315, arbitration, courts).
   */
  'return.platform_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().reviewDecisionSchema);
    },
  },
  /** 7.2 / 暂行办法 art. 8: the merchant inspects the returned goods and decides complete or incomplete, with evidence. */
  'return.merchant_inspection': {
    role: 'merchant',
    get payload() {
      return lazySchema(() => schemas().merchantInspectionSchema);
    },
  },
  /** Exchange: the merchant ships the replacement. */
  'return.exchange_shipment': {
    role: 'merchant',
    get payload() {
      return lazySchema(() => schemas().shipmentSchema);
    },
  },
  /** The platform decides an incomplete return the customer did not settle: full refund, partial refund or goods sent back. */
  'return.completeness_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().completenessDecisionSchema);
    },
  },
  /** An incomplete return the customer wants back: the merchant ships the goods back to the customer, at its cost. */
  'return.send_back_shipment': {
    role: 'merchant',
    get payload() {
      return lazySchema(() => schemas().shipmentSchema);
    },
  },
  /**
   * 消法 art. 24: the merchant receives the goods of a quality return. No completeness test (暂行办法 art. 8 is a rule
   * of no-reason returns): received, or damage the customer caused beyond the defect, with evidence and the deduction.
   */
  'return.quality_inspection': {
    role: 'merchant',
    get payload() {
      return lazySchema(() => schemas().qualityInspectionSchema);
    },
  },
  /**
   * 消法 art. 24: a quality claim's return shipping above the carrier's quote by more than the policy margin (or not
   * comparable with a quote): an agent approves the amount reimbursed, with the customer's receipt and the quote.
   */
  'return.shipping_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().returnShippingReviewSchema);
    },
  },
  /**
   * 消法 art. 24: a quality return asked after the 7 days is due when the conditions for terminating the contract hold
   * (民法典 art. 563: the defect defeats the purpose of the contract). When the merchant does not accept it, an agent
   * decides, with grounds and evidence: holds (the return goes on at the seller's cost), or not (the customer is
   * offered exchange or repair).
   */
  'return.termination_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().terminationReviewSchema);
    },
  },
  /** A supervisor reviews a customer-damage finding the customer disputed (as a repair's user-damage dispute, policy 7.4). */
  'return.damage_review': {
    role: 'supervisor',
    get payload() {
      return lazySchema(() => schemas().returnDamageReviewSchema);
    },
  },
});

export type InspectionResult = z.infer<Schemas['merchantInspectionSchema']>;
export type CompletenessDecision = z.infer<Schemas['completenessDecisionSchema']>;
export type PickupRequest = z.infer<Schemas['pickupRequestSchema']>;
export type IncompleteChoice = z.infer<Schemas['incompleteChoiceSchema']>['choice'];
export type QualityInspectionResult = z.infer<Schemas['qualityInspectionSchema']>;
export type ReturnDamageReview = z.infer<Schemas['returnDamageReviewSchema']>;
export type ReturnDamageDispute = z.infer<Schemas['returnDamageDisputeSchema']>;
export type ReturnShippingReview = z.infer<Schemas['returnShippingReviewSchema']>;
export type TerminationReview = z.infer<Schemas['terminationReviewSchema']>;
export type RefundRouteChoiceBody = z.infer<Schemas['refundRouteChoiceSchema']>;

/** "12.00" → 1200 (minor units). Pure: the workflow converts the customer's amount with it. */
export function decimalToMinor(amount: string): number {
  const [whole, frac = ''] = amount.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/**
 * The customer's return shipment: carrier and tracking number, and optionally what the customer paid the
 * carrier (7.3: reimbursed up to the policy's cap). Without `paid`, the carrier's quote is reimbursed.
 */
export type ReturnShipment = z.infer<Schemas['returnShipmentSchema']>;

export interface Money {
  amountMinor: number;
  currency: string;
}

export type ReimbursementBasis = 'paid' | 'carrier_quote' | 'cap' | 'agent_approved';

/**
 * 7.3: what the platform reimburses for the return parcel. The amount the customer paid when given in the cap's
 * currency, otherwise the carrier's quote; never more than the cap. Amounts in another currency cannot be
 * compared with the cap (no exchange rates here): a paid amount in another currency is set aside for the quote,
 * and a quote in another currency is replaced by the cap itself (the customer is not left to bear the freight).
 */
export function returnShippingReimbursement(o: { paid?: Money; quote?: Money; cap: Money }): {
  amountMinor: number;
  currency: string;
  basis: ReimbursementBasis;
  uncappedMinor: number;
  capped: boolean;
} {
  const usable = (m?: Money) => (m && m.currency === o.cap.currency ? m : undefined);
  const paid = usable(o.paid);
  const quote = usable(o.quote);
  const basis: ReimbursementBasis = paid ? 'paid' : quote ? 'carrier_quote' : 'cap';
  const uncappedMinor = (paid ?? quote ?? o.cap).amountMinor;
  const amountMinor = Math.min(uncappedMinor, o.cap.amountMinor);
  return { amountMinor, currency: o.cap.currency, basis, uncappedMinor, capped: amountMinor < uncappedMinor };
}

/**
 * 消法 art. 24: the seller bears the transport and other necessary costs of a return for quality, so a quality claim's
 * return shipping has no cap. The amount the customer paid is reimbursed when the carrier's quote (the evidence of the
 * necessary cost, beside the customer's receipt) shows it within `marginPercent` above the quote; without an amount
 * paid, the quote itself. Anything else (above the margin, no quote in the policy's currency, paid in another
 * currency) goes to an agent to approve: never refused, never cut to a cap by itself.
 */
export type QualityShippingAssessment =
  | { decision: 'pay'; amountMinor: number; currency: string; basis: 'paid' | 'carrier_quote' }
  | { decision: 'review'; reason: 'above_quote_margin' | 'no_comparable_quote' | 'paid_in_other_currency'; paidMinor: number | null; allowedMinor: number | null };

/** The most that is paid without review: the quote plus `marginPercent` of it, rounded up to the minor unit. */
export function qualityShippingAllowedMinor(quoteMinor: number, marginPercent: number): number {
  return quoteMinor + Math.ceil((quoteMinor * marginPercent) / 100);
}

export function qualityShippingAssessment(o: { paid?: Money; quote?: Money; currency: string; marginPercent: number }): QualityShippingAssessment {
  const quote = o.quote && o.quote.currency === o.currency ? o.quote : undefined;
  const allowedMinor = quote ? qualityShippingAllowedMinor(quote.amountMinor, o.marginPercent) : null;
  if (o.paid) {
    if (o.paid.currency !== o.currency) return { decision: 'review', reason: 'paid_in_other_currency', paidMinor: o.paid.amountMinor, allowedMinor };
    if (allowedMinor === null) return { decision: 'review', reason: 'no_comparable_quote', paidMinor: o.paid.amountMinor, allowedMinor };
    if (o.paid.amountMinor > allowedMinor) return { decision: 'review', reason: 'above_quote_margin', paidMinor: o.paid.amountMinor, allowedMinor };
    return { decision: 'pay', amountMinor: o.paid.amountMinor, currency: o.currency, basis: 'paid' };
  }
  if (!quote) return { decision: 'review', reason: 'no_comparable_quote', paidMinor: null, allowedMinor };
  return { decision: 'pay', amountMinor: quote.amountMinor, currency: o.currency, basis: 'carrier_quote' };
}

/** Whether the carrier's quote is needed: the customer gave no amount in the cap's currency. */
export function needsCarrierQuote(paid: Money | undefined, capCurrency: string): boolean {
  return !paid || paid.currency !== capCurrency;
}

/** What the customer does on a return, through the storefront or an agent: POST /v1/cases/{id}/actions/{name}. */
export const returnActions = defineActions({
  shipment: {
    summary: "Submit the customer's return shipment (carrier, tracking number, optionally the amount paid)",
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().returnShipmentSchema);
    },
    update: 'submitReturnShipment',
    field: 'shipment',
  },
  'platform-review': {
    summary: 'Ask the platform to review a merchant rejection',
    roles: ['storefront', 'agent'],
    get body() {
      return lazySchema(() => schemas().platformReviewRequestSchema);
    },
    update: 'requestPlatformReview',
  },
  pickup: {
    summary: 'Book a carrier pickup (上门取件) of the return parcel instead of typing a tracking number',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().pickupRequestSchema);
    },
    update: 'requestReturnPickup',
    field: 'pickup',
  },
  receipt: {
    summary: 'Confirm that the returned goods arrived (starts the 7-day refund period)',
    roles: ['merchant', 'agent'],
    get body() {
      return lazySchema(() => schemas().receiptConfirmationSchema);
    },
    update: 'confirmReturnReceipt',
  },
  'incomplete-choice': {
    summary: 'Choose how an incomplete return ends: the partial refund offered, the goods sent back, or platform review',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().incompleteChoiceSchema);
    },
    update: 'chooseIncompleteOutcome',
  },
  'return-damage-dispute': {
    summary: 'Dispute a customer-damage finding on a quality return, once, while the case waits for it (a supervisor reviews)',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().returnDamageDisputeSchema);
    },
    update: 'disputeReturnDamage',
  },
  'quality-remedy-choice': {
    summary: 'After a refused termination of a late quality return: choose an exchange (when offered), a repair, or to withdraw',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().qualityRemedyChoiceSchema);
    },
    update: 'chooseQualityRemedy',
  },
  'refund-route': {
    summary: 'Choose where the refund goes when the original payment cannot take it (cash on delivery, a closed route): a bank account by its payee reference, or the platform balance (暂行办法 art. 17)',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().refundRouteChoiceSchema);
    },
    update: 'chooseRefundRoute',
  },
});

export const returnRequestTypes = ['return_and_refund', 'exchange', 'refund_only'] as const;
export type ReturnRequestType = (typeof returnRequestTypes)[number];

export const returnReasonCodes = [
  'no_reason', // 7-day no-reason return
  'not_as_described',
  'defective',
  'wrong_item',
  'damaged_in_transit',
  'size_or_fit',
  'changed_mind',
  'not_received', // 电子商务法 art. 20: refund-only, even before deliveredAt
  'refused_at_delivery',
] as const;
export type ReturnReasonCode = (typeof returnReasonCodes)[number];

/** 消法 art. 24: quality and transit claims; not no-reason returns. */
export const QUALITY_REASONS: readonly ReturnReasonCode[] = ['defective', 'not_as_described', 'wrong_item', 'damaged_in_transit'];
/** 电子商务法 art. 20: the goods never reached the customer (the risk passes on delivery). */
export const NON_DELIVERY_REASONS: readonly ReturnReasonCode[] = ['not_received', 'refused_at_delivery'];

/** What a request is in law: a no-reason return (暂行办法), a quality claim (消法 art. 24), or a non-delivery (电子商务法 art. 20). */
export type ClaimKind = 'no_reason' | 'quality' | 'non_delivery';
export function claimKindOf(reason: ReturnReasonCode): ClaimKind {
  if (QUALITY_REASONS.includes(reason)) return 'quality';
  if (NON_DELIVERY_REASONS.includes(reason)) return 'non_delivery';
  return 'no_reason';
}

/** How the customer paid, and where a refund goes: the shared rule (policy/refundRoute.ts, 暂行办法 art. 17). */
export { paymentMethods, type PaymentMethod, type RefundRoute } from './refundRoute';

/**
 * The order snapshot of the line, as the storefront recorded it at purchase: references, enums and amounts only
 * (no personal data). Absent for cases opened before it existed.
 */
export interface OrderSnapshot {
  /** Coupons and 满减 allocated to this line by the order, in minor units. */
  discountMinor: number;
  /** Points spent on this line: returned as points, never as cash. */
  points?: { count: number; valueMinor: number };
  /** The marked value of a gift given with the line: charged only if the gift is not returned. */
  giftValueMinor?: number;
  /** The payment of the order: its reference and method, and whether the original route can still take a refund. */
  payment?: OrderPayment;
  /** 暂行办法 art. 7: the consumer confirmed at purchase that this by-nature category is not returnable without reason. */
  exclusionConfirmedAtPurchase: boolean;
  /** 消法 art. 25 (3): the consumer unsealed a digital carrier (category `digital-media`). */
  digitalUnsealed?: boolean;
  /** The warranty of the item (三包), when the order states one; otherwise the policy's default. */
  warrantyMonths?: number;
}

export type Ineligibility =
  | 'NOT_YET_DELIVERED'
  | 'RETURN_WINDOW_EXPIRED'
  | 'CATEGORY_EXCLUDED'
  | 'REFUND_ONLY_NOT_ALLOWED'
  | 'REQUEST_TYPE_NOT_ALLOWED'
  | 'QUALITY_RETURN_WINDOW_EXPIRED'
  | 'QUALITY_EXCHANGE_WINDOW_EXPIRED'
  | 'QUALITY_OBJECTION_PERIOD_EXPIRED'
  | 'WARRANTY_EXPIRED';

export interface ClaimInput {
  requestType: ReturnRequestType;
  reasonCode: ReturnReasonCode;
  category: string;
  /** Absent when the goods were not delivered (refund-only for non-delivery). */
  deliveredAt?: Date;
  requestedAt: Date;
  snapshot?: Pick<OrderSnapshot, 'exclusionConfirmedAtPurchase' | 'digitalUnsealed' | 'warrantyMonths'>;
  /** A partial refund the customer asks for a minor defect (refund-only by agreement). */
  partialRefund?: boolean;
}

export type ClaimEligibility =
  | {
      eligible: true;
      kind: ClaimKind;
      windowEndsAt?: Date;
      /**
       * A quality return asked after the 7 days (消法 art. 24): due only when the conditions for terminating the contract
       * hold (民法典 art. 563). The merchant may accept it; otherwise an agent decides (task return.termination_review).
       */
      terminationReview?: true;
    }
  | { eligible: false; kind: ClaimKind; reason: Ineligibility; message: string; windowEndsAt?: Date; remedies?: string[] };

/**
 * 消法 art. 25 / 暂行办法 arts. 6, 7: why a no-reason return of this category is refused, if it is. With `categoryKinds`
 * (the policy's table) the code is first mapped onto its kind (categoryKindOf); without it (the cases opened before
 * patch `return-category-kinds`), only the exact statutory codes and `byNature` count, as first built.
 */
export function excludedFromNoReason(category: string, byNature: readonly string[], snapshot?: ClaimInput['snapshot'], categoryKinds?: Readonly<Record<string, ReturnCategoryKind>>): string | null {
  if (categoryKinds) {
    const { kind } = categoryKindOf(category, { byNatureCategories: byNature, categoryKinds });
    if (kind === 'ordinary') return null;
    if (kind === 'by-nature') return snapshot?.exclusionConfirmedAtPurchase ? `Category '${category}' is not returnable without reason, as the customer confirmed at purchase (暂行办法 art. 7)` : null;
    if (kind === UNSEALABLE_DIGITAL_CATEGORY) return snapshot?.digitalUnsealed ? `Unsealed digital goods ('${category}') are excluded from no-reason returns by law (消法 art. 25)` : null;
    return kind === category ? `Category '${category}' is excluded from no-reason returns by law (消法 art. 25)` : `Category '${category}' (${kind}) is excluded from no-reason returns by law (消法 art. 25)`;
  }
  if ((STATUTORY_EXCLUDED_CATEGORIES as readonly string[]).includes(category)) return `Category '${category}' is excluded from no-reason returns by law (消法 art. 25)`;
  if (category === UNSEALABLE_DIGITAL_CATEGORY && snapshot?.digitalUnsealed) return `Unsealed digital goods are excluded from no-reason returns by law (消法 art. 25)`;
  if (byNature.includes(category) && snapshot?.exclusionConfirmedAtPurchase) {
    return `Category '${category}' is not returnable without reason, as the customer confirmed at purchase (暂行办法 art. 7)`;
  }
  return null;
}

/** How checkClaimEligibility reads the policy. */
export interface ClaimRuleOptions {
  /**
   * Map the category code with the policy's table (`categoryKinds`). Default true; false only for the cases opened
   * before patch `return-category-kinds` (the workflow passes patched()), which matched exact codes.
   */
  categoryTable?: boolean;
  /**
   * The law's time limits for a quality claim (default true): only the period for objecting to quality refuses it
   * (民法典 arts. 620, 621), and the 15-day exchange limit for the three-guarantee catalogue (三包 art. 10); a return after
   * the 7 days goes to the termination conditions (消法 art. 24, 民法典 art. 563). False only for the cases opened before
   * patch `return-quality-time-limits` (the workflow passes patched()), which refused by the 7/15-day and warranty windows.
   */
  qualityTimeLimits?: boolean;
}

/**
 * The rule of a request by what it is in law (消法 arts. 24, 25; 暂行办法 arts. 6, 7; 电子商务法 art. 20). Pure: the
 * API (422) and the workflow apply it alike. Windows count civil days from the day after delivery (dayPeriodEndsAt);
 * a request is in a window while it is strictly before the window's end.
 */
export function checkClaimEligibility(input: ClaimInput, policy: ReturnPolicy, calendar: BusinessCalendar, options: ClaimRuleOptions = {}): ClaimEligibility {
  const rules = withLawDefaults(policy);
  const kind = claimKindOf(input.reasonCode);
  const refuse = (reason: Ineligibility, message: string, more: { windowEndsAt?: Date; remedies?: string[] } = {}): ClaimEligibility => ({ eligible: false, kind, reason, message, ...more });

  // Refund-only (仅退款): for goods that never arrived, or a partial refund agreed for a minor defect.
  if (input.requestType === 'refund_only') {
    if (kind === 'non_delivery') return { eligible: true, kind }; // 电子商务法 art. 20: may precede deliveredAt
    if (!(kind === 'quality' && input.partialRefund)) {
      return refuse('REFUND_ONLY_NOT_ALLOWED', 'Refund without return is for goods not received or refused at delivery, or a partial refund for a minor defect; a no-reason request is a return (return_and_refund)');
    }
  } else if (kind === 'non_delivery') {
    return refuse('REQUEST_TYPE_NOT_ALLOWED', 'Goods not received or refused at delivery are refunded without return: ask for refund_only');
  }
  if (!input.deliveredAt || input.requestedAt.getTime() < input.deliveredAt.getTime()) {
    return refuse('NOT_YET_DELIVERED', 'The order was not delivered at the time of the request');
  }
  const ends = (days: number) => dayPeriodEndsAt(calendar, input.deliveredAt!, days, { extendOverHolidays: rules.extendWindowOverHolidays ?? true });
  const within = (end: Date) => input.requestedAt.getTime() < end.getTime();

  if (kind === 'quality') {
    // 消法 art. 24: return within 7 days; later, the law's limits (qualityClaimByLaw). The cases opened before patch
    // return-quality-time-limits: exchange within 15 days for all goods, then repair within the warranty, as they did.
    const q = rules.qualityRemedies;
    const returnEnds = ends(q.returnDays);
    const exchangeEnds = ends(q.exchangeDays);
    // The warranty in months, counted as the Civil Code counts periods (arts. 201-204: from the day after delivery to
    // 24:00 of the corresponding day of the last month, a last day on a rest day moving on), as a warranty repair counts it.
    const warrantyMonths = input.snapshot?.warrantyMonths ?? q.warrantyMonths;
    if (options.qualityTimeLimits !== false) return qualityClaimByLaw({ ...input, deliveredAt: input.deliveredAt }, rules, calendar, { returnEnds, exchangeEnds, warrantyMonths });
    const warrantyEnds = monthPeriodEndsAt(calendar, input.deliveredAt, warrantyMonths, { extendOverHolidays: true });
    if (input.requestType === 'exchange' ? within(exchangeEnds) : within(returnEnds)) {
      return { eligible: true, kind, windowEndsAt: input.requestType === 'exchange' ? exchangeEnds : returnEnds };
    }
    if (input.requestType !== 'exchange' && within(exchangeEnds)) {
      return refuse('QUALITY_RETURN_WINDOW_EXPIRED', `A quality return is due within ${q.returnDays} days of delivery; an exchange is still due until ${exchangeEnds.toISOString()}, and a repair within the warranty (消法 art. 24)`, { windowEndsAt: returnEnds, remedies: ['exchange', 'repair'] });
    }
    if (input.requestedAt.getTime() < warrantyEnds.getTime()) {
      return refuse('QUALITY_EXCHANGE_WINDOW_EXPIRED', `An exchange is due within ${q.exchangeDays} days of delivery; a repair is due within the warranty, until ${warrantyEnds.toISOString()}: open a warranty repair (消法 art. 24)`, { windowEndsAt: exchangeEnds, remedies: ['repair'] });
    }
    return refuse('WARRANTY_EXPIRED', `The warranty ended at ${warrantyEnds.toISOString()}`, { windowEndsAt: warrantyEnds });
  }

  const excluded = excludedFromNoReason(input.category, rules.byNatureCategories ?? [], input.snapshot, options.categoryTable === false ? undefined : rules.categoryKinds);
  if (excluded) return refuse('CATEGORY_EXCLUDED', excluded);
  const windowEndsAt = ends(rules.windowDays);
  if (!within(windowEndsAt)) return refuse('RETURN_WINDOW_EXPIRED', `The ${rules.windowDays}-day return window ended at ${windowEndsAt.toISOString()}`, { windowEndsAt });
  return { eligible: true, kind, windowEndsAt };
}

/**
 * A quality claim as the law limits it in time. Time alone refuses nothing but:
 * - a request after the period for objecting to quality (民法典 arts. 620, 621: a reasonable period, at most two years
 *   from receipt, or the warranty when longer; policy `qualityObjectionMonths`): QUALITY_OBJECTION_PERIOD_EXPIRED;
 * - an exchange of a three-guarantee catalogue item after its 15 days (《部分商品修理更换退货责任规定》 art. 10; policy
 *   `threeGuaranteeCategories`): QUALITY_EXCHANGE_WINDOW_EXPIRED, the remedy left is repair (art. 11). Other goods are
 *   exchanged within the objection period (消法 art. 24: 更换、修理 when there is no national rule).
 * A return within the 7 days is due (消法 art. 24; 三包 art. 9 for the catalogue); after them it is due when the conditions
 * for terminating the contract hold (民法典 art. 563), which a person decides: `terminationReview`. A partial refund (a
 * price reduction, 民法典 art. 582) is not a termination: it is agreed by the merchant or decided by the platform, as
 * within the 7 days.
 */
function qualityClaimByLaw(
  input: ClaimInput & { deliveredAt: Date },
  rules: Required<ReturnPolicy>,
  calendar: BusinessCalendar,
  at: { returnEnds: Date; exchangeEnds: Date; warrantyMonths: number },
): ClaimEligibility {
  const kind: ClaimKind = 'quality';
  const within = (end: Date) => input.requestedAt.getTime() < end.getTime();
  const months = Math.max(rules.qualityObjectionMonths, at.warrantyMonths);
  const objectionEnds = qualityObjectionEndsAt(calendar, input.deliveredAt, { objectionMonths: rules.qualityObjectionMonths, warrantyMonths: at.warrantyMonths });
  if (!within(objectionEnds)) {
    return {
      eligible: false,
      kind,
      reason: 'QUALITY_OBJECTION_PERIOD_EXPIRED',
      message: `The period for objecting to the quality of the goods ended at ${objectionEnds.toISOString()}: ${months} months from delivery (民法典 arts. 620, 621: a reasonable period, at most two years from receipt, or the warranty period when longer). A seller who knew or ought to have known of the defect cannot rely on it (art. 621(3)): the platform's complaint channel and the routes of 消法 art. 39 stay open`,
      windowEndsAt: objectionEnds,
    };
  }
  if (input.requestType === 'exchange') {
    if (!inThreeGuaranteeCatalogue(input.category, rules.threeGuaranteeCategories)) return { eligible: true, kind, windowEndsAt: objectionEnds };
    if (within(at.exchangeEnds)) return { eligible: true, kind, windowEndsAt: at.exchangeEnds };
    return {
      eligible: false,
      kind,
      reason: 'QUALITY_EXCHANGE_WINDOW_EXPIRED',
      message: `'${input.category}' is in the three-guarantee catalogue: an exchange is due within ${rules.qualityRemedies.exchangeDays} days of delivery, which ended at ${at.exchangeEnds.toISOString()} (《部分商品修理更换退货责任规定》 art. 10); a repair is due: open a warranty repair (art. 11; 消法 art. 24). A return is still due if the conditions for terminating the contract hold (民法典 art. 563): ask for a return`,
      windowEndsAt: at.exchangeEnds,
      remedies: ['repair'],
    };
  }
  if (within(at.returnEnds)) return { eligible: true, kind, windowEndsAt: at.returnEnds };
  if (input.requestType === 'refund_only') return { eligible: true, kind, windowEndsAt: objectionEnds };
  return { eligible: true, kind, windowEndsAt: objectionEnds, terminationReview: true };
}

/**
 * 5. What the refund pays back for the line: the amount actually paid for it (the line amount less the coupons and
 * 满减 the order allocated to it, less the points spent, which go back as points), less the gift's marked value when
 * the gift is kept (暂行办法: a gift not returned may be charged at its marked price). Never below zero.
 */
export function refundableMinor(amountMinor: number, snapshot: OrderSnapshot | undefined, opts: { giftKept?: boolean } = {}): number {
  if (!snapshot) return amountMinor;
  const paid = amountMinor - snapshot.discountMinor - (snapshot.points?.valueMinor ?? 0);
  return Math.max(0, paid - (opts.giftKept ? snapshot.giftValueMinor ?? 0 : 0));
}

/**
 * @deprecated The former route of the refund: the original payment when the snapshot names it and its route is open;
 * otherwise the platform balance, without asking the customer. Kept only for the cases opened before patch
 * `refund-route-by-agreement`; new cases follow refundRouteRule (policy/refundRoute.ts, 暂行办法 art. 17: another way
 * only by the customer's agreement). Without a snapshot, the order's own refund.
 */
export function refundRouteOf(snapshot: OrderSnapshot | undefined): 'original' | 'platform_balance' | 'order_refund' {
  if (!snapshot?.payment) return 'order_refund';
  return snapshot.payment.originalRouteOpen && snapshot.payment.method !== 'cash_on_delivery' ? 'original' : 'platform_balance';
}

export interface EligibilityInput {
  deliveredAt: Date;
  requestedAt: Date;
  category: string;
}

export type Eligibility =
  | { eligible: true; windowEndsAt: Date }
  | { eligible: false; reason: Ineligibility; message: string; windowEndsAt?: Date };

const DAY_MS = 24 * 60 * 60 * 1000;

/** The return policy fields the window needs; `extendWindowOverHolidays` may be absent in older policy documents. */
export type ReturnWindowRules = Pick<ReturnPolicy, 'windowDays'> & { extendWindowOverHolidays?: boolean };

/**
 * 7.1: the window is counted in days from the day after delivery and ends at 24:00 (local time of
 * the calendar) of its last day, moved past statutory rest days unless the policy switches that off
 * (Civil Code arts. 201, 203; see dayPeriodEndsAt). A request is in the window while it is before this instant.
 */
export function returnWindowEndsAt(deliveredAt: Date, policy: ReturnWindowRules, calendar: BusinessCalendar): Date {
  return dayPeriodEndsAt(calendar, deliveredAt, policy.windowDays, { extendOverHolidays: policy.extendWindowOverHolidays ?? true });
}

/**
 * @deprecated The former window: delivery + windowDays x 24 h, the last instant included. Kept only so
 * that cases opened under it replay unchanged; new code uses returnWindowEndsAt.
 */
export function returnWindowEndsAtLegacy(deliveredAt: Date, policy: Pick<ReturnPolicy, 'windowDays'>): Date {
  return new Date(deliveredAt.getTime() + policy.windowDays * DAY_MS);
}

export function checkReturnEligibility(input: EligibilityInput, policy: ReturnPolicy, calendar: BusinessCalendar): Eligibility {
  const windowEndsAt = returnWindowEndsAt(input.deliveredAt, policy, calendar);
  return judge(input, policy, windowEndsAt, input.requestedAt.getTime() >= windowEndsAt.getTime());
}

/**
 * @deprecated The former rule (returnWindowEndsAtLegacy, a request at the end instant still in the window).
 * Kept only so that cases opened under it replay unchanged; new code uses checkReturnEligibility.
 */
export function checkReturnEligibilityLegacy(input: EligibilityInput, policy: ReturnPolicy): Eligibility {
  const windowEndsAt = returnWindowEndsAtLegacy(input.deliveredAt, policy);
  return judge(input, policy, windowEndsAt, input.requestedAt.getTime() > windowEndsAt.getTime());
}

function judge(input: EligibilityInput, policy: ReturnPolicy, windowEndsAt: Date, expired: boolean): Eligibility {
  if (policy.excludedCategories.includes(input.category)) {
    return {
      eligible: false,
      reason: 'CATEGORY_EXCLUDED',
      message: `Category '${input.category}' is excluded from no-reason returns`,
    };
  }
  if (input.requestedAt.getTime() < input.deliveredAt.getTime()) {
    return { eligible: false, reason: 'NOT_YET_DELIVERED', message: 'The order was not delivered at the time of the request' };
  }
  if (expired) {
    return {
      eligible: false,
      reason: 'RETURN_WINDOW_EXPIRED',
      message: `The ${policy.windowDays}-day return window ended at ${windowEndsAt.toISOString()}`,
      windowEndsAt,
    };
  }
  return { eligible: true, windowEndsAt };
}
