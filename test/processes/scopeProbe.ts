// TEST ONLY: a process module that declares a role and a party scope kind of its own, as a later process (a
// rights holder's notices, a mediation) will: the rights holder sees the notices that name it, and nothing else.
// Registered into the live catalogue by the test that drives it (processes/index.ts registerTestProcess); it touches
// no file under api/. Its workflow is in no worker's bundle: the case rows, the scopes and the reads are what it proves.
import { z } from 'zod';
import { defineProcess } from '../../processes/types';

/** The role it declares: a rights holder's principal, scoped to its holder id. */
export const probeRole = 'probeRightsHolder';
/** The scope kind it declares: read from the party reference its cases store (the holder a notice names). */
export const probeScopeKind = 'probeRightsHolder';

/** Never run (no worker registers it): the test terminates each run it starts. */
export async function scopeProbeWorkflow(input: { caseId: string; openedBy: string }): Promise<string> {
  return input.caseId;
}

export const scopeProbeProcess = defineProcess({
  caseType: 'scope_probe',
  idPrefix: 'SPROBE',
  title: 'Scope probe: a notice naming a rights holder (tests only)',
  policyRefs: 'none (test)',
  workflow: scopeProbeWorkflow,
  workflowModule: __filename,
  policy: { key: 'scopeProbe', schema: z.object({}).strict(), defaults: {}, version: 'test' },
  tasks: {},
  actions: {},
  templates: {},
  roles: [
    {
      role: probeRole,
      description: 'A rights holder: sees the notices that name it',
      scopeKinds: [probeScopeKind],
      scopeRequired: true,
      platformActions: ['cases.timeline', 'attachments.read', 'threads.read', 'tasks.list', 'tasks.read'],
    },
  ],
  scopes: [{ kind: probeScopeKind, description: 'The notices naming the rights holder', from: { partyRef: 'probeRightsHolder' } }],
  open: {
    roles: ['agent', probeRole],
    summary: 'File a notice naming a rights holder',
    body: z.object({ holderId: z.string().regex(/^[a-z0-9-]{1,40}$/), customerId: z.string().regex(/^[a-z0-9-]{1,40}$/) }).strict(),
    prepare: (ctx, body: { holderId: string; customerId: string }) => ({
      input: { caseId: ctx.caseId, openedBy: ctx.principal.id },
      row: { customerId: body.customerId, merchantId: null, summary: {} },
      parties: [{ kind: 'probeRightsHolder', value: body.holderId }],
    }),
  },
  describe: (caseId) => `Scope probe ${caseId}`,
});
