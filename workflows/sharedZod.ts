// zod, evaluated once per workflow sandbox and shared by every workflow in it (the bundle's preloadModules), instead of
// once in every case that validates an update. The sandbox freezes what it shares, so zod's one lazy module-level
// value (util.allowsEval, read by the first object parse) is computed here, before the freeze. Workflow code must not
// change zod's shared state (z.config()); the schemas a case builds are its own.
import { z } from 'zod';

z.object({ warm: z.string() }).safeParse({ warm: 'up' });
