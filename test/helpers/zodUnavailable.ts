// Stands in for zod in workflow bundles that must never evaluate it (test/unit/workflowBundle.test.ts): any
// workflow code that reaches zod fails with this error. (Never imported outside such a bundle.)
throw new Error('zod was evaluated in a workflow');
export {};
