// The charts as TikTok's Creative Center shows them: region and period pickers, popular or
// surging, search, filters, 20 sounds a page (the top 100 in 5 pages). Every page is one
// paid API call with the session's key: it costs 2 credits, and the page says so.
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { formatCompact, formatInt } from "../../common/format";
import { creditsRemaining, customerGet } from "../api";
import { Cover, Empty, Link, Movement, Show, Sparkline, trendLabel, useAsync, type TrendPoint } from "../components";
import { loadRegions, type Region } from "../regions";
import { navigate } from "../router";

export interface Sound {
  author: string;
  clip_id: string;
  country_code: string;
  cover: string;
  duration: number;
  if_cml: boolean;
  is_search: boolean;
  link: string;
  on_list_times: number | null;
  promoted: boolean;
  rank: number | null;
  rank_diff: number | null;
  rank_diff_type: number;
  title: string;
  trend: TrendPoint[];
  usage_count: number;
  growth?: number;
}

interface ChartPage {
  pagination: { page: number; size: number; total: number; has_more: boolean };
  sound_list: Sound[];
}

export const PAGE_COST = 2;
const PERIODS = ["7", "30", "120"];

export interface ChartQuery {
  region: string;
  period: string;
  page: number;
  q: string;
  new: boolean;
  cml: boolean;
  type: "popular" | "surging";
}

export function readQuery(params: URLSearchParams): ChartQuery {
  const page = Number(params.get("page") ?? "1");
  return {
    region: (params.get("region") ?? "US").toUpperCase(),
    period: PERIODS.includes(params.get("period") ?? "") ? params.get("period")! : "7",
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    q: params.get("q") ?? "",
    new: params.get("new") === "true",
    cml: params.get("cml") === "true",
    type: params.get("type") === "surging" ? "surging" : "popular",
  };
}

function toUrl(q: ChartQuery): string {
  const p = new URLSearchParams({ region: q.region, period: q.period });
  if (q.page > 1) p.set("page", String(q.page));
  if (q.q) p.set("q", q.q);
  if (q.new) p.set("new", "true");
  if (q.cml) p.set("cml", "true");
  if (q.type !== "popular") p.set("type", q.type);
  return `/charts?${p.toString()}`;
}

export function Charts(props: { params: URLSearchParams; surging: boolean; soundPages: boolean }) {
  const q = readQuery(props.params);
  const [regions, setRegions] = useState<Region[] | null>(null);
  useEffect(() => {
    loadRegions().then(setRegions, () => setRegions([]));
  }, []);
  const [search, setSearch] = useState(q.q);
  useEffect(() => setSearch(q.q), [q.q]);
  const set = (change: Partial<ChartQuery>) => navigate(toUrl({ ...q, page: 1, ...change }));

  const [data, reload] = useAsync(async () => {
    const query: Record<string, string> = {
      region: q.region,
      period: q.period,
      page: String(q.page),
      limit: "20",
    };
    if (q.q) query.search_keyword = q.q;
    if (q.new) query.new_to_top_100 = "true";
    if (q.cml) query.commercial_music = "true";
    if (props.surging && q.type === "surging") query.rank_type = "surging";
    const { data, headers } = await customerGet<ChartPage>("/v1/tiktok/trending/music", query);
    return { page: data, balance: creditsRemaining(headers) };
  }, [q.region, q.period, q.page, q.q, q.new, q.cml, q.type]);

  const regionName = regions?.find((r) => r.code === q.region)?.name ?? q.region;
  const pages = data.state === "ok" ? Math.max(1, Math.ceil(data.value.page.pagination.total / 20)) : 1;

  return (
    <>
      <div class="page-head">
        <h1>Charts</h1>
        <p class="cost" role="status" aria-live="polite">
          {data.state === "ok"
            ? `This page cost ${PAGE_COST} credits${data.value.balance === null ? "" : ` · balance ${formatInt(data.value.balance)}`}`
            : `Each page costs ${PAGE_COST} credits (a paid API request)`}
        </p>
      </div>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q: search.trim() });
        }}
      >
        <label>
          Region
          <select value={q.region} onChange={(e) => set({ region: (e.target as HTMLSelectElement).value })}>
            {(regions && regions.length > 0 ? regions : [{ code: q.region, name: q.region }]).map((r) => (
              <option value={r.code}>
                {r.name} ({r.code})
              </option>
            ))}
          </select>
        </label>
        <label>
          Period
          <select value={q.period} onChange={(e) => set({ period: (e.target as HTMLSelectElement).value })}>
            <option value="7">7 days</option>
            <option value="30">30 days</option>
            <option value="120">120 days</option>
          </select>
        </label>
        {props.surging && (
          <label>
            Chart
            <select value={q.type} onChange={(e) => set({ type: (e.target as HTMLSelectElement).value as ChartQuery["type"] })}>
              <option value="popular">Popular</option>
              <option value="surging">Surging</option>
            </select>
          </label>
        )}
        <label>
          Search title or artist
          <input type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Search</button>
        {q.q && (
          <button type="button" class="secondary" onClick={() => set({ q: "" })}>
            Clear search
          </button>
        )}
        <fieldset>
          <legend>Filters</legend>
          <label class="inline">
            <input type="checkbox" checked={q.new} onChange={(e) => set({ new: (e.target as HTMLInputElement).checked })} />
            New to the top 100
          </label>
          <label class="inline">
            <input type="checkbox" checked={q.cml} onChange={(e) => set({ cml: (e.target as HTMLInputElement).checked })} />
            Commercial music only
          </label>
        </fieldset>
      </form>
      <h2>
        {q.type === "surging" && props.surging ? "Surging" : "Popular"} in {regionName}, last {q.period} days
        {q.q ? `: “${q.q}”` : ""}
      </h2>
      <Show data={data} what="the chart" retry={reload}>
        {({ page }) =>
          page.sound_list.length === 0 ? (
            <Empty>
              {q.q ? `No sound matches “${q.q}” in ${regionName} over the last ${q.period} days.` : page.pagination.total === 0 ? "No chart for this region and period yet." : "No more sounds on this page."}
            </Empty>
          ) : (
            <>
              <ChartTable sounds={page.sound_list} soundPages={props.soundPages} period={q.period} surging={q.type === "surging"} />
              <nav class="pager" aria-label="Chart pages">
                <button type="button" class="secondary" disabled={q.page <= 1} onClick={() => navigate(toUrl({ ...q, page: q.page - 1 }))}>
                  Previous
                </button>
                <span>
                  Page {q.page} of {pages} ({formatInt(page.pagination.total)} sounds)
                </span>
                <button type="button" class="secondary" disabled={!page.pagination.has_more} onClick={() => navigate(toUrl({ ...q, page: q.page + 1 }))}>
                  Next (2 credits)
                </button>
              </nav>
            </>
          )
        }
      </Show>
    </>
  );
}

function ChartTable(props: { sounds: Sound[]; soundPages: boolean; period: string; surging: boolean }) {
  // The figures script's mark: the frame after the rows (and their sparklines) are in the DOM.
  useLayoutEffect(() => {
    const frame = requestAnimationFrame(() => performance.mark("st:chart:table"));
    return () => cancelAnimationFrame(frame);
  }, [props.sounds]);
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Chart">
      <table class="stack chart-table">
        <caption class="visually-hidden">Sounds, best ranked first</caption>
        <thead>
          <tr>
            <th scope="col">Rank</th>
            <th scope="col">Movement</th>
            <th scope="col">Sound</th>
            <th scope="col" class="num">
              Uses
            </th>
            <th scope="col">Trend</th>
            <th scope="col" class="num">
              Days on chart
            </th>
            {props.surging && (
              <th scope="col" class="num">
                Growth
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {props.sounds.map((s) => (
            <tr data-clip={s.clip_id}>
              <td data-label="Rank">
                <span class="rank">{s.rank ?? "—"}</span>
              </td>
              <td data-label="Movement">
                <Movement type={s.rank_diff_type} diff={s.rank_diff} />
              </td>
              <td data-label="Sound">
                <div class="sound">
                  <Cover src={s.cover} title={s.title} />
                  <div>
                    <div class="sound-title">
                      {props.soundPages ? (
                        <Link to={`/sounds/${s.clip_id}?region=${s.country_code}&period=${props.period}`}>{s.title}</Link>
                      ) : (
                        s.title
                      )}
                    </div>
                    <div class="sound-author">
                      {s.author}
                      {s.if_cml && (
                        <>
                          {" "}
                          <span class="badge muted">commercial</span>
                        </>
                      )}
                    </div>
                  </div>
                </div>
              </td>
              <td data-label="Uses" class="num">
                {formatCompact(s.usage_count)}
              </td>
              <td data-label="Trend">
                <Sparkline points={s.trend} label={trendLabel(s.trend)} />
              </td>
              <td data-label="Days on chart" class="num">
                {s.on_list_times ?? 0}
              </td>
              {props.surging && (
                <td data-label="Growth" class="num">
                  {s.growth === undefined ? "—" : `×${s.growth.toFixed(2)}`}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
