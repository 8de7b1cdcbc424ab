/**
 * Renders the OpenAPI document as one self-contained HTML page: no script, no stylesheet or font
 * from elsewhere, so it works offline and under a CSP of `default-src 'none'`. It covers what this
 * API's document uses (operations, parameters, JSON bodies, $ref'd schemas, headers, security), not
 * all of OpenAPI.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function renderDocsPage(document: object): string {
  const doc = JSON.parse(JSON.stringify(document)) as JsonObject;
  const info = obj(doc.info);
  const paths = obj(doc.paths);
  const schemas = obj(obj(doc.components).schemas);
  const resolve = (value: Json | undefined): JsonObject => {
    const o = obj(value);
    const ref = str(o.$ref);
    if (ref === undefined) return o;
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<Json | undefined>((node, part) => (isObj(node) ? node[part] : undefined), doc);
    return obj(target);
  };

  // In document order: the author's order is the reading order.
  const operations = Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(obj(item)).flatMap(([method, op]) =>
      (METHODS as readonly string[]).includes(method) && isObj(op) ? [{ path, method, op }] : [],
    ),
  );

  const toc = operations
    .map(
      ({ path, method, op }) =>
        `<li><a href="#${anchor(method, path)}"><span class="m ${method}">${method.toUpperCase()}</span> ${esc(path)}</a> <span class="muted">${esc(str(op.summary) ?? '')}</span></li>`,
    )
    .join('\n');

  const renderOperation = ({ path, method, op }: { path: string; method: string; op: JsonObject }) => {
    const params = arr(op.parameters).map(resolve);
    const secured =
      arr(op.security).length !== 0 || (op.security === undefined && arr(doc.security).length !== 0);
    const body = obj(op.requestBody);
    const bodyContent = obj(body.content);
    const responses = Object.entries(obj(op.responses));
    return `<section class="op" id="${anchor(method, path)}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p><strong>${esc(str(op.summary) ?? '')}</strong>${secured ? ' <span class="badge">Bearer JWT</span>' : ' <span class="badge open">no auth</span>'}</p>
${str(op.description) === undefined ? '' : `<p>${inline(str(op.description) ?? '')}</p>`}
${
  params.length === 0
    ? ''
    : `<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Required</th><th>Schema</th><th>Description</th></tr>${params
        .map(
          (p) =>
            `<tr><td><code>${esc(str(p.name) ?? '')}</code></td><td>${esc(str(p.in) ?? '')}</td><td>${p.required === true ? 'yes' : 'no'}</td><td>${schemaSummary(obj(p.schema))}</td><td>${inline(str(p.description) ?? '')}</td></tr>`,
        )
        .join('')}</table>`
}
${
  Object.keys(bodyContent).length === 0
    ? ''
    : `<h4>Request body</h4>${Object.entries(bodyContent)
        .map(
          ([type, media]) =>
            `<p><code>${esc(type)}</code>: ${schemaLink(obj(obj(media).schema))}</p>${examplesOf(obj(media))}`,
        )
        .join('')}`
}
<h4>Responses</h4><table class="responses"><tr><th>Status</th><th>Description</th><th>Body</th><th>Headers</th></tr>${responses
      .map(([status, response]) => {
        const r = obj(response);
        const content = Object.entries(obj(r.content))
          .map(([type, media]) => `<code>${esc(type)}</code> ${schemaLink(obj(obj(media).schema))}`)
          .join('<br>');
        const headers = Object.keys(obj(r.headers))
          .map((h) => `<code>${esc(h)}</code>`)
          .join(' ');
        return `<tr><td class="status s${status.slice(0, 1)}">${esc(status)}</td><td>${inline(str(r.description) ?? '')}</td><td>${content}</td><td>${headers}</td></tr>`;
      })
      .join('')}</table>
</section>`;
  };

  const renderSchema = ([name, schema]: [string, Json]) => {
    const s = obj(schema);
    const properties = Object.entries(obj(s.properties));
    const required = new Set(arr(s.required).map((r) => str(r) ?? ''));
    return `<section class="schema" id="schema-${esc(name)}"><h3>${esc(name)}</h3>
${str(s.description) === undefined ? '' : `<p>${inline(str(s.description) ?? '')}</p>`}
${
  properties.length === 0
    ? `<p>${schemaSummary(s)}</p>`
    : `<table><tr><th>Property</th><th>Required</th><th>Schema</th><th>Description</th></tr>${properties
        .map(
          ([prop, value]) =>
            `<tr><td><code>${esc(prop)}</code></td><td>${required.has(prop) ? 'yes' : 'no'}</td><td>${schemaSummary(obj(value))}</td><td>${inline(str(obj(value).description) ?? '')}</td></tr>`,
        )
        .join('')}</table>`
}</section>`;
  };

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(str(info.title) ?? 'API')} ${esc(str(info.version) ?? '')} - API documentation</title>
<style>${STYLE}</style></head>
<body><main>
<h1>${esc(str(info.title) ?? 'API')} <span class="muted">v${esc(str(info.version) ?? '')}</span></h1>
<p class="lead">${esc(str(info.summary) ?? '')}</p>
<div class="desc">${paragraphs(str(info.description) ?? '')}</div>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(str(doc.openapi) ?? '')}).</p>
<h2>Operations</h2><ul class="toc">${toc}</ul>
${operations.map(renderOperation).join('\n')}
<h2>Schemas</h2>
${Object.entries(schemas).map(renderSchema).join('\n')}
</main></body></html>`;
}

function schemaLink(schema: JsonObject): string {
  const ref = str(schema.$ref);
  if (ref !== undefined) {
    const name = ref.split('/').at(-1) ?? ref;
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  return schemaSummary(schema);
}

/** One line per schema: type, enum/const, bounds, pattern, format, $ref links, array items. */
function schemaSummary(schema: JsonObject): string {
  if (str(schema.$ref) !== undefined) return schemaLink(schema);
  const parts: string[] = [];
  if (schema.const !== undefined) parts.push(`<code>${esc(JSON.stringify(schema.const))}</code>`);
  else if (Array.isArray(schema.enum))
    parts.push(`one of ${schema.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(', ')}`);
  else if (Array.isArray(schema.type))
    parts.push(schema.type.map((t) => esc(typeof t === 'string' ? t : JSON.stringify(t))).join(' | '));
  else if (typeof schema.type === 'string') parts.push(esc(schema.type));
  if (schema.type === 'array') parts.push(`of ${schemaLink(obj(schema.items))}`);
  if (typeof schema.format === 'string') parts.push(`(${esc(schema.format)})`);
  if (typeof schema.pattern === 'string') parts.push(`pattern <code>${esc(schema.pattern)}</code>`);
  for (const [keyword, label] of [
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minimum', 'min'],
    ['maximum', 'max'],
    ['default', 'default'],
  ] as const) {
    if (schema[keyword] !== undefined) parts.push(`${label} ${esc(JSON.stringify(schema[keyword]))}`);
  }
  if (schema.type === 'object' && schema.properties === undefined) parts.push('(object)');
  return parts.join(' ') || 'any';
}

function examplesOf(media: JsonObject): string {
  return Object.entries(obj(media.examples))
    .map(
      ([name, example]) =>
        `<p class="muted">Example <em>${esc(name)}</em>:</p><pre>${esc(JSON.stringify(obj(example).value, null, 2))}</pre>`,
    )
    .join('');
}

function anchor(method: string, path: string): string {
  return `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** Backticks become <code>, everything else is escaped. */
function inline(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => `<p>${inline(p.replace(/\n/g, ' '))}</p>`)
    .join('\n');
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function isObj(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function obj(value: Json | undefined): JsonObject {
  return isObj(value) ? value : {};
}
function arr(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}
function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#667085;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;--accent:#3355ff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9aa4b2;--bg:#0d1117;--card:#161b22;--line:#30363d;--accent:#7aa2ff}}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{margin-bottom:0}h2{border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:40px}
a{color:var(--accent)}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{background:var(--card);padding:12px;border-radius:6px;overflow:auto}
.muted{color:var(--muted)}.lead{font-size:18px}
.toc{list-style:none;padding:0}.toc li{margin:4px 0}
.op,.schema{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 16px;margin:16px 0}
.m{display:inline-block;min-width:52px;text-align:center;border-radius:4px;color:#fff;font-size:12px;font-weight:700;padding:1px 6px}
.m.get{background:#1f7a4d}.m.post{background:#2456d6}.m.put,.m.patch{background:#a05a00}.m.delete{background:#b42318}
.badge{font-size:12px;border:1px solid var(--line);border-radius:10px;padding:0 8px}.badge.open{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-top:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
.status{font-weight:700}.s2{color:#1f7a4d}.s4{color:#a05a00}.s5{color:#b42318}
`;
