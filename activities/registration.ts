// Activities of the registration process (merged into createActivities in activities/index.ts).
import type { ActivityDeps } from './index';
import type { TemplateSet } from './templates';

export function createRegistrationActivities(_deps: ActivityDeps) {
  return {};
}

/** E-mail templates of this process (merged into activities/templates.ts). */
export const registrationTemplates: TemplateSet = {};
