// Processing stopped at once (policy 2.4.1; PIPL art. 47): while a deletion or cancellation request of a subject is
// handled, nothing is sent to the subject but that request's own messages. The flag is the subject's row:
// subjects.status 'erasure_requested' (then 'erased') and processing_stopped_by, the request's case. Every way out
// asks here: the e-mail outbox's dispatcher (activities/notificationOutbox.ts, in its claim) and the SMS port (the
// guard below, around whatever adapter lib/ports.ts builds).
import type { Db } from './db';
import type { Logger } from './logger';
import type { SmsGateway, SmsMessage } from './sms';

/** A subject whose processing is stopped, and the case whose own messages still go out. */
export interface ProcessingStop {
  subjectId: string;
  status: string;
  /** The request that stopped it (its messages pass); null: erased, nothing passes. */
  allowedCase: string | null;
}

/** The SQL condition, over a subject row `s`, of a stopped subject. */
export const STOPPED_SUBJECT = `s.status IN ('erasure_requested', 'erased')`;

/** Whether a message of `caseId` (null: of no case) to a subject so flagged may go out. */
export const mayReach = (stop: ProcessingStop | null, caseId: string | null | undefined): boolean => !stop || (stop.allowedCase !== null && stop.allowedCase === caseId);

/** The stop of a subject, if its processing is stopped. */
export async function processingStopOf(db: Db, subjectId: string): Promise<ProcessingStop | null> {
  const s = await db.subject.findUnique({ where: { id: subjectId }, select: { id: true, status: true, processingStoppedBy: true } });
  if (!s || (s.status !== 'erasure_requested' && s.status !== 'erased')) return null;
  return { subjectId: s.id, status: s.status, allowedCase: s.status === 'erased' ? null : s.processingStoppedBy };
}

/** The subject an SMS is for: named by the sender, or the registration's it belongs to. */
async function subjectOfMessage(db: Db, msg: SmsMessage): Promise<string | null> {
  if (msg.subjectId) return msg.subjectId;
  if (msg.registrationId) return (await db.registration.findUnique({ where: { id: msg.registrationId }, select: { subjectId: true } }))?.subjectId ?? null;
  return null;
}

/**
 * The SMS port, refusing a stopped subject: the message is not handed to the adapter (accepted false, refused
 * 'processing_stopped'), except the stopping request's own (msg.caseId). Generic: wraps any adapter.
 */
export class ProcessingStopSmsGuard implements SmsGateway {
  constructor(
    /** The adapter the setting named. */
    readonly inner: SmsGateway,
    private readonly db: Db,
    private readonly logger?: Logger,
  ) {}

  async send(msg: SmsMessage): Promise<{ accepted: boolean; duplicate: boolean; refused?: 'processing_stopped' }> {
    const subjectId = await subjectOfMessage(this.db, msg);
    const stop = subjectId ? await processingStopOf(this.db, subjectId) : null;
    if (!mayReach(stop, msg.caseId)) {
      this.logger?.info({ idempotencyKey: msg.idempotencyKey, purpose: msg.purpose, subjectId, stoppedBy: stop?.allowedCase ?? null }, 'sms refused: processing stopped (policy 2.4.1)');
      return { accepted: false, duplicate: false, refused: 'processing_stopped' };
    }
    return this.inner.send(msg);
  }
}
