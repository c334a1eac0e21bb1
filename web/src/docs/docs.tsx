// The API reference page (/docs), rendered from /openapi.json: navigation by tag, and for
// every operation its parameters, request body, code samples (curl, Python, JavaScript)
// and a sample response for every status it can answer.
import { useEffect, useState } from "preact/hooks";
import { Prose } from "./prose";
import {
  baseUrl,
  byTag,
  codeSamples,
  type Json,
  type Operation,
  operations,
  parameters,
  requestBodySample,
  responses,
  securityOf,
  typeOf,
} from "./openapi";

function statusClass(status: string): string {
  if (status.startsWith("2")) return "ok";
  if (status.startsWith("4")) return "warn";
  if (status.startsWith("5")) return "bad";
  return "";
}

function CodeTabs(props: { op: Operation; doc: Json; base: string }) {
  const samples = codeSamples(props.doc, props.op, props.base);
  const [lang, setLang] = useState(samples[0].lang);
  const current = samples.find((s) => s.lang === lang) ?? samples[0];
  const id = props.op.id;
  return (
    <div class="code-tabs">
      <div role="tablist" aria-label="Request example language" class="tab-row">
        {samples.map((s) => (
          <button
            type="button"
            role="tab"
            id={`${id}-tab-${s.lang}`}
            aria-selected={s.lang === lang}
            aria-controls={`${id}-code`}
            tabIndex={s.lang === lang ? 0 : -1}
            onClick={() => setLang(s.lang)}
            onKeyDown={(e) => {
              if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
              const i = samples.findIndex((x) => x.lang === lang);
              const next = samples[(i + (e.key === "ArrowRight" ? 1 : samples.length - 1)) % samples.length];
              setLang(next.lang);
              document.getElementById(`${id}-tab-${next.lang}`)?.focus();
            }}
          >
            {s.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-code`} aria-labelledby={`${id}-tab-${current.lang}`}>
        <pre class="code" data-lang={current.lang} tabIndex={0}>
          <code>{current.source}</code>
        </pre>
      </div>
    </div>
  );
}

function Parameters(props: { doc: Json; op: Operation }) {
  const params = parameters(props.doc, props.op);
  if (params.length === 0) return null;
  return (
    <>
      <h4>Parameters</h4>
      <div class="table-wrap" tabIndex={0} role="region" aria-label={`Parameters of ${props.op.method.toUpperCase()} ${props.op.path}`}>
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">In</th>
              <th scope="col">Type</th>
              <th scope="col">Default</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {params.map((p) => (
              <tr>
                <td>
                  <code>{p.name}</code>
                  {p.required && <span class="badge bad"> required</span>}
                </td>
                <td>{p.in}</td>
                <td>
                  {typeOf(props.doc, p.schema)}
                  {p.schema?.pattern && (
                    <div class="hint">
                      pattern <code>{p.schema.pattern}</code>
                    </div>
                  )}
                </td>
                <td>{p.schema?.default !== undefined ? <code>{String(p.schema.default)}</code> : "—"}</td>
                <td>
                  <Prose text={p.description} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Responses(props: { doc: Json; op: Operation }) {
  const list = responses(props.doc, props.op);
  return (
    <>
      <h4>Responses</h4>
      {list.map((r) => (
        <details class="response" data-status={r.status} open={r.status.startsWith("2")}>
          <summary>
            <span class={`badge ${statusClass(r.status)}`}>{r.status}</span> {r.description.split("\n")[0]}
          </summary>
          <Prose text={r.description.includes("\n") ? r.description : ""} />
          {r.headers.length > 0 && (
            <p class="hint">
              Headers:{" "}
              {r.headers.map((h, i) => (
                <>
                  {i > 0 && ", "}
                  <code title={h.description}>{h.name}</code>
                </>
              ))}
            </p>
          )}
          {r.body !== null ? (
            <>
              <p class="hint">
                Sample response ({r.contentType}){r.fromDocument ? "" : ", built from the schema"}:
              </p>
              <pre class="code sample" tabIndex={0}>
                <code>{r.body}</code>
              </pre>
            </>
          ) : (
            <p class="hint">No body.</p>
          )}
        </details>
      ))}
    </>
  );
}

function OperationView(props: { doc: Json; op: Operation; base: string }) {
  const { doc, op } = props;
  const security = securityOf(doc, op);
  const body = requestBodySample(doc, op);
  return (
    <section class="operation" id={op.id} aria-labelledby={`${op.id}-title`}>
      <h3 id={`${op.id}-title`}>
        <span class={`method ${op.method}`}>{op.method.toUpperCase()}</span> <code>{op.path}</code>
        <span class="summary"> {op.op.summary}</span>
      </h3>
      <Prose text={op.op.description} />
      <p>
        <strong>Authentication:</strong>{" "}
        {security ? (
          <>
            <code>Authorization: Bearer …</code> ({security === "adminToken" ? "the admin token" : "an API key"})
          </>
        ) : (
          "none"
        )}
      </p>
      <Parameters doc={doc} op={op} />
      {body && (
        <>
          <h4>Request body ({body.contentType})</h4>
          <pre class="code" tabIndex={0}>
            <code>{body.body}</code>
          </pre>
        </>
      )}
      <h4>Request</h4>
      <CodeTabs doc={doc} op={op} base={props.base} />
      <Responses doc={doc} op={op} />
    </section>
  );
}

export function Docs() {
  const [doc, setDoc] = useState<Json | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    fetch("/openapi.json", { credentials: "omit" })
      .then((r) => {
        if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
        return r.json();
      })
      .then(setDoc, (e) => setError(String(e?.message ?? e)));
  }, []);
  useEffect(() => {
    if (doc && location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  }, [doc]);

  if (error) {
    return (
      <main id="main" class="docs-main">
        <p class="notice error" role="alert">
          Could not load <a href="/openapi.json">/openapi.json</a>: {error}
        </p>
      </main>
    );
  }
  if (!doc) {
    return (
      <main id="main" class="docs-main">
        <p class="loading" role="status">
          Loading the API reference…
        </p>
      </main>
    );
  }
  const ops = operations(doc);
  const groups = byTag(doc, ops);
  const base = baseUrl(doc, location.origin);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <div class="docs-layout">
        <nav class="docs-nav" aria-label="Endpoints">
          <p class="docs-brand">
            <a href="#top">{doc.info?.title ?? "API"}</a> <span class="hint">v{doc.info?.version}</span>
          </p>
          {groups.map((g) => (
            <>
              <h2 class="nav-group">{g.name}</h2>
              <ul>
                {g.ops.map((o) => (
                  <li>
                    <a href={`#${o.id}`}>
                      <span class={`method ${o.method}`}>{o.method.toUpperCase()}</span> {o.path}
                    </a>
                  </li>
                ))}
              </ul>
            </>
          ))}
          <p class="hint">
            <a href="/openapi.json">openapi.json</a> · <a href="/llms.txt">llms.txt</a> · <a href="/dashboard/">Dashboard</a>
          </p>
        </nav>
        <main id="main" class="docs-main" tabIndex={-1}>
          <h1 id="top">{doc.info?.title} API reference</h1>
          {doc.info?.summary && <p class="lead">{doc.info.summary}</p>}
          <Prose text={doc.info?.description} />
          <p>
            Base URL: <code>{base}</code>
          </p>
          {groups.map((g) => (
            <section aria-labelledby={`tag-${g.name}`}>
              <h2 id={`tag-${g.name}`}>{g.name}</h2>
              <Prose text={g.description} />
              {g.ops.map((o) => (
                <OperationView doc={doc} op={o} base={base} />
              ))}
            </section>
          ))}
        </main>
      </div>
    </>
  );
}
