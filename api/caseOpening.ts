// Opening a case from the storefront, the same way for every process: an Idempotency-Key that never
// opens a second case, policy checks before any write, the case row and its details in one
// transaction, then the workflow start (idempotent on the case id, so a replay finishes a failed start).
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import { canonicalJson } from '../activities/audit';
import { isUniqueViolation, type Prisma } from '../lib/db';
import { CaseStatus, CaseType, MerchantId } from '../workflows/searchAttributes';
import type { ApiDeps } from './deps';
import { badRequest, conflict } from './errors';

const idempotencyKeySchema = z.string().regex(/^[\w.:-]{8,128}$/, '8-128 letters, digits, _ . : or -');

export const idempotencyKeyHeader = {
  'Idempotency-Key': { required: true, description: 'Retries with the same key and body return the original case (200); another body gives 409' },
};

/** Reads the Idempotency-Key header; 400 when it is missing or malformed. */
export function requireIdempotencyKey(req: Request): string {
  const key = idempotencyKeySchema.safeParse(req.header('idempotency-key'));
  if (!key.success) throw badRequest('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header (8-128 characters)');
  return key.data;
}

export interface PreparedCase<I> {
  input: I;
  row: { customerId: string; merchantId: string | null; policyVersion: string; summary: Record<string, unknown> };
  /** Contact data for notifications (personal data: PostgreSQL only). */
  contact?: { customerId: string; email?: string; displayName?: string; locale?: string };
  /** Process-specific rows written in the same transaction. */
  writes?: (tx: Prisma.TransactionClient) => Promise<void>;
}

export interface OpenCaseSpec<I extends { caseId: string; openedBy: string }> {
  caseType: string;
  idPrefix: string;
  key: string;
  /** The validated body; its hash tells a retry from a different request. */
  body: unknown;
  /** Policy checks (throw an ApiError to refuse: nothing is written) and the workflow input. */
  prepare: (caseId: string) => PreparedCase<I> | Promise<PreparedCase<I>>;
  start: (input: I) => Promise<void>;
  present: (caseId: string) => Promise<unknown>;
  /** Keys the stored request hash (HMAC) when the body holds secrets, e.g. a password. */
  requestHashKey?: string;
  /** Where the opened resource lives, if not under /v1/cases, and what its id is called in errors. */
  resource?: { path: (caseId: string) => string; idName: string };
  /** The error for a unique violation that is not the idempotency key (e.g. a taken username). */
  onUniqueViolation?: () => Error;
}

export async function openCaseIdempotently<I extends { caseId: string; openedBy: string }>(deps: ApiDeps, req: Request, res: Response, spec: OpenCaseSpec<I>): Promise<void> {
  const principal = req.principal!;
  const hasher = spec.requestHashKey ? crypto.createHmac('sha256', spec.requestHashKey) : crypto.createHash('sha256');
  const requestHash = hasher.update(canonicalJson(spec.body)).digest('hex');
  const location = spec.resource?.path ?? ((id: string) => `/v1/cases/${id}`);
  const idName = spec.resource?.idName ?? 'caseId';
  const where = { principalId_key: { principalId: principal.id, key: spec.key } };

  const replayed = async (rec: { requestHash: string; caseId: string }) => {
    if (rec.requestHash !== requestHash) {
      throw conflict('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body', { [idName]: rec.caseId });
    }
    const row = await deps.db.case.findUniqueOrThrow({ where: { id: rec.caseId } });
    if (row.type !== spec.caseType) throw conflict('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for another kind of case', { caseId: rec.caseId });
    // The answer comes from the read model. Only a case whose first start never went through is started
    // now; a case that started (running or long closed) is never started again.
    if (row.workflowStartedAt === null) await startOnce(row.id, (row.summary as { workflowInput: I }).workflowInput);
    res.status(200).setHeader('Idempotent-Replayed', 'true');
    res.location(location(rec.caseId)).json(await spec.present(rec.caseId));
  };

  /** Starts the case's single run and marks the case row; a run that already exists (even closed) counts as started. */
  const startOnce = async (caseId: string, input: I) => {
    try {
      await spec.start(input);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      req.log.warn({ caseId }, 'case workflow had already started; not starting it again');
    }
    await deps.db.case.updateMany({ where: { id: caseId, workflowStartedAt: null }, data: { workflowStartedAt: new Date() } });
  };

  const earlier = await deps.db.idempotencyRecord.findUnique({ where });
  if (earlier) return replayed(earlier);

  const caseId = `${spec.idPrefix}-${crypto.randomUUID()}`;
  const prepared = await spec.prepare(caseId);
  try {
    await deps.db.$transaction(async (tx) => {
      await tx.idempotencyRecord.create({ data: { principalId: principal.id, key: spec.key, requestHash, caseId } });
      await tx.case.create({
        data: {
          id: caseId,
          type: spec.caseType,
          status: 'open',
          step: 'opened',
          customerId: prepared.row.customerId,
          merchantId: prepared.row.merchantId,
          policyVersion: prepared.row.policyVersion,
          workflowId: caseId,
          openedBy: principal.id,
          summary: { ...prepared.row.summary, workflowInput: prepared.input } as unknown as Prisma.InputJsonValue,
        },
      });
      await prepared.writes?.(tx);
      const c = prepared.contact;
      if (c && (c.email || c.displayName || c.locale)) {
        await tx.party.upsert({
          where: { kind_id: { kind: 'customer', id: c.customerId } },
          create: { kind: 'customer', id: c.customerId, email: c.email, displayName: c.displayName, locale: c.locale ?? 'zh-CN' },
          update: { ...(c.email && { email: c.email }), ...(c.displayName && { displayName: c.displayName }), ...(c.locale && { locale: c.locale }) },
        });
      }
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await deps.db.idempotencyRecord.findUnique({ where });
    if (winner) return replayed(winner);
    throw spec.onUniqueViolation?.() ?? err;
  }
  await startOnce(caseId, prepared.input);
  req.log.info({ caseId, caseType: spec.caseType }, 'case opened');
  res.status(201).location(location(caseId)).json(await spec.present(caseId));
}

/**
 * Starts a case's workflow under the opening principal's identity, with its search attributes.
 * A case's workflow id runs exactly once: a second start while it runs returns the running workflow
 * (USE_EXISTING); once it has closed, a start is rejected (REJECT_DUPLICATE), so no second run can
 * ever act on a closed case.
 */
export async function startCaseWorkflow<I extends { caseId: string; openedBy: string }>(
  deps: ApiDeps,
  workflow: (input: I) => Promise<unknown>,
  input: I,
  meta: { caseType: string; merchantId?: string | null; summary: string },
): Promise<void> {
  await deps.temporal.clients.forIdentity(input.openedBy).workflow.start(workflow as (input: I) => Promise<unknown>, {
    taskQueue: deps.temporal.taskQueue,
    workflowId: input.caseId,
    args: [input] as [I],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: CaseType, value: meta.caseType },
      { key: CaseStatus, value: 'opened' },
      ...(meta.merchantId ? [{ key: MerchantId, value: meta.merchantId }] : []),
    ],
    staticSummary: meta.summary,
  });
}
