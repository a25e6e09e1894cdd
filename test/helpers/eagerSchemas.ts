// A workflow interceptor module that evaluates a schema module (and so zod) when a workflow starts, as a workflow
// importing zod at module level would: test/unit/workflowBundle.test.ts shows that its zod stand-in catches that.
import { reviewDecisionSchema } from '../../policy/returns.schemas';

export const eagerlyLoaded = reviewDecisionSchema;
