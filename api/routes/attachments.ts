// Evidence attachments, for a case of any process: upload (multipart, streamed to the blob store while hashed, its
// type read from its bytes), list, download. The same bytes in the same case are one attachment (200 with its id).
// A refused upload leaves nothing behind: no row, no bytes.
import crypto from 'node:crypto';
import busboy from 'busboy';
import { Router, type Request } from 'express';
import { countedAgainstLimits, DEFAULT_ATTACHMENT_LIMITS, SYSTEM_UPLOADER, typeOfBytes, type AttachmentLimits } from '../../lib/attachmentRules';
import type { Readable } from 'node:stream';
import { BlobTooLarge, readStored, stageSealed, type StagedBlob } from '../../lib/blobs';
import { sealerFor } from '../../lib/sealedFields';
import { seesCase } from '../authz';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, conflict, notFound, policyRefused } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { attachmentListSchema, attachmentSchema } from '../schemas';
import { loadCase } from './present';
import { personalReadsOf } from '../deps';
import { accessPurposeHeader, purposeOf } from './personalData';

export { DEFAULT_ATTACHMENT_LIMITS, type AttachmentLimits };

/**
 * Evidence named by a task or a party action, or a message's files: each id must be an attachment of the case (422
 * UNKNOWN_ATTACHMENT, nothing changed), so a decision never names a file the case does not hold.
 */
export async function requireCaseAttachments(deps: Pick<ApiDeps, 'db'>, caseId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await deps.db.attachment.findMany({ where: { caseId, id: { in: [...ids] } }, select: { id: true } });
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length > 0) throw policyRefused('UNKNOWN_ATTACHMENT', `Not attachments of case '${caseId}': ${missing.join(', ')} (upload them first)`, { missing });
}

export const attachmentRoutes = {
  upload: defineRoute({
    id: 'uploadAttachment',
    method: 'post',
    path: '/v1/cases/:caseId/attachments',
    action: 'attachments.upload',
    summary: 'Attach evidence to a case: one file (images, PDF) in the multipart part `file`; the same bytes twice answer the first attachment',
    tag: 'attachments',
    upload: { field: 'file', description: 'multipart/form-data with one part named `file`; its type is read from its bytes, not from the part header' },
    rawBody: true,
    success: { status: 201, description: 'The new attachment; Location is its URL', schema: attachmentSchema, headers: ['Location'] },
    otherResponses: [{ status: 200, description: 'These bytes are attached to the case already: that attachment; nothing new is stored', schema: attachmentSchema, headers: ['Location'] }],
    errors: [404, 409, 415, 422],
  }),
  list: defineRoute({ id: 'listAttachments', method: 'get', path: '/v1/cases/:caseId/attachments', action: 'attachments.read', summary: "A case's attachments, oldest first", tag: 'attachments', success: { status: 200, description: 'The attachments', schema: attachmentListSchema }, errors: [404] }),
  download: defineRoute({
    id: 'downloadAttachment',
    method: 'get',
    path: '/v1/cases/:caseId/attachments/:attachmentId',
    action: 'attachments.read',
    summary: "An attachment's bytes, as a download of its stored type (Content-Disposition: attachment; X-Content-Type-Options: nosniff); a download by staff is recorded in the subject's access record (policy 2.2.2)",
    tag: 'attachments',
    headers: accessPurposeHeader,
    success: { status: 200, description: 'The bytes (sealed at rest with the case customer’s key, opened here)', contentType: 'application/octet-stream' },
    errors: [404, 410],
  }),
};

class ClientGone extends Error {}

/** The part `file` of a multipart request, staged in the blob store; other parts are read past. */
function receiveFile(req: Request, stage: (source: Readable, o: { maxBytes: number }) => Promise<StagedBlob & { storedKey?: string }>, maxBytes: number): Promise<{ staged: StagedBlob & { storedKey?: string }; filename: string | null }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 10, parts: 11, fieldSize: 1024 } });
    } catch (err) {
      return reject(badRequest('INVALID_MULTIPART', `Send multipart/form-data with one part named "file": ${(err as Error).message}`));
    }
    let staging: Promise<{ staged: StagedBlob & { storedKey?: string }; filename: string | null }> | undefined;
    let settled = false;
    let fileStream: NodeJS.ReadableStream & { destroy(err?: Error): void } | undefined;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      // Whatever was staged goes: a file still arriving is cut (its staging then drops it), one complete is discarded.
      fileStream?.destroy(new Error('upload refused'));
      staging?.then((s) => s.staged.discard(), () => undefined);
      req.unpipe(bb);
      reject(err);
    };
    bb.on('file', (name, stream, info) => {
      // Its errors (a body cut short) reach the staging below, or nobody for a part read past: never unhandled.
      stream.on('error', () => undefined);
      if (name !== 'file' || staging) return void stream.resume();
      fileStream = stream;
      staging = stage(stream as unknown as Readable, { maxBytes }).then((staged) => ({ staged, filename: info.filename ? info.filename.slice(0, 255) : null }));
      staging.catch((err) => fail(err instanceof BlobTooLarge ? new ApiError(413, 'FILE_TOO_LARGE', `A file may have at most ${maxBytes} bytes`, { maxBytes }) : err instanceof ApiError ? err : badRequest('INVALID_MULTIPART', `The upload ended before its file did: ${(err as Error).message}`)));
    });
    bb.on('error', (err) => fail(badRequest('INVALID_MULTIPART', `The multipart body is not valid: ${(err as Error).message}`)));
    bb.on('close', () => {
      if (!staging) return fail(badRequest('FILE_REQUIRED', 'The multipart body has no part named "file"'));
      staging.then(
        (s) => {
          if (settled) return void s.staged.discard();
          settled = true;
          resolve(s);
        },
        () => undefined, // answered by fail()
      );
    });
    // A client gone mid-upload: what was staged is dropped (busboy sees the end of its input as a truncated body too).
    req.on('close', () => {
      if (!req.complete) fail(new ClientGone('the client closed the connection during the upload'));
    });
    req.pipe(bb);
  });
}

type AttachmentRow = { id: string; caseId: string; sha256: string; sizeBytes: number; contentType: string; filename: string | null; uploadedBy: string; uploaderRole: string; createdAt: Date };

const present = (a: AttachmentRow) => ({
  attachmentId: a.id,
  caseId: a.caseId,
  sha256: a.sha256,
  sizeBytes: a.sizeBytes,
  contentType: a.contentType,
  filename: a.filename,
  uploadedBy: a.uploadedBy,
  uploaderRole: a.uploaderRole,
  createdAt: a.createdAt.toISOString(),
});

export function attachmentsRouter(deps: ApiDeps, limits: AttachmentLimits = deps.attachmentLimits ?? DEFAULT_ATTACHMENT_LIMITS): Router {
  const r = Router();

  /**
   * The rows as the reader may see them: a file's name is the uploader's words, sealed with the case customer's key
   * (policy 1.3, 2.2.2): in clear for the parties and the staff roles that read free text (each read recorded), else
   * masked; null once the key was destroyed. A name the platform gave (a dossier export) is shown as it is.
   */
  async function shown(req: Request, c: { id: string; subjectId: string | null }, route: string, rows: AttachmentRow[]): Promise<AttachmentRow[]> {
    const personal = rows.filter((a) => a.uploaderRole !== SYSTEM_UPLOADER && a.filename !== null);
    if (personal.length === 0) return rows;
    const names = await personalReadsOf(deps).reveal(
      { principal: req.principal!, route, purpose: purposeOf(req, 'case_handling'), caseId: c.id, subjectId: c.subjectId },
      personal.map((a) => ({ table: 'attachments', column: 'filename', category: 'free_text', value: a.filename })),
    );
    const byId = new Map(personal.map((a, i) => [a.id, names[i]]));
    return rows.map((a) => (byId.has(a.id) ? { ...a, filename: byId.get(a.id)! } : a));
  }

  async function visibleCase(req: Request) {
    const c = await loadCase(deps, req.params.caseId as string);
    if (!(await seesCase(deps.db, req.principal!, c))) throw notFound('Case', c.id); // out of scope: as if absent
    return c;
  }

  mount(r, attachmentRoutes.upload, async (req, res) => {
    const c = await visibleCase(req);
    if (c.status === 'closed') throw conflict('CASE_CLOSED', `Case '${c.id}' is closed: evidence is attached to an open case`);
    if (!req.is('multipart/form-data')) throw badRequest('INVALID_MULTIPART', 'Send multipart/form-data with one part named "file"');
    const log = deps.logger.child({ caseId: c.id, principalId: req.principal!.id });
    let received: Awaited<ReturnType<typeof receiveFile>>;
    try {
      // The bytes sealed with the case customer's key on their way in (policy 1.3, 6.3.1; lib/blobs.ts stageSealed).
      const sealed = c.subjectId ? c.subjectId : null;
      const stage = sealed ? (source: Readable, o: { maxBytes: number }) => stageSealed(deps.ports.blobs, sealerFor(deps.db, deps.ports.keys), sealed, source, o) : (source: Readable, o: { maxBytes: number }) => deps.ports.blobs.stage(source, o);
      received = await receiveFile(req, stage, limits.maxFileBytes);
    } catch (err) {
      if (err instanceof ClientGone) {
        log.info('upload abandoned by the client; nothing kept');
        return;
      }
      res.setHeader('Connection', 'close'); // the rest of a refused body is not read
      throw err;
    }
    const { staged, filename } = received;
    let kept = false;
    try {
      if (staged.size === 0) throw badRequest('EMPTY_FILE', 'The file is empty');
      const { detected, accepted } = await typeOfBytes(staged.head, limits);
      if (!accepted || !detected) {
        throw new ApiError(415, 'UNSUPPORTED_FILE_TYPE', `Accepted types: ${limits.types.join(', ')}; the bytes are ${detected ?? 'of no known type'}`, { detected, accepted: limits.types });
      }
      const same = await deps.db.attachment.findUnique({ where: { caseId_sha256: { caseId: c.id, sha256: staged.sha256 } } });
      if (same) {
        const [sameShown] = await shown(req, c, attachmentRoutes.upload.id, [same]);
        res.status(200).location(`/v1/cases/${c.id}/attachments/${same.id}`).json(present(sameShown));
        return;
      }
      const used = await deps.db.attachment.aggregate({ where: countedAgainstLimits(c.id), _sum: { sizeBytes: true }, _count: true });
      if (used._count >= limits.maxCaseFiles) throw policyRefused('CASE_ATTACHMENT_LIMIT', `A case holds at most ${limits.maxCaseFiles} attachments`, { maxCaseFiles: limits.maxCaseFiles });
      if ((used._sum.sizeBytes ?? 0) + staged.size > limits.maxCaseBytes) {
        throw policyRefused('CASE_ATTACHMENT_LIMIT', `A case holds at most ${limits.maxCaseBytes} bytes of attachments; ${used._sum.sizeBytes ?? 0} are used`, { maxCaseBytes: limits.maxCaseBytes, usedBytes: used._sum.sizeBytes ?? 0 });
      }
      await staged.commit();
      kept = true;
      // The name, like the bytes, sealed with the case customer's key.
      const storedName = filename && c.subjectId ? await sealerFor(deps.db, deps.ports.keys).seal(c.subjectId, filename) : filename;
      let written = true;
      const row = await deps.db.attachment
        .create({ data: { id: `att_${crypto.randomUUID().replace(/-/g, '')}`, caseId: c.id, sha256: staged.sha256, blobKey: staged.storedKey ?? null, sizeBytes: staged.size, contentType: detected, filename: storedName, uploadedBy: req.principal!.id, uploaderRole: req.principal!.role, subjectId: req.principal!.role === 'storefront' ? c.subjectId : null } })
        .catch(async (err: { code?: string }) => {
          // The same bytes uploaded twice at once: the other request's row answers (the blob is shared by hash).
          if (err?.code !== 'P2002') throw err;
          written = false;
          return deps.db.attachment.findUniqueOrThrow({ where: { caseId_sha256: { caseId: c.id, sha256: staged.sha256 } } });
          throw err;
        });
      log.info({ attachmentId: row.id, sha256: row.sha256, sizeBytes: row.sizeBytes, contentType: row.contentType }, 'attachment stored');
      // The row this upload wrote shows the name just given; one another upload wrote is shown as the reader may see it.
      const [rowShown] = written ? [{ ...row, filename }] : await shown(req, c, attachmentRoutes.upload.id, [row]);
      res.status(row.sha256 === staged.sha256 && row.uploadedBy === req.principal!.id ? 201 : 200).location(`/v1/cases/${c.id}/attachments/${row.id}`).json(present(rowShown));
    } finally {
      if (!kept) await staged.discard();
    }
  });

  mount(r, attachmentRoutes.list, async (req, res) => {
    const c = await visibleCase(req);
    const rows = await deps.db.attachment.findMany({ where: { caseId: c.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    res.json({ caseId: c.id, attachments: (await shown(req, c, attachmentRoutes.list.id, rows)).map(present) });
  });

  mount(r, attachmentRoutes.download, async (req, res) => {
    const c = await visibleCase(req);
    const a = await deps.db.attachment.findFirst({ where: { id: req.params.attachmentId as string, caseId: c.id } });
    if (!a) throw notFound('Attachment', req.params.attachmentId as string);
    // A file cannot be masked: staff download it as their action allows, and the download is recorded (policy 2.2.2).
    await personalReadsOf(deps).recordRead({ principal: req.principal!, route: attachmentRoutes.download.id, purpose: purposeOf(req, 'case_handling'), caseId: c.id, subjectId: c.subjectId }, { table: 'attachments', columns: ['content'], rows: 1 });
    // Sealed bytes open with the case customer's key; once it is destroyed they are gone for good (410).
    const stream = await readStored(deps.ports.blobs, sealerFor(deps.db, deps.ports.keys), a, c.subjectId);
    if (!stream) throw new ApiError(410, 'ATTACHMENT_ERASED', 'The bytes of this attachment were erased (their key was destroyed)');
    res.setHeader('Content-Type', a.contentType);
    res.setHeader('Content-Length', String(a.sizeBytes));
    // A file the platform made (a dossier export) keeps the name it gave it; an uploaded file is named by its id.
    const name = a.uploaderRole === SYSTEM_UPLOADER && a.filename && /^[A-Za-z0-9._-]{1,255}$/.test(a.filename) ? a.filename : a.id;
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    stream.on('error', (err) => {
      deps.logger.error({ err, caseId: c.id, attachmentId: a.id }, 'attachment bytes unreadable');
      res.destroy(err);
    });
    stream.pipe(res);
  });

  return r;
}
