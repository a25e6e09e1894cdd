// Authorised access to personal data (policy 2.2.2 授權訪問; PIPL arts. 40, 51: access limited to those who need it,
// and recorded). A personal field read through the API is shown in clear only to the roles that need its category; the
// others see it masked. Every read in clear by a staff member is recorded (personal_data_reads): who, which table and
// columns, how many rows, which case and subject, and why (the purpose: the route's, or the one the caller names in
// X-Access-Purpose). The parties of a case (the customer's storefront, the merchant in its thread) read their own
// exchanges in clear, unrecorded: that is their channel, not an access by staff. Auditors read the record per subject.
import type { Principal, RoleDecl } from './authz';
import type { Db } from './db';
import type { PersonalCategory } from './personalData';
import { isSealed, type FieldSealer } from './sealedFields';

/** Why a staff member reads personal data in clear (X-Access-Purpose). */
export const accessPurposes = [
  /** Handling the case: answering the customer, deciding a task. */
  'case_handling',
  /** Mediating a dispute (policy 8.4). */
  'mediation',
  /** A compliance audit (PIPL art. 54). */
  'audit',
  /** Answering the person's own request (PIPL arts. 44-47). */
  'data_subject_request',
  /** Investigating a security incident (policy 6.4). */
  'security_incident',
  /** A request of an authority the law obliges the platform to answer (PIPL art. 13(3)). */
  'legal_obligation',
] as const;
export type AccessPurpose = (typeof accessPurposes)[number];

/**
 * The platform's staff roles that read a category in clear; a process's role names its own (RoleDecl.readsInClear).
 * Auditors and administrators see personal fields masked: they read timelines, the access record and the audit chain.
 */
export const platformClearReaders: Readonly<Partial<Record<PersonalCategory, readonly string[]>>> = {
  identity: ['agent', 'supervisor'],
  contact: ['agent', 'supervisor'],
  free_text: ['agent', 'supervisor'],
  transaction: ['agent', 'supervisor', 'auditor'],
};

/** One personal field of one row, as a route is about to show it. */
export interface PersonalField {
  table: string;
  column: string;
  category: PersonalCategory;
  value: string | null;
}

/** Masks a value of a category: enough to tell values apart, not enough to read them. */
export function maskValue(category: PersonalCategory, value: string): string {
  if (category === 'contact' && value.includes('@')) {
    const [local, domain] = value.split('@');
    return `${local.slice(0, 1)}***@${domain}`;
  }
  if (category === 'contact' && /^\+?[0-9 -]{7,}$/.test(value)) return `${value.slice(0, 3)}****${value.slice(-4)}`;
  if (category === 'identity') return `${[...value][0] ?? ''}*`;
  return `[masked: ${[...value].length} characters]`;
}

/** A masked value; a sealed one is not opened to mask it, so not even its length shows. */
const masked = (category: PersonalCategory, value: string): string => (isSealed(value) ? '[masked]' : maskValue(category, value));

export interface ReadContext {
  principal: Principal;
  /** The route's id (api/routes, a process's route id). */
  route: string;
  /** The route's purpose, unless the caller named another (X-Access-Purpose). */
  purpose: AccessPurpose;
  caseId?: string | null;
  subjectId?: string | null;
}

export interface PersonalReads {
  /** Whether `principal` reads `category` in clear. */
  readsInClear(principal: Principal, category: PersonalCategory): boolean;
  /**
   * The values as `ctx.principal` may see them, in order: in clear, or masked. A staff member's reads in clear are
   * recorded before the answer leaves (one row per table read); a failed record fails the read.
   */
  reveal(ctx: ReadContext, fields: readonly PersonalField[]): Promise<(string | null)[]>;
  /**
   * Records a read that cannot be masked (a file's bytes) when the reader is staff: the route lets it through to the
   * roles its action names, and the record says who read it and why.
   */
  recordRead(ctx: ReadContext, read: { table: string; columns: string[]; rows: number }): Promise<void>;
}

/** The reads of personal data, against the catalogue's roles (`roleDecls`, read at each call: tests register roles). */
export function createPersonalReads(db: Db, roleDecls: () => readonly RoleDecl[], sealerOf?: () => FieldSealer): PersonalReads {
  // Staff: the roles that take no scope (the platform's staff, a process's mediator). Everyone else is a party,
  // reading what the route shows its side of the case.
  const staffDecl = (role: string) => roleDecls().find((d) => d.role === role && d.scopeKinds.length === 0);
  const isStaff = (role: string) => staffDecl(role) !== undefined;
  const clearFor = (role: string): ((category: PersonalCategory) => boolean) => {
    const decl = staffDecl(role);
    if (!decl) return () => true;
    return (category) => !!platformClearReaders[category]?.includes(role) || (decl.readsInClear ?? []).includes(category);
  };
  const readsInClear = (principal: Principal, category: PersonalCategory): boolean => clearFor(principal.role)(category);
  const recordReads = async (ctx: ReadContext, reads: { table: string; columns: string[]; rows: number }[]) => {
    if (reads.length === 0) return;
    const at = new Date();
    await db.personalDataRead.createMany({
      data: reads.map((r) => ({ at, principalId: ctx.principal.id, role: ctx.principal.role, subjectId: ctx.subjectId ?? null, caseId: ctx.caseId ?? null, tableName: r.table, columns: [...r.columns].sort(), rows: r.rows, purpose: ctx.purpose, route: ctx.route })),
    });
  };
  return {
    readsInClear,
    async recordRead(ctx, read) {
      if (isStaff(ctx.principal.role)) await recordReads(ctx, [read]);
    },
    async reveal(ctx, fields) {
      // Sealed values (lib/sealedFields.ts) are opened with the subject's key only for a reader in clear: the
      // decryption this record is about. A value whose key was destroyed shows as null.
      const inClear = clearFor(ctx.principal.role);
      const clear = fields.map((f) => f.value !== null && inClear(f.category));
      const toOpen = fields.map((f, i) => (clear[i] ? f.value : null));
      const opened = sealerOf && toOpen.some(isSealed) ? await sealerOf().open(ctx.subjectId, toOpen) : toOpen;
      const shown = fields.map((f, i) => (f.value === null ? null : clear[i] ? opened[i] : masked(f.category, f.value)));
      if (!isStaff(ctx.principal.role)) return shown;
      const read = new Map<string, { columns: Set<string>; rows: number }>();
      fields.forEach((f, i) => {
        if (!clear[i] || shown[i] === null) return;
        const t = read.get(f.table) ?? { columns: new Set<string>(), rows: 0 };
        t.columns.add(f.column);
        t.rows++;
        read.set(f.table, t);
      });
      // Rows: the fields read in clear of the table (one per row where a route shows one column of each).
      await recordReads(ctx, [...read].map(([table, t]) => ({ table, columns: [...t.columns], rows: t.rows })));
      return shown;
    },
  };
}
