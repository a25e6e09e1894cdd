// What a case's evidence file may be, for every way a file arrives: an upload (api/routes/attachments.ts) and an
// e-mail's attachment (processes/inboundMail.ts). Limits from configuration; the type is read from the bytes.
import { fileTypeFromBuffer } from 'file-type';

export interface AttachmentLimits {
  maxFileBytes: number;
  maxCaseBytes: number;
  maxCaseFiles: number;
  /** Types as file-type names them from the bytes (image/jpeg, application/pdf, ...). */
  types: readonly string[];
}

export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = { maxFileBytes: 10 * 1024 * 1024, maxCaseBytes: 100 * 1024 * 1024, maxCaseFiles: 50, types: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/heic', 'application/pdf'] };

/** The bytes needed to read a file's type (file-type's sample size). */
export const TYPE_SAMPLE_BYTES = 4100;

/** The type the file's first bytes show (never the type its sender claims), and whether the limits accept it. */
export async function typeOfBytes(head: Uint8Array, limits: Pick<AttachmentLimits, 'types'>): Promise<{ detected: string | null; accepted: boolean }> {
  const detected = (await fileTypeFromBuffer(head.subarray(0, TYPE_SAMPLE_BYTES)))?.mime ?? null;
  return { detected, accepted: detected !== null && limits.types.includes(detected) };
}

/**
 * Who the platform's own files are uploaded by (uploadedBy and uploaderRole): the signed dossier a case exports for an
 * arbitration institution or a court (policy 8.4; processes/dossierExport.ts). The per-case limits are the parties'
 * allowance of evidence: they never refuse such a file, and such files do not count against them (`countedAgainstLimits`).
 */
export const SYSTEM_UPLOADER = 'system';

/** The attachments of a case the per-case limits (maxCaseFiles, maxCaseBytes) count: the parties' and staff's, not the platform's own. */
export const countedAgainstLimits = (caseId: string) => ({ caseId, uploaderRole: { not: SYSTEM_UPLOADER } });
