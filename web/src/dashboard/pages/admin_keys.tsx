// Operator: the keys. Create (every field; the new key shown once, with a copy button),
// list, revoke (with a confirmation). Every call is the admin API (/admin/v1/keys...).
import { useState } from "preact/hooks";
import { formatDay, formatInt } from "../../common/format";
import { ApiError, adminCall } from "../api";
import { ConfirmDialog, CopyButton, Empty, ErrorNotice, Link, Show, useAsync } from "../components";

export interface KeyRecord {
  key_id: string;
  name: string;
  qps: number;
  burst: number;
  endpoints: string[];
  balance: number;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  charged_requests: number;
  credits_used: number;
  previous_key_expires_at: string | null;
}

// The customer endpoints a key may be limited to (docs/api.md §12).
export const ENDPOINTS = ["/v1/tiktok/trending/music", "/v1/tiktok/trending/music/detail", "/v1/tiktok/regions", "/v1/account"];

export function keyStatus(k: KeyRecord): { label: string; cls: string } {
  if (k.revoked_at) return { label: "revoked", cls: "bad" };
  if (k.expires_at && Date.parse(k.expires_at) <= Date.now()) return { label: "expired", cls: "bad" };
  return { label: "active", cls: "ok" };
}

function CreateKey(props: { onCreated: () => void; endpoints: string[] }) {
  const [created, setCreated] = useState<{ key: string; key_id: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const body: Record<string, unknown> = { name: String(f.get("name") ?? "").trim() };
    const num = (n: string) => (String(f.get(n) ?? "") === "" ? undefined : Number(f.get(n)));
    if (num("credits") !== undefined) body.credits = num("credits");
    if (num("qps") !== undefined) body.qps = num("qps");
    if (num("burst") !== undefined) body.burst = num("burst");
    const expires = String(f.get("expires") ?? "");
    if (expires) body.expires = expires;
    const endpoints = f.getAll("endpoints").map(String);
    if (endpoints.length > 0 && endpoints.length < props.endpoints.length) body.endpoints = endpoints;
    setBusy(true);
    setError(null);
    try {
      const { data } = await adminCall<{ key: string; key_id: string }>("POST", "keys", body);
      setCreated({ key: data.key, key_id: data.key_id });
      form.reset();
      props.onCreated();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="create-key">
      <h2 id="create-key">Create a key</h2>
      {created && (
        <div class="notice ok" role="status" data-testid="new-key">
          <p>
            Key <code>{created.key_id}</code> created. Copy it now: it is shown only once and only its hash is stored.
          </p>
          <div class="secret-box">
            <code data-testid="new-key-value">{created.key}</code>
            <CopyButton text={created.key} label="Copy key" />
            <button type="button" class="secondary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {error && <ErrorNotice error={error} what="the key" />}
      <form onSubmit={submit}>
        <div class="form-grid">
          <label>
            Name
            <input name="name" required maxLength={200} />
          </label>
          <label>
            Credits
            <input name="credits" type="number" min={0} step={1} inputMode="numeric" placeholder="0" />
          </label>
          <label>
            QPS limit
            <input name="qps" type="number" min={1} max={100000} step={1} placeholder="10" />
          </label>
          <label>
            Burst
            <input name="burst" type="number" min={1} step={1} placeholder="= QPS" />
          </label>
          <label>
            Expires (UTC day)
            <input name="expires" type="date" />
          </label>
        </div>
        <fieldset>
          <legend>Endpoints (none checked: all)</legend>
          {props.endpoints.map((e) => (
            <label class="inline">
              <input type="checkbox" name="endpoints" value={e} /> <code>{e}</code>
            </label>
          ))}
        </fieldset>
        <p>
          <button type="submit" disabled={busy}>
            {busy ? "Creating…" : "Create key"}
          </button>
        </p>
      </form>
    </section>
  );
}

export function AdminKeys() {
  const [keys, reload] = useAsync(async () => (await adminCall<{ keys: KeyRecord[] }>("GET", "keys")).data.keys, []);
  const [revoking, setRevoking] = useState<KeyRecord | null>(null);
  const [revokeError, setRevokeError] = useState<ApiError | null>(null);
  const [revoked, setRevoked] = useState("");

  const revoke = async () => {
    const k = revoking;
    setRevoking(null);
    if (!k) return;
    try {
      await adminCall("POST", "keys/revoke", { key_id: k.key_id });
      setRevoked(`Key ${k.key_id} (${k.name}) revoked: the API refuses it from now on.`);
      setRevokeError(null);
      reload();
    } catch (err) {
      setRevokeError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  };

  return (
    <>
      <h1>Keys</h1>
      <CreateKey onCreated={reload} endpoints={ENDPOINTS} />
      <section aria-labelledby="all-keys">
        <h2 id="all-keys">All keys</h2>
        {revoked && (
          <p class="notice ok" role="status">
            {revoked}
          </p>
        )}
        {revokeError && <ErrorNotice error={revokeError} what="the revocation" />}
        <Show data={keys} what="the keys" retry={reload}>
          {(list) =>
            list.length === 0 ? (
              <Empty>No keys yet: create one above.</Empty>
            ) : (
              <div class="table-wrap" tabIndex={0} role="region" aria-label="Keys">
                <table class="stack">
                  <caption class="visually-hidden">Every key, oldest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Key</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">
                        Balance
                      </th>
                      <th scope="col" class="num">
                        QPS / burst
                      </th>
                      <th scope="col">Expires</th>
                      <th scope="col" class="num">
                        Paid requests
                      </th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((k) => {
                      const st = keyStatus(k);
                      return (
                        <tr data-key={k.key_id}>
                          <td data-label="Key">
                            <Link to={`/admin/keys/${k.key_id}`}>{k.name}</Link>
                            <div class="hint mono">{k.key_id}</div>
                          </td>
                          <td data-label="Status">
                            <span class={`badge ${st.cls}`}>{st.label}</span>
                          </td>
                          <td data-label="Balance" class="num">
                            {formatInt(k.balance)}
                          </td>
                          <td data-label="QPS / burst" class="num">
                            {k.qps} / {k.burst}
                          </td>
                          <td data-label="Expires">{k.expires_at ? formatDay(k.expires_at) : "never"}</td>
                          <td data-label="Paid requests" class="num">
                            {formatInt(k.charged_requests)}
                          </td>
                          <td data-label="Actions">
                            {st.label !== "revoked" && (
                              <button type="button" class="secondary" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name} (${k.key_id})`}>
                                Revoke
                              </button>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )
          }
        </Show>
      </section>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirm="Revoke"
        onConfirm={revoke}
        onCancel={() => setRevoking(null)}
      >
        <p>
          {revoking && (
            <>
              <strong>{revoking.name}</strong> (<code>{revoking.key_id}</code>) will be refused at once by every node. This cannot be undone.
            </>
          )}
        </p>
      </ConfirmDialog>
    </>
  );
}
