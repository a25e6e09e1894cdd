// The personal-data inventory (lib/personalData.ts) covers the Prisma schema exactly: every model and every column is
// classified (personal, with category, purpose and retention; or none, with why), and it names nothing the schema lacks.
import fs from 'node:fs';
import path from 'node:path';
import { atRestProblems, inventoryProblems, isPersonal, personalDataInventory, personalDataStores, retentionOf, retentions, sealedColumnsOf, type SchemaModel } from '../../lib/personalData';

/** The models of a Prisma schema with their tables and columns (database names); relation fields are not columns. */
function readSchema(text: string): SchemaModel[] {
  const blocks = [...text.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)];
  const modelNames = new Set(blocks.map((b) => b[1]));
  return blocks.map(([, model, body]) => {
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? model;
    const columns = body
      .split('\n')
      .map((l) => l.replace(/\/\/.*$/, '').trim())
      .filter((l) => l && !l.startsWith('@@'))
      .flatMap((l) => {
        const m = /^(\w+)\s+(\w+)(\[\])?\??(.*)$/.exec(l);
        if (!m || modelNames.has(m[2])) return [];
        return [{ field: m[1], column: /@map\("([^"]+)"\)/.exec(m[4])?.[1] ?? m[1] }];
      });
    return { model, table, columns };
  });
}

const schemaText = fs.readFileSync(path.join(__dirname, '../../prisma/schema.prisma'), 'utf8');
const schema = readSchema(schemaText);

test('the parser reads the schema: models, mapped tables and columns, relation fields left out', () => {
  const cases = schema.find((m) => m.model === 'Case')!;
  expect(cases.table).toBe('cases');
  expect(cases.columns).toContainEqual({ field: 'customerId', column: 'customer_id' });
  expect(cases.columns).toContainEqual({ field: 'subjectId', column: 'subject_id' });
  expect(cases.columns.map((c) => c.field)).not.toContain('tasks');
  expect(cases.columns.map((c) => c.field)).not.toContain('subject');
  expect(schema.find((m) => m.model === 'CaseLink')!.columns).toContainEqual({ field: 'type', column: 'type' }); // an enum is a column
  expect(schema.length).toBeGreaterThan(30);
});

test('every model and column of prisma/schema.prisma is classified by the inventory, and it names nothing else', () => {
  const problems = inventoryProblems(schema);
  if (problems.length) throw new Error(`The personal-data inventory and the schema disagree (README "Personal data: subjects and the inventory"):\n  ${problems.join('\n  ')}`);
});

test('a new model or column fails the check, naming model.column; a column the schema lost fails too', () => {
  const grown = readSchema(
    schemaText.replace('  email       String?\n', '  email       String?\n  phone       String? @map("phone_number")\n') + '\nmodel LoyaltyCard {\n  id String @id\n  holderName String @map("holder_name")\n}\n',
  );
  expect(inventoryProblems(grown)).toEqual([
    'Party.phone (parties.phone_number) is not classified by lib/personalData.ts',
    'LoyaltyCard (table LoyaltyCard) is not classified by lib/personalData.ts: add an entry with every column',
  ]);
  const shrunk = readSchema(schemaText.replace(/^\s*faceImageRef\s.*$/m, ''));
  expect(inventoryProblems(shrunk)).toEqual(['RegistrationIdentity: the inventory classifies registration_identities.face_image_ref, which the schema does not have']);
});

test('every personal column has a purpose and a retention with its clause; kept-by-law ones name the law', () => {
  for (const t of personalDataInventory) {
    for (const [column, c] of Object.entries(t.columns)) {
      if (!isPersonal(c)) {
        expect(c.why.length).toBeGreaterThan(5);
        continue;
      }
      expect(c.purpose.length).toBeGreaterThan(5);
      const r = retentionOf(t, column);
      expect(r.clause).toMatch(/PIPL|电子商务法|三包|policy/);
      if (r.disposal === 'keep_by_law') expect(r.law).toBeTruthy();
    }
  }
  expect(retentions.transactionRecord).toMatchObject({ disposal: 'keep_by_law', law: '电子商务法 art. 31' });
  // The customer's own words are erasable on request (PIPL art. 47), even where the row is a kept transaction record.
  const repair = personalDataInventory.find((t) => t.table === 'repair_requests')!;
  expect(retentionOf(repair, 'description').disposal).toBe('erase');
  expect(retentionOf(repair, 'order_id').disposal).toBe('keep_by_law');
});

test('every table holding personal data says how to find a subject’s rows, or why it cannot; the stores say where they are', () => {
  for (const t of personalDataInventory) {
    if (t.subject === null) expect(t.notBySubject).toBeTruthy();
    else expect(t.subject).toContain('$1');
  }
  expect(personalDataStores.map((s) => s.store)).toEqual(expect.arrayContaining(['blobs', 'mailCatcher', 'smtpRelay', 'smsGateway', 'temporalHistories']));
});

test('the retention purge runs from the inventory: every finite period has its purge steps or says why not, over tables that carry the rule', () => {
  for (const [id, r] of Object.entries(retentions) as [string, (typeof retentions)[keyof typeof retentions]][]) {
    const rule = r as { days: number | null; purge?: readonly { table: string; due: string; action: string }[]; notPurged?: string };
    if (rule.days === null) {
      expect([id, rule.purge]).toEqual([id, undefined]);
      continue;
    }
    expect([id, (rule.purge?.length ?? 0) > 0 || !!rule.notPurged]).toEqual([id, true]);
    for (const step of rule.purge ?? []) {
      const t = personalDataInventory.find((e) => e.table === step.table);
      expect([id, step.table, !!t]).toEqual([id, step.table, true]);
      // A deletion: the table's rule, or one of its columns' (the purge takes nothing the inventory keeps for longer). An
      // erasure is the registration's own (activities/registration.ts), which knows what it keeps.
      const carries = step.action !== 'delete' || t!.retention === id || Object.values(t!.columns).some((c) => isPersonal(c) && c.retention === id);
      expect([id, step.table, carries]).toEqual([id, step.table, true]);
      // A step is re-runnable and safe: it names the cutoff and the row.
      expect(step.due).toMatch(/\$[124]/);
      expect(step.due).toMatch(/\bt\./);
    }
  }
});

test('encryption at rest: every name, contact and free-text column is sealed with a subject’s key or kept in clear with a reason', () => {
  const problems = atRestProblems();
  if (problems.length) throw new Error(`Columns the inventory does not say are sealed at rest (policy 1.3, 2.2.1, 6.3.1):\n  ${problems.join('\n  ')}`);
  // What is sealed today: the names, contacts and the person's own words written through the API.
  expect(sealedColumnsOf('parties')).toEqual(['display_name', 'email']);
  expect(sealedColumnsOf('registrations')).toEqual(['username_sealed', 'full_name', 'mobile_sealed', 'email', 'declared_birth_date']);
  expect(sealedColumnsOf('user_accounts')).toEqual(['username_sealed']);
  expect(sealedColumnsOf('registration_guardians')).toEqual(['mobile', 'mobile_pending', 'full_name']);
  expect(sealedColumnsOf('repair_requests')).toEqual(['description', 'dispute_text']);
  expect(sealedColumnsOf('complaints')).toEqual(['description']);
  expect(sealedColumnsOf('thread_messages')).toEqual(['body']);
  expect(sealedColumnsOf('task_notes')).toEqual(['body']);
});

test('a new name, contact or free-text column that is neither sealed nor exempted fails the check, naming it', () => {
  const grown = personalDataInventory.map((t) =>
    t.table === 'parties' ? { ...t, columns: { ...t.columns, phone: { category: 'contact' as const, purpose: 'a second number' }, nickname: { category: 'identity' as const, purpose: 'x', inClear: ' ' } } } : t,
  );
  expect(atRestProblems(grown)).toEqual([
    'parties.phone (contact) is neither sealed with a subject’s key nor kept in clear with a reason: declare sealed(…) or inClear(…) in lib/personalData.ts',
    'parties.nickname (identity) is neither sealed with a subject’s key nor kept in clear with a reason: declare sealed(…) or inClear(…) in lib/personalData.ts',
  ]);
  const both = personalDataInventory.map((t) => (t.table === 'parties' ? { ...t, columns: { ...t.columns, email: { category: 'contact' as const, purpose: 'x', sealedWith: 'k', inClear: 'y' } } } : t));
  expect(atRestProblems(both)).toEqual(['parties.email says both sealed and in clear']);
});
