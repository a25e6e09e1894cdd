// Who acts on a case. Each principal has exactly one role: a platform role below, or a role a process declares
// (ProcessModule.roles; the catalogue's roles are the union, processes/index.ts catalogueRoles()).
export const platformRoles = ['storefront', 'merchant', 'agent', 'supervisor', 'auditor', 'admin'] as const;
export type PlatformRole = (typeof platformRoles)[number];
/** The platform's roles (the roles a process declares are in the catalogue: processes/index.ts catalogueRoles()). */
export const roles = platformRoles;
/** A role name: a platform role or one a process declares. Stored as text; checked against the catalogue at the API edge. */
export type Role = string;
/** Staff roles: never scoped, they see every case their role's actions reach. */
export const staffRoles: readonly PlatformRole[] = ['agent', 'supervisor', 'auditor', 'admin'];
