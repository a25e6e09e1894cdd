// The scoping rule on its own: a scope kind read from a case column or a stored party reference, any of a principal's
// scopes admitting a case, an undeclared kind admitting nothing; the same rule as a filter of the case list; and the
// principal checks against the catalogue's roles and kinds.
import { scopeAdmits, scopeFilter, type ScopeKindDecl } from '../../lib/authz';
import { scopesOf, storedScopes } from '../../lib/principals';
import { catalogueRoles, catalogueScopeKinds, principalIssues, registerTestProcess } from '../../processes';
import { probeRole, probeScopeKind, scopeProbeProcess } from '../processes/scopeProbe';

const kinds: ScopeKindDecl[] = [
  { kind: 'merchant', description: '', from: { column: 'merchantId' } },
  { kind: 'holder', description: '', from: { partyRef: 'rightsHolder' } },
];
const kase = { merchantId: 'm-1', customerId: 'c-1', parties: [{ kind: 'rightsHolder', value: 'h-1' }] };
const as = (...scopes: { kind: string; value: string }[]) => ({ scopes });

test('a scope matches by its case column or by a stored party reference; unscoped sees every case', () => {
  expect(scopeAdmits(kinds, as(), kase)).toBe(true);
  expect(scopeAdmits(kinds, as({ kind: 'merchant', value: 'm-1' }), kase)).toBe(true);
  expect(scopeAdmits(kinds, as({ kind: 'merchant', value: 'm-2' }), kase)).toBe(false);
  expect(scopeAdmits(kinds, as({ kind: 'holder', value: 'h-1' }), kase)).toBe(true);
  expect(scopeAdmits(kinds, as({ kind: 'holder', value: 'h-2' }), kase)).toBe(false);
  expect(scopeAdmits(kinds, as({ kind: 'holder', value: 'h-1' }), { ...kase, parties: [] })).toBe(false);
  expect(scopeAdmits(kinds, as({ kind: 'merchant', value: 'm-1' }), { ...kase, merchantId: null })).toBe(false);
});

test('any one scope admits; a kind nobody declares admits nothing', () => {
  expect(scopeAdmits(kinds, as({ kind: 'merchant', value: 'm-9' }, { kind: 'holder', value: 'h-1' }), kase)).toBe(true);
  expect(scopeAdmits(kinds, as({ kind: 'planet', value: 'm-1' }), kase)).toBe(false);
  expect(scopeFilter(kinds, as({ kind: 'planet', value: 'm-1' }))).toEqual({ id: { in: [] } });
});

test('the list filter is the same rule', () => {
  expect(scopeFilter(kinds, as())).toBeNull();
  expect(scopeFilter(kinds, as({ kind: 'merchant', value: 'm-1' }, { kind: 'holder', value: 'h-1' }))).toEqual({
    OR: [{ merchantId: 'm-1' }, { parties: { some: { kind: 'rightsHolder', value: 'h-1' } } }],
  });
});

test("a merchant's merchant id is its scope; stored scopes are read defensively", () => {
  expect(scopesOf({ role: 'merchant', merchantId: 'm-1', scopes: [{ kind: 'merchant', value: 'm-1' }] })).toEqual([{ kind: 'merchant', value: 'm-1' }]);
  expect(scopesOf({ role: 'agent', merchantId: 'm-1' })).toEqual([]);
  expect(storedScopes([{ kind: 'merchant', value: 'm-1' }, { kind: 1 }, 'x', null])).toEqual([{ kind: 'merchant', value: 'm-1' }]);
  expect(storedScopes(null)).toEqual([]);
});

test("principals are checked against the catalogue's roles and kinds, which a process extends", () => {
  expect(principalIssues({ role: 'storefront', scopes: [{ kind: 'storefront', value: 'shop-a' }] })).toEqual([]);
  expect(principalIssues({ role: 'merchant', merchantId: 'm-1' })).toEqual([]);
  expect(principalIssues({ role: 'agent', scopes: [{ kind: 'merchant', value: 'm-1' }] }).map((i) => i.path)).toEqual(['scopes.0.kind']);
  expect(principalIssues({ role: probeRole, scopes: [{ kind: probeScopeKind, value: 'h-1' }] }).map((i) => i.path)).toEqual(['role']);
  const unregister = registerTestProcess(scopeProbeProcess);
  try {
    expect(catalogueRoles()).toContain(probeRole);
    expect(catalogueScopeKinds().map((k) => k.kind)).toContain(probeScopeKind);
    expect(principalIssues({ role: probeRole, scopes: [{ kind: probeScopeKind, value: 'h-1' }] })).toEqual([]);
    expect(principalIssues({ role: probeRole }).map((i) => i.path)).toEqual(['scopes']);
    expect(() => registerTestProcess({ ...scopeProbeProcess, caseType: 'return' })).toThrow(/already/);
  } finally {
    unregister();
  }
  expect(catalogueRoles()).not.toContain(probeRole);
});
