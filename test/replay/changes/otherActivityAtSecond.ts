// Changed workflows: the 2nd activity calls another activity type.
import { changeInterceptors } from './changes';

export const interceptors = changeInterceptors('otherActivityAtSecond');
