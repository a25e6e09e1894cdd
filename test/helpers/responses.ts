// Checks a real answer of the API against its own description (/openapi.json): the status is documented for the
// operation, the JSON body validates against the documented schema (JSON Schema 2020-12, with ajv), and the
// documented Location / Idempotent-Replayed headers are there. test/helpers/system.ts call() runs it on every answer
// of the API tests, so every test that calls the API checks the document too.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Doc = { paths: Record<string, Record<string, any>>; components: Record<string, any> };

export interface DocumentChecker {
  check(method: string, url: string, status: number, headers: Headers, body: unknown, contentType: string | null): string[];
}

const METHODS = new Set(['get', 'post', 'put', 'delete', 'patch']);

export function documentChecker(doc: Doc): DocumentChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(doc as object, 'openapi.json');
  const compiled = new Map<string, ValidateFunction>();
  const templates = Object.keys(doc.paths).map((t) => ({
    template: t,
    params: (t.match(/\{/g) ?? []).length,
    re: new RegExp(`^${t.split('/').map((seg) => (/^\{[^}]+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`),
  }));
  const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

  return {
    check(method, url, status, headers, body, contentType) {
      const m = method.toLowerCase();
      if (!METHODS.has(m)) return [];
      const path = new URL(url, 'http://x').pathname;
      const match = templates.filter((t) => t.re.test(path)).sort((a, b) => a.params - b.params)[0];
      if (!match) return status === 404 ? [] : [`${method} ${path}: no documented path, answered ${status}`];
      const op = doc.paths[match.template][m];
      if (!op) return status === 405 ? [] : [`${method} ${match.template}: no documented operation, answered ${status}`];
      const response = op.responses[String(status)];
      const where = `${method.toUpperCase()} ${match.template} ${status}`;
      if (!response) return [`${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')})`];
      const problems: string[] = [];
      for (const h of Object.keys(response.headers ?? {})) {
        if ((h === 'Location' || h === 'Idempotent-Replayed') && !headers.get(h)) problems.push(`${where}: documented header ${h} missing`);
      }
      if (headers.get('idempotent-replayed') && !response.headers?.['Idempotent-Replayed']) problems.push(`${where}: Idempotent-Replayed sent but not documented`);
      const content = response.content?.['application/json'];
      if (!content) return problems;
      if (!contentType?.startsWith('application/json')) return [...problems, `${where}: documented as application/json, answered ${contentType}`];
      const key = `openapi.json#/${pointer('paths', match.template, m, 'responses', String(status), 'content', 'application/json', 'schema')}`;
      let validate = compiled.get(key);
      if (!validate) {
        validate = ajv.compile({ $ref: key });
        compiled.set(key, validate);
      }
      if (!validate(body)) {
        problems.push(`${where}: body does not match the documented schema: ${ajv.errorsText(validate.errors?.slice(0, 5), { separator: '; ' })}`);
      }
      return problems;
    },
  };
}

const checkers = new Map<string, Promise<DocumentChecker>>();

/** The checker for the API at `baseUrl`, built once from the document it serves. */
export function checkerFor(baseUrl: string): Promise<DocumentChecker> {
  let c = checkers.get(baseUrl);
  if (!c) {
    c = fetch(`${baseUrl}/openapi.json`).then(async (r) => documentChecker((await r.json()) as Doc));
    checkers.set(baseUrl, c);
  }
  return c;
}
