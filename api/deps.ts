// The API's dependencies: what process modules are handed too (processes/deps.ts), re-exported for the routes.
export { personalReadsOf, workflowUiLink, type ApiDeps } from '../processes/deps';
