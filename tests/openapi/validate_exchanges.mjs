// Validates the contract tests' recorded exchanges (tests/contract/test_client.h,
// ST_EXCHANGE_DIR) against the OpenAPI document, as a validating proxy would:
//
// - the request is checked against its operation (path, method, query parameters and
//   their schemas, required parameters, JSON body, authentication);
// - a request the document accepts must get a response the operation lists, and never a
//   400, but for a parameter whose valid values depend on the data (`x-out-of-range` on the
//   parameter: its status and message, with the range as named groups `first` and `last`;
//   as_of): then the message must be that one and the value outside [first, last]; a
//   request the document refuses must get a 4xx (a 400 for a bad parameter, or the
//   401/403/404/429 the checks before it give);
// - every response body (gunzipped when Content-Encoding: gzip) is validated against the
//   schema of its status and media type, and documented headers against theirs;
// - unknown paths must get 404 and undocumented methods 405, with the error envelope;
// - the dashboard's own routes (/dashboard/...) are counted, not checked: not in the document.
//
// Usage: node validate_exchanges.mjs OPENAPI_JSON EXCHANGE_DIR [--min N] [--require PATH]...
// Exits 1 (listing every disagreement) when any exchange disagrees, when fewer than N
// exchanges were recorded (the recording is broken), or when no 200 of a --require path
// (a template of the document) was recorded (its tests do not record).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [docPath, dir, ...rest] = process.argv.slice(2);
const minIndex = rest.indexOf('--min');
const minExchanges = minIndex >= 0 ? Number(rest[minIndex + 1]) : 1;
const required = rest.flatMap((a, i) => (a === '--require' ? [rest[i + 1]] : []));
const okByPath = new Map(required.map((p) => [p, 0]));
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, 'openapi');
const validators = new Map();
function validatorFor(pointer, schema) {
  if (!validators.has(pointer)) {
    // Compile a wrapper that points into the document, so that $refs resolve there.
    validators.set(pointer, ajv.compile({ $ref: `openapi#${pointer}` }));
  }
  return validators.get(pointer);
}
function esc(s) {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
function resolve(obj) {
  let cur = obj;
  while (cur && cur.$ref) {
    cur = cur.$ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o, k) => o[k], doc);
  }
  return cur;
}
function refPointer(obj, fallback) {
  return obj && obj.$ref ? obj.$ref.slice(1) : fallback;
}
function errorsText(v) {
  return ajv.errorsText(v.errors, { separator: '; ' });
}

// Path templates ("/admin/v1/keys/{key_id}") as regular expressions.
const templates = Object.keys(doc.paths).map((p) => {
  const names = [];
  const re = new RegExp(
    '^' +
      p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_, n) => {
        names.push(n);
        return '([^/]+)';
      }) +
      '$',
  );
  return { template: p, re, names };
});
function findPath(p) {
  const exact = templates.find((t) => t.template === p);
  if (exact) return { template: p, params: {} };
  for (const t of templates) {
    const m = t.re.exec(p);
    if (m) {
      const params = {};
      t.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { template: t.template, params };
    }
  }
  return null;
}

// Query string -> [[name, value]], decoded as UTF-8 (null when it is not valid UTF-8).
function decodeQuery(q) {
  const out = [];
  for (const part of q.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const raw = [eq < 0 ? part : part.slice(0, eq), eq < 0 ? '' : part.slice(eq + 1)];
    const decoded = raw.map((s) => {
      const bytes = [];
      const t = s.replace(/\+/g, ' ');
      for (let i = 0; i < t.length; i++) {
        if (t[i] === '%' && /^[0-9a-fA-F]{2}$/.test(t.slice(i + 1, i + 3))) {
          bytes.push(parseInt(t.slice(i + 1, i + 3), 16));
          i += 2;
        } else if (t[i] === '%') {
          return null;
        } else {
          bytes.push(...Buffer.from(t[i], 'utf8'));
        }
      }
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
      } catch {
        return null;
      }
    });
    out.push(decoded);
  }
  return out;
}

function bodyOf(x, field) {
  if (x[field] !== undefined) return Buffer.from(x[field], 'utf8');
  if (x[field + '_base64'] !== undefined) return Buffer.from(x[field + '_base64'], 'base64');
  return Buffer.alloc(0);
}

// Why the document refuses this request, or null when it accepts it.
function requestProblem(x, op, pathParams, opPointer) {
  const q = x.target.includes('?') ? x.target.slice(x.target.indexOf('?') + 1) : '';
  const pairs = decodeQuery(q);
  const params = (op.parameters || []).map(resolve);
  for (const [i, p] of params.entries()) {
    const pointer = `${opPointer}/parameters/${i}/schema`;
    if (p.in === 'query') {
      const values = pairs.filter(([n]) => n === p.name);
      if (values.some(([, v]) => v === null)) return `query ${p.name} is not UTF-8`;
      if (values.length > 1) return `query ${p.name} given twice`;
      if (values.length === 0) {
        if (p.required) return `query ${p.name} is required`;
        continue;
      }
      const v = validatorFor(pointer);
      if (!v(values[0][1])) return `query ${p.name}=${values[0][1]}: ${errorsText(v)}`;
    } else if (p.in === 'path') {
      const v = validatorFor(pointer);
      if (!v(pathParams[p.name])) return `path ${p.name}=${pathParams[p.name]}: ${errorsText(v)}`;
    }
  }
  if (pairs.some((pair) => pair[0] === null)) return 'a query parameter name is not UTF-8';
  const security = op.security ?? doc.security ?? [];
  if (security.length > 0 && Object.keys(security[0]).length > 0) {
    const auth = x.request_headers.authorization || '';
    if (!/^Bearer \S+$/i.test(auth.trim())) return 'no bearer credentials';
  }
  if (op.requestBody) {
    const body = bodyOf(x, 'request_body');
    const rb = resolve(op.requestBody);
    const type = (x.request_headers['content-type'] || '').split(';')[0].trim();
    if (body.length === 0 && !rb.required) {
      // An optional body left out (POST /admin/v1/keys/{key_id}/rotate).
    } else if (rb.content['application/json'] && (type === '' || type === 'application/json')) {
      let parsed;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return 'the body is not JSON';
      }
      const v = validatorFor(`${opPointer}/requestBody/content/application~1json/schema`);
      if (!v(parsed)) return `body: ${errorsText(v)}`;
    } else if (rb.required && body.length === 0) {
      return 'the body is required';
    }
  }
  return null;
}

const ERROR_SCHEMA = '/components/schemas/Error';

// A 400 to a request the document accepts: allowed only as the `x-out-of-range` refusal of
// a parameter the request gives (the server's range, in the message, must exclude the value).
// Returns null when it is one, else the problem.
function outOfRangeProblem(x, op) {
  const q = x.target.includes('?') ? x.target.slice(x.target.indexOf('?') + 1) : '';
  const pairs = decodeQuery(q);
  let message;
  try {
    message = JSON.parse(bodyOf(x, 'response_body').toString('utf8')).message;
  } catch {
    return 'the document accepts this request but the server answered 400 (body not JSON)';
  }
  for (const p of (op.parameters || []).map(resolve)) {
    const rule = p['x-out-of-range'];
    const given = pairs.find(([n]) => n === p.name);
    if (!rule || !given || rule.status !== x.status) continue;
    const m = new RegExp(rule.message, 'u').exec(message ?? '');
    if (!m) continue;
    const { first, last } = m.groups;
    if (given[1] < first || given[1] > last) return null;
    return `${p.name}=${given[1]} refused as outside [${first}, ${last}], but it is inside`;
  }
  return `the document accepts this request but the server answered 400 (${message})`;
}

// Problems with the response, [] when it matches what the document says.
function responseProblems(x, op, opPointer) {
  const problems = [];
  const statusKey = String(x.status);
  let responseObj = op.responses[statusKey] ?? op.responses[statusKey[0] + 'XX'] ?? op.responses.default;
  let responsePointer = `${opPointer}/responses/${statusKey}`;
  if (!responseObj) return [`status ${x.status} is not listed by the operation`];
  responsePointer = refPointer(responseObj, responsePointer);
  const response = resolve(responseObj);
  for (const [name, header] of Object.entries(response.headers || {})) {
    const value = x.response_headers[name.toLowerCase()];
    if (value === undefined) continue;
    const h = resolve(header);
    const pointer = `${refPointer(header, `${responsePointer}/headers/${esc(name)}`)}/schema`;
    const v = validatorFor(pointer);
    const typed = h.schema && h.schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (!v(typed)) problems.push(`header ${name}: ${value}: ${errorsText(v)}`);
  }
  if (x.method === 'HEAD') return problems;
  let body = bodyOf(x, 'response_body');
  if ((x.response_headers['content-encoding'] || '') === 'gzip') {
    try {
      body = zlib.gunzipSync(body);
    } catch (e) {
      return [...problems, `gzip body does not decompress: ${e.message}`];
    }
  }
  const type = (x.response_headers['content-type'] || '').split(';')[0].trim();
  const media = response.content && response.content[type];
  if (!media) {
    if (!response.content && body.length === 0) return problems;
    return [...problems, `content type ${type} is not listed for ${x.status}`];
  }
  if (type === 'application/json') {
    let parsed;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return [...problems, 'the body is not JSON'];
    }
    const v = validatorFor(`${responsePointer}/content/application~1json/schema`);
    if (!v(parsed)) problems.push(`body: ${errorsText(v)}`);
    if (parsed && typeof parsed === 'object' && 'requestId' in parsed) {
      if (parsed.requestId !== x.response_headers['x-request-id']) problems.push('requestId differs from X-Request-Id');
    }
  }
  return problems;
}

function checkError(x, status) {
  if (x.status !== status) return [`expected ${status}, got ${x.status}`];
  if (x.method === 'HEAD') return [];
  let parsed;
  try {
    parsed = JSON.parse(bodyOf(x, 'response_body').toString('utf8'));
  } catch {
    return ['the error body is not JSON'];
  }
  const v = validatorFor(ERROR_SCHEMA);
  return v(parsed) ? [] : [`error body: ${errorsText(v)}`];
}

const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson')) : [];
let total = 0;
const counts = { valid: 0, refused: 0, unknown: 0, preflight: 0, outOfRange: 0, dashboard: 0 };
const disagreements = [];
for (const f of files) {
  for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
    if (!line) continue;
    const x = JSON.parse(line);
    total++;
    const where = `${x.method} ${x.target} -> ${x.status}`;
    const pathOnly = x.target.split('?')[0];
    const found = findPath(pathOnly);
    let problems = [];
    if (pathOnly.startsWith('/dashboard/')) {
      // The web dashboard's own pages and API (docs/dashboard.md), served beside the
      // public API but not part of the contract this document describes.
      counts.dashboard++;
    } else if (x.method === 'OPTIONS') {
      // CORS preflight: answered by the server itself for every path (204, or 403 for an
      // origin it does not allow); not an API operation.
      counts.preflight++;
      if (![204, 403, 404].includes(x.status)) problems.push(`preflight answered ${x.status}`);
    } else if (!found) {
      counts.unknown++;
      problems = checkError(x, 404);
    } else {
      const method = x.method === 'HEAD' ? 'get' : x.method.toLowerCase();
      const op = doc.paths[found.template][method];
      const opPointer = `/paths/${esc(found.template)}/${method}`;
      if (!op) {
        counts.unknown++;
        problems = checkError(x, 405);
      } else {
        const refused = requestProblem(x, op, found.params, opPointer);
        if (refused) {
          counts.refused++;
          if (x.status < 400 || x.status >= 500) {
            problems.push(`the document refuses this request (${refused}) but the server answered ${x.status}`);
          }
        } else {
          counts.valid++;
          if (x.status === 400) {
            const problem = outOfRangeProblem(x, op);
            if (problem) problems.push(problem);
            else counts.outOfRange++;
          }
        }
        problems.push(...responseProblems(x, op, opPointer));
        if (x.status === 200 && okByPath.has(found.template)) {
          okByPath.set(found.template, okByPath.get(found.template) + 1);
        }
      }
    }
    for (const p of problems) disagreements.push(`${where}: ${p}`);
  }
}
console.log(
  `${total} exchanges from ${files.length} files: ${counts.valid} requests the document accepts, ` +
    `${counts.refused} it refuses, ${counts.unknown} to undocumented paths or methods, ${counts.preflight} preflights, ` +
    `${counts.dashboard} to the dashboard's own routes; ` +
    `${counts.outOfRange} refused as out of the data's range (x-out-of-range)`,
);
if (disagreements.length > 0) {
  const unique = [...new Set(disagreements)];
  console.log(`${unique.length} disagreements between the server and the document:`);
  for (const d of unique.slice(0, 200)) console.log('  ' + (d.length > 400 ? d.slice(0, 400) + '...' : d));
  process.exit(1);
}
for (const [p, n] of okByPath) console.log(`${n} exchanges answered 200 on ${p}`);
const missing = [...okByPath].filter(([, n]) => n === 0).map(([p]) => p);
if (missing.length > 0) {
  console.log(`no 200 recorded on ${missing.join(', ')}: do their tests record (tests/contract.cmake)?`);
  process.exit(1);
}
if (total < minExchanges) {
  console.log(`expected at least ${minExchanges} exchanges: is the recording broken?`);
  process.exit(1);
}
console.log('every exchange agrees with the OpenAPI document');
