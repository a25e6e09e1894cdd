// Manage API principals from the command line (needs DATABASE_URL):
//   npx tsx scripts/principals.ts create --name "Shop front" --role storefront
//   npx tsx scripts/principals.ts create --name "Acme" --role merchant --merchant-id m-acme \
//     [--email ops@acme.example --display-name "Acme Ltd" --locale en]   (the merchant's contact, kept in parties)
//   npx tsx scripts/principals.ts create --name "Shop A" --role storefront --scope storefront=shop-a   (sees only its cases)
//   npx tsx scripts/principals.ts create --name "R" --role <a process's role> --scope <kind>=<value> [--scope ...]
//   npx tsx scripts/principals.ts list
//   npx tsx scripts/principals.ts revoke prn_...
import { z } from 'zod';
import { createDb } from '../lib/db';
import { createPrincipal, partyContactSchema, partyScopeSchema, revokePrincipal, storedScopes } from '../lib/principals';
import { catalogueRoles, principalIssues } from '../processes';

/** Every value of a repeatable option (--scope kind=value --scope ...). */
function opts(name: string): string[] {
  return process.argv.flatMap((a, i) => (a === name && i + 1 < process.argv.length ? [process.argv[i + 1]] : []));
}

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const db = createDb(url, { maxConnections: 1 });
  const [cmd, arg] = process.argv.slice(2);
  try {
    if (cmd === 'create') {
      const scopes = z.array(partyScopeSchema).parse(opts('--scope').map((s) => ({ kind: s.split('=')[0], value: s.slice(s.indexOf('=') + 1) })));
      const p = { ...z.object({ name: z.string().min(1), role: z.enum(catalogueRoles() as [string, ...string[]]), merchantId: z.string().optional() }).parse({ name: opt('--name'), role: opt('--role'), merchantId: opt('--merchant-id') }), scopes };
      const issues = principalIssues(p);
      if (issues.length > 0) throw new Error(`invalid principal: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      const contactGiven = ['--email', '--display-name', '--locale'].some((f) => opt(f) !== undefined);
      // Parsed without echoing the input: contact data is personal and stays out of logs.
      const contact = contactGiven ? partyContactSchema.safeParse({ email: opt('--email'), displayName: opt('--display-name'), locale: opt('--locale') }) : undefined;
      if (contact && !contact.success) throw new Error(`invalid contact: ${contact.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      if (contact && p.role !== 'merchant') throw new Error('--email, --display-name and --locale are for the merchant role only');
      const created = await createPrincipal(db, { ...p, ...(contact?.success && { contact: contact.data }) });
      console.log(JSON.stringify(created, null, 2));
      console.error('The apiKey is shown once. Store it now.');
    } else if (cmd === 'list') {
      for (const p of await db.principal.findMany({ orderBy: { createdAt: 'asc' }, include: { keys: { orderBy: { createdAt: 'asc' } } } })) {
        console.log(JSON.stringify({ id: p.id, name: p.name, role: p.role, merchantId: p.merchantId, scopes: storedScopes(p.scopes), keys: p.keys.map((k) => ({ id: k.id, keyPrefix: k.keyPrefix, expiresAt: k.expiresAt, revokedAt: k.revokedAt, lastUsedAt: k.lastUsedAt })), revokedAt: p.revokedAt }));
      }
    } else if (cmd === 'revoke' && arg) {
      const r = await revokePrincipal(db, arg, { actor: 'system' });
      if (!r) throw new Error(`no principal ${arg}`);
      console.log(JSON.stringify(r));
    } else {
      console.error('usage: principals.ts create --name N --role R [--merchant-id M [--email E [--display-name D] [--locale zh-CN|en]]] [--scope KIND=VALUE ...] | list | revoke <id>');
      process.exitCode = 2;
    }
  } finally {
    await db.$disconnect();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
