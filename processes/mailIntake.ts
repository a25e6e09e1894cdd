// E-mail intake (policy 8.1: complaints by e-mail), confirmed by the sender before a case opens. A process declares its
// intake in its module (ProcessModule.mailIntake: a local part at INBOUND_MAIL_DOMAIN, a confirmation template, and
// how a confirmed intake becomes its opening body); the inbound listener (lib/inboundMail.ts) hands a mail to such an
// address here instead of to the reply handling (processes/inboundMail.ts).
// - Received: the mail is kept as a pending intake (mail_intakes: the From address, the subject and text as the
//   description, the attachments as blobs after the uploads' checks; PostgreSQL only, never in a workflow), filed
//   under the sender's subject (the customer whose contact the address is, else the sender's own: lib/subjects.ts
//   mailSenderRef) and sealed with its key (policy 1.3, 6.3.1: the address, subject line, words, file names and the
//   files' bytes, later the opening body; a mail received again is found by the address's blind index), and a
//   confirmation e-mail goes back to the From address through the outbox (at least once, its Message-ID from the row),
//   with a signed link (lib/mailIntakeTokens.ts) valid MAIL_INTAKE_CONFIRM_HOURS. A forged From opens nothing: the link
//   reaches the real owner of the address, who ignores it.
// - Confirmed (POST on the link, api/routes/mailIntake.ts; a GET only shows the page, so a mail client prefetching the
//   link opens nothing): the case opens through the case-opening service, key the intake id (a second confirmation
//   answers the same case), opened by MAIL_INTAKE_OPENER; the kept files become the case's attachments (role email).
//   The sender is the customer whose stored contact (parties.email) is that address, or else a complainant of an id
//   derived from the address (`mail-<hash>`, keyed) with the address stored as its contact, so the case's notices reach it.
// - Purged: every intake past its expiry, confirmed or not, with its confirmation e-mail's rows (the case reconciler's pass).
import { blindIndexerFor } from '../lib/blindIndex';
import { mailSenderRef, resolveSubject, writeUnderSubject } from '../lib/subjects';
import type { KeyManagement } from '../lib/keys';
import crypto from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import type { Principal } from '../lib/authz';
import type { BlobStore } from '../lib/blobs';
import { removeBlobsNoRowNeeds } from '../lib/keptRecords';
import type { AppConfig } from '../lib/config';
import { isUniqueViolation, poolOf, type Db } from '../lib/db';
import type { InboundEnvelope } from '../lib/inboundMail';
import type { Logger } from '../lib/logger';
import { mailIntakeToken, verifyMailIntakeToken } from '../lib/mailIntakeTokens';
import { emailSchema } from '../policy/schemas';
import { openCase, type CaseOpeningDeps } from './caseOpening';
import { catalogueProcesses } from './index';
import { sealerFor, isSealed } from '../lib/sealedFields';
import { HELD_FILE_BLOBS } from '../lib/personalData';
import { attachToCase, HTML_TYPE, keepMailFiles, mailFilesOf, openedMailFiles, sha256Of, type CheckedFile, type InboundAttachmentLimits, type InboundFile } from './inboundMail';
import type { AnyProcess } from './types';

/** Who opens a case from a confirmed intake (cases.opened_by `mail-intake`; role agent, as the case links' opener). */
export const MAIL_INTAKE_OPENER: Principal = { id: 'mail-intake', name: 'e-mail intake', role: 'agent', merchantId: null, scopes: [] };
/** The description: the subject and the text, cut at this many characters (the opening bodies' limit). */
export const MAIL_INTAKE_MAX_DESCRIPTION = 4000;
/** The recipient of a confirmation e-mail (notifications.recipient_kind, parties.kind): the intake, by its id. */
export const MAIL_INTAKE_RECIPIENT = 'mail_intake';

export interface MailIntakeSettings {
  /** REPLY_TOKEN_SECRET: signs the links, and keys the complainant ids derived from addresses. */
  secret: string;
  /** INBOUND_MAIL_DOMAIN. */
  domain: string;
  /** MAIL_INTAKE_LINK_BASE: the API's public origin. */
  linkBase: string;
  /** MAIL_INTAKE_CONFIRM_HOURS. */
  confirmHours: number;
  /** MAIL_INTAKE_LOCAL_PARTS: case type → local part, over the processes' own. */
  localParts: Record<string, string>;
}

export const settingsOf = (cfg: Pick<AppConfig, 'REPLY_TOKEN_SECRET' | 'INBOUND_MAIL_DOMAIN' | 'MAIL_INTAKE_LINK_BASE' | 'MAIL_INTAKE_CONFIRM_HOURS' | 'MAIL_INTAKE_LOCAL_PARTS' | 'API_HOST' | 'API_PORT'>): MailIntakeSettings => ({
  secret: cfg.REPLY_TOKEN_SECRET,
  domain: cfg.INBOUND_MAIL_DOMAIN,
  linkBase: cfg.MAIL_INTAKE_LINK_BASE ?? `http://${cfg.API_HOST}:${cfg.API_PORT}`,
  confirmHours: cfg.MAIL_INTAKE_CONFIRM_HOURS,
  localParts: cfg.MAIL_INTAKE_LOCAL_PARTS,
});

/** The processes of the live catalogue that take e-mail. */
export const intakeProcesses = (): AnyProcess[] => catalogueProcesses().filter((p) => p.mailIntake);

/** A process's intake address. */
export const intakeAddress = (s: Pick<MailIntakeSettings, 'domain' | 'localParts'>, p: AnyProcess): string => `${(s.localParts[p.caseType] ?? p.mailIntake!.localPart).toLowerCase()}@${s.domain.toLowerCase()}`;

/** The path of a process's confirmation page (api/routes/mailIntake.ts mounts it for every intake process). */
export const intakePath = (caseType: string, token: string): string => `/mail-intake/${encodeURIComponent(caseType)}/${token}`;

/** The complainant id of an address no customer has: derived from it with a keyed hash (an address is personal data). */
export const complainantIdOf = (secret: string, address: string): string => mailSenderRef(secret, address).value;

export interface MailIntakeDeps {
  db: Db;
  blobs: BlobStore;
  logger: Logger;
  limits: InboundAttachmentLimits;
  settings: MailIntakeSettings;
  /** The worker task queue whose outbox sends the confirmation (notifications.queue). */
  taskQueue: string;
  /** The key-management port: a customer's address is found by its blind index (lib/blindIndex.ts). */
  keys: KeyManagement;
}

/**
 * The customer whose stored contact is this address (the latest): by the address's blind index, or in clear on a row
 * written before sealing that the backfill has not reached.
 */
async function customerByAddress(db: Db, keys: KeyManagement, address: string) {
  const emailIndex = await blindIndexerFor(keys)('email', address);
  return db.party.findFirst({ where: { kind: 'customer', OR: [{ emailIndex }, { emailIndex: null, email: { equals: address, mode: 'insensitive' } }] }, orderBy: { updatedAt: 'desc' } });
}

export type IntakeOutcome = { intakeId: string } | { dropped: 'no_sender' | 'auto_submitted' | 'own_domain' };

/** The files an intake keeps: the uploads' checks, then the case's limits (a fresh case: its file count and bytes). */
function withinCaseLimits(files: CheckedFile[], limits: InboundAttachmentLimits): CheckedFile[] {
  let count = 0;
  let bytes = 0;
  return files.map((f) => {
    if (!f.sha256 || f.refused) return f;
    if (count + 1 > limits.maxCaseFiles || bytes + f.sizeBytes > limits.maxCaseBytes) return { sizeBytes: f.sizeBytes, contentType: f.contentType, filename: f.filename, refused: 'beyond the case limits' };
    count++;
    bytes += f.sizeBytes;
    return f;
  });
}

function descriptionOf(parsed: ParsedMail): string {
  const text = [parsed.subject?.trim(), parsed.text?.trim()].filter((x): x is string => !!x).join('\n\n');
  return text.slice(0, MAIL_INTAKE_MAX_DESCRIPTION).trim() || '(an e-mail without text)';
}

/**
 * The listener's handler for intake addresses: null when no recipient is one (the reply handling takes the mail),
 * else what became of it. Idempotent on the sender and Message-ID: a mail received again (the sending server retried)
 * is the same intake and the same confirmation e-mail.
 */
export function createMailIntakeHandler(deps: MailIntakeDeps) {
  const log = deps.logger.child({ component: 'mail-intake' });
  return async function handle(mail: { envelope: InboundEnvelope; parsed: ParsedMail; raw: Buffer }): Promise<IntakeOutcome | null> {
    const rcpt = mail.envelope.rcptTo.map((a) => a.toLowerCase());
    const process = intakeProcesses().find((p) => rcpt.includes(intakeAddress(deps.settings, p)));
    if (!process) return null;
    const decl = process.mailIntake!;
    const from = mail.parsed.from?.value[0]?.address?.trim().toLowerCase() ?? '';
    if (!emailSchema.safeParse(from).success) {
      log.warn({ caseType: process.caseType }, 'intake mail without a usable From address: nobody to confirm it, dropped');
      return { dropped: 'no_sender' };
    }
    // RFC 3834: no confirmation to an automatic message (an out-of-office, a bounce), nor to our own domain (a loop).
    const auto = String(mail.parsed.headers.get('auto-submitted') ?? 'no').toLowerCase();
    if (auto !== 'no') {
      log.info({ caseType: process.caseType, autoSubmitted: auto }, 'automatic intake mail dropped');
      return { dropped: 'auto_submitted' };
    }
    if (from.endsWith(`@${deps.settings.domain.toLowerCase()}`)) return { dropped: 'own_domain' };

    // The HTML part is never rendered: a file of the case (message.html), as a reply's (processes/inboundMail.ts).
    const html = typeof mail.parsed.html === 'string' && mail.parsed.html.length > 0 ? Buffer.from(mail.parsed.html, 'utf8') : null;
    const found = await mailFilesOf(deps, mail.parsed);
    if (html) found.push({ sha256: sha256Of(html), bytes: html, sizeBytes: html.length, contentType: HTML_TYPE, filename: 'message.html' });
    const messageId = mail.parsed.messageId?.slice(0, 998) ?? null;
    const fromIndex = await blindIndexerFor(deps.keys)('email', from);
    // The sender's subject: the customer whose contact the address is, else the sender's own.
    const customer = await customerByAddress(deps.db, deps.keys, from);
    const subjectId = customer?.subjectId ?? (await resolveSubject(deps.db, mailSenderRef(deps.settings.secret, from)));
    const sealer = sealerFor(deps.db, deps.keys);
    const files = await keepMailFiles(deps, subjectId, withinCaseLimits(found, deps.limits));
    const [fromAddress, subject, description] = await sealer.sealAll(subjectId, [from, mail.parsed.subject?.slice(0, 998) ?? null, descriptionOf(mail.parsed)]);
    const now = new Date();
    let row;
    try {
      // Under the subject's lock: a sender's subject retired meanwhile takes nothing more (the sender's server retries).
      row = await writeUnderSubject(deps.db, subjectId, (tx) => tx.mailIntake.create({
        data: {
          id: `mi_${crypto.randomUUID().replace(/-/g, '')}`,
          caseType: process.caseType,
          fromAddress: fromAddress!,
          fromIndex,
          subjectId,
          messageId,
          subject,
          description: description!,
          attachments: files as object[],
          createdAt: now,
          expiresAt: new Date(now.getTime() + deps.settings.confirmHours * 3_600_000),
        },
      }));
    } catch (err) {
      if (!isUniqueViolation(err) || !messageId) {
        await removeBlobsNoRowNeeds(deps.db, deps.blobs, files.flatMap((f) => (f.blobKey ? [f.blobKey] : [])));
        throw err;
      }
      row = await deps.db.mailIntake.findUniqueOrThrow({ where: { caseType_fromIndex_messageId: { caseType: process.caseType, fromIndex, messageId } } });
      // Received again: this copy's sealed files are not kept (the first copy's are).
      await removeBlobsNoRowNeeds(deps.db, deps.blobs, files.flatMap((f) => (f.blobKey ? [f.blobKey] : [])));
    }
    if (row.status !== 'pending') return { intakeId: row.id };

    // The confirmation's recipient: the intake, its address the From, sealed with the subject's key (and the locale of
    // a customer who has it); filed under the subject, its erasure finds it (lib/personalData.ts).
    await deps.db.party.upsert({ where: { kind_id: { kind: MAIL_INTAKE_RECIPIENT, id: row.id } }, create: { kind: MAIL_INTAKE_RECIPIENT, id: row.id, email: await sealer.seal(subjectId, from), emailIndex: fromIndex, locale: customer?.locale ?? 'zh-CN', subjectId }, update: {} });
    const kept = (row.attachments as unknown as InboundFile[]).filter((f) => f.sha256 && !f.refused && f.contentType !== HTML_TYPE).length;
    const refused = (row.attachments as unknown as InboundFile[]).filter((f) => f.refused).length;
    const params = { link: `${deps.settings.linkBase.replace(/\/$/, '')}${intakePath(process.caseType, mailIntakeToken(deps.settings.secret, process.caseType, row.id))}`, expiresAt: row.expiresAt.toISOString(), files: kept, refused };
    // The outbox row of no case (case_id: the intake): sent at least once, Message-ID from its key; no audit trail yet.
    await poolOf(deps.db).query(
      `INSERT INTO notifications (id, case_id, template, recipient_kind, recipient_id, status, params, queue)
       VALUES ($1, $2, $3, $4, $2, 'pending', $5::jsonb, $6) ON CONFLICT (id) DO NOTHING`,
      [`${row.id}:confirm`, row.id, decl.template, MAIL_INTAKE_RECIPIENT, JSON.stringify(params), deps.taskQueue],
    );
    log.info({ intakeId: row.id, caseType: process.caseType, files: kept, refused }, 'intake mail kept; confirmation e-mail queued');
    return { intakeId: row.id };
  };
}

export class MailIntakeError extends Error {
  constructor(
    readonly kind: 'not_found' | 'expired',
    message: string,
  ) {
    super(message);
  }
}

export interface MailIntakeView {
  intakeId: string;
  caseType: string;
  status: 'pending' | 'confirmed';
  caseId: string | null;
  expiresAt: string;
  /** Files attached at confirmation, and files refused at intake. */
  files: number;
  refused: number;
}

async function intakeOf(db: Db, s: MailIntakeSettings, p: AnyProcess, token: string) {
  const id = verifyMailIntakeToken(s.secret, p.caseType, token);
  const row = id ? await db.mailIntake.findUnique({ where: { id } }) : null;
  if (!row || row.caseType !== p.caseType) throw new MailIntakeError('not_found', 'No such confirmation link: it may have been mistyped, or purged after its expiry');
  if (row.status === 'pending' && row.expiresAt.getTime() <= Date.now()) throw new MailIntakeError('expired', 'This confirmation link has expired: send the e-mail again');
  return row;
}

const viewOf = (row: Awaited<ReturnType<typeof intakeOf>>): MailIntakeView => {
  const files = row.attachments as unknown as InboundFile[];
  return {
    intakeId: row.id,
    caseType: row.caseType,
    status: row.status as MailIntakeView['status'],
    caseId: row.caseId,
    expiresAt: row.expiresAt.toISOString(),
    files: files.filter((f) => f.sha256 && !f.refused && f.contentType !== HTML_TYPE).length,
    refused: files.filter((f) => f.refused).length,
  };
};

/** What the link's page shows (no personal data: the intake's state, its case once opened). */
export async function viewMailIntake(db: Db, s: MailIntakeSettings, p: AnyProcess, token: string): Promise<MailIntakeView> {
  return viewOf(await intakeOf(db, s, p, token));
}

/**
 * Confirms an intake: opens its case (once; key the intake id), attaches its files, marks it confirmed. A second
 * confirmation answers the same case (`opened: false`). Throws MailIntakeError (unknown link, expired), or the opening's ApiError.
 */
export async function confirmMailIntake(deps: CaseOpeningDeps & { blobs: BlobStore; limits: InboundAttachmentLimits; settings: MailIntakeSettings }, p: AnyProcess, token: string, log?: Logger): Promise<MailIntakeView & { opened: boolean }> {
  let row = await intakeOf(deps.db, deps.settings, p, token);
  if (row.status === 'confirmed' && row.caseId) return { ...viewOf(row), opened: false };
  const sealer = sealerFor(deps.db, deps.ports.keys);
  if (row.openingBody === null) {
    // The complainant, fixed with the body at the first confirmation: a repeated one opens with the same body.
    const [address, description] = (await sealer.open(row.subjectId, [row.fromAddress, row.description])) as [string | null, string | null];
    if (address === null || description === null) throw new MailIntakeError('not_found', 'This e-mail was erased at its sender’s request');
    const customer = await customerByAddress(deps.db, deps.ports.keys, address);
    const body = p.mailIntake!.open({ intakeId: row.id, customerId: customer?.id ?? complainantIdOf(deps.settings.secret, address), newCustomer: !customer, email: address, description });
    // Sealed with the sender's key like the words it holds (a JSON string of the sealed body).
    const stored = row.subjectId ? await sealer.seal(row.subjectId, JSON.stringify(body)) : body;
    await poolOf(deps.db).query(`UPDATE mail_intakes SET opening_body = $2::jsonb WHERE id = $1 AND opening_body IS NULL`, [row.id, JSON.stringify(stored)]);
    row = await deps.db.mailIntake.findUniqueOrThrow({ where: { id: row.id } });
  }
  const body = isSealed(row.openingBody) ? (await sealer.open(row.subjectId, [row.openingBody]))[0] : row.openingBody;
  if (body === null) throw new MailIntakeError('not_found', 'This e-mail was erased at its sender’s request');
  const opened = await openCase(deps, { process: p, body: typeof body === 'string' ? JSON.parse(body) : body, principal: MAIL_INTAKE_OPENER, idempotencyKey: row.id, log });
  const kase = await deps.db.case.findUniqueOrThrow({ where: { id: opened.caseId }, select: { customerId: true, subjectId: true } });
  const files = await openedMailFiles({ db: deps.db, keys: deps.ports.keys }, row.subjectId, (row.attachments as unknown as InboundFile[]).filter((f) => f.sha256 && !f.refused));
  if (files.length > 0) {
    // Two confirmations at once may race to the same attachment row: the loser finds it the second time.
    const attach = () => attachToCase({ db: deps.db, keys: deps.ports.keys, blobs: deps.blobs }, { id: opened.caseId, subjectId: kase.subjectId }, files, kase.customerId, deps.limits, kase.subjectId, row.subjectId);
    const attached = await attach().catch((err: unknown) => (isUniqueViolation(err) ? attach() : Promise.reject(err)));
    if (!Array.isArray(attached)) (log ?? deps.logger).warn({ caseId: opened.caseId, intakeId: row.id, refused: attached.refused }, "the intake's files do not fit the case: not attached");
  }
  const confirmed = await deps.db.mailIntake.update({ where: { id: row.id }, data: { status: 'confirmed', caseId: opened.caseId, confirmedAt: row.confirmedAt ?? new Date() } });
  // The sender is the case's customer now: the confirmation's recipient row is filed under that subject (a row from
  // before intakes had their sender's subject).
  if (kase.subjectId) await deps.db.party.updateMany({ where: { kind: MAIL_INTAKE_RECIPIENT, id: row.id, subjectId: null }, data: { subjectId: kase.subjectId } });
  (log ?? deps.logger).info({ intakeId: row.id, caseId: opened.caseId, caseType: p.caseType, replayed: opened.replayed }, 'e-mail intake confirmed: case opened');
  return { ...viewOf(confirmed), opened: !opened.replayed };
}

/**
 * Purges the intakes past their expiry (confirmed or not: a confirmed one's words and files are in its case now), with
 * their confirmation e-mail's outbox row and recipient, and then their files' blobs that no other row needs (a
 * confirmed intake's files were sealed into blobs of their own when attached: their clear copies go here).
 */
export async function purgeExpiredMailIntakes(db: Db, o: { batch?: number; blobs?: Pick<BlobStore, 'remove' | 'exists'> | null } = {}): Promise<number> {
  const { rows } = await poolOf(db).query<{ id: string; keys: string[] | null }>(
    `WITH gone AS (
       DELETE FROM mail_intakes WHERE id IN (SELECT id FROM mail_intakes WHERE expires_at < timezone('UTC', now()) ORDER BY expires_at LIMIT $1) RETURNING id, attachments
     ), recipients AS (
       DELETE FROM parties WHERE kind = $2 AND id IN (SELECT id FROM gone)
     ), mails AS (
       DELETE FROM notifications WHERE recipient_kind = $2 AND case_id IN (SELECT id FROM gone)
     )
     SELECT id, ${HELD_FILE_BLOBS} AS keys FROM gone t`,
    [o.batch ?? 500, MAIL_INTAKE_RECIPIENT],
  );
  if (o.blobs) await removeBlobsNoRowNeeds(db, o.blobs, rows.flatMap((r) => r.keys ?? []));
  return rows.length;
}
