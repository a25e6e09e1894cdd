// The signed dossier of a case of any process (auditors, supervisors; arbitration and courts): its case row, tasks,
// payments, links, hash-chained timeline with the chain's verification, every Temporal run's history as JSON and the replay of
// those histories against the current code, in a tar archive whose manifest of SHA-256 hashes is signed with the
// platform's Ed25519 key (lib/dossier.ts, the KeyManagement port). `scripts/dossier.ts` writes and verifies one offline;
// GET /v1/cases/{caseId}/dossier answers one.
import { storedReader } from '../lib/blobs';
import type { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { verifyAuditChain } from '../activities/audit';
import type { Db } from '../lib/db';
import { jsonBytes, writeDossier, type DossierEntry, type DossierManifest, type ManifestFile } from '../lib/dossier';
import type { BlobStore } from '../lib/blobs';
import type { KeyManagement } from '../lib/keys';
import { caseById, linksOfCase, paymentsOfCase, tasksOfCase } from '../lib/sqlReads';
import { sealerFor } from '../lib/sealedFields';

type History = temporal.api.history.v1.IHistory;

/** Replays histories against the current workflow code (worker/historyReplayer.ts), one result per history, in order. */
export type HistoryReplay = (histories: { workflowId: string; runId: string; history: History }[]) => Promise<{ runId: string; replayed: boolean; mismatch?: string }[]>;

export interface DossierDeps {
  db: Db;
  client: Client;
  keys: KeyManagement;
  /** The attachments' bytes (each file goes in beside its row). */
  blobs: BlobStore;
  /** Absent: the dossier says that no replay was made, and why. */
  replay?: HistoryReplay;
}

/** The runs of a workflow, oldest first: every run visibility lists (continue-as-new makes several), else the latest. */
async function runsOf(client: Client, workflowId: string): Promise<{ runId: string; history: History }[]> {
  const listed: { runId: string; startTime: Date }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId.replace(/['\\]/g, '\\$&')}'` })) listed.push({ runId: w.runId, startTime: w.startTime });
  listed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  if (listed.length === 0) {
    const h = client.workflow.getHandle(workflowId);
    const { runId } = await h.describe();
    return [{ runId, history: await h.fetchHistory() }];
  }
  return Promise.all(listed.map(async ({ runId }) => ({ runId, history: await client.workflow.getHandle(workflowId, runId).fetchHistory() })));
}

/** Writes the dossier of `caseId` to `out`. Throws when the case does not exist (before anything is written). */
export async function writeCaseDossier(deps: DossierDeps, caseId: string, o: { by: string; out: Writable; now?: Date; onProgress?: (f: ManifestFile) => void }): Promise<DossierManifest> {
  const found = await caseById(deps.db, caseId);
  if (!found) throw new Error(`case ${caseId} does not exist`);
  const kase = found;
  const key = await deps.keys.signingKey();
  async function* entries(): AsyncGenerator<DossierEntry> {
    yield { path: 'case.json', bytes: jsonBytes(kase) };
    yield { path: 'tasks.json', bytes: jsonBytes(await tasksOfCase(deps.db, caseId)) };
    yield { path: 'payments.json', bytes: jsonBytes(await paymentsOfCase(deps.db, caseId)) };
    const events = await deps.db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } });
    yield { path: 'timeline.json', bytes: jsonBytes(events.map((e) => ({ seq: e.seq, at: e.at.toISOString(), eventKey: e.eventKey, type: e.type, actor: e.actor, payload: e.payload, hash: e.hash, prevHash: e.prevHash }))) };
    yield { path: 'audit-verification.json', bytes: jsonBytes(await verifyAuditChain(deps.db, caseId)) };
    // The thread: every message with its words (the dossier is an auditor's or a court's copy, under access control).
    // The words are sealed with the subject's key (lib/sealedFields.ts): opened here, null once that key was destroyed.
    const messages = await deps.db.threadMessage.findMany({ where: { caseId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    const bodies = await sealerFor(deps.db, deps.keys).open(kase.subjectId, messages.map((m) => m.body));
    yield { path: 'thread.json', bytes: jsonBytes(messages.map((m, i) => ({ messageId: m.id, party: m.party, authorId: m.authorId, authorRole: m.authorRole, body: bodies[i], attachmentIds: m.attachmentIds, createdAt: m.createdAt.toISOString() }))) };
    // Its links to other cases (issue 18 §9), read from this case, both ways.
    const links = await linksOfCase(deps.db, caseId);
    yield { path: 'links.json', bytes: jsonBytes(links.map((l) => ({ linkId: l.linkId, type: l.type, direction: l.direction, caseId: l.otherCaseId, caseType: l.otherCaseType, eventKey: l.eventKey, createdBy: l.createdBy, createdAt: l.createdAt.toISOString() }))) };
    // Evidence: the rows, then each file's bytes streamed from the blob store (the manifest hashes them again on the way).
    const attachments = await deps.db.attachment.findMany({ where: { caseId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    // Their names are sealed like the words: opened here, null once the key was destroyed.
    const names = await sealerFor(deps.db, deps.keys).open(kase.subjectId, attachments.map((a) => a.filename));
    yield { path: 'attachments.json', bytes: jsonBytes(attachments.map((a, i) => ({ attachmentId: a.id, sha256: a.sha256, sizeBytes: a.sizeBytes, contentType: a.contentType, filename: names[i], uploadedBy: a.uploadedBy, uploaderRole: a.uploaderRole, createdAt: a.createdAt.toISOString(), file: `attachments/${a.id}` }))) };
    // Sealed bytes open with the case customer's key (lib/blobs.ts); once it is destroyed, the file is named as erased.
    for (const a of attachments) {
      const stream = await storedReader(deps.blobs, sealerFor(deps.db, deps.keys), a, kase.subjectId);
      if (stream) yield { path: `attachments/${a.id}`, size: a.sizeBytes, stream };
      else yield { path: `attachments/${a.id}.erased.json`, bytes: jsonBytes({ attachmentId: a.id, erased: 'the key its bytes were sealed with was destroyed' }) };
    }
    const runs = await runsOf(deps.client, kase.workflowId);
    for (const [i, run] of runs.entries()) yield { path: `temporal/run-${i + 1}-${run.runId}.json`, bytes: Buffer.from(historyToJSON(run.history)) };
    const replay = deps.replay
      ? { performed: true, against: 'the workflow code this system runs now', runs: await deps.replay(runs.map((r) => ({ workflowId: kase.workflowId, runId: r.runId, history: r.history }))) }
      : { performed: false, reason: 'this process has no workflow bundle to replay with; run `npx tsx scripts/replay.ts --workflow-id ' + kase.workflowId + '`' };
    yield { path: 'replay.json', bytes: jsonBytes(replay) };
  }
  return writeDossier(o.out, { caseId, caseType: kase.type, generatedAt: (o.now ?? new Date()).toISOString(), generatedBy: o.by }, entries(), key, o.onProgress);
}
