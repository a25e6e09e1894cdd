// Reads of rows whose personal fields are sealed at rest (lib/sealedFields.ts): the row, with those fields opened with
// the subject's key, so that a test can compare them with what the API was given.
import { sealerFor } from '../../lib/sealedFields';
import type { TestSystem } from './system';

const sealer = (sys: TestSystem) => sealerFor(sys.db, sys.api.deps.ports.keys);

/** A registration's username, name, mobile and e-mail in clear (the sealed columns, else a clear column written before sealing). */
export async function openedRegistration(sys: TestSystem, id: string) {
  const r = await sys.db.registration.findUniqueOrThrow({ where: { id } });
  const [username, fullName, mobile, email] = await sealer(sys).open(r.subjectId, [r.usernameSealed ?? r.usernameClear, r.fullName, r.mobileSealed ?? r.mobileClear, r.email]);
  return { ...r, username, fullName, mobile, email };
}

/** A party's name and e-mail in clear. */
export async function openedParty(sys: TestSystem, kind: string, id: string) {
  const p = await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind, id } } });
  const [displayName, email] = await sealer(sys).open(p.subjectId, [p.displayName, p.email]);
  return { ...p, displayName, email };
}
