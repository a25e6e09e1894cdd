// The export of a case's signed dossier for an outside body (policy 8.4: a complaint that goes to an arbitration
// institution or to a court takes its dossier with it): an activity of every process (activities/types.ts
// DossierActivities), registered by the worker (worker/worker.ts). It writes the dossier as GET /v1/cases/{caseId}/dossier
// does (processes/dossier.ts writeCaseDossier) into the blob store, content-addressed by SHA-256 as every attachment,
// and makes it an attachment of the case (application/x-tar, uploaded by 'system'): listed and downloaded by the
// attachments routes, verified offline by `scripts/dossier.ts verify`.
//
// Once per eventKey: the attachment's id is derived from the case and the event key, so a retry (a crash after the
// row was written, an answer lost) finds it and returns it; a dossier written again would differ (its time, the
// history grown meanwhile), so the bytes never key it. The per-case attachment limits (lib/attachmentRules.ts) are
// the parties' allowance of evidence: they do not refuse the platform's own export, nor count it.
import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DossierActivities, ExportCaseDossierInput, ExportCaseDossierResult } from '../activities/types';
import { SYSTEM_UPLOADER } from '../lib/attachmentRules';
import { BlobTooLarge } from '../lib/blobs';
import type { Logger } from '../lib/logger';
import { writeCaseDossier, type DossierDeps } from './dossier';

export const DOSSIER_CONTENT_TYPE = 'application/x-tar';

/** The largest file an attachment row can describe (attachments.size_bytes is a 32-bit integer). */
const MAX_DOSSIER_BYTES = 2_147_483_647;

export interface DossierExportDeps extends DossierDeps {
  logger: Logger;
}

/** The attachment id of the export `eventKey` of `caseId` (att_ and 32 hex digits, policy/schemas.ts ATTACHMENT_ID_PATTERN): the same on every attempt. */
export function dossierAttachmentId(caseId: string, eventKey: string): string {
  return `att_${crypto.createHash('sha256').update(`dossier-export\u0000${caseId}\u0000${eventKey}`).digest('hex').slice(0, 32)}`;
}

/** The exported file's name: `dossier-<caseId>-<purpose>.tar`, in the characters a download's name keeps. */
export function dossierFilename(caseId: string, purpose: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 100);
  return `dossier-${safe(caseId)}-${safe(purpose)}.tar`;
}

/** Heartbeats the activity (a long history takes a while); nothing outside one (tests, scripts). */
function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity */
  }
}

/** Writes the dossier of `input.caseId` as an attachment of the case, once per `input.eventKey`. */
export async function exportCaseDossier(deps: DossierExportDeps, input: ExportCaseDossierInput): Promise<ExportCaseDossierResult> {
  const attachmentId = dossierAttachmentId(input.caseId, input.eventKey);
  const log = deps.logger.child({ caseId: input.caseId, eventKey: input.eventKey, purpose: input.purpose, attachmentId });
  const done = (row: { id: string; sha256: string; sizeBytes: number }): ExportCaseDossierResult => ({ attachmentId: row.id, sha256: row.sha256, sizeBytes: row.sizeBytes });

  const earlier = await deps.db.attachment.findUnique({ where: { id: attachmentId } });
  if (earlier) {
    log.info({ sha256: earlier.sha256, sizeBytes: earlier.sizeBytes }, 'dossier exported already for this event: the same attachment');
    return done(earlier);
  }
  if (!(await deps.db.case.findUnique({ where: { id: input.caseId }, select: { id: true } }))) {
    throw ApplicationFailure.nonRetryable(`case ${input.caseId} does not exist: no dossier to export`, 'CaseNotFound');
  }

  // The archive streams into the blob store as it is written (hashed and counted there), never whole in memory.
  const startedAt = Date.now();
  const pipe = new PassThrough();
  const staging = deps.blobs.stage(pipe, { maxBytes: MAX_DOSSIER_BYTES });
  const writing = writeCaseDossier(deps, input.caseId, {
    by: SYSTEM_UPLOADER,
    out: pipe,
    onProgress: (f) => {
      heartbeat({ file: f.path });
      // A run's history is the long part of a long case: one line each; the other files at debug.
      if (f.path.startsWith('temporal/')) log.info({ file: f.path, bytes: f.bytes }, 'dossier export: history written');
      else log.debug({ file: f.path, bytes: f.bytes }, 'dossier export: file written');
    },
  }).catch((err: unknown) => {
    pipe.destroy(err as Error); // a failure before the archive started (the case row, the key) ends the staging too
    throw err;
  });
  writing.catch(() => undefined); // its failure destroys the pipe: the staging rejects with it, and answers
  let blob: Awaited<typeof staging>;
  try {
    // Staged once the archive ended: the writer has then written the signature and finished.
    blob = await staging;
  } catch (err) {
    pipe.destroy(); // the writer stops (a dossier too large for an attachment row)
    log.error({ err }, 'dossier export failed; nothing kept');
    if (err instanceof BlobTooLarge) throw ApplicationFailure.nonRetryable(`the dossier of ${input.caseId} has more than ${MAX_DOSSIER_BYTES} bytes`, 'DossierTooLarge');
    throw err;
  }
  const manifest = await writing.catch(async (err) => {
    await blob.discard();
    throw err;
  });
  // The bytes first, then the row that names them: a row never points at bytes that are not kept. A crash between the
  // two leaves an unreferenced blob (content-addressed, harmless) and the retry writes the dossier again.
  await blob.commit();
  const row = await deps.db.attachment
    .create({
      data: { id: attachmentId, caseId: input.caseId, sha256: blob.sha256, sizeBytes: blob.size, contentType: DOSSIER_CONTENT_TYPE, filename: dossierFilename(input.caseId, input.purpose), uploadedBy: SYSTEM_UPLOADER, uploaderRole: SYSTEM_UPLOADER },
    })
    .catch(async (err: { code?: string }) => {
      // Another attempt of the same export (a retry while this one still ran) wrote its row first: that one answers.
      if (err?.code === 'P2002') {
        const other = await deps.db.attachment.findUnique({ where: { id: attachmentId } });
        if (other) return other;
      }
      throw err;
    });
  log.info({ sha256: row.sha256, sizeBytes: row.sizeBytes, files: manifest.files.length, keyId: manifest.signingKey.keyId, requestedAt: input.at, ms: Date.now() - startedAt }, 'dossier exported as an attachment of the case');
  return done(row);
}

/** The dossier activities of every process (worker/worker.ts registers them beside createActivities'). */
export function createDossierActivities(deps: DossierExportDeps): DossierActivities {
  return { exportCaseDossier: (input) => exportCaseDossier(deps, input) };
}
