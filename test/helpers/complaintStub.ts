// A stub `complaint` process module for tests (processes/index.ts registerTestProcess): the complaint process does not
// exist yet, and a rejected return hands over to one (workflows/returnWithin7Days.ts, patch return-linked-complaint).
// Its body is what the return sends (ids and enums only); its workflow does nothing but end.
import { z } from 'zod';
import { refId } from '../../processes/common';
import { defineProcess } from '../../processes/types';
import { complaintStub, type ComplaintStubInput } from '../workflows/probes/complaintStub';

export const complaintStubBody = z
  .object({ returnCaseId: z.string().min(1).max(80), orderId: refId, lineItemId: refId, customerId: refId, merchantId: refId, reasonCode: z.string().regex(/^[a-z_]{1,40}$/) })
  .strict();

export const complaintStubProcess = defineProcess<'complaintStub', Record<string, never>, ComplaintStubInput, z.infer<typeof complaintStubBody>>({
  caseType: 'complaint',
  idPrefix: 'CMP',
  title: 'Complaint (test stub)',
  policyRefs: '—',
  workflow: complaintStub,
  workflowModule: require.resolve('../workflows/probes/complaintStub'),
  policy: { key: 'complaintStub', schema: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>, defaults: {}, version: 'test' },
  tasks: {},
  actions: {},
  templates: {},
  open: {
    roles: ['agent', 'supervisor'],
    summary: 'Open a complaint (test stub)',
    body: complaintStubBody,
    prepare: ({ caseId, principal }, body) => ({
      input: { caseId, openedBy: principal.id },
      row: { customerId: body.customerId, merchantId: body.merchantId, summary: { returnCaseId: body.returnCaseId, orderId: body.orderId, reasonCode: body.reasonCode } },
    }),
  },
  describe: (caseId) => `Complaint ${caseId} (test stub)`,
});
