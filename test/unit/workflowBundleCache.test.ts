// The dev system and the replay tool reuse a workflow bundle only while every file webpack read is unchanged and
// every path it probed is still absent (worker/workflowBundle.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { staleness, type Manifest } from '../../worker/workflowBundle';

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

describe('staleness of a kept workflow bundle', () => {
  let dir: string;
  let manifest: Manifest;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-cache-'));
    fs.writeFileSync(path.join(dir, 'a.ts'), 'export const a = 1;\n');
    fs.mkdirSync(path.join(dir, 'sub'));
    manifest = { key: 'k', files: { [path.join(dir, 'a.ts')]: sha256('export const a = 1;\n'), [path.join(dir, 'sub')]: 'dir' }, missing: [path.join(dir, 'b.ts')] };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('nothing changed: reusable', () => {
    expect(staleness(manifest)).toBeUndefined();
  });

  test('a file saved with the same content (only its time changed): reusable', () => {
    fs.writeFileSync(path.join(dir, 'a.ts'), 'export const a = 1;\n');
    expect(staleness(manifest)).toBeUndefined();
  });

  test('a file edited: rebuild', () => {
    fs.writeFileSync(path.join(dir, 'a.ts'), 'export const a = 2;\n');
    expect(staleness(manifest)).toMatch(/a\.ts changed/);
  });

  test('a file deleted: rebuild', () => {
    fs.rmSync(path.join(dir, 'a.ts'));
    expect(staleness(manifest)).toMatch(/a\.ts is gone/);
  });

  test('a file created where webpack found none (it would now resolve to it): rebuild', () => {
    fs.writeFileSync(path.join(dir, 'b.ts'), 'export const b = 1;\n');
    expect(staleness(manifest)).toMatch(/b\.ts appeared/);
  });
});
