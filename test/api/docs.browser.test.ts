// /docs in a real browser: Debian's Chromium (/usr/bin/chromium, installed by scripts/test when missing) driven by
// playwright-core. At 1400, 1024 and 390 px wide the reference renders every operation, no two visible index entries
// (tag headings and operation rows) overlap, nothing loads from another origin, and "Try it out" on GET /healthz
// executes the request and shows 200. Screenshots go to .data/docs-screenshots/. The API runs without a database
// or Temporal (serving the page and /healthz needs neither).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { openApiDocument } from '../../api/openapi';
import { createLogger } from '../../lib/logger';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', '.data', 'docs-screenshots');

let server: http.Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: scripts/test installs Debian's chromium package (or set CHROMIUM_PATH)`);
  const unused = new Proxy({}, { get: () => undefined }) as any;
  const deps: ApiDeps = { db: unused, temporal: unused, ports: unused, logger: createLogger('docs-test', 'silent'), currentPolicy: () => { throw new Error('not needed'); } };
  server = http.createServer(createApp(deps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  fs.mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

const operationCount = () => Object.values(openApiDocument().paths).reduce((n, item) => n + Object.keys(item).length, 0);

interface Box {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
  kind: string;
  parent: string;
}

// Runs in the page (no DOM types in this project's compile): the page's globals, typed loosely.
declare const window: { scrollX: number; scrollY: number };
declare function getComputedStyle(el: unknown): { visibility: string; display: string };

/** The boxes of the visible index entries: tag headings and operation rows (with their method, path and summary). */
async function indexBoxes(page: Page): Promise<Box[]> {
  return page.$$eval('.opblock-tag, .opblock-summary, .opblock-summary-method, .opblock-summary-path, .opblock-summary-description', (els) =>
    els
      .map((el) => {
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return {
          label: `${el.className.split(' ')[0]}:${(el.textContent ?? '').trim().slice(0, 50)}`,
          x: r.x + window.scrollX,
          y: r.y + window.scrollY,
          width: r.width,
          height: r.height,
          visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none',
          kind: el.className.split(' ')[0],
          parent: el.closest('.opblock')?.id ?? el.closest('.opblock-tag-section')?.querySelector('.opblock-tag')?.id ?? '',
        };
      })
      .filter((b) => b.visible)
      .map(({ visible: _v, ...b }) => b),
  );
}

/** Pairs of boxes that overlap by more than a pixel each way; a row and its own parts are not compared. */
function overlaps(boxes: Box[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const sameRow = a.parent !== '' && a.parent === b.parent && (a.kind === 'opblock-summary' || b.kind === 'opblock-summary');
      if (sameRow) continue;
      const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      if (w > 1 && h > 1) out.push(`${a.label} / ${b.label}`);
    }
  }
  return out;
}

test.each([1400, 1024, 390])('at %i px the reference renders every operation, its index does not overlap, and nothing loads from elsewhere', async (width) => {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/docs`);
  await page.waitForSelector('.opblock', { timeout: 30_000 });
  expect(await page.locator('.opblock').count()).toBe(operationCount());
  expect(await page.locator('.opblock-tag').count()).toBe(openApiDocument().tags.length);
  const boxes = await indexBoxes(page);
  expect(boxes.length).toBeGreaterThan(operationCount());
  expect(overlaps(boxes)).toEqual([]);
  await page.screenshot({ path: path.join(SHOTS, `docs-${width}.png`) });
  await page.screenshot({ path: path.join(SHOTS, `docs-${width}-full.png`), fullPage: true });
  expect(foreign).toEqual([]);
  expect(errors).toEqual([]);
  await page.close();
});

test('"Try it out" executes GET /healthz against this origin and shows 200; Authorize takes a bearer key', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${base}/docs`);
  const op = page.locator('#operations-operations-getHealth');
  await op.waitFor({ timeout: 30_000 });
  await op.locator('.opblock-summary-control').click();
  await op.locator('.try-out__btn').click();
  const executed = page.waitForResponse((r) => r.url() === `${base}/healthz`);
  await op.locator('.execute').click();
  expect((await executed).status()).toBe(200);
  const status = op.locator('.live-responses-table tbody .response-col_status').first();
  await status.waitFor();
  expect((await status.textContent())?.trim()).toBe('200');
  await status.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, 'docs-try-it-out.png') });

  await page.locator('.btn.authorize').first().click();
  const input = page.locator('.auth-container input').first();
  await input.waitFor();
  await input.fill('ck_example');
  await page.screenshot({ path: path.join(SHOTS, 'docs-authorize.png') });
  await page.close();
});
