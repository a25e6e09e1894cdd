// Changed workflows: an extra activity before the 2nd one.
import { changeInterceptors } from './changes';

export const interceptors = changeInterceptors('extraActivityBeforeSecond');
