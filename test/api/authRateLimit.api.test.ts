// Rate limiting before authentication (api/middleware.ts authenticate, api/rateLimit.ts): requests without a valid key
// are limited per client address, so bad keys cannot cost unlimited database look-ups; a valid key takes nothing from
// that allowance. On the real stack with a small limit, and with the look-up counted.
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate } from '../../api/middleware';
import { TokenBuckets } from '../../api/rateLimit';
import { errorHandler } from '../../api/errors';
import { findPrincipalByKey } from '../../lib/principals';
import { call, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: '6', AUTH_FAILURE_LIMIT_BURST: '3' } });
});
afterAll(async () => {
  await sys?.stop();
});

test('after the burst of failed authentications from an address: 429 AUTH_RATE_LIMITED with Retry-After, even for a valid key; a valid key before that takes nothing', async () => {
  const good = () => call(sys, 'GET', '/v1/processes', { key: sys.keys.agent.apiKey });
  for (let i = 0; i < 5; i++) expect((await good()).status).toBe(200);
  for (const key of ['bad-1', 'bad-2', undefined]) expect((await call(sys, 'GET', '/v1/processes', { key })).status).toBe(401);
  const limited = await call(sys, 'GET', '/v1/processes', { key: 'bad-4' });
  expect(limited.status).toBe(429);
  expect(limited.body.error).toMatchObject({ code: 'AUTH_RATE_LIMITED', message: expect.stringContaining('6 per minute') });
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect((await good()).status).toBe(429); // the address is held, whatever key it sends, until the bucket refills
});

test('a limited address costs no look-up: the bucket is read before the database', async () => {
  let lookups = 0;
  const app = express();
  app.use((req, _res, next) => {
    req.log = sys.api.deps.logger;
    next();
  });
  app.use(
    authenticate(sys.db, new TokenBuckets({ perMinute: 1, burst: 2 }), async (db, key) => {
      lookups++;
      return findPrincipalByKey(db, key);
    }),
  );
  app.get('/x', (_req, res) => void res.json({ ok: true }));
  app.use(errorHandler);
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await fetch(url, { headers: { authorization: `Bearer nope-${i}` } })).status);
    expect(statuses).toEqual([401, 401, 429, 429, 429, 429, 429, 429, 429, 429]);
    expect(lookups).toBe(2);
  } finally {
    server.close();
  }
});
