// Every case workflow the worker runs.
export { returnWithin7Days } from './returnWithin7Days';
