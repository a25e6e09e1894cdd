// Reports of personal-information breaches to the authority (PIPL art. 57: 履行个人信息保护职责的部门) behind an
// interface. The simulation records each report in PostgreSQL (regulator_reports), once per idempotency key, and
// answers as a filing system would: a report id and when it was accepted. Refused in production unless named in
// ALLOW_SIMULATED (lib/config.ts PORT_SETTINGS), like the other simulations.
import crypto from 'node:crypto';
import type { Db } from './db';
import type { Logger } from './logger';

/** PIPL art. 57: what the report contains. Codes, counts and times only; the platform's contact point by code. */
export interface BreachReport {
  /** The same key never files twice (a retry, a replay): `breach-report:<caseId>`. */
  idempotencyKey: string;
  caseId: string;
  detectedAt: string;
  /** art. 57 (1): the categories of personal information, the cause, the possible harm. */
  categories: string[];
  cause: string;
  harms: string[];
  /** art. 57 (2): the remedial measures taken, and what individuals can do to reduce the harm. */
  measures: string[];
  individualActions: string[];
  /** art. 57 (3): how to contact the platform. */
  contact: string;
  subjects: number;
  individualsNotified: boolean;
}

export interface RegulatorNotifier {
  submit(report: BreachReport): Promise<{ reportId: string; acceptedAt: string; duplicate: boolean }>;
}

export class SimulatedRegulatorNotifier implements RegulatorNotifier {
  constructor(
    private readonly db: Db,
    private readonly logger?: Logger,
  ) {}

  async submit(report: BreachReport): Promise<{ reportId: string; acceptedAt: string; duplicate: boolean }> {
    const reportId = `REG-${crypto.createHash('sha256').update(report.idempotencyKey).digest('hex').slice(0, 16)}`;
    const { idempotencyKey, caseId, ...contents } = report;
    const inserted = await this.db.$queryRawUnsafe<{ accepted_at: Date }[]>(
      `INSERT INTO regulator_reports (idempotency_key, report_id, case_id, contents, accepted_at) VALUES ($1, $2, $3, $4::jsonb, timezone('UTC', now()))
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING accepted_at`,
      idempotencyKey,
      reportId,
      caseId,
      JSON.stringify(contents),
    );
    const duplicate = inserted.length === 0;
    const row = duplicate ? await this.db.$queryRawUnsafe<{ accepted_at: Date }[]>(`SELECT accepted_at FROM regulator_reports WHERE idempotency_key = $1`, idempotencyKey) : inserted;
    this.logger?.info({ caseId, reportId, duplicate }, 'breach report filed (simulated regulator)');
    return { reportId, acceptedAt: new Date(`${row[0].accepted_at.toISOString().slice(0, 23)}Z`).toISOString(), duplicate };
  }
}
