// Who acts on a case. Each principal has exactly one role.
export const roles = ['storefront', 'merchant', 'agent', 'supervisor', 'auditor', 'admin'] as const;
export type Role = (typeof roles)[number];
