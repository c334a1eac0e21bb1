// Operator: one key. Its details, its limits edited (PATCH /admin/v1/keys/ID: name, QPS,
// burst, expiry, endpoints; only what changed is sent), its secret rotated (with an
// optional grace for the previous one; the new secret shown once), a grant of credits (with
// its grant id: the same id applied twice adds once), the grants, and the ledger with a CSV
// download.
import { useState } from "preact/hooks";
import { formatInt, formatTime } from "../../common/format";
import { ApiError, adminCall } from "../api";
import { ConfirmDialog, CopyButton, Empty, ErrorNotice, Link, Show, useAsync } from "../components";
import { ENDPOINTS, type KeyRecord, keyStatus } from "./admin_keys";

interface LedgerEntry {
  seq: number;
  time: string;
  key_id: string;
  kind: "grant" | "charge" | "refund";
  reference: string;
  endpoint: string;
  amount: number;
  balance_after: number;
}

interface Ledger {
  key_id: string;
  total: number;
  entries: LedgerEntry[];
}

const LEDGER_SHOWN = 1000; // entries fetched (grants are found among them)
const LEDGER_ROWS = 200; // rows shown

function newGrantId(): string {
  return `grant-${crypto.randomUUID()}`;
}

export function AdminKey(props: { keyId: string }) {
  const [key, reloadKey, setKey] = useAsync(
    async () => (await adminCall<KeyRecord>("GET", `keys/${encodeURIComponent(props.keyId)}`)).data,
    [props.keyId],
  );
  const [ledger, reloadLedger] = useAsync(
    async () =>
      (await adminCall<Ledger>("GET", `ledger?key_id=${encodeURIComponent(props.keyId)}&limit=${LEDGER_SHOWN}`)).data,
    [props.keyId],
  );
  const [saved, setSaved] = useState("");
  const [grantId, setGrantId] = useState(newGrantId);
  const [grantResult, setGrantResult] = useState("");
  const [grantError, setGrantError] = useState<ApiError | null>(null);

  const grant = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    try {
      const { data } = await adminCall<{ applied: boolean; balance: number; grant_id: string }>("POST", "credits/grant", {
        key_id: props.keyId,
        grant_id: String(f.get("grant_id") ?? ""),
        amount: Number(f.get("amount")),
      });
      setGrantResult(
        data.applied
          ? `Grant ${data.grant_id} applied: balance ${formatInt(data.balance)}.`
          : `Grant ${data.grant_id} was applied before: nothing changed (balance ${formatInt(data.balance)}).`,
      );
      setGrantError(null);
      setGrantId(newGrantId());
      // The new balance, without unmounting the page's forms (a rotated secret stays shown).
      adminCall<KeyRecord>("GET", `keys/${encodeURIComponent(props.keyId)}`).then((r) => setKey(r.data), reloadKey);
      reloadLedger();
    } catch (err) {
      setGrantError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  };

  return (
    <>
      <p>
        <Link to="/admin/keys">← All keys</Link>
      </p>
      <Show data={key} what="the key" retry={reloadKey}>
        {(k) => {
          const st = keyStatus(k);
          return (
            <>
              <h1>
                {k.name} <span class={`badge ${st.cls}`}>{st.label}</span>
              </h1>
              <dl class="stats">
                <div class="stat">
                  <dt>Key id</dt>
                  <dd class="mono">{k.key_id}</dd>
                </div>
                <div class="stat">
                  <dt>Balance</dt>
                  <dd>{formatInt(k.balance)}</dd>
                </div>
                <div class="stat">
                  <dt>QPS / burst</dt>
                  <dd>
                    {k.qps} / {k.burst}
                  </dd>
                </div>
                <div class="stat">
                  <dt>Expires</dt>
                  <dd>{k.expires_at ? formatTime(k.expires_at) : "never"}</dd>
                </div>
                <div class="stat">
                  <dt>Credits used</dt>
                  <dd>{formatInt(k.credits_used)}</dd>
                </div>
              </dl>
              <p>
                Endpoints: {k.endpoints.length === 0 ? "all customer endpoints" : k.endpoints.join(", ")}. Created {formatTime(k.created_at)}
                {k.revoked_at ? `, revoked ${formatTime(k.revoked_at)}` : ""}.
                {k.previous_key_expires_at && !k.revoked_at ? ` The previous secret works until ${formatTime(k.previous_key_expires_at)}.` : ""}
              </p>
              {k.revoked_at ? (
                <p class="notice">A revoked key keeps its ledger; its limits and secret can no longer change.</p>
              ) : (
                <>
                  {saved && (
                    <p class="notice ok" role="status" data-testid="limits-saved">
                      {saved}
                    </p>
                  )}
                  <EditLimits
                    key={JSON.stringify(k)}
                    record={k}
                    onSaved={(record, fields) => {
                      setKey(record);
                      setSaved(`Saved (${fields.join(", ")}): the key's next request sees the change.`);
                    }}
                  />
                  <RotateSecret record={k} onRotated={setKey} />
                </>
              )}
            </>
          );
        }}
      </Show>
      <section class="card" aria-labelledby="grant">
        <h2 id="grant">Grant credits</h2>
        {grantResult && (
          <p class="notice ok" role="status">
            {grantResult}
          </p>
        )}
        {grantError && <ErrorNotice error={grantError} what="the grant" />}
        <form onSubmit={grant} class="form-grid">
          <label>
            Amount
            <input name="amount" type="number" min={1} step={1} required />
          </label>
          <label>
            Grant id
            <input name="grant_id" value={grantId} onInput={(e) => setGrantId((e.target as HTMLInputElement).value)} required maxLength={200} />
          </label>
          <button type="submit">Grant</button>
        </form>
      </section>
      <Show data={ledger} what="the ledger" retry={reloadLedger}>
        {(l) => {
          const grants = l.entries.filter((e) => e.kind === "grant");
          return (
            <>
              <section aria-labelledby="grants">
                <h2 id="grants">Grants</h2>
                {grants.length === 0 ? (
                  <Empty>No grant in the latest {LEDGER_SHOWN} ledger entries.</Empty>
                ) : (
                  <div class="table-wrap" tabIndex={0} role="region" aria-label="Grants">
                    <table class="stack">
                      <thead>
                        <tr>
                          <th scope="col">Grant id</th>
                          <th scope="col">Time</th>
                          <th scope="col" class="num">
                            Credits
                          </th>
                          <th scope="col" class="num">
                            Balance after
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {grants.map((g) => (
                          <tr>
                            <td data-label="Grant id" class="mono">
                              {g.reference}
                            </td>
                            <td data-label="Time">{formatTime(g.time)}</td>
                            <td data-label="Credits" class="num">
                              {formatInt(g.amount)}
                            </td>
                            <td data-label="Balance after" class="num">
                              {formatInt(g.balance_after)}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
              <section aria-labelledby="ledger">
                <div class="page-head">
                  <h2 id="ledger">Ledger</h2>
                  <a class="button secondary" href={`/dashboard/api/admin/ledger.csv?key_id=${encodeURIComponent(props.keyId)}`} download={`ledger-${props.keyId}.csv`}>
                    Download CSV (every entry)
                  </a>
                </div>
                <p class="hint">
                  {formatInt(l.total)} entries in all, newest first
                  {l.total > LEDGER_ROWS ? ` (the latest ${LEDGER_ROWS} shown; the CSV has them all)` : ""}.
                </p>
                {l.entries.length === 0 ? (
                  <Empty>The ledger of this key is empty.</Empty>
                ) : (
                  <div class="table-wrap" tabIndex={0} role="region" aria-label="Ledger entries">
                    <table class="stack">
                      <thead>
                        <tr>
                          <th scope="col" class="num">
                            Seq
                          </th>
                          <th scope="col">Time</th>
                          <th scope="col">Kind</th>
                          <th scope="col">Reference</th>
                          <th scope="col" class="num">
                            Amount
                          </th>
                          <th scope="col" class="num">
                            Balance after
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {[...l.entries].reverse().slice(0, LEDGER_ROWS).map((e) => (
                          <tr>
                            <td data-label="Seq" class="num">
                              {e.seq}
                            </td>
                            <td data-label="Time">{formatTime(e.time)}</td>
                            <td data-label="Kind">{e.kind}</td>
                            <td data-label="Reference" class="mono">
                              {e.reference}
                              {e.endpoint && <div class="hint">{e.endpoint}</div>}
                            </td>
                            <td data-label="Amount" class="num">
                              {e.amount > 0 ? `+${formatInt(e.amount)}` : formatInt(e.amount)}
                            </td>
                            <td data-label="Balance after" class="num">
                              {formatInt(e.balance_after)}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
            </>
          );
        }}
      </Show>
    </>
  );
}

// Form values of a key record; what PATCH takes is derived from their differences.
interface Limits {
  name: string;
  qps: string;
  burst: string;
  expires: string; // YYYY-MM-DD, "" with `never`
  never: boolean;
  endpoints: string[]; // [] = all
}

function limitsOf(k: KeyRecord): Limits {
  return {
    name: k.name,
    qps: String(k.qps),
    burst: String(k.burst),
    expires: k.expires_at ? k.expires_at.slice(0, 10) : "",
    never: k.expires_at === null,
    endpoints: k.endpoints,
  };
}

// The PATCH body: only the fields whose value changed (the API keeps what is left out).
function changesOf(before: Limits, after: Limits): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (after.name.trim() !== before.name) body.name = after.name.trim();
  if (after.qps !== before.qps) body.qps = Number(after.qps);
  if (after.burst !== before.burst) body.burst = Number(after.burst);
  if (after.never !== before.never || (!after.never && after.expires !== before.expires)) {
    body.expires = after.never ? null : after.expires;
  }
  const all = (e: string[]) => (e.length === ENDPOINTS.length ? [] : e);
  const a = [...all(after.endpoints)].sort();
  const b = [...all(before.endpoints)].sort();
  if (a.join(" ") !== b.join(" ")) body.endpoints = a;
  return body;
}

function EditLimits(props: { record: KeyRecord; onSaved: (record: KeyRecord, fields: string[]) => void }) {
  const initial = limitsOf(props.record);
  const [v, setV] = useState<Limits>(initial);
  const [error, setError] = useState<ApiError | null>(null);
  const [result, setResult] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<Limits>) => setV({ ...v, ...change });
  const input = (e: Event) => (e.target as HTMLInputElement).value;

  const submit = async (e: Event) => {
    e.preventDefault();
    const body = changesOf(initial, v);
    if (Object.keys(body).length === 0) {
      setError(null);
      setResult("Nothing changed.");
      return;
    }
    setBusy(true);
    try {
      const { data } = await adminCall<KeyRecord>("PATCH", `keys/${encodeURIComponent(props.record.key_id)}`, body);
      setError(null);
      setResult("");
      props.onSaved(data, Object.keys(body)); // remounts this form with the saved values
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
      setResult("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="edit-limits">
      <h2 id="edit-limits">Edit limits</h2>
      <p class="hint">Changes apply from the key's next request on every node; the balance and the ledger stay.</p>
      {result && (
        <p class="notice" role="status">
          {result}
        </p>
      )}
      {error && <ErrorNotice error={error} what="the change" />}
      <form onSubmit={submit} data-testid="edit-limits">
        <div class="form-grid">
          <label>
            Name
            <input name="name" value={v.name} onInput={(e) => set({ name: input(e) })} required maxLength={200} />
          </label>
          <label>
            QPS limit
            <input name="qps" type="number" min={1} max={100000} step={1} value={v.qps} onInput={(e) => set({ qps: input(e) })} required />
          </label>
          <label>
            Burst
            <input name="burst" type="number" min={1} step={1} value={v.burst} onInput={(e) => set({ burst: input(e) })} required />
          </label>
          <label>
            Expires (UTC day)
            <input name="expires" type="date" value={v.expires} disabled={v.never} required={!v.never} onInput={(e) => set({ expires: input(e) })} />
          </label>
          <label class="inline">
            <input type="checkbox" name="never" checked={v.never} onChange={(e) => set({ never: (e.target as HTMLInputElement).checked })} />
            Never expires
          </label>
        </div>
        <fieldset>
          <legend>Endpoints (none checked: all)</legend>
          {ENDPOINTS.map((ep) => (
            <label class="inline">
              <input
                type="checkbox"
                name="endpoints"
                value={ep}
                checked={v.endpoints.includes(ep)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  set({ endpoints: on ? [...v.endpoints, ep] : v.endpoints.filter((x) => x !== ep) });
                }}
              />{" "}
              <code>{ep}</code>
            </label>
          ))}
        </fieldset>
        <p>
          <button type="submit" disabled={busy}>
            {busy ? "Saving…" : "Save changes"}
          </button>
        </p>
      </form>
    </section>
  );
}

const GRACES: [number, string][] = [
  [0, "none: the previous secret is refused at once"],
  [3600, "1 hour"],
  [86400, "1 day"],
  [7 * 86400, "7 days"],
  [30 * 86400, "30 days"],
];

function RotateSecret(props: { record: KeyRecord; onRotated: (record: KeyRecord) => void }) {
  const k = props.record;
  const [grace, setGrace] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const [rotated, setRotated] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const rotate = async () => {
    setConfirming(false);
    try {
      const { data } = await adminCall<{ key: string; key_id: string; details: KeyRecord }>(
        "POST",
        `keys/${encodeURIComponent(k.key_id)}/rotate`,
        grace > 0 ? { grace_seconds: grace } : undefined,
      );
      setRotated(data.key);
      setError(null);
      props.onRotated(data.details);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  };
  const graceLabel = GRACES.find(([s]) => s === grace)?.[1] ?? `${grace} s`;

  return (
    <section class="card" aria-labelledby="rotate">
      <h2 id="rotate">Rotate the secret</h2>
      <p class="hint">A new secret for the same key id, balance, limits and ledger.</p>
      {rotated && (
        <div class="notice ok" role="status" data-testid="rotated-key">
          <p>New secret of <code>{k.key_id}</code>. Copy it now: it is shown only once and only its hash is stored.</p>
          <div class="secret-box">
            <code data-testid="rotated-key-value">{rotated}</code>
            <CopyButton text={rotated} label="Copy key" />
            <button type="button" class="secondary" onClick={() => setRotated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {error && <ErrorNotice error={error} what="the rotation" />}
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setConfirming(true);
        }}
      >
        <label>
          Previous secret keeps working for
          <select value={String(grace)} onChange={(e) => setGrace(Number((e.target as HTMLSelectElement).value))}>
            {GRACES.map(([s, label]) => (
              <option value={String(s)}>{label}</option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          Rotate secret
        </button>
      </form>
      <ConfirmDialog open={confirming} title="Rotate this key's secret?" confirm="Rotate" onConfirm={rotate} onCancel={() => setConfirming(false)}>
        <p>
          <strong>{k.name}</strong> (<code>{k.key_id}</code>) gets a new secret. The current one is refused{" "}
          {grace === 0 ? "from its next request" : `after ${graceLabel}`}.
        </p>
      </ConfirmDialog>
    </section>
  );
}
