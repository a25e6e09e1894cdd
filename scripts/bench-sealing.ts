// Benchmark: sealing a personal field at rest (lib/sealedFields.ts) in real PostgreSQL. Not a test.
//   TEST_DATABASE_ADMIN_URL=postgresql://user:pw@127.0.0.1:5432/postgres bash scripts/bench.sh sealing [--subjects 500] [--per 10]
// Creates a scratch database, then times seal() for new subjects (the data key created, wrapped and stored) and for
// known ones (the key read and unwrapped from the cache), open() of ten values, a blind index, and a 4 MiB file sealed
// and opened as a stream; prints p50/p95 in ms (files: MiB/s) as JSON.
import crypto from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { blindIndexerFor } from '../lib/blindIndex';
import { createDb } from '../lib/db';
import { SimulatedKeyManagement } from '../lib/keys';
import { createFieldSealer } from '../lib/sealedFields';
import { withScratchDatabase } from './bench/scratchDatabase';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] * 1000) / 1000;
};
const timed = async (fn: () => Promise<unknown>) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

async function main() {
  const subjects = arg('--subjects', 500);
  const per = arg('--per', 10);
  await withScratchDatabase('casework_bench_sealing', async (url) => {
    const db = createDb(url);
    const keys = new SimulatedKeyManagement(crypto.randomBytes(32).toString('hex'));
    const sealer = createFieldSealer(db, keys);
    const text = 'The parcel arrived crushed; I called twice and nobody answered. '.repeat(4);
    const first: number[] = [];
    const known: number[] = [];
    const opens: number[] = [];
    const ids = Array.from({ length: subjects }, () => `sub_${crypto.randomUUID().replace(/-/g, '')}`);
    for (const id of ids) first.push(await timed(() => sealer.seal(id, text)));
    let sealed: string[] = [];
    for (const id of ids) {
      sealed = [];
      for (let i = 0; i < per; i++) known.push(await timed(async () => sealed.push(await sealer.seal(id, text))));
      opens.push(await timed(() => sealer.open(id, sealed)));
    }
    // A blind index (lib/blindIndex.ts): HMAC-SHA256 of the normalised value, the key cached.
    const index = blindIndexerFor(keys);
    const indexes: number[] = [];
    for (let i = 0; i < subjects * per; i++) indexes.push(await timed(() => index('mobile', `139${String(i).padStart(8, '0')}`)));
    // A file sealed and opened as a stream (lib/sealedFields.ts sealStream/openStream), 4 MiB.
    const file = crypto.randomBytes(4 * 1024 * 1024);
    const through = async (t: Transform) => {
      let n = 0;
      for await (const c of Readable.from([file]).pipe(t)) n += (c as Buffer).length;
      return n;
    };
    const sealMs: number[] = [];
    const openMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      sealMs.push(await timed(async () => through(await sealer.sealStream(ids[0]))));
      const sealedFile: Buffer[] = [];
      for await (const c of Readable.from([file]).pipe(await sealer.sealStream(ids[0]))) sealedFile.push(c as Buffer);
      openMs.push(await timed(async () => {
        let n = 0;
        for await (const c of Readable.from([Buffer.concat(sealedFile)]).pipe((await sealer.openStream(ids[0]))!)) n += (c as Buffer).length;
        return n;
      }));
    }
    const mbps = (ms: number) => Math.round((4 / (ms / 1000)) * 10) / 10;
    await db.$disconnect();
    console.log(JSON.stringify({ subjects, 'seal, new subject (ms)': { p50: pct(first, 50), p95: pct(first, 95) }, 'seal, known subject (ms)': { p50: pct(known, 50), p95: pct(known, 95) }, [`open ${per} values (ms)`]: { p50: pct(opens, 50), p95: pct(opens, 95) }, 'blind index (ms)': { p50: pct(indexes, 50), p95: pct(indexes, 95) }, 'seal a 4 MiB file (MiB/s, p50)': mbps(pct(sealMs, 50)), 'open a 4 MiB file (MiB/s, p50)': mbps(pct(openMs, 50)) }, null, 2));
  }, { progress: (m) => process.stderr.write(`[bench] ${m}\n`) });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
