// SMS delivery behind an interface. The embedded default captures every message in PostgreSQL
// (sms_outbox), once per idempotency key; the log line never carries the message text or the number.
import type { Db } from './db';
import type { Logger } from './logger';

export interface SmsMessage {
  /** The same key never sends twice (retries, redelivery). */
  idempotencyKey: string;
  to: string;
  body: string;
  purpose: 'mobile_verification' | 'guardian_verification' | 'request_verification' | 'breach_notice';
  registrationId?: string;
  /** The data subject the message is for (else read from registrationId): a stopped subject is refused (lib/processingStop.ts). */
  subjectId?: string;
  /** The case that sends it: a stopped subject still gets the messages of the request that stopped it. */
  caseId?: string;
}

export interface SmsGateway {
  /** refused: not handed to the gateway (the subject's processing is stopped, lib/processingStop.ts). */
  send(msg: SmsMessage): Promise<{ accepted: boolean; duplicate: boolean; refused?: 'processing_stopped' }>;
}

export class CaptureSmsGateway implements SmsGateway {
  constructor(
    private readonly db: Db,
    private readonly logger?: Logger,
  ) {}

  async send(msg: SmsMessage): Promise<{ accepted: boolean; duplicate: boolean }> {
    const created = await this.db.smsOutbox.createMany({
      data: [{ idempotencyKey: msg.idempotencyKey, registrationId: msg.registrationId ?? null, toNumber: msg.to, body: msg.body, purpose: msg.purpose }],
      skipDuplicates: true,
    });
    const duplicate = created.count === 0;
    this.logger?.info({ idempotencyKey: msg.idempotencyKey, purpose: msg.purpose, registrationId: msg.registrationId, duplicate }, 'sms captured');
    return { accepted: true, duplicate };
  }
}
