// The readable API reference served at /docs: one self-contained HTML page rendered on the server
// from the OpenAPI document (api/openapi.ts). No scripts, no external stylesheets, fonts or images;
// every piece of text from the document is HTML-escaped.
import type { JsonSchema, OpenApiDocument, OpenApiOperation, OpenApiParameter } from './openapi';

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => entities[c]);
}

/** Escapes, then turns `code` spans and blank-line-separated paragraphs into markup. */
function prose(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('\n');
}

const anchor = (kind: string, name: string) => `${kind}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

function schemaRefName(schema: JsonSchema | undefined): string | undefined {
  const ref = schema?.$ref;
  return typeof ref === 'string' && ref.startsWith('#/components/schemas/') ? ref.slice('#/components/schemas/'.length) : undefined;
}

function schemaSummary(schema: JsonSchema): string {
  const name = schemaRefName(schema);
  if (name) return `<a href="#${anchor('schema', name)}">${escapeHtml(name)}</a>`;
  const parts: string[] = [];
  if (schema.type !== undefined) parts.push(Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type));
  if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.format !== undefined) parts.push(`format ${String(schema.format)}`);
  if (schema.pattern !== undefined) parts.push(`pattern ${String(schema.pattern)}`);
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum'] as const) if (schema[k] !== undefined) parts.push(`${k} ${String(schema[k])}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return `<code>${escapeHtml(parts.join('; ') || 'any')}</code>`;
}

const pretty = (value: unknown) => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;

function parametersTable(params: OpenApiParameter[]): string {
  const rows = params
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? 'required' : 'optional'}</td>` +
        `<td>${schemaSummary(p.schema)}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<h4>Parameters</h4>\n<table><thead><tr><th>Name</th><th>In</th><th></th><th>Schema</th><th>Description</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function operationHtml(method: string, path: string, op: OpenApiOperation): string {
  const roles = op['x-allowed-roles'];
  const access = op.security?.length
    ? `<p class="access">Roles allowed: ${roles?.map((r) => `<span class="role">${escapeHtml(r)}</span>`).join(' ') ?? ''}` +
      ` &middot; action <code>${escapeHtml(op['x-required-action'] ?? '')}</code> &middot; bearer API key</p>`
    : '<p class="access">Public: no authentication</p>';
  const body = op.requestBody
    ? `<h4>Request body <small>application/json${op.requestBody.required ? ', required' : ''}</small></h4>\n` +
      (schemaRefName(op.requestBody.content['application/json'].schema)
        ? `<p>Schema: ${schemaSummary(op.requestBody.content['application/json'].schema)}</p>`
        : pretty(op.requestBody.content['application/json'].schema))
    : '';
  const responses = Object.entries(op.responses)
    .map(([status, r]) => {
      const schema = r.content?.['application/json']?.schema;
      return `<tr><td class="status s${escapeHtml(status[0])}">${escapeHtml(status)}</td><td>${escapeHtml(r.description)}</td><td>${schema ? schemaSummary(schema) : ''}</td></tr>`;
    })
    .join('\n');
  return [
    `<article class="op" id="${anchor('op', op.operationId)}">`,
    `<h3><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code class="path">${escapeHtml(path)}</code></h3>`,
    `<p class="summary">${escapeHtml(op.summary)}</p>`,
    `<p class="opid">operationId <code>${escapeHtml(op.operationId)}</code></p>`,
    access,
    op.parameters?.length ? parametersTable(op.parameters) : '',
    body,
    `<h4>Responses</h4>\n<table><thead><tr><th>Status</th><th>Description</th><th>Body</th></tr></thead><tbody>\n${responses}\n</tbody></table>`,
    '</article>',
  ]
    .filter(Boolean)
    .join('\n');
}

const css = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px 32px 64px}
header{border-bottom:1px solid #d8dce3;margin-bottom:16px}
h1{margin:8px 0 0}h2{margin-top:40px;border-bottom:2px solid #d8dce3;text-transform:capitalize}
h3{margin:0 0 4px;font-size:17px}h4{margin:14px 0 6px;font-size:14px}small{font-weight:normal;color:#5b6475}
nav ul{columns:2;padding-left:18px}nav li{break-inside:avoid}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{background:#fff;border:1px solid #d8dce3;border-radius:4px;padding:10px;overflow:auto;max-height:480px}
.op{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:14px 18px;margin:14px 0}
.method{display:inline-block;min-width:58px;text-align:center;border-radius:3px;color:#fff;font-size:12px;padding:2px 6px;margin-right:6px}
.method.get{background:#2f6fb3}.method.post{background:#2c8a4b}.method.put{background:#b7791f}.method.delete{background:#b3362f}
.summary{margin:4px 0}.opid{margin:2px 0;color:#5b6475;font-size:13px}.access{margin:4px 0}
.role{display:inline-block;background:#eef1f6;border:1px solid #d8dce3;border-radius:10px;padding:0 8px;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;border-bottom:1px solid #e5e8ee;padding:4px 8px;vertical-align:top}
.status{font-weight:bold}.s2{color:#2c8a4b}.s4{color:#b36b00}.s5{color:#b3362f}
`;

/** Renders the whole reference page. */
export function renderDocsHtml(doc: OpenApiDocument): string {
  const ops: Array<{ method: string; path: string; op: OpenApiOperation }> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) if (op) ops.push({ method, path, op });
  }
  const tagNames = [...doc.tags.map((t) => t.name), ...new Set(ops.flatMap((o) => o.op.tags).filter((t) => !doc.tags.some((d) => d.name === t)))];
  const untagged = ops.filter((o) => o.op.tags.length === 0);
  const groups = tagNames
    .map((name) => ({ name, description: doc.tags.find((t) => t.name === name)?.description, ops: ops.filter((o) => o.op.tags[0] === name) }))
    .concat(untagged.length ? [{ name: 'other', description: undefined, ops: untagged }] : [])
    .filter((g) => g.ops.length > 0);

  const toc = groups
    .map(
      (g) =>
        `<li><a href="#${anchor('tag', g.name)}">${escapeHtml(g.name)}</a><ul>` +
        g.ops.map((o) => `<li><a href="#${anchor('op', o.op.operationId)}"><code>${escapeHtml(o.method.toUpperCase())} ${escapeHtml(o.path)}</code></a></li>`).join('') +
        '</ul></li>',
    )
    .join('\n');

  const sections = groups
    .map((g) =>
      [
        `<section id="${anchor('tag', g.name)}">`,
        `<h2>${escapeHtml(g.name)}</h2>`,
        g.description ? `<p>${escapeHtml(g.description)}</p>` : '',
        ...g.ops.map((o) => operationHtml(o.method, o.path, o.op)),
        '</section>',
      ]
        .filter(Boolean)
        .join('\n'),
    )
    .join('\n');

  const schemas = Object.entries(doc.components.schemas)
    .map(([name, schema]) => `<article class="op" id="${anchor('schema', name)}"><h3><code>${escapeHtml(name)}</code></h3>\n${pretty(schema)}</article>`)
    .join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} ${escapeHtml(doc.info.version)}</title>
<style>${css}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(doc.info.title)}</h1>
<p>Version <code>${escapeHtml(doc.info.version)}</code> &middot; OpenAPI <code>${escapeHtml(doc.openapi)}</code> &middot; machine-readable: <a href="/openapi.json">/openapi.json</a></p>
${prose(doc.info.description)}
</header>
<nav>
<h2>Operations</h2>
<ul>
${toc}
</ul>
</nav>
${sections}
<section id="schemas">
<h2>Schemas</h2>
${schemas}
</section>
</main>
</body>
</html>
`;
}
