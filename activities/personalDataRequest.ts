// The personal-data request's own activities (policy 2.3-2.4; PIPL arts. 44-47, 50): the identity check's code (the
// registration's code rules and SMS caps, lib/verificationCodes.ts), processing stopped and resumed (policy 2.4.1,
// lib/processingStop.ts), and the work: the subject's export through its signed, expiring link (lib/subjectExport.ts),
// a correction field by field (the old value kept only as a keyed fingerprint), and the erasure from the inventory
// (lib/subjectErasure.ts). Every activity reads the request's subject from its row: the workflow carries ids only.
import path from 'node:path';
import { correctableColumns } from '../lib/personalData';
import { eraseSubjectData, eraseSubjectRecord, type SubjectErasure } from '../lib/subjectErasure';
import { dataExportLinkSecret, dataExportPath, dataExportToken, exportSubjectData } from '../lib/subjectExport';
import { sealerFor } from '../lib/sealedFields';
import { blindIndexerFor } from '../lib/blindIndex';
import { hashMobileCode, hmac, localDate, macMatches, newOneTimeCode, takeSmsQuota } from '../lib/verificationCodes';
import { requestChallengeId, type CorrectableField } from '../policy/personalDataRequest';
import { appendAuditEvent } from './audit';
import { createActivities, type ActivityDeps } from './index';
import { registrationLinkBase, registrationSecret } from './registration';

export interface SendRequestCodeInput {
  caseId: string;
  seq: number;
  ttlMs: number;
  maxAttempts: number;
  smsDailyCapPerMobile: number;
  timeZone: string;
  at: string;
}
export interface SendRequestCodeResult {
  /** Where the code went: the registered mobile, else the contact e-mail; none: the subject has neither. */
  channel: 'sms' | 'email' | 'none';
  expiresAt: string;
}
export interface CheckRequestCodeInput {
  caseId: string;
  codeMac: string;
  at: string;
}
export type RequestCodeCheck = { result: 'verified' } | { result: 'invalid'; attemptsLeft: number } | { result: 'exhausted' } | { result: 'expired' } | { result: 'no_code' };
export interface RequestStepInput {
  caseId: string;
  at: string;
}
export interface DeliverExportInput extends RequestStepInput {
  linkDays: number;
  /** The notice's outbox key and event key (the link is signed here, so it never enters the history). */
  noticeKey: string;
  eventKey: string;
  customerId: string;
}
export interface ErasureSummary {
  erased: { table: string; rows: number }[];
  stripped: { table: string; rows: number }[];
  retained: { table: string; rows: number; retention: string; until: string | null }[];
  blobsRemoved: number;
  mailFilesRemoved: number;
  /** The retained records, as the answer's notice lists them: table:rule:until. */
  retainedList: string;
}

/** A keyed fingerprint of a corrected value: the change can be shown, the value cannot be read back (PIPL art. 46). */
export const correctionFingerprint = (secret: string, caseId: string, field: string, value: string | null): string =>
  hmac(secret, 'pdr-correction', `${caseId}|${field}|${value ?? ''}`).toString('hex').slice(0, 32);

export function createPersonalDataRequestActivities(deps: ActivityDeps) {
  const { db } = deps;
  const secret = () => registrationSecret(deps.secrets);
  const log = (caseId: string) => deps.logger.child({ caseId });
  let outboxNotify: ReturnType<typeof createActivities>['notify'] | undefined;
  const notify = (...a: Parameters<ReturnType<typeof createActivities>['notify']>) => (outboxNotify ??= createActivities(deps).notify)(...a);
  // The development mail catcher's folder (scripts/system.ts: DATA_DIR/mail): its copies of the subject's mails are
  // erased too. Never in production, where no catcher runs.
  const mailCatcherDir = () => (process.env.NODE_ENV === 'production' ? undefined : (process.env.MAIL_CATCHER_DIR ?? path.resolve(process.env.DATA_DIR ?? '.data', 'mail')));
  const subjectOfRequest = async (caseId: string) => (await db.personalDataRequest.findUniqueOrThrow({ where: { caseId }, select: { subjectId: true } })).subjectId;

  /** PIPL art. 50: a code to the subject's registered mobile (SMS caps as the registration's), else its contact e-mail. */
  async function sendRequestCode(i: SendRequestCodeInput): Promise<SendRequestCodeResult> {
    const subjectId = await subjectOfRequest(i.caseId);
    const challengeId = requestChallengeId(i.caseId, i.seq);
    const code = newOneTimeCode();
    const expiresAt = new Date(Date.now() + i.ttlMs);
    const registered = await db.registration.findFirst({ where: { subjectId, OR: [{ mobileSealed: { not: null } }, { mobileClear: { not: null } }] }, orderBy: [{ status: 'asc' }, { createdAt: 'desc' }], select: { mobileSealed: true, mobileClear: true, locale: true } });
    // Sealed with the subject's key (a row written before sealing in clear until the backfill reaches it).
    const account = registered && { locale: registered.locale, mobile: (await sealerFor(db, deps.ports.keys).open(subjectId, [registered.mobileSealed ?? registered.mobileClear]))[0] };
    const party = await db.party.findFirst({ where: { subjectId, kind: 'customer', email: { not: null } }, select: { id: true } });
    const minutes = Math.round(i.ttlMs / 60_000);
    let channel: SendRequestCodeResult['channel'] = 'none';
    if (account?.mobile) {
      const quota = await takeSmsQuota(db, secret(), localDate(new Date(i.at), i.timeZone), [{ kind: 'mobile', value: account.mobile, cap: i.smsDailyCapPerMobile }]);
      if (quota.ok) channel = 'sms';
    }
    if (channel === 'none' && party) channel = 'email';
    if (channel === 'none') return { channel, expiresAt: i.at };
    await db.personalDataRequest.update({
      where: { caseId: i.caseId },
      data: { channel, codeHash: hashMobileCode(secret(), challengeId, code), codeSeq: i.seq, codeExpiresAt: expiresAt, codeAttempts: 0, codeMaxAttempts: i.maxAttempts },
    });
    if (channel === 'sms') {
      await deps.ports.sms.send({
        idempotencyKey: `${challengeId}#${Date.now()}`,
        to: account!.mobile!,
        body: account!.locale === 'en'
          ? `Your code for personal-data request ${i.caseId} is ${code} (valid ${minutes} minutes). Never share it with anyone.`
          : `您的个人信息请求 ${i.caseId} 验证码为 ${code},${minutes} 分钟内有效。请勿告诉他人。`,
        purpose: 'request_verification',
        subjectId,
        caseId: i.caseId,
      });
    } else {
      await notify({
        key: `${i.caseId}:pdr.verification_code:customer:${party!.id}:${i.seq}`,
        caseId: i.caseId,
        template: 'pdr.verification_code',
        recipient: { kind: 'customer', id: party!.id },
        params: { caseId: i.caseId, code, minutes },
        at: i.at,
        eventKey: `${challengeId}:notice`,
      });
    }
    log(i.caseId).info({ channel, seq: i.seq }, 'request code sent');
    return { channel, expiresAt: expiresAt.toISOString() };
  }

  /** Checks a code's HMAC in one transaction: every attempt counts; the last wrong one exhausts the request. */
  async function checkRequestCode(i: CheckRequestCodeInput): Promise<RequestCodeCheck> {
    return db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT case_id FROM personal_data_requests WHERE case_id = ${i.caseId} FOR UPDATE`;
      const r = await tx.personalDataRequest.findUniqueOrThrow({ where: { caseId: i.caseId } });
      if (r.verifiedAt) return { result: 'verified' } as const;
      if (!r.codeHash) return { result: 'no_code' } as const;
      if (r.codeAttempts >= r.codeMaxAttempts) return { result: 'exhausted' } as const;
      const attempts = r.codeAttempts + 1;
      const now = new Date(i.at);
      if (r.codeExpiresAt && r.codeExpiresAt.getTime() <= Date.now()) {
        await tx.personalDataRequest.update({ where: { caseId: i.caseId }, data: { codeAttempts: attempts } });
        return attempts >= r.codeMaxAttempts ? ({ result: 'exhausted' } as const) : ({ result: 'expired' } as const);
      }
      // A decided check: the e-mailed code leaves the outbox row's parameters (they keep ids and enums only).
      const scrub = () => tx.$executeRaw`UPDATE notifications SET params = params - 'code' WHERE case_id = ${i.caseId} AND template = 'pdr.verification_code' AND status NOT IN ('pending', 'sending', 'failed')`;
      if (macMatches(i.codeMac, r.codeHash)) {
        await tx.personalDataRequest.update({ where: { caseId: i.caseId }, data: { codeAttempts: attempts, verifiedAt: now, codeHash: null } });
        await scrub();
        return { result: 'verified' } as const;
      }
      await tx.personalDataRequest.update({ where: { caseId: i.caseId }, data: { codeAttempts: attempts, ...(attempts >= r.codeMaxAttempts && { codeHash: null }) } });
      if (attempts >= r.codeMaxAttempts) await scrub();
      return attempts >= r.codeMaxAttempts ? ({ result: 'exhausted' } as const) : ({ result: 'invalid', attemptsLeft: r.codeMaxAttempts - attempts } as const);
    });
  }

  /**
   * Policy 2.4.1: processing stops at once. The subject is flagged (the outbox and the SMS port refuse it except this
   * request's messages); the answer lists the subject's cases still open, which must finish (an open refund, say).
   */
  async function stopProcessing(i: RequestStepInput): Promise<{ openCases: { caseId: string; type: string; step: string }[] }> {
    const subjectId = await subjectOfRequest(i.caseId);
    await db.subject.updateMany({ where: { id: subjectId, status: 'active' }, data: { status: 'erasure_requested', processingStoppedBy: i.caseId } });
    const open = await db.case.findMany({ where: { subjectId, status: { not: 'closed' }, id: { not: i.caseId } }, select: { id: true, type: true, step: true }, orderBy: { createdAt: 'asc' } });
    return { openCases: open.map((c) => ({ caseId: c.id, type: c.type, step: c.step })) };
  }

  /** A refused or withdrawn deletion: processing goes on (only the stop this request made is lifted). */
  async function resumeProcessing(i: RequestStepInput): Promise<{ resumed: boolean }> {
    const subjectId = await subjectOfRequest(i.caseId);
    const r = await db.subject.updateMany({ where: { id: subjectId, status: 'erasure_requested', processingStoppedBy: i.caseId }, data: { status: 'active', processingStoppedBy: null } });
    return { resumed: r.count > 0 };
  }

  /** PIPL art. 45: the subject's export, delivered by its signed, expiring link in a notice (never as an attachment). */
  async function deliverExport(i: DeliverExportInput): Promise<{ exportId: string; expiresAt: string }> {
    const subjectId = await subjectOfRequest(i.caseId);
    const linkSecret = dataExportLinkSecret(deps.secrets);
    // A retry after the export was made: the same export, its link signed again, the notice queued once (its key).
    const done = await db.personalDataRequest.findUniqueOrThrow({ where: { caseId: i.caseId } });
    const made = done.answer as { exportId?: string; expiresAt?: string } | null;
    let ex: { exportId: string; expiresAt: Date; path: string };
    if (made?.exportId && made.expiresAt) {
      const expiresAt = new Date(made.expiresAt);
      ex = { exportId: made.exportId, expiresAt, path: dataExportPath(dataExportToken(linkSecret, made.exportId, expiresAt)) };
    } else {
      ex = await exportSubjectData({ db, blobs: deps.ports.blobs, keys: deps.ports.keys, linkSecret }, subjectId, { linkValidForMs: i.linkDays * 86_400_000 });
      await db.personalDataRequest.update({ where: { caseId: i.caseId }, data: { answer: { exportId: ex.exportId, expiresAt: ex.expiresAt.toISOString() } } });
    }
    const link = `${new URL(registrationLinkBase(deps.registrationLinkBase)).origin}${ex.path}`;
    await notify({ key: i.noticeKey, caseId: i.caseId, template: 'pdr.export_ready', recipient: { kind: 'customer', id: i.customerId }, params: { caseId: i.caseId, link, expiresAt: ex.expiresAt.toISOString() }, at: i.at, eventKey: i.eventKey });
    log(i.caseId).info({ exportId: ex.exportId }, 'export delivered by link');
    return { exportId: ex.exportId, expiresAt: ex.expiresAt.toISOString() };
  }

  /**
   * PIPL art. 46: each field written where the inventory says (correctableColumns), the new value then removed from the
   * request's row, the old one kept only as a keyed fingerprint, on the case's audit trail. A refused field's value goes too.
   */
  async function applyCorrections(i: RequestStepInput & { refused: string[] }): Promise<{ fields: { field: string; rows: number }[] }> {
    const subjectId = await subjectOfRequest(i.caseId);
    const rows = await db.personalDataCorrection.findMany({ where: { caseId: i.caseId }, orderBy: { field: 'asc' } });
    const fields: { field: string; rows: number }[] = [];
    for (const c of rows) {
      if (c.appliedAt) {
        if (c.oldFingerprint) fields.push({ field: c.field, rows: 1 });
        continue;
      }
      const target = correctableColumns[c.field as CorrectableField];
      if (!target || i.refused.includes(c.field) || c.newValue === null) {
        await db.personalDataCorrection.update({ where: { caseId_field: { caseId: i.caseId, field: c.field } }, data: { newValue: null, appliedAt: new Date(i.at) } });
        continue;
      }
      const n = await db.$transaction(async (tx) => {
        // Every correctable column is sealed with the subject's key (lib/sealedFields.ts): the old value opened for its
        // fingerprint, the new one sealed (and its blind index written where the column has one).
        const sealer = sealerFor(db, deps.ports.keys);
        const old = await tx.$queryRawUnsafe<{ v: string | null }[]>(`SELECT ${target.column} AS v FROM ${target.table} t WHERE ${target.rows} ORDER BY 1 LIMIT 1`, subjectId);
        const [oldClear] = await sealer.open(subjectId, [old[0]?.v ?? null]);
        const fingerprint = correctionFingerprint(secret(), i.caseId, c.field, oldClear ?? null);
        const index = 'index' in target ? target.index : undefined;
        const sealed = await sealer.seal(subjectId, c.newValue!, tx);
        const changed = index
          ? await tx.$executeRawUnsafe(`UPDATE ${target.table} t SET ${target.column} = $2, ${index.column} = $3 WHERE ${target.rows}`, subjectId, sealed, await blindIndexerFor(deps.ports.keys)(index.purpose, c.newValue!))
          : await tx.$executeRawUnsafe(`UPDATE ${target.table} t SET ${target.column} = $2 WHERE ${target.rows}`, subjectId, sealed);
        await tx.personalDataCorrection.update({ where: { caseId_field: { caseId: i.caseId, field: c.field } }, data: { newValue: null, oldFingerprint: fingerprint, appliedAt: new Date(i.at) } });
        await appendAuditEvent(tx, { caseId: i.caseId, eventKey: `${i.caseId}:correct:${c.field}`, type: 'pdr.field_corrected', actor: 'system', at: new Date(i.at), payload: { field: c.field, table: target.table, column: target.column, rows: changed, oldFingerprint: fingerprint } });
        return changed;
      });
      fields.push({ field: c.field, rows: n });
    }
    return { fields };
  }

  /** Policy 2.4.1, PIPL art. 47: erased from every store the inventory names; what the law keeps, stripped and listed. */
  async function eraseRequestSubject(i: RequestStepInput): Promise<ErasureSummary> {
    const subjectId = await subjectOfRequest(i.caseId);
    // A retry after the erasure committed: what it answered then (a second pass would find nothing left).
    const row = await db.personalDataRequest.findUniqueOrThrow({ where: { caseId: i.caseId } });
    const before = row.answer as (Omit<SubjectErasure, 'retained'> & { retained: SubjectErasure['retained'] }) | null;
    const e: SubjectErasure = before?.erased ? before : await eraseSubjectData(db, deps.ports.blobs, subjectId, { now: new Date(i.at), mailCatcherDir: mailCatcherDir(), sealer: sealerFor(db, deps.ports.keys) });
    const summary: ErasureSummary = {
      erased: e.erased,
      stripped: e.stripped.map((s) => ({ table: s.table, rows: s.rows })),
      retained: e.retained.map((r) => ({ table: r.table, rows: r.rows, retention: r.retention, until: r.until })),
      blobsRemoved: e.blobsRemoved,
      mailFilesRemoved: e.mailFilesRemoved,
      retainedList: e.retained.map((r) => `${r.table}:${r.retention}:${r.until ?? 'case_open'}`).join(','),
    };
    if (!before?.erased) await db.personalDataRequest.update({ where: { caseId: i.caseId }, data: { answer: { erased: e.erased, stripped: e.stripped, retained: e.retained, blobsRemoved: e.blobsRemoved, mailFilesRemoved: e.mailFilesRemoved } as object } });
    log(i.caseId).info({ erased: e.erased.length, stripped: e.stripped.length, retained: e.retained.length }, 'subject erased');
    return summary;
  }

  /**
   * The erasure's last step, once the answer went out: the contact and references go, the subject is `erased`, and the
   * hook that destroys the subject's data key runs (destroySubjectKey: crypto-shredding, lib/sealedFields.ts).
   */
  async function finishErasure(i: RequestStepInput): Promise<{ parties: number; refs: number; mailFilesRemoved: number; keyDestroyed: boolean }> {
    const subjectId = await subjectOfRequest(i.caseId);
    const r = await eraseSubjectRecord(db, subjectId, new Date(i.at), { mailCatcherDir: mailCatcherDir(), sealer: sealerFor(db, deps.ports.keys) });
    const keyDestroyed = await destroySubjectKey(subjectId);
    return { ...r, keyDestroyed };
  }

  /** HOOK (encryption at rest): destroys the subject's data key, so every sealed copy anywhere becomes unreadable. */
  async function destroySubjectKey(subjectId: string): Promise<boolean> {
    await sealerFor(db, deps.ports.keys).shred(subjectId);
    return true;
  }

  /** The answer as recorded on the request's row: outcome and reasons (codes), beside what the work wrote. */
  async function recordRequestAnswer(i: RequestStepInput & { outcome: string; reasons: string[] }): Promise<void> {
    const row = await db.personalDataRequest.findUniqueOrThrow({ where: { caseId: i.caseId } });
    await db.personalDataRequest.update({ where: { caseId: i.caseId }, data: { answer: { ...((row.answer as object | null) ?? {}), outcome: i.outcome, reasons: i.reasons }, answeredAt: new Date(i.at) } });
  }

  return { sendRequestCode, checkRequestCode, stopProcessing, resumeProcessing, deliverExport, applyCorrections, eraseRequestSubject, finishErasure, recordRequestAnswer };
}

export type PersonalDataRequestActivities = ReturnType<typeof createPersonalDataRequestActivities>;
