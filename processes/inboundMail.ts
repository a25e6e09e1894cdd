// Replies by e-mail (lib/inboundMail.ts receives them): a reply to a notice's `case+<token>@<domain>` address becomes a
// message in the case's thread from the party the token names (processes/threadMessages.ts: the same storage, audit
// event, e-mails to the others and workflow signal as the API's), once its sender is that party's stored contact.
//
// Untrusted by default. Anything else is quarantined (inbound_mail_quarantine) for an agent, who releases it into a
// case's thread as a party or discards it (api/routes/inboundMail.ts):
// - no_token, bad_token: no recipient `case+<token>`, or a token we did not sign (HMAC, REPLY_TOKEN_SECRET);
// - unknown_case, case_closed: the case is gone or takes no message (as the API's 409 CASE_CLOSED);
// - no_contact: the party has no stored e-mail address (parties.email; staff have none): nobody to compare the sender
//   with, so an agent decides;
// - sender_mismatch: the From address is not the party's stored address (compared case-blind);
// - attachment_refused: an attachment the uploads would refuse (its type as its bytes show it, its size, the case's
//   limits): the mail is held whole, the refused file is not kept (its name, size and types are listed).
// HTML is never rendered: the thread message's body is the text part; the HTML part is kept as a file, an attachment of
// type text/html (downloaded as a file, nosniff, sandboxed), or a blob beside the quarantine row.
// A held mail is filed under a subject and sealed with its key (policy 1.3, 6.3.1): the case's customer when the token
// named them, the known customer whose address sent it, or else the sender's own subject (lib/subjects.ts
// mailSenderRef): its addresses, subject line and words, file names, and the raw message, HTML and files in sealed
// blobs. Only a mail with no sender address at all (a bounce) has nobody to be filed under, and stays clear.
import { blindIndexerFor } from '../lib/blindIndex';
import { sealerFor } from '../lib/sealedFields';
import { mailSenderRef, resolveSubject, writeUnderSubject } from '../lib/subjects';
import { removeBlobsNoRowNeeds } from '../lib/keptRecords';
import { emailSchema } from '../policy/schemas';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { countedAgainstLimits, typeOfBytes, type AttachmentLimits } from '../lib/attachmentRules';
import type { ParsedMail } from 'mailparser';
import { keepSealedBytes, storedBytes, type BlobStore } from '../lib/blobs';
import { resealHeldMail, sealAttachmentBytes } from '../lib/sealingBackfill';
import type { Db } from '../lib/db';
import type { InboundEnvelope } from '../lib/inboundMail';
import type { Logger } from '../lib/logger';
import { tokenOfAddress, verifyReplyToken, type ReplyParty } from '../lib/replyTokens';
import type { ClientPool } from '../lib/temporal';
import { postThreadMessage, type PostedThreadMessage, type ThreadCase } from './threadMessages';
import type { KeyManagement } from '../lib/keys';

/** The uploads' limits (lib/attachmentRules.ts): an e-mail's files pass the same checks. */
export type InboundAttachmentLimits = AttachmentLimits;

export interface InboundMailDeps {
  db: Db;
  blobs: BlobStore;
  /** The key-management port: a reply's words are sealed with the case subject's key (lib/sealedFields.ts). */
  keys: KeyManagement;
  clients: ClientPool;
  logger: Logger;
  /** REPLY_TOKEN_SECRET. */
  secret: string;
  /** INBOUND_MAIL_DOMAIN. */
  domain: string;
  limits: InboundAttachmentLimits;
}

export type QuarantineReason = 'no_token' | 'bad_token' | 'unknown_case' | 'case_closed' | 'no_contact' | 'sender_mismatch' | 'attachment_refused';

/**
 * A file of a mail: kept (sha256: its bytes' hash), or refused (not kept). Kept under a subject, its bytes are in a
 * sealed blob of their own (blobKey) and its name is sealed; else the bytes are the clear blob under their hash.
 */
export interface InboundFile {
  sha256?: string;
  blobKey?: string;
  sizeBytes: number;
  contentType: string;
  filename: string | null;
  refused?: string;
}

export const HTML_TYPE = 'text/html';
/** Who a released or trusted e-mail is written by, in the thread (authorRole). */
export const EMAIL_AUTHOR_ROLE = 'email';

export async function keepBlob(blobs: BlobStore, bytes: Buffer): Promise<string> {
  const staged = await blobs.stage(Readable.from([bytes]), { maxBytes: Math.max(1, bytes.length) });
  await staged.commit();
  return staged.sha256;
}

/** The party's stored contact address, if any (parties: customers and merchants; staff have none). */
async function contactOf(db: Db, keys: KeyManagement, c: ThreadCase, party: ReplyParty): Promise<string | null> {
  const id = party === 'customer' ? c.customerId : party === 'merchant' ? c.merchantId : null;
  if (!id) return null;
  const p = await db.party.findUnique({ where: { kind_id: { kind: party, id } } });
  // A customer's address is sealed with its subject's key (lib/sealedFields.ts): opened to compare with the sender.
  const [email] = await sealerFor(db, keys).open(p?.subjectId, [p?.email ?? null]);
  return email?.trim().toLowerCase() || null;
}

const authorOf = (c: ThreadCase, party: ReplyParty): string => (party === 'customer' ? c.customerId : party === 'merchant' ? (c.merchantId ?? 'merchant') : 'staff');

/** A held mail's words as they are stored when it is filed under a subject: sealed with its key. */
interface HeldMailWords {
  mailFrom: string;
  fromAddress: string | null;
  subject: string | null;
  textBody: string;
}
async function sealedHeldMail(deps: { db: Db; keys: KeyManagement }, subjectId: string, w: HeldMailWords): Promise<HeldMailWords> {
  const [mailFrom, fromAddress, subject, textBody] = await sealerFor(deps.db, deps.keys).sealAll(subjectId, [w.mailFrom, w.fromAddress, w.subject, w.textBody]);
  return { mailFrom: mailFrom ?? '', fromAddress, subject, textBody: textBody ?? '' };
}
async function openedHeldMail(deps: { db: Db; keys: KeyManagement }, subjectId: string | null, w: HeldMailWords): Promise<HeldMailWords> {
  const [mailFrom, fromAddress, subject, textBody] = await sealerFor(deps.db, deps.keys).open(subjectId, [w.mailFrom, w.fromAddress, w.subject, w.textBody]);
  return { mailFrom: mailFrom ?? '', fromAddress: fromAddress ?? null, subject: subject ?? null, textBody: textBody ?? '' };
}
/** Bytes kept sealed with the subject's key in a blob of their own: the clear bytes' hash, and the sealed blob's key. */
async function keepSealed(deps: { db: Db; keys: KeyManagement; blobs: BlobStore }, subjectId: string, bytes: Buffer): Promise<{ sha256: string; blobKey: string }> {
  const kept = await keepSealedBytes(deps.blobs, sealerFor(deps.db, deps.keys), subjectId, bytes);
  return { sha256: kept.sha256, blobKey: kept.storedKey };
}

export const sha256Of = (bytes: Buffer): string => crypto.createHash('sha256').update(bytes).digest('hex');

/** A kept file's clear bytes: its sealed blob opened with the subject's key, or its clear blob. */
const bytesOf = (deps: { db: Db; keys: KeyManagement; blobs: BlobStore }, f: { sha256: string; blobKey?: string | null }, subjectId: string | null): Promise<Buffer> =>
  storedBytes(deps.blobs, sealerFor(deps.db, deps.keys), { sha256: f.sha256, blobKey: f.blobKey ?? null }, subjectId);

/** A mail's file as the uploads checked it, its bytes in memory until it is kept (keepMailFiles). */
export interface CheckedFile extends InboundFile {
  bytes?: Buffer;
}

/**
 * Keeps a held mail's or an intake's checked files in the blob store. Filed under `subjectId`: each file's bytes sealed
 * in a blob of their own and every name sealed; else (a bounce, filed under nobody) clear blobs under their hashes.
 */
export async function keepMailFiles(deps: { db: Db; keys: KeyManagement; blobs: BlobStore }, subjectId: string | null, files: CheckedFile[]): Promise<InboundFile[]> {
  const names = subjectId ? await sealerFor(deps.db, deps.keys).sealAll(subjectId, files.map((f) => f.filename)) : files.map((f) => f.filename);
  const kept: InboundFile[] = [];
  for (const [i, { bytes, ...f }] of files.entries()) {
    if (!bytes || !f.sha256) kept.push({ ...f, filename: names[i] });
    else if (subjectId) kept.push({ ...f, blobKey: (await keepSealed(deps, subjectId, bytes)).blobKey, filename: names[i] });
    else kept.push({ ...f, sha256: await keepBlob(deps.blobs, bytes) });
  }
  return kept;
}

/** A held mail's or an intake's files with their names opened (the subject's key). */
export async function openedMailFiles(deps: { db: Db; keys: KeyManagement }, subjectId: string | null, files: InboundFile[]): Promise<InboundFile[]> {
  const names = await sealerFor(deps.db, deps.keys).open(subjectId, files.map((f) => f.filename));
  return files.map((f, i) => ({ ...f, filename: names[i] ?? null }));
}

/**
 * The case's attachment rows for kept files (the same bytes in the same case are one attachment), checked against the
 * case's limits. `subjectId`: the uploader's subject (the customer's mail); a file's name and bytes are sealed with the
 * case customer's key (`c.subjectId`, lib/sealedFields.ts), like an upload's. A file sealed while held (`blobKey`,
 * with `heldUnder`'s key; its name already opened) is opened and kept as the case's.
 */
export async function attachToCase(
  deps: { db: Db; keys: KeyManagement; blobs: BlobStore },
  c: { id: string; subjectId?: string | null },
  files: CheckedFile[],
  uploadedBy: string,
  limits: InboundAttachmentLimits,
  subjectId: string | null,
  heldUnder: string | null = null,
): Promise<string[] | { refused: string }> {
  const { db } = deps;
  const caseId = c.id;
  const kept = files.filter((f) => f.sha256);
  const existing = await db.attachment.findMany({ where: { caseId, sha256: { in: kept.map((f) => f.sha256!) } } });
  const fresh = kept.filter((f) => !existing.some((e) => e.sha256 === f.sha256));
  const used = await db.attachment.aggregate({ where: countedAgainstLimits(caseId), _sum: { sizeBytes: true }, _count: true });
  if (used._count + fresh.length > limits.maxCaseFiles) return { refused: `a case holds at most ${limits.maxCaseFiles} attachments` };
  if ((used._sum.sizeBytes ?? 0) + fresh.reduce((n, f) => n + f.sizeBytes, 0) > limits.maxCaseBytes) return { refused: `a case holds at most ${limits.maxCaseBytes} bytes of attachments` };
  const ids: string[] = [];
  for (const f of kept) {
    const same = existing.find((e) => e.sha256 === f.sha256) ?? (await db.attachment.findUnique({ where: { caseId_sha256: { caseId, sha256: f.sha256! } } }));
    if (same) {
      ids.push(same.id);
      continue;
    }
    const filename = f.filename && c.subjectId ? await sealerFor(db, deps.keys).seal(c.subjectId, f.filename) : f.filename;
    const data = { id: `att_${crypto.randomUUID().replace(/-/g, '')}`, caseId, sha256: f.sha256!, sizeBytes: f.sizeBytes, contentType: f.contentType, filename, uploadedBy, uploaderRole: EMAIL_AUTHOR_ROLE, subjectId };
    // Bytes in memory (a verified reply's) or sealed while held (opened here): kept with the case customer's key in the
    // attachment's own blob (clear for a case without one). A clear blob of an older held mail: sealed after the row.
    const bytes = f.bytes ?? (f.blobKey ? await bytesOf(deps, { sha256: f.sha256!, blobKey: f.blobKey }, heldUnder) : null);
    if (bytes) {
      const own = c.subjectId ? await keepSealed(deps, c.subjectId, bytes) : null;
      if (!own) await keepBlob(deps.blobs, bytes);
      const row = await db.attachment.create({ data: { ...data, sizeBytes: bytes.length, blobKey: own?.blobKey ?? null } }).catch(async (err: unknown) => {
        if (own) await removeBlobsNoRowNeeds(db, deps.blobs, [own.blobKey]);
        throw err;
      });
      ids.push(row.id);
      continue;
    }
    const row = await db.attachment.create({ data });
    // The bytes, kept clear while no subject was certain, sealed with the case customer's key now they are evidence.
    if (c.subjectId) await sealAttachmentBytes(deps, { id: row.id, sha256: row.sha256, subjectId: c.subjectId });
    ids.push(row.id);
  }
  return [...new Set(ids)];
}

/** A mail's attachments as the uploads check them (type by bytes, size): to be kept (keepMailFiles), or refused (not kept). */
export async function mailFilesOf(deps: { limits: InboundAttachmentLimits }, parsed: ParsedMail): Promise<CheckedFile[]> {
  const files: CheckedFile[] = [];
  for (const a of parsed.attachments) {
    const filename = a.filename ? a.filename.slice(0, 255) : null;
    const { detected, accepted } = await typeOfBytes(a.content, deps.limits);
    if (a.content.length === 0) files.push({ sizeBytes: 0, contentType: a.contentType, filename, refused: 'empty' });
    else if (a.content.length > deps.limits.maxFileBytes) files.push({ sizeBytes: a.content.length, contentType: detected ?? a.contentType, filename, refused: `larger than ${deps.limits.maxFileBytes} bytes` });
    else if (!accepted || !detected) files.push({ sizeBytes: a.content.length, contentType: a.contentType, filename, refused: `the bytes are ${detected ?? 'of no known type'}; accepted: ${deps.limits.types.join(', ')}` });
    else files.push({ sha256: sha256Of(a.content), bytes: a.content, sizeBytes: a.content.length, contentType: detected, filename });
  }
  return files;
}

const caseSelect = { id: true, status: true, customerId: true, subjectId: true, merchantId: true, taskQueue: true, workflowId: true } as const;

export function createInboundMailHandler(deps: InboundMailDeps) {
  const log = deps.logger.child({ component: 'inbound-mail' });

  const filesOf = (parsed: ParsedMail) => mailFilesOf(deps, parsed);

  async function heldMailSubject(o: { from: string | null; caseId?: string; party?: ReplyParty }): Promise<string | null> {
    if (o.caseId && o.party === 'customer') {
      const subjectId = (await deps.db.case.findUnique({ where: { id: o.caseId }, select: { subjectId: true } }))?.subjectId;
      if (subjectId) return subjectId;
    }
    if (!o.from) return null;
    const emailIndex = await blindIndexerFor(deps.keys)('email', o.from);
    const customer = await deps.db.party.findFirst({ where: { kind: 'customer', emailIndex, subjectId: { not: null } }, orderBy: { updatedAt: 'desc' }, select: { subjectId: true } });
    // Nobody known: the sender's own subject (the one a complaint they confirm by e-mail would be theirs under).
    return customer?.subjectId ?? (await resolveSubject(deps.db, mailSenderRef(deps.secret, o.from)));
  }

  async function quarantine(mail: { envelope: InboundEnvelope; parsed: ParsedMail; raw: Buffer }, reason: QuarantineReason, o: { from: string | null; caseId?: string; party?: ReplyParty; files: CheckedFile[]; html: Buffer | null }): Promise<string> {
    const id = `qm_${crypto.randomUUID().replace(/-/g, '')}`;
    // Filed under a subject (lib/personalData.ts): the case's customer when the token named them, else the known
    // customer whose address sent it (by the address's blind index: the contact is sealed), else the sender's own.
    const envelopeSender = mail.envelope.mailFrom.trim().toLowerCase();
    const subjectId = await heldMailSubject({ ...o, from: o.from ?? (emailSchema.safeParse(envelopeSender).success ? envelopeSender : null) });
    // Sealed with its key (policy 1.3, 6.3.1): the addresses, the subject line, the words, the file names, and the
    // whole message as received, its HTML and its files in sealed blobs of their own. A mail with no sender address
    // (a bounce) has no subject and stays clear.
    const words = { mailFrom: mail.envelope.mailFrom, fromAddress: o.from, subject: mail.parsed.subject?.slice(0, 998) ?? null, textBody: mail.parsed.text ?? '' };
    const sealed = subjectId ? await sealedHeldMail(deps, subjectId, words) : words;
    const rawSha256 = subjectId ? (await keepSealed(deps, subjectId, mail.raw)).blobKey : await keepBlob(deps.blobs, mail.raw);
    const html = o.html ? (subjectId ? await keepSealed(deps, subjectId, o.html) : { sha256: await keepBlob(deps.blobs, o.html), blobKey: null }) : null;
    const files = await keepMailFiles(deps, subjectId, o.files);
    const row = {
      data: {
        id,
        ...sealed,
        rcptTo: mail.envelope.rcptTo,
        messageId: mail.parsed.messageId?.slice(0, 998) ?? null,
        reason,
        caseId: o.caseId ?? null,
        party: o.party ?? null,
        subjectId,
        htmlSha256: html?.sha256 ?? null,
        htmlBlobKey: html?.blobKey ?? null,
        rawSha256,
        attachments: files as object[],
      },
    };
    try {
      // Under the subject's lock: a sender's subject retired meanwhile takes nothing more (the sender's server retries).
      await (subjectId ? writeUnderSubject(deps.db, subjectId, (tx) => tx.inboundMailQuarantine.create(row)) : deps.db.inboundMailQuarantine.create(row));
    } catch (err) {
      if (subjectId) await removeBlobsNoRowNeeds(deps.db, deps.blobs, [rawSha256, ...(html?.blobKey ? [html.blobKey] : []), ...files.flatMap((f) => (f.blobKey ? [f.blobKey] : []))]);
      throw err;
    }
    log.warn({ quarantineId: id, reason, caseId: o.caseId, party: o.party, attachments: o.files.length }, 'inbound mail quarantined for an agent');
    return id;
  }

  /** Decides one received mail: a thread message of the party its token names, or quarantine. Throws only when nothing could be kept (the listener answers 451). */
  return async function handle(mail: { envelope: InboundEnvelope; parsed: ParsedMail; raw: Buffer }): Promise<{ messageId: string } | { quarantineId: string; reason: QuarantineReason }> {
    const from = mail.parsed.from?.value[0]?.address?.trim().toLowerCase() || null;
    const html = typeof mail.parsed.html === 'string' && mail.parsed.html.length > 0 ? Buffer.from(mail.parsed.html, 'utf8') : null;
    const files = await filesOf(mail.parsed);
    const hold = async (reason: QuarantineReason, caseId?: string, party?: ReplyParty) => ({ quarantineId: await quarantine(mail, reason, { from, caseId, party, files, html }), reason });

    const tokens = mail.envelope.rcptTo.map((a) => tokenOfAddress(a, deps.domain)).filter((t): t is string => t !== null);
    if (tokens.length === 0) return hold('no_token');
    const verified = tokens.map((t) => verifyReplyToken(deps.secret, t)).find((v) => v !== null);
    if (!verified) return hold('bad_token');
    const c = await deps.db.case.findFirst({ where: { id: { equals: verified.caseIdLower, mode: 'insensitive' } }, select: caseSelect });
    if (!c) return hold('unknown_case', undefined, verified.party);
    if (c.status === 'closed') return hold('case_closed', c.id, verified.party);
    const contact = await contactOf(deps.db, deps.keys, c, verified.party);
    if (!contact) return hold('no_contact', c.id, verified.party);
    if (from !== contact) return hold('sender_mismatch', c.id, verified.party);
    if (files.some((f) => f.refused)) return hold('attachment_refused', c.id, verified.party);
    const posted = await postFromMail(c, verified.party, { textBody: mail.parsed.text ?? '', files, html });
    if ('refused' in posted) return hold('attachment_refused', c.id, verified.party);
    return { messageId: posted.id };
  };

  async function postFromMail(c: ThreadCase, party: ReplyParty, m: { textBody: string; files: CheckedFile[]; html: Buffer | null }): Promise<PostedThreadMessage | { refused: string }> {
    const author = authorOf(c, party);
    // Kept only as the case's attachments (sealed with its customer's key): no clear copy on the way.
    const files: CheckedFile[] = [...m.files, ...(m.html ? [{ sha256: sha256Of(m.html), bytes: m.html, sizeBytes: m.html.length, contentType: HTML_TYPE, filename: 'message.html' }] : [])];
    const attachmentIds = await attachToCase(deps, c, files, author, deps.limits, party === 'customer' ? (c.subjectId ?? null) : null);
    if (!Array.isArray(attachmentIds)) return attachmentIds;
    const body = m.textBody.trim() || '(an e-mail without text)';
    return postThreadMessage({ db: deps.db, clients: deps.clients, logger: log, keys: deps.keys }, c, { party, authorId: author, authorRole: EMAIL_AUTHOR_ROLE, body, attachmentIds, via: 'email' });
  }
}

export class QuarantineError extends Error {
  constructor(
    readonly kind: 'not_found' | 'decided' | 'case_not_found' | 'case_closed' | 'attachment_refused',
    message: string,
  ) {
    super(message);
  }
}

/**
 * An agent releases a quarantined mail into a case's thread as `party` (the words, its kept attachments, its HTML as a
 * file; refused files stay out), or discards it. Either is decided once: the row is claimed before anything is written.
 */
export async function releaseQuarantined(deps: Omit<InboundMailDeps, 'secret' | 'domain'>, o: { quarantineId: string; caseId: string; party: ReplyParty; agentId: string }): Promise<{ messageId: string }> {
  const row = await deps.db.inboundMailQuarantine.findUnique({ where: { id: o.quarantineId } });
  if (!row) throw new QuarantineError('not_found', `No quarantined mail '${o.quarantineId}'`);
  if (row.status !== 'quarantined') throw new QuarantineError('decided', `Mail '${o.quarantineId}' was ${row.status} already`);
  const c = await deps.db.case.findUnique({ where: { id: o.caseId }, select: caseSelect });
  if (!c) throw new QuarantineError('case_not_found', `No case '${o.caseId}'`);
  if (c.status === 'closed') throw new QuarantineError('case_closed', `Case '${c.id}' is closed: its thread takes no new message`);
  // The words, opened with the key they were sealed with. Released as the case's customer, the mail is filed under
  // that customer: its words, file names and blobs sealed again with their key (the old blobs go once it is released).
  const stored: HeldMailWords = { mailFrom: row.mailFrom, fromAddress: row.fromAddress, subject: row.subject, textBody: row.textBody };
  const storedBlobs = { rawSha256: row.rawSha256, htmlBlobKey: row.htmlBlobKey, attachments: row.attachments ?? [] };
  const words = await openedHeldMail(deps, row.subjectId, stored);
  const subjectId = o.party === 'customer' ? (c.subjectId ?? row.subjectId) : row.subjectId;
  const moved = subjectId !== null && subjectId !== row.subjectId ? await resealHeldMail(deps, row, subjectId) : null;
  const refiled = moved ? { ...(await sealedHeldMail(deps, subjectId!, words)), ...moved.data } : {};
  const claimed = await deps.db.inboundMailQuarantine.updateMany({ where: { id: row.id, status: 'quarantined' }, data: { status: 'released', decidedBy: o.agentId, decidedAt: new Date(), caseId: c.id, party: o.party, subjectId, ...refiled } });
  if (claimed.count === 0) {
    if (moved) await removeBlobsNoRowNeeds(deps.db, deps.blobs, moved.written);
    throw new QuarantineError('decided', `Mail '${o.quarantineId}' was decided already`);
  }
  try {
    // The files and the HTML, sealed while held with the key of the subject it was filed under (row.subjectId).
    const kept = await openedMailFiles(deps, row.subjectId, ((row.attachments as unknown as InboundFile[]) ?? []).filter((f) => f.sha256 && !f.refused));
    // The HTML part, read once: its size for the limits, its bytes for the attachment.
    const html = row.htmlSha256 ? await bytesOf(deps, { sha256: row.htmlSha256, blobKey: row.htmlBlobKey }, row.subjectId) : null;
    const files: CheckedFile[] = [...kept, ...(html ? [{ sha256: row.htmlSha256!, bytes: html, sizeBytes: html.length, contentType: HTML_TYPE, filename: 'message.html' }] : [])];
    const author = authorOf(c, o.party);
    const attachmentIds = await attachToCase(deps, c, files, author, deps.limits, o.party === 'customer' ? c.subjectId : null, row.subjectId);
    if (!Array.isArray(attachmentIds)) throw new QuarantineError('attachment_refused', `The mail's attachments do not fit the case: ${attachmentIds.refused}`);
    const posted = await postThreadMessage({ db: deps.db, clients: deps.clients, logger: deps.logger, keys: deps.keys }, c, { party: o.party, authorId: author, authorRole: EMAIL_AUTHOR_ROLE, body: words.textBody.trim() || '(an e-mail without text)', attachmentIds, via: 'email' });
    await deps.db.inboundMailQuarantine.update({ where: { id: row.id }, data: { threadMessageId: posted.id } });
    if (moved) await removeBlobsNoRowNeeds(deps.db, deps.blobs, moved.replaced);
    deps.logger.info({ quarantineId: row.id, caseId: c.id, party: o.party, messageId: posted.id, agentId: o.agentId }, 'quarantined mail released into the thread');
    return { messageId: posted.id };
  } catch (err) {
    // Nothing posted: the mail waits for an agent again, as it was.
    await deps.db.inboundMailQuarantine.update({ where: { id: row.id }, data: { status: 'quarantined', decidedBy: null, decidedAt: null, caseId: row.caseId, party: row.party, subjectId: row.subjectId, ...stored, ...storedBlobs, attachments: storedBlobs.attachments as object[] } });
    if (moved) await removeBlobsNoRowNeeds(deps.db, deps.blobs, moved.written);
    throw err;
  }
}

export async function discardQuarantined(db: Db, o: { quarantineId: string; agentId: string }): Promise<void> {
  const done = await db.inboundMailQuarantine.updateMany({ where: { id: o.quarantineId, status: 'quarantined' }, data: { status: 'discarded', decidedBy: o.agentId, decidedAt: new Date() } });
  if (done.count === 0) {
    const row = await db.inboundMailQuarantine.findUnique({ where: { id: o.quarantineId } });
    if (!row) throw new QuarantineError('not_found', `No quarantined mail '${o.quarantineId}'`);
    throw new QuarantineError('decided', `Mail '${o.quarantineId}' was ${row.status} already`);
  }
}
