import { DURATION_BUCKET_RATIO, bucketMiddleMs } from '../../processes/complaint.report';

// The report's SQL puts a duration of d ms in bucket floor(ln(d) / ln(r)); the percentile it gives is that bucket's middle.
const bucketOf = (ms: number): number => (ms < 1 ? -1 : Math.floor(Math.log(ms) / Math.log(DURATION_BUCKET_RATIO)));

test('a bucket middle is within 1 % of every whole-millisecond duration in its bucket (and 0 ms is exact)', () => {
  expect(bucketMiddleMs(bucketOf(0))).toBe(0);
  let worst = 0;
  for (const ms of [...Array.from({ length: 200_000 }, (_, i) => i + 1), 277, 86_400_000, 30 * 86_400_000, 365 * 86_400_000]) {
    const error = Math.abs(bucketMiddleMs(bucketOf(ms))! - ms) / ms;
    worst = Math.max(worst, error);
  }
  expect(worst).toBeLessThanOrEqual(0.01 + 1e-12); // reached only at 1 ms, by the rounding to the microsecond
  expect(worst).toBeGreaterThan(0.009); // the bound is near-tight: the buckets are as wide as 1 % allows
});
