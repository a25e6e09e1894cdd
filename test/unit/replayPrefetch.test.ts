// The replay tool reads files and fetches histories ahead while earlier ones replay (scripts/replay-worker.ts prefetch):
// in order, never more than `width` at once, and a loaded head is handed over without waiting for the source.
import { prefetch } from '../../scripts/replay-worker';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('yields in source order, loaded values and loading errors alike, whatever order the loads finish in', async () => {
  const delays = [30, 5, 20, 1, 10];
  const out: unknown[] = [];
  for await (const r of prefetch(delays.keys(), async (i) => {
    await new Promise((res) => setTimeout(res, delays[i]));
    if (i === 3) throw new Error('unreadable');
    return i * 10;
  }, 3)) out.push(r.error ?? r.value);
  expect(out).toEqual([0, 10, 20, 'unreadable', 40]);
});

test('never more than `width` loads in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const out: number[] = [];
  for await (const r of prefetch(Array.from({ length: 20 }, (_, i) => i), async (i) => {
    most = Math.max(most, ++inFlight);
    await tick();
    inFlight--;
    return i;
  }, 4)) out.push(r.value!);
  expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(most).toBe(4);
});

test('a loaded head is yielded while the source has nothing more yet (a replay process fed a few tasks at a time)', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  async function* source() {
    yield 1;
    await held; // the next task comes only after the first one was handed over
    yield 2;
  }
  const it = prefetch(source(), async (i) => i, 4);
  expect((await it.next()).value).toMatchObject({ value: 1 });
  release();
  expect((await it.next()).value).toMatchObject({ value: 2 });
  expect((await it.next()).done).toBe(true);
});
