// Every case workflow the worker runs.
export { returnWithin7Days } from './returnWithin7Days';
export { warrantyRepair } from './warrantyRepair';
export { registrationReview } from './registrationReview';
