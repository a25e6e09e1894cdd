// Changed workflows: a 1-second timer before the 3rd activity.
import { changeInterceptors } from './changes';

export const interceptors = changeInterceptors('timerBeforeThirdActivity');
