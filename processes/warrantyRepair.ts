// Warranty repair (policy 7.1, 7.2, 7.3; the three-guarantee rules; 消法 art. 24): response within 2 working
// hours, repair within 5 working days of the item's arrival, free in warranty (shipping included), the remedies
// the law gives the customer to choose, a quote out of warranty, the customer's satisfaction asked at the end.
// The storefront or an agent opens a request; the customer's steps are party actions; staff steps are tasks.
import crypto from 'node:crypto';
import type { RepairRequest } from '@prisma/client';
import type { Db } from '../lib/db';
import { z } from 'zod';
import { createWarrantyRepairActivities } from '../activities/warrantyRepair';
import { badRequest, conflict, notFound, policyRefused, zodIssues } from '../lib/errors';
import { canSeeMerchantScoped } from '../lib/authz';
import { sealerFor } from '../lib/sealedFields';
import {
  MAX_WARRANTY_MONTHS,
  checkWarranty,
  countItemRepairs,
  defaultWarrantyRepairPolicy,
  externalRepairerKinds,
  type ExternalRepairRecord,
  repairProblemCategories,
  warrantyRepairActions,
  warrantyRepairTasks,
} from '../policy/warrantyRepair';
import { warrantyRepairPolicySchema } from '../policy/warrantyRepair.policySchema';
import { REPAIR_CASE_TYPE, warrantyRepair } from '../workflows/warrantyRepair';
import { amountSchema, contactSchema, customerRefId, nonBlankText, refId, toMinor } from './common';
import { currencySchema, documentRefsSchema } from '../policy/schemas';
import { paymentMethods } from '../policy/refundRoute';
import { defineProcess } from './types';
import { warrantyRepairTemplates } from './warrantyRepair.templates';

export const openRepairBody = z
  .object({
    order: z
      .object({
        orderId: refId,
        lineItemId: refId,
        productRef: z.string().regex(/^[A-Za-z0-9_.:/-]{1,80}$/, 'product reference: 1-80 letters, digits, _ . : / or -'),
        customerId: customerRefId,
        merchantId: refId,
        deliveredAt: z.iso.datetime({ offset: true }),
        /** What the customer paid for the line: a refund (消法 art. 24, three-guarantee rules art. 13) returns it. */
        amount: amountSchema,
        currency: currencySchema,
        /**
         * The order's payment, as the storefront recorded it: its reference and method, and whether its route can still
         * take a refund (暂行办法 art. 17: a refund goes back the way it was paid; otherwise the customer chooses).
         */
        payment: z.object({ ref: refId, method: z.enum(paymentMethods), originalRouteOpen: z.boolean() }).strict().optional(),
      })
      .strict(),
    /**
     * The item's identity (three-guarantee rules: repairs are recorded per item): its serial number or its IMEI.
     * Kept in PostgreSQL (repair_items); the workflow carries the item's id only.
     */
    item: z
      .union([
        z.object({ serialNumber: z.string().regex(/^[A-Za-z0-9-]{4,40}$/, 'serial number: 4-40 letters, digits or -') }).strict(),
        z.object({ imei: z.string().regex(/^\d{15}$/, 'IMEI: 15 digits') }).strict(),
      ])
      .optional(),
    /**
     * Repairs of the item by other authorised repairers, as evidence (three-guarantee rules art. 11: the records of any
     * authorised repairer count): who (a kind and the repairer's reference), the date, the numbers of the record's
     * documents (invoice, report); the agent's review names the case's attachments as evidence.
     * In warranty only. Each counts once an agent confirms it (task repair.external_record_review); no free text.
     */
    externalRepairs: z
      .array(
        z
          .object({
            repairer: z.object({ kind: z.enum(externalRepairerKinds), ref: refId }).strict(),
            repairedOn: z.iso.date(),
            evidenceIds: documentRefsSchema.min(1),
          })
          .strict(),
      )
      .max(4)
      .optional(),
    /** The manufacturer's warranty in months from delivery (0: none). */
    warrantyMonths: z.number().int().min(0).max(MAX_WARRANTY_MONTHS),
    problemCategory: z.enum(repairProblemCategories),
    /** The customer's description: stored in PostgreSQL only, never in the workflow. */
    description: nonBlankText(4000),
    customerContact: contactSchema.optional(),
  })
  .strict();

export const repairSlaReportQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional().describe('start of the range (inclusive) on the task creation time; default: 30 days before `to`'),
    to: z.iso.datetime({ offset: true }).optional().describe('end of the range (exclusive); default: now; `from` must be before `to` (400 otherwise)'),
  })
  .strict();

const instant = z.string().describe('ISO 8601 instant');
const slaFigures = z
  .object({ count: z.number().int(), met: z.number().int(), breached: z.number().int(), medianMs: z.number().nullable(), p95Ms: z.number().nullable() })
  .strict();
/** The answer of GET /v1/reports/repairs/sla. */
export const repairSlaReportSchema = z.object({ from: instant, to: instant, unit: z.literal('ms'), firstResponse: slaFigures, repair: slaFigures }).strict();

/** A repair as the case resource shows it (presentRepair, and what present adds per reader). */
export const repairSchema = z
  .object({
    orderId: z.string(),
    lineItemId: z.string(),
    productRef: z.string(),
    problemCategory: z.string(),
    description: z.string().optional().describe("The customer's words: not shown to a merchant"),
    warrantyMonths: z.number().int(),
    deliveredAt: instant,
    requestedAt: instant,
    warrantyEndsAt: instant,
    inWarranty: z.boolean(),
    quote: z.object({ amountMinor: z.number().int(), currency: z.string().nullable(), decision: z.string().nullable() }).strict().nullable(),
    handOver: z.object({ method: z.string(), carrier: z.string().nullable(), reference: z.string().nullable() }).strict().nullable(),
    itemId: z.string().nullable(),
    paid: z.object({ amountMinor: z.number().int(), currency: z.string().nullable() }).strict().nullable(),
    entitlement: z.string().nullable(),
    remedyChoice: z.string().nullable(),
    receivedAt: instant.nullable(),
    arrivalSource: z.string().nullable(),
    result: z.string().nullable(),
    faultCode: z.string().nullable(),
    damageDispute: z.string().nullable(),
    remedy: z.object({ remedy: z.string(), decision: z.string().nullable() }).strict().nullable(),
    returnShipment: z.object({ carrier: z.string().nullable(), trackingNumber: z.string() }).strict().nullable(),
    rating: z.number().int().nullable(),
    feedback: z.string().nullable(),
    disputeText: z.string().nullable().optional().describe('Staff and the storefront only'),
    item: z.object({ identifierKind: z.string(), identifier: z.string() }).strict().nullable().optional().describe('Staff and the storefront only'),
    repairCount: z
      .object({
        platform: z.number().int().describe("In-warranty repairs of the item on this platform before this request, any fault (result repaired, since the item's latest replacement)"),
        external: z.number().int().describe("Other repairers' records of the item attached by the customer (one per repairer and date)"),
        confirmedExternal: z.number().int().describe('Those an agent confirmed: only these count'),
        total: z.number().int().describe('platform + confirmedExternal: two give replacement or refund (三包 art. 11)'),
      })
      .strict()
      .nullable()
      .describe("Three-guarantee rules art. 11: the item's repairs that count towards the two; null when the case names no item"),
    externalRecords: z
      .array(
        z
          .object({
            recordId: z.string(),
            repairer: z.object({ kind: z.string(), ref: z.string() }).strict(),
            repairedOn: z.string().describe('YYYY-MM-DD'),
            evidenceIds: z.array(z.string()),
            status: z.enum(['pending', 'confirmed', 'rejected']).describe('pending: reviewed in the order attached (task repair.external_record_review)'),
            reasonCode: z.string().nullable(),
          })
          .strict(),
      )
      .describe("Other repairers' records attached to this request"),
  })
  .strict()
  .meta({ id: 'Repair' });

const asExternal = (r: { status: string; repairerKind: string; repairerRef: string; repairedOn: Date }): ExternalRepairRecord => ({
  status: r.status as ExternalRepairRecord['status'],
  repairerKind: r.repairerKind,
  repairerRef: r.repairerRef,
  repairedOn: r.repairedOn,
});

/**
 * The item's repairs that count towards art. 11 as of a request (countItemRepairs): its platform records before the
 * request, and the other repairers' records attached before it or with it (`caseId`).
 */
async function repairCountOf(db: Db, itemId: string, before: Date, caseId?: string) {
  const [platform, external] = await Promise.all([
    db.repairItemHistory.findMany({ where: { itemId }, select: { result: true, inWarranty: true, completedAt: true } }),
    db.repairExternalRecord.findMany({ where: { itemId, ...(caseId && { OR: [{ caseId }, { createdAt: { lt: before } }] }) }, orderBy: [{ createdAt: 'asc' }, { seq: 'asc' }] }),
  ]);
  return { count: countItemRepairs({ platform, external: external.map(asExternal), before }), external };
}

/** Free text beside a repair: PostgreSQL only, never in the workflow. */
export const repairTextBody = z.object({ text: nonBlankText(4000) }).strict();
const caseIdParam = /^REP-[A-Za-z0-9-]{1,80}$/;

export function presentRepair(r: RepairRequest) {
  return {
    orderId: r.orderId,
    lineItemId: r.lineItemId,
    productRef: r.productRef,
    problemCategory: r.problemCategory,
    description: r.description,
    warrantyMonths: r.warrantyMonths,
    deliveredAt: r.deliveredAt.toISOString(),
    requestedAt: r.requestedAt.toISOString(),
    warrantyEndsAt: r.warrantyEndsAt.toISOString(),
    inWarranty: r.inWarranty,
    quote: r.quoteAmountMinor === null ? null : { amountMinor: r.quoteAmountMinor, currency: r.quoteCurrency, decision: r.quoteDecision },
    handOver: r.handOverMethod === null ? null : { method: r.handOverMethod, carrier: r.handOverCarrier, reference: r.handOverReference },
    itemId: r.itemId,
    paid: r.paidAmountMinor === null ? null : { amountMinor: r.paidAmountMinor, currency: r.paidCurrency },
    entitlement: r.entitlement,
    remedyChoice: r.remedyChoice,
    receivedAt: r.receivedAt?.toISOString() ?? null,
    arrivalSource: r.arrivalSource,
    result: r.result,
    faultCode: r.faultCode,
    damageDispute: r.damageDispute,
    remedy: r.remedy === null ? null : { remedy: r.remedy, decision: r.remedyDecision },
    returnShipment: r.returnTracking === null ? null : { carrier: r.returnCarrier, trackingNumber: r.returnTracking },
    rating: r.rating,
    feedback: r.feedback,
  };
}

interface SlaRow {
  sla: string;
  count: number;
  met: number;
  breached: number;
  medianMs: number | null;
  p95Ms: number | null;
}

/**
 * SLA compliance straight from the task inbox (tasks: sla_name, created_at, completed_at, due_at, status),
 * in one aggregate query. A task is met when completed by its deadline; breached when completed, cancelled
 * or still open after it (the workflow escalates at that very instant); the rest (open in time, or cancelled
 * before the deadline) count only in `count`. Durations: completed tasks only, completed_at - created_at,
 * wall-clock milliseconds (the SLA itself is in working time).
 */
export async function repairSlaReport(db: import('../lib/db').Db, from: Date, to: Date) {
  const rows = await db.$queryRaw<SlaRow[]>`
    SELECT t.sla_name AS "sla",
      count(*)::int AS "count",
      (count(*) FILTER (WHERE t.status = 'completed' AND t.completed_at <= t.due_at))::int AS "met",
      (count(*) FILTER (WHERE COALESCE(t.completed_at, now() AT TIME ZONE 'UTC') > t.due_at))::int AS "breached",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM t.completed_at - t.created_at) * 1000)::float8)
        FILTER (WHERE t.status = 'completed') AS "medianMs",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY (extract(epoch FROM t.completed_at - t.created_at) * 1000)::float8)
        FILTER (WHERE t.status = 'completed') AS "p95Ms"
    FROM tasks t
    WHERE t.case_type = ${REPAIR_CASE_TYPE}
      AND t.sla_name IN ('firstResponse', 'repair')
      AND t.created_at >= (${from.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      AND t.created_at < (${to.toISOString()}::timestamptz AT TIME ZONE 'UTC')
    GROUP BY t.sla_name`;
  const empty = { count: 0, met: 0, breached: 0, medianMs: null, p95Ms: null };
  const bySla = new Map(rows.map(({ sla, ...r }) => [sla, { ...r, medianMs: r.medianMs === null ? null : Number(r.medianMs), p95Ms: r.p95Ms === null ? null : Number(r.p95Ms) }]));
  return { firstResponse: bySla.get('firstResponse') ?? empty, repair: bySla.get('repair') ?? empty };
}

export const warrantyRepairProcess = defineProcess({
  caseType: REPAIR_CASE_TYPE,
  idPrefix: 'REP',
  title: 'Warranty repair',
  policyRefs: '7.1, 7.2, 7.3',
  workflow: warrantyRepair,
  workflowModule: require.resolve('../workflows/warrantyRepair'),
  policy: { key: 'warrantyRepair', schema: warrantyRepairPolicySchema, defaults: defaultWarrantyRepairPolicy, version: '2026-11-28.1' },
  tasks: warrantyRepairTasks,
  actions: warrantyRepairActions,
  templates: warrantyRepairTemplates,
  describe: (caseId) => `Warranty repair ${caseId}`,

  open: {
    roles: ['storefront', 'agent'],
    summary: 'Open a warranty repair request (policy 7.1, 7.3); the description stays in PostgreSQL',
    body: openRepairBody,
    prepare: async ({ deps, caseId, principal, policy, section, requestedAt }, body: z.infer<typeof openRepairBody>) => {
      // 7.1: warranty per the manufacturer's terms; the same pure rule the workflow applies.
      const deliveredAt = new Date(body.order.deliveredAt);
      const warranty = checkWarranty({ deliveredAt, warrantyMonths: body.warrantyMonths, requestedAt, calendar: policy.calendar });
      if (!warranty.ok) throw policyRefused(warranty.reason, warranty.message);
      // The item and its record (three-guarantee rules art. 11: every in-warranty repair of the item counts, of any
      // fault, by any authorised repairer). The item is its serial number or IMEI; without one, the order line (the
      // unit sold on it): repairs asked under one identity are not counted under the other.
      const identity = body.item
        ? 'imei' in body.item
          ? { identifierKind: 'imei', identifier: body.item.imei }
          : { identifierKind: 'serial', identifier: body.item.serialNumber }
        : { identifierKind: 'order_line', identifier: `${body.order.orderId}/${body.order.lineItemId}` };
      const attached = body.externalRepairs ?? [];
      if (attached.length && !warranty.inWarranty) {
        throw policyRefused('EXTERNAL_REPAIRS_OUT_OF_WARRANTY', "Other repairers' records count towards replacement or return only for an item in warranty (three-guarantee rules art. 11)");
      }
      const localDate = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: policy.calendar.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
      const [firstDay, lastDay] = [localDate(deliveredAt), localDate(requestedAt)];
      const outside = attached.findIndex((r) => r.repairedOn < firstDay || r.repairedOn > lastDay);
      if (outside >= 0) {
        throw policyRefused('EXTERNAL_REPAIR_DATE_OUT_OF_RANGE', `A repair elsewhere counts from the delivery (${firstDay}) to the request (${lastDay})`, [{ path: `externalRepairs.${outside}.repairedOn`, message: 'outside the delivery to the request' }]);
      }
      const known = await deps.db.repairItem.findUnique({ where: { productRef_identifierKind_identifier: { productRef: body.order.productRef, ...identity } } });
      const itemId = known?.id ?? `itm_${crypto.randomUUID()}`;
      const record = known ? await repairCountOf(deps.db, known.id, requestedAt) : undefined;
      // One record per repairer and date; one already confirmed for the item counts as it is, without a second review.
      const keyOf = (r: { repairerKind: string; repairerRef: string; repairedOn: string }) => `${r.repairerKind}:${r.repairerRef}:${r.repairedOn}`;
      const confirmedKeys = new Set((record?.external ?? []).filter((r) => r.status === 'confirmed').map((r) => keyOf({ ...r, repairedOn: r.repairedOn.toISOString().slice(0, 10) })));
      const toReview = new Map<string, { id: string; seq: number; repairerKind: string; repairerRef: string; repairedOn: string; evidenceIds: string[] }>();
      for (const r of attached) {
        const row = { repairerKind: r.repairer.kind, repairerRef: r.repairer.ref, repairedOn: r.repairedOn };
        if (!confirmedKeys.has(keyOf(row)) && !toReview.has(keyOf(row))) toReview.set(keyOf(row), { id: `xrr_${crypto.randomUUID()}`, seq: toReview.size + 1, ...row, evidenceIds: r.evidenceIds });
      }
      const item = {
        itemId,
        repairCount: { platform: record?.count.platform ?? 0, confirmedExternal: record?.count.confirmedExternal ?? 0 },
        externalRecordIds: [...toReview.values()].map((r) => r.id),
      };
      const input = {
        caseId,
        policy: { version: policy.version, calendar: policy.calendar, warrantyRepair: section },
        openedBy: principal.id,
        order: {
          orderId: body.order.orderId,
          lineItemId: body.order.lineItemId,
          productRef: body.order.productRef,
          customerId: body.order.customerId,
          merchantId: body.order.merchantId,
          deliveredAt: deliveredAt.toISOString(),
          paid: { amountMinor: toMinor(body.order.amount), currency: body.order.currency },
          ...(body.order.payment && { payment: body.order.payment }),
        },
        item,
        warrantyMonths: body.warrantyMonths,
        problemCategory: body.problemCategory,
        requestedAt: requestedAt.toISOString(),
      };
      return {
        input,
        row: {
          customerId: body.order.customerId,
          merchantId: body.order.merchantId,
          summary: {
            orderId: input.order.orderId,
            problemCategory: input.problemCategory,
            inWarranty: warranty.inWarranty,
            warrantyEndsAt: warranty.warrantyEndsAt.toISOString(),
            requestedAt: input.requestedAt,
            itemId: item.itemId,
          },
        },
        contact: body.customerContact && { customerId: body.order.customerId, ...body.customerContact },
        // The description stays here, in PostgreSQL, sealed with the customer's key (policy 1.3); the workflow never sees it.
        writes: async (tx, { subjectId }) => {
          const description = await sealerFor(deps.db, deps.ports.keys).seal(subjectId, body.description, tx);
          if (!known) {
            await tx.repairItem.createMany({ data: [{ id: item.itemId, productRef: input.order.productRef, ...identity }], skipDuplicates: true });
            const stored = await tx.repairItem.findUniqueOrThrow({ where: { productRef_identifierKind_identifier: { productRef: input.order.productRef, ...identity } } });
            if (stored.id !== item.itemId) throw conflict('ITEM_REGISTERED_CONCURRENTLY', 'Another request registered this item at the same moment; send the request again');
          }
          await tx.repairRequest.create({
            data: {
              caseId,
              orderId: input.order.orderId,
              lineItemId: input.order.lineItemId,
              productRef: input.order.productRef,
              problemCategory: input.problemCategory,
              description,
              warrantyMonths: input.warrantyMonths,
              deliveredAt,
              requestedAt,
              warrantyEndsAt: warranty.warrantyEndsAt,
              inWarranty: warranty.inWarranty,
              itemId: item.itemId,
              paidAmountMinor: input.order.paid.amountMinor,
              paidCurrency: input.order.paid.currency,
            },
          });
          if (toReview.size) {
            await tx.repairExternalRecord.createMany({
              data: [...toReview.values()].map((r) => ({ ...r, itemId: item.itemId, caseId, repairedOn: new Date(`${r.repairedOn}T00:00:00Z`) })),
            });
          }
        },
      };
    },
  },

  presentSchema: z.object({ repair: repairSchema.nullable() }),
  present: async (deps, c, principal) => {
    const repair = await deps.db.repairRequest.findUnique({ where: { caseId: c.id } });
    if (!repair) return { repair: null };
    // Art. 11: the item's repairs counted as of this request, and the records attached to it with their reviews.
    const record = repair.itemId ? await repairCountOf(deps.db, repair.itemId, repair.requestedAt, c.id) : undefined;
    const shown = {
      ...presentRepair(repair),
      repairCount: record?.count ?? null,
      externalRecords: (record?.external ?? [])
        .filter((r) => r.caseId === c.id)
        .sort((a, b) => a.seq - b.seq)
        .map((r) => ({
          recordId: r.id,
          repairer: { kind: r.repairerKind, ref: r.repairerRef },
          repairedOn: r.repairedOn.toISOString().slice(0, 10),
          evidenceIds: r.evidenceIds as string[],
          status: r.status as 'pending' | 'confirmed' | 'rejected',
          reasonCode: r.reasonCode,
        })),
    };
    // The description and a dispute's text are the customer's own words: staff and the storefront read them, a
    // merchant does not. The item's serial number or IMEI likewise.
    if (principal.role === 'merchant' || !canSeeMerchantScoped(principal, c.merchantId)) return { repair: { ...shown, description: undefined } };
    // Sealed with the customer's key: opened for the readers who see them (null once the key is destroyed).
    const [description, disputeText] = await sealerFor(deps.db, deps.ports.keys).open(c.subjectId, [repair.description, repair.disputeText]);
    const item = repair.itemId ? await deps.db.repairItem.findUnique({ where: { id: repair.itemId } }) : null;
    return { repair: { ...shown, description: description ?? undefined, disputeText, item: item && { identifierKind: item.identifierKind, identifier: item.identifier } } };
  },

  routes: [
    {
      id: 'repairTechnicianNotes',
      method: 'post',
      path: '/v1/repairs/:caseId/technician-notes',
      roles: ['agent', 'supervisor'],
      summary: "The technician's notes on the latest report of a repair (free text: kept in PostgreSQL beside the item's repair record, never in the workflow)",
      body: repairTextBody,
      success: { status: 200, description: 'The notes were stored on the latest repair record', schema: z.object({ caseId: z.string(), recordId: z.string(), result: z.string() }).strict() },
      errors: [400, 404, 409],
      handler: async (deps, req, res) => {
        const body = repairTextBody.safeParse(req.body);
        if (!body.success) throw badRequest('VALIDATION_FAILED', 'The body is not valid', zodIssues(body.error));
        const caseId = String(req.params.caseId);
        if (!caseIdParam.test(caseId)) throw notFound('Repair', caseId);
        const latest = await deps.db.repairItemHistory.findFirst({ where: { caseId }, orderBy: { completedAt: 'desc' } });
        if (!latest) {
          if (!(await deps.db.repairRequest.findUnique({ where: { caseId } }))) throw notFound('Repair', caseId);
          throw conflict('NO_REPAIR_RECORD', 'The technician has not reported on this repair yet');
        }
        await deps.db.repairItemHistory.update({ where: { id: latest.id }, data: { notes: body.data.text } });
        res.json({ caseId, recordId: latest.id, result: latest.result });
      },
    },
    {
      id: 'repairDisputeText',
      method: 'post',
      path: '/v1/repairs/:caseId/dispute-text',
      roles: ['storefront'],
      summary: "The customer's own words on a disputed user-damage finding (kept in PostgreSQL for the reviewer, never in the workflow)",
      body: repairTextBody,
      success: { status: 200, description: 'The text was stored with the dispute', schema: z.object({ caseId: z.string() }).strict() },
      errors: [400, 404, 409],
      handler: async (deps, req, res) => {
        const body = repairTextBody.safeParse(req.body);
        if (!body.success) throw badRequest('VALIDATION_FAILED', 'The body is not valid', zodIssues(body.error));
        const caseId = String(req.params.caseId);
        const repair = caseIdParam.test(caseId) ? await deps.db.repairRequest.findUnique({ where: { caseId } }) : null;
        if (!repair) throw notFound('Repair', caseId);
        if (repair.result !== 'user_damage' && repair.damageDispute === null) throw conflict('NO_DAMAGE_FINDING', 'Only a user-damage finding can be disputed');
        const subjectId = (await deps.db.case.findUnique({ where: { id: caseId }, select: { subjectId: true } }))?.subjectId;
        const disputeText = subjectId ? await sealerFor(deps.db, deps.ports.keys).seal(subjectId, body.data.text) : body.data.text;
        await deps.db.repairRequest.update({ where: { caseId }, data: { disputeText } });
        res.json({ caseId });
      },
    },
    {
      id: 'repairSlaReport',
      method: 'get',
      path: '/v1/reports/repairs/sla',
      roles: ['supervisor', 'auditor', 'admin'],
      summary: 'SLA compliance of warranty repairs (first response 2 working hours, repair 5 working days): count, met, breached, median and p95 durations in ms',
      query: repairSlaReportQuery,
      success: { status: 200, description: 'Per SLA: count, met, breached, other (open in time or cancelled in time), medianMs, p95Ms', schema: repairSlaReportSchema },
      errors: [400],
      handler: async (deps, req, res) => {
        const q = repairSlaReportQuery.safeParse(req.query);
        if (!q.success) throw badRequest('VALIDATION_FAILED', 'The query is not valid', zodIssues(q.error));
        const to = q.data.to ? new Date(q.data.to) : new Date();
        const from = q.data.from ? new Date(q.data.from) : new Date(to.getTime() - 30 * 86_400_000);
        if (from.getTime() >= to.getTime()) throw badRequest('VALIDATION_FAILED', '`from` must be before `to`', [{ path: 'from', message: 'must be before to', code: 'custom' }]);
        res.json({ from: from.toISOString(), to: to.toISOString(), unit: 'ms', ...(await repairSlaReport(deps.db, from, to)) });
      },
    },
  ],

  activities: (deps) => ({ ...createWarrantyRepairActivities(deps) }),
});
