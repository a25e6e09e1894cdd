// Task payload and action body schemas are loaded lazily (policy/lazySchema.ts): the server reads the real zod
// schemas through the same getters, and the workflow's update handlers take each validated argument as it is,
// which is exact only while these schemas give back what they accept. The calendar functions check a calendar's
// structure without zod, once per calendar object.
import type { z } from 'zod';
import { processes, type AnyProcess } from '../../processes';
import { addWorkingHours, isWorkingDay, type BusinessCalendar } from '../../policy/businessCalendar';
import { businessCalendarSchema } from '../../policy/businessCalendar.schema';
import { lazySchema } from '../../policy/lazySchema';

const catalogue: readonly AnyProcess[] = processes;

/** Every task payload and action body schema of the catalogue, named. */
const schemas = catalogue.flatMap((p) => [
  ...Object.entries(p.tasks).map(([type, def]) => [`${p.caseType} task ${type}`, def.payload] as const),
  ...Object.entries(p.actions).map(([name, def]) => [`${p.caseType} action ${name}`, def.body] as const),
]);

/** Parts of a schema that make its output differ from an accepted input: transforms, defaults, coercion, stripping. */
function reshaping(schema: z.ZodType, at = '(root)'): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
  const found: string[] = [];
  if (['transform', 'pipe', 'default', 'prefault', 'catch'].includes(def.type)) found.push(`${at}: ${def.type}`);
  if (def.coerce) found.push(`${at}: coerce`);
  for (const check of def.checks ?? []) if (check._zod.def.check === 'overwrite') found.push(`${at}: overwrite (trim, case)`);
  if (def.type === 'object' && def.catchall?._zod.def.type !== 'never') found.push(`${at}: object not strict (unknown keys stripped)`);
  const children = (v: unknown, path: string): void => {
    if (v && typeof v === 'object' && '_zod' in v) found.push(...reshaping(v as z.ZodType, path));
    else if (Array.isArray(v)) v.forEach((x, i) => children(x, `${path}[${i}]`));
  };
  for (const [k, v] of Object.entries(def)) {
    if (k === 'checks' || k === 'catchall') continue;
    if (k === 'shape') for (const [field, s] of Object.entries(v as object)) children(s, `${at}.${field}`);
    else children(v, at);
  }
  return found;
}

describe('task payload and action body schemas', () => {
  test('the server reads real zod schemas through the lazy getters, the same instance each time', () => {
    expect(schemas.length).toBeGreaterThan(10);
    for (const [name, schema] of schemas) {
      expect({ name, zod: typeof schema.safeParse === 'function' && '_zod' in schema }).toEqual({ name, zod: true });
    }
    const [p] = catalogue;
    const [type] = Object.keys(p.tasks);
    expect(p.tasks[type].payload).toBe(p.tasks[type].payload);
  });

  test.each(schemas.map(([name, schema]) => [name, schema] as const))('%s gives back what it accepts (handlers take the validated argument as it is)', (_name, schema) => {
    expect(reshaping(schema)).toEqual([]);
  });

  test('the check sees what would break that', () => {
    const { z: zod } = require('zod') as typeof import('zod');
    expect(reshaping(zod.object({ a: zod.string().trim() }).strict())).toEqual(['(root).a: overwrite (trim, case)']);
    expect(reshaping(zod.object({ a: zod.string().default('x') }).strict())).toEqual(['(root).a: default']);
    expect(reshaping(zod.object({ a: zod.coerce.number() }).strict())).toEqual(['(root).a: coerce']);
    expect(reshaping(zod.discriminatedUnion('k', [zod.object({ k: zod.literal('a') })]))).toEqual(['(root)[0]: object not strict (unknown keys stripped)']);
    expect(reshaping(zod.object({ a: zod.array(zod.string().transform((s) => s.length)) }).strict())).toEqual(['(root).a: pipe', '(root).a: transform']);
  });

  test('outside a workflow lazySchema loads the schema', () => {
    const schema = { safeParse: () => ({ success: false }) } as unknown as z.ZodType;
    expect(lazySchema(() => schema)).toBe(schema);
  });
});

describe('business calendar without zod', () => {
  const valid = businessCalendarSchema.parse({});
  const invalid: [string, Record<string, unknown>][] = [
    ['unknown time zone', { timeZone: 'Not/AZone' }],
    ['bad time', { workdayStart: '9:00' }],
    ['end before start', { workdayStart: '18:00', workdayEnd: '09:00' }],
    ['end equal to start', { workdayStart: '09:00', workdayEnd: '09:00' }],
    ['weekday out of range', { workingWeekdays: [0, 1] }],
    ['fractional weekday', { workingWeekdays: [1.5] }],
    ['unreal holiday', { holidays: ['2026-02-30'] }],
    ['malformed make-up day', { makeUpWorkdays: ['2026/01/05'] }],
    ['holiday and make-up day at once', { holidays: ['2026-10-10'], makeUpWorkdays: ['2026-10-10'] }],
  ];

  test.each(invalid)('%s: the schema refuses it and the functions throw a RangeError', (_what, change) => {
    const cal = { ...valid, ...change } as BusinessCalendar;
    expect(businessCalendarSchema.safeParse(cal).success).toBe(false);
    expect(() => isWorkingDay(cal, '2026-11-27')).toThrow(RangeError);
    expect(() => addWorkingHours(cal, new Date('2026-11-27T01:00:00Z'), 1)).toThrow(/Invalid business calendar/);
  });

  test('fields left out get the schema defaults, as before', () => {
    const from = new Date('2026-11-27T08:30:00+08:00');
    expect(addWorkingHours({} as BusinessCalendar, from, 1)).toEqual(addWorkingHours(valid, from, 1));
  });

  test('a calendar is compiled once per object: later changes to that object are not read', () => {
    const cal = businessCalendarSchema.parse({});
    expect(isWorkingDay(cal, '2026-11-27')).toBe(true);
    cal.holidays.push('2026-11-27');
    expect(isWorkingDay(cal, '2026-11-27')).toBe(true);
    expect(isWorkingDay({ ...cal, holidays: [...cal.holidays] }, '2026-11-27')).toBe(false);
  });
});
