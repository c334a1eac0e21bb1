// Reading an OpenAPI 3.1 document for the reference page: the operations in order, their
// parameters and responses with $refs resolved, a sample value for any schema (the
// document's own example first), and request examples in curl, Python and JavaScript
// (the document's x-codeSamples for a language when it has one, else built from the
// operation's parameters and request body examples).

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

export interface Operation {
  id: string; // anchor
  method: string; // "get"
  path: string;
  op: Json;
  tag: string;
}

export const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

export function resolve(doc: Json, value: Json, depth = 0): Json {
  if (value && typeof value === "object" && typeof value.$ref === "string" && depth < 20) {
    const ref: string = value.$ref;
    if (!ref.startsWith("#/")) return value;
    let target: Json = doc;
    for (const part of ref.slice(2).split("/")) {
      target = target?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return resolve(doc, target ?? {}, depth + 1);
  }
  return value;
}

export function anchorOf(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase();
}

export function operations(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op) continue;
      out.push({ id: anchorOf(method, path), method, path, op, tag: op.tags?.[0] ?? "Other" });
    }
  }
  return out;
}

// Operations grouped by their first tag, in the document's tag order (unlisted tags last).
export function byTag(doc: Json, ops: Operation[]): { name: string; description: string; ops: Operation[] }[] {
  const order: { name: string; description: string }[] = (doc.tags ?? []).map((t: Json) => ({
    name: t.name,
    description: t.description ?? "",
  }));
  for (const o of ops) if (!order.some((t) => t.name === o.tag)) order.push({ name: o.tag, description: "" });
  return order.map((t) => ({ ...t, ops: ops.filter((o) => o.tag === t.name) })).filter((g) => g.ops.length > 0);
}

export function parameters(doc: Json, o: Operation): Json[] {
  const pathItem = doc.paths?.[o.path] ?? {};
  const all = [...(pathItem.parameters ?? []), ...(o.op.parameters ?? [])].map((p) => resolve(doc, p));
  const seen = new Map<string, Json>();
  for (const p of all) seen.set(`${p.in}:${p.name}`, p); // operation-level wins
  return [...seen.values()];
}

export function typeOf(doc: Json, schema: Json): string {
  const s = resolve(doc, schema ?? {});
  if (s.enum) return `${Array.isArray(s.type) ? s.type.join(" | ") : (s.type ?? "string")} (${s.enum.map((v: Json) => JSON.stringify(v)).join(", ")})`;
  if (Array.isArray(s.type)) return s.type.join(" | ");
  if (s.type === "array") return `array of ${typeOf(doc, s.items)}`;
  if (s.oneOf || s.anyOf) return (s.oneOf ?? s.anyOf).map((x: Json) => typeOf(doc, x)).join(" | ");
  if (schema?.$ref) return String(schema.$ref).split("/").pop() ?? "object";
  return s.type ?? (s.properties ? "object" : "any");
}

// A value that fits `schema`: its example, else its default, else one built from its type.
export function sample(doc: Json, schema: Json, depth = 0): Json {
  const s = resolve(doc, schema ?? {});
  if (depth > 8) return null;
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x: Json) => sample(doc, x, depth + 1)));
  if (s.oneOf || s.anyOf) return sample(doc, (s.oneOf ?? s.anyOf)[0], depth + 1);
  const type = Array.isArray(s.type) ? (s.type.find((t: string) => t !== "null") ?? "null") : s.type;
  switch (type ?? (s.properties ? "object" : undefined)) {
    case "object": {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries<Json>(s.properties ?? {})) out[k] = sample(doc, v, depth + 1);
      return out;
    }
    case "array":
      return s.items ? [sample(doc, s.items, depth + 1)] : [];
    case "integer":
      return s.minimum ?? 0;
    case "number":
      return s.minimum ?? 0;
    case "boolean":
      return false;
    case "null":
      return null;
    case "string":
      if (s.format === "date-time") return "2026-01-01T00:00:00Z";
      if (s.format === "date") return "2026-01-01";
      if (s.format === "uuid") return "3b515c7d-e2ca-4b32-81dc-3a029504d1d3";
      return "string";
    default:
      return null;
  }
}

export interface ResponseSample {
  status: string;
  description: string;
  contentType: string | null;
  body: string | null; // pretty JSON or text
  fromDocument: boolean; // the document's own example (not built from the schema)
  headers: { name: string; description: string }[];
}

export function responses(doc: Json, o: Operation): ResponseSample[] {
  const out: ResponseSample[] = [];
  for (const [status, raw] of Object.entries<Json>(o.op.responses ?? {})) {
    const r = resolve(doc, raw);
    const content: Record<string, Json> = r.content ?? {};
    const [contentType, media] = Object.entries<Json>(content)[0] ?? [null, null];
    let body: string | null = null;
    let fromDocument = false;
    if (media) {
      let value: Json;
      if (media.example !== undefined) {
        value = media.example;
        fromDocument = true;
      } else if (media.examples && Object.keys(media.examples).length > 0) {
        value = resolve(doc, Object.values<Json>(media.examples)[0]).value;
        fromDocument = true;
      } else {
        const schema = resolve(doc, media.schema ?? {});
        fromDocument = schema.example !== undefined;
        value = sample(doc, media.schema ?? {});
      }
      body = typeof value === "string" && !String(contentType).includes("json") ? value : JSON.stringify(value, null, 2);
    }
    const headers = Object.entries<Json>(r.headers ?? {}).map(([name, h]) => ({
      name,
      description: resolve(doc, h).description ?? "",
    }));
    out.push({ status, description: r.description ?? "", contentType, body, fromDocument, headers });
  }
  return out;
}

export function requestBodySample(doc: Json, o: Operation): { contentType: string; body: string } | null {
  const rb = resolve(doc, o.op.requestBody);
  if (!rb?.content) return null;
  const [contentType, media] = Object.entries<Json>(rb.content)[0];
  let value: Json;
  if (media.example !== undefined) value = media.example;
  else if (media.examples) value = resolve(doc, Object.values<Json>(media.examples)[0]).value;
  else value = sample(doc, media.schema ?? {});
  return { contentType, body: typeof value === "string" ? value : JSON.stringify(value, null, 2) };
}

// "adminToken" / "apiKey" / null for an operation (its own security, else the document's).
export function securityOf(doc: Json, o: Operation): string | null {
  const sec = o.op.security ?? doc.security ?? [];
  for (const req of sec) {
    const names = Object.keys(req);
    if (names.length > 0) return names[0];
  }
  return null;
}

export interface CodeSample {
  lang: "curl" | "python" | "javascript";
  label: string;
  source: string;
  fromDocument: boolean;
}

const LANGS: { lang: CodeSample["lang"]; label: string; aliases: string[] }[] = [
  { lang: "curl", label: "curl", aliases: ["curl", "shell", "bash", "sh"] },
  { lang: "python", label: "Python", aliases: ["python", "py"] },
  { lang: "javascript", label: "JavaScript", aliases: ["javascript", "js", "node"] },
];

function exampleQuery(doc: Json, o: Operation): [string, string][] {
  return parameters(doc, o)
    .filter((p) => p.in === "query" && (p.required || p.example !== undefined))
    .map((p) => [p.name, String(p.example ?? sample(doc, p.schema))]);
}

function pathWithExamples(doc: Json, o: Operation): string {
  let path = o.path;
  for (const p of parameters(doc, o).filter((x) => x.in === "path")) {
    path = path.replace(`{${p.name}}`, encodeURIComponent(String(p.example ?? sample(doc, p.schema) ?? p.name)));
  }
  return path;
}

function pyString(s: string): string {
  return JSON.stringify(s);
}

// The document's `servers` URL when it is absolute, else this page's origin + it.
export function baseUrl(doc: Json, origin: string): string {
  const url: string = doc.servers?.[0]?.url ?? "";
  if (/^https?:\/\//.test(url)) return url.replace(/\/$/, "");
  return (origin + url).replace(/\/$/, "");
}

export function codeSamples(doc: Json, o: Operation, base: string): CodeSample[] {
  const documented: Json[] = o.op["x-codeSamples"] ?? o.op["x-code-samples"] ?? [];
  const query = exampleQuery(doc, o);
  const path = pathWithExamples(doc, o);
  const qs = query.length ? `?${new URLSearchParams(query).toString()}` : "";
  const url = `${base}${path}${qs}`;
  const security = securityOf(doc, o);
  const secret = security === "adminToken" ? "<ADMIN_TOKEN>" : "<YOUR_API_KEY>";
  const body = requestBodySample(doc, o);
  const method = o.method.toUpperCase();

  const generated: Record<CodeSample["lang"], string> = {
    curl: [
      `curl --request ${method}`,
      `  --url '${url}'`,
      ...(security ? [`  --header 'Authorization: Bearer ${secret}'`] : []),
      ...(body
        ? [
            `  --header 'Content-Type: ${body.contentType}'`,
            `  --data '${body.body.replace(/\n\s*/g, " ").replace(/'/g, "'\\''")}'`,
          ]
        : []),
    ].join(" \\\n"),
    python: [
      "import requests",
      "",
      `url = ${pyString(base + path)}`,
      ...(query.length ? [`params = {${query.map(([k, v]) => `${pyString(k)}: ${pyString(v)}`).join(", ")}}`] : []),
      ...(security ? [`headers = {"Authorization": "Bearer ${secret}"}`] : []),
      ...(body && body.contentType.includes("json") ? [`payload = ${body.body.replace(/\btrue\b/g, "True").replace(/\bfalse\b/g, "False").replace(/\bnull\b/g, "None")}`] : []),
      "",
      `response = requests.${o.method}(url${query.length ? ", params=params" : ""}${security ? ", headers=headers" : ""}${body && body.contentType.includes("json") ? ", json=payload" : ""}, timeout=30)`,
      "print(response.status_code, response.json() if 'json' in response.headers.get('Content-Type', '') else response.text)",
    ].join("\n"),
    javascript: [
      `const response = await fetch(${JSON.stringify(url)}, {`,
      `  method: ${JSON.stringify(method)},`,
      `  headers: {${[...(security ? [`Authorization: "Bearer ${secret}"`] : []), ...(body ? [`"Content-Type": ${JSON.stringify(body.contentType)}`] : [])].join(", ")}},`,
      ...(body ? [`  body: JSON.stringify(${body.body.replace(/\n/g, "\n  ")}),`] : []),
      "});",
      "console.log(response.status, await response.text());",
    ].join("\n"),
  };
  // A documented sample names the document's server; show it against this one.
  const documentedBase: string = doc.servers?.[0]?.url ?? "";
  const rebase = (source: string) =>
    /^https?:\/\//.test(documentedBase) ? source.split(documentedBase.replace(/\/$/, "")).join(base) : source;
  return LANGS.map(({ lang, label, aliases }) => {
    const mine = documented.find((c) => aliases.includes(String(c.lang ?? "").toLowerCase()));
    return mine
      ? { lang, label, source: rebase(String(mine.source)), fromDocument: true }
      : { lang, label, source: generated[lang], fromDocument: false };
  });
}
