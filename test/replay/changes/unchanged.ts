// No change: the harness alone must replay every history.
import { changeInterceptors } from './changes';

export const interceptors = changeInterceptors('unchanged');
