// A client generated from the served /openapi.json (openapi-typescript) and openapi-fetch drive a return from its
// opening to its refund. The journey below is written from the generated types alone: no hand-written type, no
// cast. It must compile with `tsc --strict`, then it runs against the live test system. The generated file and the
// journey go to .data/typed-client-<id>/ (inside the project, so that openapi-fetch resolves from node_modules).
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { call, startTestSystem, type TestSystem } from '../helpers/system';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Runs a child process without blocking the event loop (the API under test runs in this process: a blocking spawnSync
 * would stall it, and its keep-alive sockets would close under the client's feet).
 */
function run(file: string, args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
let sys: TestSystem;
let dir: string;

beforeAll(async () => {
  sys = await startTestSystem();
  dir = path.join(ROOT, '.data', `typed-client-${crypto.randomUUID().slice(0, 8)}`);
  fs.mkdirSync(dir, { recursive: true });
});
afterAll(async () => {
  await sys?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The journey: only generated types (paths) and inference. */
const journey = `import createClient from 'openapi-fetch';
import type { paths } from './api';

export async function returnToRefund(baseUrl: string, storefrontKey: string, merchantKey: string, merchantId: string): Promise<string[]> {
  const storefront = createClient<paths>({ baseUrl, headers: { Authorization: \`Bearer \${storefrontKey}\` } });
  const merchant = createClient<paths>({ baseUrl, headers: { Authorization: \`Bearer \${merchantKey}\` } });
  const seen: string[] = [];
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function until<T>(label: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 450; i++) {
      const v = await probe();
      if (v !== undefined) return v;
      await wait(100);
    }
    throw new Error(\`timed out waiting for \${label}\`);
  }

  async function step(caseId: string, wanted: string) {
    return until(wanted, async () => {
      const { data } = await storefront.GET('/v1/cases/{caseId}', { params: { path: { caseId } } });
      return data && data.step === wanted ? data : undefined;
    });
  }

  async function openTask(caseId: string, type: string) {
    return until(type, async () => {
      const { data } = await merchant.GET('/v1/tasks', { params: { query: { caseId, status: 'open' } } });
      return data?.tasks.find((t) => t.type === type);
    });
  }

  const opened = await storefront.POST('/v1/cases', {
    params: { header: { 'Idempotency-Key': \`typed-\${Date.now()}-\${Math.random().toString(36).slice(2)}\` } },
    body: {
      type: 'return',
      order: {
        orderId: \`ORD-\${Date.now()}\`,
        lineItemId: 'LI-1',
        category: 'apparel',
        amount: '199.00',
        currency: 'CNY',
        customerId: 'cust-typed',
        merchantId,
        deliveredAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      },
      requestType: 'return_and_refund',
      reasonCode: 'no_reason',
    },
  });
  if (!opened.data) throw new Error(\`open: \${opened.response.status} \${JSON.stringify(opened.error)}\`);
  const caseId = opened.data.caseId;
  seen.push(\`opened \${opened.response.status} \${opened.data.status}\`);

  const review = await openTask(caseId, 'return.merchant_review');
  const approved = await merchant.POST('/v1/tasks/{taskId}/complete', { params: { path: { taskId: review.taskId } }, body: { payload: { decision: 'approve' } } });
  if (!approved.data) throw new Error(\`approve: \${JSON.stringify(approved.error)}\`);
  seen.push(\`review \${approved.data.status}\`);

  await step(caseId, 'awaiting_customer_shipment');
  const shipped = await storefront.POST('/v1/cases/{caseId}/actions/shipment', {
    params: { path: { caseId } },
    body: { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '18.00', currency: 'CNY' } },
  });
  if (!shipped.data) throw new Error(\`shipment: \${JSON.stringify(shipped.error)}\`);
  seen.push('shipped');

  await step(caseId, 'awaiting_receipt');
  const received = await merchant.POST('/v1/cases/{caseId}/actions/receipt', { params: { path: { caseId } }, body: {} });
  if (!received.data) throw new Error(\`receipt: \${JSON.stringify(received.error)}\`);
  const inspection = await openTask(caseId, 'return.merchant_inspection');
  const inspected = await merchant.POST('/v1/tasks/{taskId}/complete', { params: { path: { taskId: inspection.taskId } }, body: { payload: { outcome: 'complete' } } });
  if (!inspected.data) throw new Error(\`inspection: \${JSON.stringify(inspected.error)}\`);
  seen.push(\`inspection \${inspected.data.status}\`);

  const closed = await until('closed', async () => {
    const { data } = await storefront.GET('/v1/cases/{caseId}', { params: { path: { caseId } } });
    return data && data.status === 'closed' ? data : undefined;
  });
  seen.push(\`closed \${closed.outcome}\`);
  for (const p of closed.payments ?? []) seen.push(\`\${p.kind} \${p.amountMinor} \${p.currency} \${p.status}\`);
  return seen;
}
`;

test('a client generated from /openapi.json compiles under tsc --strict and drives a return to its refund', async () => {
  const served = await call(sys, 'GET', '/openapi.json');
  expect(served.status).toBe(200);
  fs.writeFileSync(path.join(dir, 'openapi.json'), served.text);

  // 1. Generate the types with openapi-typescript's programmatic API.
  const gen = await run(
    process.execPath,
    [
      '-e',
      `const fs = require('fs');
       const { default: openapiTS, astToString } = require('openapi-typescript');
       openapiTS(JSON.parse(fs.readFileSync(process.argv[1], 'utf8')), { silent: true })
         .then((ast) => fs.writeFileSync(process.argv[2], astToString(ast)))
         .catch((e) => { console.error(e); process.exit(1); });`,
      path.join(dir, 'openapi.json'),
      path.join(dir, 'api.d.ts'),
    ],
    ROOT,
  );
  expect({ status: gen.status, stderr: gen.stderr }).toEqual({ status: 0, stderr: '' });
  const generated = fs.readFileSync(path.join(dir, 'api.d.ts'), 'utf8');
  expect(generated).toContain('export interface paths');

  // 2. The journey: no hand-written type, no cast.
  fs.writeFileSync(path.join(dir, 'journey.ts'), journey);
  expect(journey).not.toMatch(/\bas\s+[A-Za-z{[]|\binterface\b|\btype\s+\w+\s*=|\bany\b|!\./);

  // 3. tsc --strict must compile it.
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'commonjs', moduleResolution: 'node', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false, exactOptionalPropertyTypes: false }, files: ['journey.ts', 'api.d.ts'] }),
  );
  const tsc = await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json')], dir);
  expect({ status: tsc.status, out: tsc.stdout.trim() }).toEqual({ status: 0, out: '' });

  // ... and the document is what makes it so: a payload no task type takes does not compile.
  fs.writeFileSync(
    path.join(dir, 'wrong.ts'),
    `import createClient from 'openapi-fetch';\nimport type { paths } from './api';\nexport const wrong = () => createClient<paths>({ baseUrl: '/' }).POST('/v1/tasks/{taskId}/complete', { params: { path: { taskId: 't' } }, body: { payload: 42 } });\n`,
  );
  fs.writeFileSync(path.join(dir, 'tsconfig.wrong.json'), JSON.stringify({ extends: './tsconfig.json', files: ['wrong.ts', 'api.d.ts'] }));
  const wrong = await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.wrong.json')], dir);
  expect(wrong.status).not.toBe(0);
  expect(wrong.stdout).toMatch(/wrong\.ts\(3,\d+\): error TS2322/);

  // 4. It runs against the live system: opened, reviewed, shipped, inspected, refunded.
  const { returnToRefund } = require(path.join(dir, 'journey.ts')) as { returnToRefund: (base: string, s: string, m: string, id: string) => Promise<string[]> };
  const seen = await returnToRefund(sys.api.url, sys.keys.storefront.apiKey, sys.keys.merchant.apiKey, sys.keys.merchant.merchantId!);
  expect(seen).toEqual(['opened 201 open', 'review completed', 'shipped', 'inspection completed', 'closed refunded', expect.stringMatching(/^(refund|return_shipping) \d+ CNY succeeded$/), expect.stringMatching(/^(refund|return_shipping) \d+ CNY succeeded$/)]);
  expect(seen.filter((s) => s.startsWith('refund ')).length).toBe(1);
});
