// The customer's overview: balance, limits and expiry of the key, usage totals.
import { formatInt, formatTime } from "../../common/format";
import { customerGet } from "../api";
import { Show, useAsync } from "../components";

interface Account {
  key_id: string;
  name: string;
  balance: number;
  rate_limit: { qps: number; burst: number };
  endpoints: string[];
  created_at: string;
  expires_at: string | null;
  usage: { charged_requests: number; credits_used: number; last_charged_at: string | null };
}

export function Overview() {
  const [account, reload] = useAsync(async () => (await customerGet<Account>("/v1/account")).data, []);
  return (
    <>
      <h1>Overview</h1>
      <Show data={account} what="your account" retry={reload}>
        {(a) => (
          <>
            <dl class="stats">
              <div class="stat">
                <dt>Balance</dt>
                <dd data-testid="balance">{formatInt(a.balance)} credits</dd>
              </div>
              <div class="stat">
                <dt>Credits spent (all time)</dt>
                <dd>{formatInt(a.usage.credits_used)}</dd>
              </div>
              <div class="stat">
                <dt>Rate limit</dt>
                <dd>
                  {formatInt(a.rate_limit.qps)} req/s, burst {formatInt(a.rate_limit.burst)}
                </dd>
              </div>
              <div class="stat">
                <dt>Expires</dt>
                <dd>{a.expires_at ? formatTime(a.expires_at) : "never"}</dd>
              </div>
            </dl>
            <div class="card">
              <h2>Key</h2>
              <p>
                <strong>{a.name}</strong> (<code>{a.key_id}</code>), created {formatTime(a.created_at)}. Paid requests:{" "}
                {formatInt(a.usage.charged_requests)}, the last {formatTime(a.usage.last_charged_at)}.
              </p>
              <p>
                Endpoints: {a.endpoints.map((e, i) => (
                  <>
                    {i > 0 && ", "}
                    <code>{e}</code>
                  </>
                ))}
              </p>
            </div>
          </>
        )}
      </Show>
    </>
  );
}
