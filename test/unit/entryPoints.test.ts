// The system's entry points load under tsx as `bash scripts/dev`, the API and the worker run them: every module they
// import resolves at run time (jest compiles with swc and resolves modules its own way, so it cannot show this).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

test.each(['api/app', 'worker/worker', 'processes/dossier', 'lib/dossier'])('%s loads under tsx', async (mod) => {
  const { stdout } = await promisify(execFile)(path.resolve('node_modules/.bin/tsx'), ['-e', `require('./${mod}'); console.log('loaded')`], { timeout: 60_000 });
  expect(stdout.trim()).toBe('loaded');
});
