// The customer's overview: balance, limits and expiry of the key (GET /v1/account), credits
// spent today and over 7 and 30 days, requests per day by outcome and the key's latest
// requests (GET /dashboard/api/usage, counted by every node of the service).
import { formatInt, formatTime } from "../../common/format";
import { ApiError, call, customerGet } from "../api";
import { type Async, Empty, ErrorNotice, Loading, Show, useAsync } from "../components";
import { LazyTimeChart as TimeChart } from "../lazy_chart";

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

interface DayCounts {
  day: string;
  ok: number;
  payment_required: number;
  rate_limited: number;
  other_client_errors: number;
  server_errors: number;
  credits: number;
}

interface RecentRequest {
  time: string;
  endpoint: string;
  status: number;
  cost: number;
  request_id: string;
}

interface Usage {
  today: string;
  days: DayCounts[];
  credits: { today: number; last_7_days: number; last_30_days: number };
  recent: RecentRequest[];
}

// null: this server keeps no usage counters (404).
async function loadUsage(): Promise<Usage | null> {
  try {
    return (await call<Usage>("GET", "/dashboard/api/usage")).data;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function Overview() {
  const [account, reload] = useAsync(async () => (await customerGet<Account>("/v1/account")).data, []);
  const [usage, reloadUsage] = useAsync(loadUsage, []);
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
              <CreditsSpent usage={usage} allTime={a.usage.credits_used} />
              <div class="stat">
                <dt>Rate limit</dt>
                <dd data-testid="rate-limit">
                  {formatInt(a.rate_limit.qps)} req/s, burst {formatInt(a.rate_limit.burst)}
                </dd>
              </div>
              <div class="stat">
                <dt>Expires</dt>
                <dd data-testid="expires">{a.expires_at ? formatTime(a.expires_at) : "never"}</dd>
              </div>
            </dl>
            <div class="card">
              <h2>Key</h2>
              <p>
                <strong>{a.name}</strong> (<code>{a.key_id}</code>), created {formatTime(a.created_at)}. Paid requests:{" "}
                {formatInt(a.usage.charged_requests)}, the last {formatTime(a.usage.last_charged_at)}; credits spent in
                all: {formatInt(a.usage.credits_used)}.
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
      <UsageSection usage={usage} retry={reloadUsage} />
    </>
  );
}

function CreditsSpent(props: { usage: Async<Usage | null>; allTime: number }) {
  const u = props.usage;
  if (u.state !== "ok" || u.value === null) {
    return (
      <div class="stat">
        <dt>Credits spent (all time)</dt>
        <dd>{formatInt(props.allTime)}</dd>
      </div>
    );
  }
  const c = u.value.credits;
  return (
    <>
      <div class="stat">
        <dt>Credits spent today</dt>
        <dd data-testid="credits-today">{formatInt(c.today)}</dd>
      </div>
      <div class="stat">
        <dt>Last 7 days</dt>
        <dd data-testid="credits-7">{formatInt(c.last_7_days)}</dd>
      </div>
      <div class="stat">
        <dt>Last 30 days</dt>
        <dd data-testid="credits-30">{formatInt(c.last_30_days)}</dd>
      </div>
    </>
  );
}

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

function UsageSection(props: { usage: Async<Usage | null>; retry: () => void }) {
  const u = props.usage;
  if (u.state === "loading") return <Loading what="your usage" />;
  if (u.state === "error") return <ErrorNotice error={u.error} what="your usage" retry={props.retry} />;
  if (u.value === null) return <Empty>This server keeps no per-day usage counters.</Empty>;
  const usage = u.value;
  const any = usage.days.some((d) => d.ok + d.payment_required + d.rate_limited + d.other_client_errors + d.server_errors > 0);
  return (
    <>
      <section aria-labelledby="per-day">
        <h2 id="per-day">Requests per day</h2>
        {!any ? (
          <Empty>No requests with this key in the last 30 days.</Empty>
        ) : (
          <TimeChart
            id="usage"
            title="Requests per day by outcome, last 30 days (UTC)"
            times={usage.days.map((d) => dayStart(d.day))}
            bars
            stacked
            series={[
              { label: "200", values: usage.days.map((d) => d.ok), color: "--series-1" },
              { label: "402", values: usage.days.map((d) => d.payment_required), color: "--series-3" },
              { label: "429", values: usage.days.map((d) => d.rate_limited), color: "--series-4" },
              { label: "other errors", values: usage.days.map((d) => d.other_client_errors + d.server_errors), color: "--series-2" },
            ]}
          />
        )}
      </section>
      <section aria-labelledby="recent">
        <h2 id="recent">Latest requests</h2>
        {usage.recent.length === 0 ? (
          <Empty>No requests with this key yet.</Empty>
        ) : (
          <>
            <p class="hint">The last {usage.recent.length} requests of this key, newest first (every request, paid or refused).</p>
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Latest requests">
              <table class="stack" data-testid="recent-requests">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Endpoint</th>
                    <th scope="col" class="num">
                      Status
                    </th>
                    <th scope="col" class="num">
                      Cost
                    </th>
                    <th scope="col">Request id</th>
                  </tr>
                </thead>
                <tbody>
                  {usage.recent.map((r) => (
                    <tr>
                      <td data-label="Time">{r.time.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC")}</td>
                      <td data-label="Endpoint" class="mono">
                        {r.endpoint}
                      </td>
                      <td data-label="Status" class={`num status s${Math.floor(r.status / 100)}xx`}>
                        {r.status}
                      </td>
                      <td data-label="Cost" class="num">
                        {formatInt(r.cost)}
                      </td>
                      <td data-label="Request id" class="mono">
                        {r.request_id}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>
    </>
  );
}
