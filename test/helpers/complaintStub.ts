// A stub process module for tests of registerTestProcess (processes/index.ts), under its own case type: the catalogue's
// `complaint` process (processes/complaint.ts) cannot be replaced. Its body is what a rejected return sends a complaint
// (ids and enums only); its workflow does nothing but end.
import { z } from 'zod';
import { refId } from '../../processes/common';
import { defineProcess } from '../../processes/types';
import { complaintStub, type ComplaintStubInput } from '../workflows/probes/complaintStub';

export const complaintStubBody = z
  .object({ returnCaseId: z.string().min(1).max(80), orderId: refId, lineItemId: refId, customerId: refId, merchantId: refId, reasonCode: z.string().regex(/^[a-z_]{1,40}$/) })
  .strict();

export const complaintStubProcess = defineProcess<'complaintStub', Record<string, never>, ComplaintStubInput, z.infer<typeof complaintStubBody>>({
  caseType: 'complaint_stub',
  idPrefix: 'CST',
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
