// Links between cases (case_links), and the activity that opens a linked case: a case of one process opens a case of
// another (the return whose platform review is rejected hands over to a complaint) through the case-opening service.
// Activities do not import the catalogue: the service is a port (CaseOpeningPort) the worker builds from
// processes/caseOpening.ts and hands down (worker/worker.ts). Opening is idempotent on the key the case derives from its
// id and event sequence (CaseKit openLinkedCase), the link on (from, to, type) and the audit events on their keys, so a
// retried activity or a replayed workflow never opens a second case nor records the link twice.
import crypto from 'node:crypto';
import type { Principal } from '../lib/authz';
import { withPgTransaction, type Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import { AuditChain, pgSql } from './audit';
import type { CaseLinkType, OpenLinkedCaseInput, OpenLinkedCaseResult } from './types';

/** What the case-opening service answers a case that opens another (processes/caseOpening.ts createCaseOpening). */
export type LinkedOpening =
  | { status: 'opened' | 'replayed'; caseId: string; caseType: string }
  | { status: 'unknown_process'; caseType: string }
  | { status: 'refused'; caseType: string; code: string; message: string };

/** The case-opening service as the activities see it: declared here, implemented in processes/, wired by the worker. */
export interface CaseOpeningPort {
  openCase(r: { caseType: string; body: Record<string, unknown>; idempotencyKey: string; principal: Principal }): Promise<LinkedOpening>;
}

/** Who opens a linked case: the platform, for the case that asked (cases.opened_by and the idempotency records say 'system'). */
export const LINK_OPENER: Principal = { id: 'system', name: 'case links', role: 'agent', merchantId: null };

/** A link read from the other case: the return handed over to the complaint, the complaint escalated from the return. */
export const LINK_SEEN_FROM_THE_OTHER_CASE: Record<CaseLinkType, CaseLinkType> = { handed_over_to: 'escalated_from', escalated_from: 'handed_over_to', related: 'related' };

/** The audit event key of a link on the case it points to (the from-case's is the event key the link was made by). */
export const incomingLinkKey = (eventKey: string) => `linked:${eventKey}`;

/**
 * Records the link (from, to, type) and the `case.linked` event on both audit trails, in one transaction. Idempotent:
 * the link row on (from, to, type), each event on its key.
 */
export async function recordCaseLink(
  db: Db,
  l: { fromCaseId: string; fromCaseType: string; toCaseId: string; toCaseType: string; type: CaseLinkType; eventKey: string; actor: string; at: Date },
): Promise<void> {
  await withPgTransaction(db, async (client) => {
    const sql = pgSql(client);
    const id = `lnk_${crypto.createHash('sha256').update(`${l.fromCaseId}\n${l.toCaseId}\n${l.type}`).digest('hex').slice(0, 32)}`;
    await sql.query(
      `INSERT INTO case_links (id, from_case_id, to_case_id, type, event_key, created_by, created_at)
       VALUES ($1, $2, $3, $4::"CaseLinkType", $5, $6, ($7::timestamptz AT TIME ZONE 'UTC'))
       ON CONFLICT (from_case_id, to_case_id, type) DO NOTHING`,
      [id, l.fromCaseId, l.toCaseId, l.type, l.eventKey, l.actor, l.at.toISOString()],
    );
    // Both trails, each case row locked in the order of their ids (two links made at once never wait on each other).
    const events = [
      { caseId: l.fromCaseId, eventKey: l.eventKey, type: 'case.linked', actor: l.actor, at: l.at, payload: { linkType: l.type, direction: 'outgoing', caseId: l.toCaseId, caseType: l.toCaseType } },
      {
        caseId: l.toCaseId,
        eventKey: incomingLinkKey(l.eventKey),
        type: 'case.linked',
        actor: l.actor,
        at: l.at,
        payload: { linkType: LINK_SEEN_FROM_THE_OTHER_CASE[l.type], direction: 'incoming', caseId: l.fromCaseId, caseType: l.fromCaseType, linkEventKey: l.eventKey },
      },
    ].sort((a, b) => (a.caseId < b.caseId ? -1 : 1));
    for (const e of events) {
      const chain = await AuditChain.open(sql, e.caseId, [e.eventKey]);
      chain.append(e);
      await chain.insert(sql);
    }
  });
}

/**
 * The openLinkedCase activity, built with the case-opening port the worker hands down. Without a port (a worker built
 * without the service) or without the process in the catalogue, nothing is opened and the case is told why ('skipped'):
 * the case that asked goes on and records it on its timeline.
 */
export function caseLinkActivities(deps: { db: Db; logger: Logger; caseOpening?: CaseOpeningPort }) {
  async function openLinkedCase(i: OpenLinkedCaseInput): Promise<OpenLinkedCaseResult> {
    const log = deps.logger.child({ caseId: i.fromCaseId, linkedCaseType: i.caseType, linkType: i.linkType });
    if (!deps.caseOpening) {
      log.warn('no case-opening service in this worker: the linked case is not opened');
      return { status: 'skipped', reason: 'opening_unavailable' };
    }
    const opened = await deps.caseOpening.openCase({ caseType: i.caseType, body: i.body, idempotencyKey: i.idempotencyKey, principal: LINK_OPENER });
    if (opened.status === 'unknown_process') {
      log.warn('no process of this case type in the catalogue: the linked case is not opened');
      return { status: 'skipped', reason: 'process_not_in_catalogue' };
    }
    if (opened.status === 'refused') {
      log.warn({ code: opened.code, message: opened.message }, 'the linked case was refused by its process');
      return { status: 'skipped', reason: 'refused', code: opened.code };
    }
    const from = await deps.db.case.findUnique({ where: { id: i.fromCaseId }, select: { type: true } });
    if (!from) throw new Error(`Case ${i.fromCaseId} does not exist: it cannot be linked`);
    await recordCaseLink(deps.db, { fromCaseId: i.fromCaseId, fromCaseType: from.type, toCaseId: opened.caseId, toCaseType: opened.caseType, type: i.linkType, eventKey: i.eventKey, actor: LINK_OPENER.id, at: new Date(i.at) });
    log.info({ linkedCaseId: opened.caseId, replayed: opened.status === 'replayed' }, 'linked case opened');
    return { status: 'linked', caseId: opened.caseId, caseType: opened.caseType, replayed: opened.status === 'replayed' };
  }
  return { openLinkedCase };
}
