// Operator: one key. Its details, a grant of credits (with its grant id: the same id
// applied twice adds once), the grants, and the ledger with a CSV download.
import { useState } from "preact/hooks";
import { formatInt, formatTime } from "../../common/format";
import { ApiError, adminCall } from "../api";
import { Empty, ErrorNotice, Link, Show, useAsync } from "../components";
import { type KeyRecord, keyStatus } from "./admin_keys";

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
  const [key, reloadKey] = useAsync(async () => {
    const { data } = await adminCall<{ keys: KeyRecord[] }>("GET", "keys");
    const found = data.keys.find((k) => k.key_id === props.keyId);
    if (!found) throw new ApiError(404, `No key ${props.keyId}.`);
    return found;
  }, [props.keyId]);
  const [ledger, reloadLedger] = useAsync(
    async () =>
      (await adminCall<Ledger>("GET", `ledger?key_id=${encodeURIComponent(props.keyId)}&limit=${LEDGER_SHOWN}`)).data,
    [props.keyId],
  );
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
      reloadKey();
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
              </p>
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
