// The plain-SQL reads on every request's path (lib/sqlReads.ts) return exactly what Prisma returns for the same row:
// every column, nulls, enums, JSON and instants included.
import crypto from 'node:crypto';
import { createDb, isUniqueViolation, poolOf, type Db } from '../../lib/db';
import { createPrincipal, findPrincipalByKey, hashKey } from '../../lib/principals';
import { caseById, idempotencyRecordOf, paymentsOfCase, principalByKeyHash, taskById, tasksOfCase } from '../../lib/sqlReads';
import { requireEnv } from '../helpers/env';

let db: Db;
beforeAll(() => {
  db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 2 });
});
afterAll(async () => {
  await db?.$disconnect();
});

async function newCase(): Promise<string> {
  const id = `RET-${crypto.randomUUID()}`;
  await db.case.create({ data: { id, type: 'return', status: 'open', step: 'opened', customerId: 'cust-1', merchantId: 'm-1', policyVersion: 'p', workflowId: id, summary: {}, openedBy: 'test' } });
  return id;
}

test('a task row, every field set, and one with the optional fields empty', async () => {
  const caseId = await newCase();
  const full = `${caseId}.t1`;
  const bare = `${caseId}.t2`;
  await db.task.create({
    data: {
      id: full, caseId, caseType: 'return', type: 'return.merchant_review', role: 'merchant', merchantId: 'm-1', assigneeId: 'prn_x', status: 'completed',
      dueAt: new Date('2026-03-01T01:02:03.456Z'), slaName: 'merchantReview', escalated: true, escalatedAt: new Date('2026-03-02T00:00:00.001Z'),
      remindedAt: new Date('2026-02-28T23:59:59.999Z'), completedAt: new Date('2026-03-03T12:00:00.000Z'), completedBy: 'prn_x', resolution: 'completed',
      result: { decision: 'approve', nested: { list: [1, 'two', null] } },
    },
  });
  await db.task.create({ data: { id: bare, caseId, caseType: 'return', type: 'return.merchant_review', role: 'merchant', status: 'open', dueAt: new Date('2026-12-31T16:00:00.000Z'), slaName: 'merchantReview' } });
  for (const id of [full, bare]) expect(await taskById(db, id)).toEqual(await db.task.findUnique({ where: { id } }));
  expect(await taskById(db, `${caseId}.t9`)).toBeNull();
  expect(await tasksOfCase(db, caseId)).toEqual(await db.task.findMany({ where: { caseId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }));
  expect((await tasksOfCase(db, caseId)).map((t) => t.id)).toEqual([full, bare]);
});

test('a case row, as opened and once closed, and the idempotency record that opened it', async () => {
  const caseId = await newCase();
  expect(await caseById(db, caseId)).toEqual(await db.case.findUnique({ where: { id: caseId } }));
  await db.case.update({
    where: { id: caseId },
    data: { status: 'closed', step: 'refunded', outcome: 'refunded', workflowStartedAt: new Date('2026-11-01T00:00:00.000Z'), closedAt: new Date('2026-11-09T15:59:59.999Z'), summary: { a: [1, { b: null }] }, deadlines: { merchantReview: '2026-11-03T16:00:00.000Z' }, deadlinesVersion: 7 },
  });
  expect(await caseById(db, caseId)).toEqual(await db.case.findUnique({ where: { id: caseId } }));
  expect(await caseById(db, 'RET-missing')).toBeNull();
  const principal = await createPrincipal(db, { name: 'Storefront', role: 'storefront' });
  await db.idempotencyRecord.create({ data: { principalId: principal.id, key: 'key-00000001', requestHash: 'h'.repeat(64), caseId } });
  expect(await idempotencyRecordOf(db, principal.id, 'key-00000001')).toEqual(await db.idempotencyRecord.findUnique({ where: { principalId_key: { principalId: principal.id, key: 'key-00000001' } } }));
  expect(await idempotencyRecordOf(db, principal.id, 'key-00000002')).toBeNull();
});

test("a case's payments, every field set and the optional ones empty, oldest first", async () => {
  const caseId = await newCase();
  const key = () => `pay-${crypto.randomUUID()}`;
  await db.payment.create({ data: { id: `${caseId}.p2`, caseId, kind: 'return_shipping', payer: 'merchant', amountMinor: 1200, currency: 'CNY', idempotencyKey: key(), status: 'recorded', createdAt: new Date('2026-03-02T00:00:00.000Z') } });
  await db.payment.create({
    data: { id: `${caseId}.p1`, caseId, kind: 'refund', payer: 'platform', amountMinor: 19900, currency: 'CNY', idempotencyKey: key(), status: 'succeeded', gatewayRef: 'gw-1', route: 'original', paymentRef: 'pay-ref-1', createdAt: new Date('2026-03-01T23:59:59.999Z') },
  });
  expect(await paymentsOfCase(db, caseId)).toEqual(await db.payment.findMany({ where: { caseId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }));
  expect((await paymentsOfCase(db, caseId)).map((p) => p.id)).toEqual([`${caseId}.p1`, `${caseId}.p2`]);
  expect(await paymentsOfCase(db, 'RET-missing')).toEqual([]);
});

test('a principal, live and revoked, by the hash of its key', async () => {
  const created = await createPrincipal(db, { name: 'Merchant desk', role: 'merchant', merchantId: `m-${crypto.randomUUID()}` });
  const keyHash = hashKey(created.apiKey);
  const viaPrisma = async () => {
    const k = await db.apiKey.findUniqueOrThrow({ where: { keyHash }, include: { principal: true } });
    return { ...k.principal, keyId: k.id, keyExpiresAt: k.expiresAt, keyRevokedAt: k.revokedAt };
  };
  expect(await principalByKeyHash(db, keyHash)).toEqual(await viaPrisma());
  expect(await findPrincipalByKey(db, created.apiKey)).toMatchObject({ id: created.id, role: 'merchant', merchantId: created.merchantId });
  await db.principal.update({ where: { id: created.id }, data: { revokedAt: new Date('2026-11-28T10:00:00.123Z') } });
  expect(await principalByKeyHash(db, keyHash)).toEqual(await viaPrisma());
  expect(await findPrincipalByKey(db, created.apiKey)).toBeNull();
  expect(await principalByKeyHash(db, hashKey('cwk_unknown'))).toBeNull();
});

test('a duplicate key counts as a unique violation whether the statement went through Prisma or straight to the pool', async () => {
  const caseId = await newCase();
  const insert = `INSERT INTO idempotency_records (principal_id, key, request_hash, case_id, created_at) VALUES ($1, $2, 'h', $3, timezone('UTC', now()))`;
  const params = ['prn_dup', `key-${caseId}`, caseId];
  await poolOf(db).query(insert, params);
  const viaPool = await poolOf(db).query(insert, params).catch((err: unknown) => err);
  const viaPrisma = await db.$executeRawUnsafe(insert, ...params).catch((err: unknown) => err);
  expect(isUniqueViolation(viaPool)).toBe(true);
  expect(isUniqueViolation(viaPrisma)).toBe(true);
  // Any other failure is not one.
  const other = await poolOf(db).query(insert, ['prn_dup', `other-${caseId}`, null]).catch((err: unknown) => err); // case_id NOT NULL
  expect(other).toBeInstanceOf(Error);
  expect(isUniqueViolation(other)).toBe(false);
});
