// Lints an OpenAPI document with Redocly's recommended rules, offline: reads the document (JSON) from the file
// given, prints the problems as JSON lines ({ severity, ruleId, message, location }) and exits 1 on any error.
// Used by test/api/openapi.lint.test.ts; by hand: node scripts/openapi/lint.mjs doc.json
import fs from 'node:fs';
import { createConfig, lintFromString } from '@redocly/openapi-core';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/openapi/lint.mjs <openapi.json>');
  process.exit(2);
}
const config = await createConfig({ extends: ['recommended'] });
const problems = await lintFromString({ source: fs.readFileSync(file, 'utf8'), absoluteRef: file, config });
for (const p of problems) {
  console.log(JSON.stringify({ severity: p.severity, ruleId: p.ruleId, message: p.message, location: p.location?.map((l) => l.pointer) }));
}
process.exit(problems.some((p) => p.severity === 'error') ? 1 : 0);
