// Personal fields sealed at rest with a per-subject data key, and crypto-shredding (policy 1.3, 2.4.1, 6.3.1;
// lib/sealedFields.ts) on the real stack: a complaint's words and its thread are stored sealed, open for those who may
// read them, are bound to their subject, and become unreadable everywhere once the subject's key is destroyed.
import crypto from 'node:crypto';
import { createDb } from '../../lib/db';
import { isSealed, sealerFor } from '../../lib/sealedFields';
import { requireEnv } from '../helpers/env';
import { idem, complaintBody } from '../../scripts/harness/bodies';
import { call, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

async function complaintWithThread(words: string, reply: string) {
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: complaintBody(sys.keys.merchant.merchantId!, { description: words }), headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  const caseId = opened.body.caseId as string;
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/messages`, { key: sys.keys.storefront.apiKey, body: { body: reply } })).status).toBe(201);
  const subjectId = (await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).subjectId!;
  return { caseId, subjectId };
}
const sealer = () => sealerFor(sys.db, sys.api.deps.ports.keys);
/** Every row of the two tables, as PostgreSQL's text of the whole row: what a dump or a replica holds. */
const rowsText = async (caseId: string) =>
  (await sys.db.$queryRaw<{ t: string }[]>`SELECT t::text AS t FROM complaints t WHERE case_id = ${caseId} UNION ALL SELECT t::text FROM thread_messages t WHERE case_id = ${caseId}`).map((r) => r.t).join('\n');

test("stored sealed, bound to the subject: the rows hold no word in clear, and a sealed value does not open under another subject's key", async () => {
  const a = await complaintWithThread('The blender smoked and the shop will not answer me.', 'Order 4411: still waiting for an answer.');
  const b = await complaintWithThread('Wrong colour delivered twice.', 'Please call me back.');
  const text = await rowsText(a.caseId);
  for (const w of ['blender', 'smoked', '4411', 'waiting']) expect(text).not.toContain(w);
  const message = await sys.db.threadMessage.findFirstOrThrow({ where: { caseId: a.caseId } });
  expect(isSealed(message.body)).toBe(true);
  expect(await sealer().open(a.subjectId, [message.body])).toEqual(['Order 4411: still waiting for an answer.']);
  await expect(sealer().open(b.subjectId, [message.body])).rejects.toThrow(/unable to authenticate|auth/i);
  // The key itself is stored only wrapped by the master key.
  const key = await sys.db.subjectKey.findUniqueOrThrow({ where: { subjectId: a.subjectId } });
  expect(key.wrappedKey!.length).toBe(12 + 16 + 32);
  expect(key.masterKeyId).toMatch(/^sim-aes256:[0-9a-f]{16}$/);
});

test("destroying the subject's key makes every copy unreadable: the API answers null, nothing new is sealed for it, another subject is untouched", async () => {
  const a = await complaintWithThread('My neighbour Wang Fang signed for the parcel and it vanished.', 'Tracking SF998877 says delivered.');
  const b = await complaintWithThread('Late delivery, cold food.', 'Refund please.');
  const before = await rowsText(a.caseId);
  const asAgent = async (caseId: string) => ({
    description: (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.agent.apiKey })).body.complaint.description,
    bodies: (await call(sys, 'GET', `/v1/cases/${caseId}/messages`, { key: sys.keys.agent.apiKey })).body.messages.map((m: any) => m.body),
  });
  expect(await asAgent(a.caseId)).toEqual({ description: 'My neighbour Wang Fang signed for the parcel and it vanished.', bodies: ['Tracking SF998877 says delivered.'] });

  expect(await sealer().shred(a.subjectId)).toBe(true);
  expect(await sealer().shred(a.subjectId)).toBe(false); // once
  expect((await sys.db.subjectKey.findUniqueOrThrow({ where: { subjectId: a.subjectId } })).wrappedKey).toBeNull();
  // The rows are as they were (a backup or a replica holds the same bytes), and they no longer open.
  expect(await rowsText(a.caseId)).toBe(before);
  expect(await asAgent(a.caseId)).toEqual({ description: null, bodies: [null] });
  await expect(sealer().seal(a.subjectId, 'anything')).rejects.toThrow(/destroyed/);
  expect(await asAgent(b.caseId)).toEqual({ description: 'Late delivery, cold food.', bodies: ['Refund please.'] });
});

test("sealing inside a transaction on a pool of one connection (bash scripts/dev's database) reads and makes the key in that transaction", async () => {
  const one = createDb(requireEnv('DATABASE_URL'), { maxConnections: 1 });
  const subjectId = `sub_${crypto.randomUUID().replace(/-/g, '')}`;
  try {
    const sealed = await one.$transaction(async (tx) => sealerFor(one, sys.api.deps.ports.keys).seal(subjectId, 'words in a transaction', tx), { timeout: 5000 });
    expect(isSealed(sealed)).toBe(true);
    expect(await sealerFor(one, sys.api.deps.ports.keys).open(subjectId, [sealed])).toEqual(['words in a transaction']);
  } finally {
    await one.$disconnect();
  }
});
