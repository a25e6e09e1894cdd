// The subjects of mail senders nobody knew (lib/subjects.ts mailSenderRef): a held mail or an intake from an unknown
// address is filed under the sender's own subject and sealed with its key; once no row names that subject, the daily
// purge (rule heldMail) retires it: its reference (a keyed hash of the address) deleted, its key destroyed, the row
// marked erased. A mail being filed under it at that moment wins (one lock for both). Real PostgreSQL, a database of
// its own, every migration applied.
import crypto from 'node:crypto';
import { createRetentionActivities } from '../../activities/retention';
import { createDb, type Db } from '../../lib/db';
import { SimulatedKeyManagement } from '../../lib/keys';
import { sealerFor } from '../../lib/sealedFields';
import { mailSenderRef, resolveSubject, retireMailSender, SubjectRetired, writeUnderSubject } from '../../lib/subjects';
import { scratchDatabase } from '../helpers/scratchDatabase';

const scratch = scratchDatabase('casework_mail_sender_retirement');
let db: Db;
const keys = new SimulatedKeyManagement(crypto.randomBytes(32).toString('hex'));
const SECRET = 'r'.repeat(40);
const logger = { child: () => logger, info() {}, warn() {}, error() {} } as any;

beforeAll(() => {
  db = createDb(scratch.url);
});
afterAll(async () => {
  await db?.$disconnect();
});

const DAY = 86_400_000;
/** A sender's subject, created `daysAgo` days ago, with something sealed under it (its key exists). */
async function sender(address: string, daysAgo: number): Promise<{ id: string; sealed: string }> {
  const id = await resolveSubject(db, mailSenderRef(SECRET, address));
  await scratch.sql.query(`UPDATE subjects SET created_at = $2 WHERE id = $1`, [id, new Date(Date.now() - daysAgo * DAY)]);
  return { id, sealed: await sealerFor(db, keys).seal(id, `words of ${address}`) };
}
const heldMail = (tx: Pick<Db, 'inboundMailQuarantine'>, subjectId: string, decidedDaysAgo: number | null) =>
  tx.inboundMailQuarantine.create({
    data: {
      id: `qm_${crypto.randomBytes(16).toString('hex')}`,
      mailFrom: 'sealed',
      rcptTo: ['case+x@reply.test'],
      reason: 'bad_token',
      subjectId,
      textBody: 'sealed',
      rawSha256: '0'.repeat(64),
      attachments: [],
      status: decidedDaysAgo === null ? 'quarantined' : 'discarded',
      decidedAt: decidedDaysAgo === null ? null : new Date(Date.now() - decidedDaysAgo * DAY),
    },
  });

test('the daily purge retires a mail sender’s subject that nothing names; one still named, a customer’s and a new one stay', async () => {
  const idle = await sender('idle@nobody.test', 40);
  const holding = await sender('holding@nobody.test', 40);
  await heldMail(db, holding.id, 10); // decided 10 days ago: kept 30 days
  const complainant = await sender('complainant@nobody.test', 40);
  await scratch.sql.query(
    `INSERT INTO cases (id, type, status, step, customer_id, subject_id, policy_version, workflow_id, summary, opened_by, updated_at)
     VALUES ('CMP-1', 'complaint', 'open', 'review', $1, $2, 'p', 'CMP-1', '{}', 'mail-intake', now())`,
    [mailSenderRef(SECRET, 'complainant@nobody.test').value, complainant.id],
  );
  const customer = await resolveSubject(db, { kind: 'storefront_customer', value: 'cust-42' });
  await scratch.sql.query(`UPDATE subjects SET created_at = now() - interval '40 days' WHERE id = $1`, [customer]);
  const fresh = await sender('fresh@nobody.test', 1);

  const retention = createRetentionActivities({ db, logger, registration: {} as any });
  const runId = `retention-mail-senders-${process.pid}`;
  const { runDay } = await retention.startRetentionRun({ runId, at: new Date().toISOString() });
  const counts = await retention.purgeRetentionRule({ runId, rule: 'heldMail', runDay });
  expect(counts).toMatchObject({ inbound_mail_quarantine: 0, subjects: 1 });

  // Retired: its reference gone, its key destroyed (what was sealed under it opens to nothing), marked erased.
  const status = Object.fromEntries((await scratch.sql.query(`SELECT id, status FROM subjects`)).rows.map((r) => [r.id, r.status]));
  expect(status).toEqual({ [idle.id]: 'erased', [holding.id]: 'active', [complainant.id]: 'active', [customer]: 'active', [fresh.id]: 'active' });
  expect((await scratch.sql.query(`SELECT count(*)::int AS n FROM subject_refs WHERE subject_id = $1`, [idle.id])).rows[0].n).toBe(0);
  expect(await sealerFor(db, keys).open(idle.id, [idle.sealed])).toEqual([null]);
  expect(await sealerFor(db, keys).open(holding.id, [holding.sealed])).toEqual(['words of holding@nobody.test']);
  // Nothing more is filed under it; the same address mailing again gets a subject of its own.
  await expect(writeUnderSubject(db, idle.id, (tx) => heldMail(tx, idle.id, null))).rejects.toBeInstanceOf(SubjectRetired);
  expect(await db.inboundMailQuarantine.count({ where: { subjectId: idle.id } })).toBe(0);
  const again = await resolveSubject(db, mailSenderRef(SECRET, 'idle@nobody.test'));
  expect(again).not.toBe(idle.id);

  // Run again: nothing more to do.
  expect(await retention.purgeRetentionRule({ runId, rule: 'heldMail', runDay })).toMatchObject({ subjects: 0 });
});

test('a mail filed under a sender’s subject while it is being retired wins: the retirement waits for it and finds it named', async () => {
  const racing = await sender('racing@nobody.test', 40);
  let filing!: () => void;
  const gate = new Promise<void>((resolve) => (filing = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const write = writeUnderSubject(db, racing.id, async (tx) => {
    entered();
    await gate; // holds the subject's lock while the retirement starts
    return heldMail(tx, racing.id, null);
  });
  await inside;
  const cutoff = new Date(Date.now() - 30 * DAY).toISOString();
  const retire = retireMailSender(db, racing.id, cutoff);
  await new Promise((r) => setTimeout(r, 200));
  filing();
  await write;
  expect(await retire).toBe(false);
  expect((await db.subject.findUniqueOrThrow({ where: { id: racing.id } })).status).toBe('active');
  expect(await sealerFor(db, keys).open(racing.id, [racing.sealed])).toEqual(['words of racing@nobody.test']);
});
