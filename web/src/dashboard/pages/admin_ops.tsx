// Operator: ingest status (data, closed days, the published charts) and service health
// (requests/s, p99 latency, error rates, from the server's own metrics). Both refresh
// every 5 s while the page is visible.
import { useEffect, useState } from "preact/hooks";
import { formatAge, formatInt, formatTime } from "../../common/format";
import { ApiError, call } from "../api";
import { ErrorNotice, Loading } from "../components";
import { LazyTimeChart as TimeChart } from "../lazy_chart";

const REFRESH_MS = 5000;

// Calls `load` now and every REFRESH_MS while the document is visible.
function usePolling<T>(load: () => Promise<T>) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const tick = async () => {
      if (document.visibilityState === "visible") {
        try {
          const v = await load();
          if (live) {
            setValue(v);
            setError(null);
          }
        } catch (e) {
          if (live) setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
        }
      }
      if (live) timer = window.setTimeout(tick, REFRESH_MS);
    };
    tick();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, []);
  return { value, error };
}

interface IngestStatus {
  latest_closed_day: string;
  latest_usage_day: string | null;
  published_day: string | null;
  published_at: string | null;
  published_age_seconds: number | null;
}

export function AdminIngest() {
  const { value, error } = usePolling(async () => (await call<IngestStatus>("GET", "/dashboard/api/ops/ingest")).data);
  return (
    <>
      <h1>Ingest</h1>
      {error && <ErrorNotice error={error} what="the ingest status" />}
      {!value && !error && <Loading what="the ingest status" />}
      {value && (
        <>
          {value.latest_usage_day === null && <p class="notice warn">No usage data has been ingested yet: the charts are empty.</p>}
          {value.latest_usage_day !== null && value.latest_usage_day < value.latest_closed_day && (
            <p class="notice warn">
              The latest closed day is {value.latest_closed_day} but the data ends on {value.latest_usage_day}: its uses have not arrived.
            </p>
          )}
          {value.published_day !== null && value.published_day < value.latest_closed_day && value.latest_usage_day !== null && (
            <p class="notice warn">The published charts ({value.published_day}) are behind the latest closed day.</p>
          )}
          <dl class="stats">
            <div class="stat">
              <dt>Latest closed day</dt>
              <dd>{value.latest_closed_day}</dd>
            </div>
            <div class="stat">
              <dt>Data up to</dt>
              <dd>{value.latest_usage_day ?? "no data"}</dd>
            </div>
            <div class="stat">
              <dt>Charts published for</dt>
              <dd>{value.published_day ?? "none"}</dd>
            </div>
            <div class="stat">
              <dt>Published editions' age</dt>
              <dd>{formatAge(value.published_age_seconds)}</dd>
            </div>
          </dl>
          <p class="hint">
            Published {formatTime(value.published_at)}. Load data with <code>soundtrend ingest FILE…</code> or <code>POST /admin/v1/ingest</code>; a day closes at the lateness after its end (
            <code>--lateness-seconds</code>).
          </p>
        </>
      )}
    </>
  );
}

interface Figures {
  window_seconds: number;
  covered_seconds: number;
  requests: number;
  requests_per_second: number;
  server_error_rate: number;
  client_error_rate: number;
  mean_latency_ms: number;
  p99_ms_at_most: number | null;
  p99_above_histogram: boolean;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 2)} %`;
}

function p99(f: Figures): string {
  if (f.p99_above_histogram) return "> 2.5 s";
  return f.p99_ms_at_most === null ? "—" : `≤ ${f.p99_ms_at_most} ms`;
}

export function AdminHealth() {
  const [history, setHistory] = useState<{ t: number; rps: number; p99: number | null }[]>([]);
  const { value, error } = usePolling(async () => {
    const { data } = await call<{ windows: Figures[] }>("GET", "/dashboard/api/ops/health");
    const ten = data.windows.find((w) => w.window_seconds === 10) ?? data.windows[0];
    setHistory((h) => [...h.slice(-59), { t: Date.now() / 1000, rps: ten.requests_per_second, p99: ten.p99_ms_at_most }]);
    return data.windows;
  });
  return (
    <>
      <h1>Service health</h1>
      <p class="hint">From this server's own metrics (the same counters as /metrics), refreshed every 5 s.</p>
      {error && <ErrorNotice error={error} what="the health figures" />}
      {!value && !error && <Loading what="the health figures" />}
      {value && (
        <>
          {value.map((f) => (
            <section aria-labelledby={`w${f.window_seconds}`}>
              <h2 id={`w${f.window_seconds}`}>Last {f.window_seconds} seconds</h2>
              {f.covered_seconds === 0 ? (
                <p class="notice">Not enough samples yet.</p>
              ) : (
                <dl class="stats">
                  <div class="stat">
                    <dt>Requests per second</dt>
                    <dd>{f.requests_per_second.toFixed(1)}</dd>
                  </div>
                  <div class="stat">
                    <dt>p99 latency</dt>
                    <dd>{p99(f)}</dd>
                  </div>
                  <div class="stat">
                    <dt>Server errors (5xx)</dt>
                    <dd>{percent(f.server_error_rate)}</dd>
                  </div>
                  <div class="stat">
                    <dt>Client errors (4xx)</dt>
                    <dd>{percent(f.client_error_rate)}</dd>
                  </div>
                  <div class="stat">
                    <dt>Requests</dt>
                    <dd>{formatInt(f.requests)}</dd>
                  </div>
                  <div class="stat">
                    <dt>Mean latency</dt>
                    <dd>{f.mean_latency_ms.toFixed(2)} ms</dd>
                  </div>
                </dl>
              )}
            </section>
          ))}
          {history.length >= 2 && (
            <TimeChart
              id="health"
              title="Requests per second (10 s windows, since this page opened)"
              times={history.map((h) => h.t)}
              series={[{ label: "requests/s", values: history.map((h) => h.rps), color: "--series-1" }]}
              seconds
              height={200}
            />
          )}
        </>
      )}
    </>
  );
}
