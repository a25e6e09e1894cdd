// A stand-in for the complaint process, which does not exist yet: its workflow does nothing but end. Tests register it
// (test/helpers/complaintStub.ts, registerTestProcess) to show a rejected return opening a linked complaint.
export interface ComplaintStubInput {
  caseId: string;
  openedBy: string;
}

export async function complaintStub(input: ComplaintStubInput): Promise<{ outcome: 'opened'; caseId: string }> {
  return { outcome: 'opened', caseId: input.caseId };
}
