// API keys (lib/principals.ts, api/routes/principals.ts) on the real stack: an optional expiry, rotation with an
// overlap, revocation of one key or of the principal, the last use, and an audit event for every create, rotation and
// revocation, naming the admin who did it.
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const admin = () => sys.keys.admin.apiKey;
const works = async (key: string) => (await call(sys, 'GET', '/v1/processes', { key })).status;
const create = (body: Record<string, unknown>) => call(sys, 'POST', '/v1/principals', { key: admin(), body: { role: 'auditor', ...body } });

test('a key with an expiry works until it, then answers 401; an expiry in the past is refused (400)', async () => {
  const soon = new Date(Date.now() + 3_600_000).toISOString();
  const created = await create({ name: 'expiring', expiresAt: soon });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ keyId: expect.stringMatching(/^key_[0-9a-f]{24}$/), keyExpiresAt: new Date(soon).toISOString() });
  expect(await works(created.body.apiKey)).toBe(200);
  // Its time comes (set in the past here rather than waited for).
  await sys.db.apiKey.update({ where: { id: created.body.keyId }, data: { expiresAt: new Date(Date.now() - 1000) } });
  expect(await works(created.body.apiKey)).toBe(401);
  const past = await create({ name: 'late', expiresAt: '2020-01-01T00:00:00Z' });
  expect(past.status).toBe(400);
  expect(past.body.error.details).toEqual([expect.objectContaining({ path: 'expiresAt', message: 'must be in the future' })]);
});

test('rotation: the new key works at once, the old ones keep working through the overlap and stop after it; each step audited with its actor', async () => {
  const p = (await create({ name: 'rotating' })).body;
  const first = p.apiKey as string;
  const r1 = await call(sys, 'POST', `/v1/principals/${p.id}/keys`, { key: admin(), body: { overlapSeconds: 3600 } });
  expect(r1.status).toBe(201);
  expect(r1.body).toMatchObject({ principalId: p.id, keyId: expect.stringMatching(/^key_/), previousKeys: [p.keyId] });
  const overlapEnd = new Date(r1.body.previousKeysEndAt).getTime() - Date.now();
  expect(overlapEnd).toBeGreaterThan(3_500_000);
  expect(overlapEnd).toBeLessThanOrEqual(3_600_000);
  expect([await works(first), await works(r1.body.apiKey)]).toEqual([200, 200]);
  // A second rotation with no overlap: both earlier keys stop now, the newest works.
  const r2 = await call(sys, 'POST', `/v1/principals/${p.id}/keys`, { key: admin(), body: { overlapSeconds: 0 } });
  expect(r2.body.previousKeys.sort()).toEqual([p.keyId, r1.body.keyId].sort());
  expect([await works(first), await works(r1.body.apiKey), await works(r2.body.apiKey)]).toEqual([401, 401, 200]);

  // One key revoked: it stops, the principal's other keys do not. The principal revoked: all stop; no new key for it.
  const r3 = (await call(sys, 'POST', `/v1/principals/${p.id}/keys`, { key: admin(), body: { overlapSeconds: 600 } })).body;
  expect((await call(sys, 'DELETE', `/v1/principals/${p.id}/keys/${r2.body.keyId}`, { key: admin() })).status).toBe(200);
  expect([await works(r2.body.apiKey), await works(r3.apiKey)]).toEqual([401, 200]);
  expect((await call(sys, 'DELETE', `/v1/principals/${p.id}/keys/key_000000000000000000000000`, { key: admin() })).status).toBe(404);
  expect((await call(sys, 'DELETE', `/v1/principals/${p.id}`, { key: admin() })).status).toBe(200);
  expect(await works(r3.apiKey)).toBe(401);
  const refused = await call(sys, 'POST', `/v1/principals/${p.id}/keys`, { key: admin(), body: {} });
  expect([refused.status, refused.body.error.code]).toEqual([409, 'PRINCIPAL_REVOKED']);
  expect((await call(sys, 'POST', `/v1/principals/${p.id}/keys`, { key: admin(), body: { overlapSeconds: -1 } })).status).toBe(400);

  const events = await call(sys, 'GET', `/v1/principals/${p.id}/events`, { key: admin() });
  expect(events.status).toBe(200);
  expect(events.body.events.map((e: any) => [e.type, e.keyId, e.actor])).toEqual([
    ['principal.created', null, sys.keys.admin.id],
    ['key.created', p.keyId, sys.keys.admin.id],
    ['key.created', r1.body.keyId, sys.keys.admin.id],
    ['key.created', r2.body.keyId, sys.keys.admin.id],
    ['key.created', r3.keyId, sys.keys.admin.id],
    ['key.revoked', r2.body.keyId, sys.keys.admin.id],
    ['principal.revoked', null, sys.keys.admin.id],
  ]);
  expect(events.body.events[2].detail).toMatchObject({ rotation: true, previousKeys: [p.keyId] });
  expect((await call(sys, 'GET', '/v1/principals/prn_nobody/events', { key: admin() })).status).toBe(404);
});

test("the list shows each principal's keys with their expiry, revocation and last use (never the key)", async () => {
  const p = (await create({ name: 'listed' })).body;
  expect(await works(p.apiKey)).toBe(200);
  const listed = await eventually(async () => {
    const r = await call(sys, 'GET', '/v1/principals', { key: admin() });
    const mine = r.body.principals.find((x: any) => x.id === p.id);
    return mine?.keys[0]?.lastUsedAt ? mine : undefined;
  }, 'the last use recorded');
  expect(listed.keys).toEqual([{ id: p.keyId, keyPrefix: p.apiKey.slice(0, 8), createdAt: expect.any(String), expiresAt: null, revokedAt: null, lastUsedAt: expect.any(String) }]);
  expect(JSON.stringify(listed)).not.toContain(p.apiKey);
});
