// A sound's page: GET /v1/tiktok/trending/music/detail with the session's key (a paid
// request, 2 credits, said on the page): where it stands, usage per day, rank history and
// the countries that use it most, as charts (with their numbers as tables).
import { formatCompact, formatInt } from "../../common/format";
import { creditsRemaining, customerGet } from "../api";
import { Cover, Link, Movement, Show, useAsync } from "../components";
import { LazyTimeChart as TimeChart } from "../lazy_chart";
import { navigate } from "../router";
import { PAGE_COST, type Sound } from "./charts";

interface Country {
  country_info: { id: string; label: string; value: string };
  score: number;
}

interface SoundDetail extends Sound {
  audience_countries: Country[];
  longevity: { popular_days: number; current_popularity: number };
  music_url: string | null;
  peak_rank: number | null;
  peak_date: string | null;
  first_listed: string | null;
  streak: number;
  rank_history: { time: number; rank: number | null }[];
  usage_by_day: { time: number; uses: number }[];
}

const PERIODS = ["7", "30", "120"];

export function SoundPage(props: { clipId: string; params: URLSearchParams }) {
  const region = (props.params.get("region") ?? "US").toUpperCase();
  const period = PERIODS.includes(props.params.get("period") ?? "") ? props.params.get("period")! : "7";
  const [data, reload] = useAsync(async () => {
    const { data, headers } = await customerGet<{ sound: SoundDetail }>("/v1/tiktok/trending/music/detail", {
      clip_id: props.clipId,
      region,
      period,
    });
    return { sound: data.sound, balance: creditsRemaining(headers) };
  }, [props.clipId, region, period]);
  const back = `/charts?region=${region}&period=${period}`;

  return (
    <>
      <p>
        <Link to={back}>← Charts of {region}, last {period} days</Link>
      </p>
      <Show data={data} what="this sound" retry={reload}>
        {({ sound: s, balance }) => (
          <>
            <div class="page-head">
              <div class="sound sound-head">
                <Cover src={s.cover} title={s.title} />
                <div>
                  <h1 class="sound-title">{s.title}</h1>
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
              <p class="cost" role="status">
                This page cost {PAGE_COST} credits{balance === null ? "" : ` · balance ${formatInt(balance)}`}
              </p>
            </div>
            <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
              <label>
                Period
                <select
                  value={period}
                  onChange={(e) =>
                    navigate(`/sounds/${encodeURIComponent(props.clipId)}?region=${region}&period=${(e.target as HTMLSelectElement).value}`)
                  }
                >
                  <option value="7">7 days</option>
                  <option value="30">30 days</option>
                  <option value="120">120 days</option>
                </select>
              </label>
            </form>
            <dl class="stats">
              <div class="stat">
                <dt>Rank in {region}</dt>
                <dd data-testid="sound-rank">{s.rank ?? "not ranked"}</dd>
              </div>
              <div class="stat">
                <dt>Movement</dt>
                <dd>
                  <Movement type={s.rank_diff_type} diff={s.rank_diff} />
                </dd>
              </div>
              <div class="stat">
                <dt>Uses, last {period} days</dt>
                <dd>{formatCompact(s.usage_count)}</dd>
              </div>
              <div class="stat">
                <dt>Peak rank</dt>
                <dd>{s.peak_rank === null ? "—" : `${s.peak_rank} (${s.peak_date})`}</dd>
              </div>
              <div class="stat">
                <dt>Days on chart</dt>
                <dd>{formatInt(s.longevity.popular_days)}</dd>
              </div>
              <div class="stat">
                <dt>Streak</dt>
                <dd>{s.streak} days</dd>
              </div>
              <div class="stat">
                <dt>First listed</dt>
                <dd>{s.first_listed ?? "never"}</dd>
              </div>
              <div class="stat">
                <dt>Popularity vs. its best day</dt>
                <dd>{Math.round(s.longevity.current_popularity * 100)} %</dd>
              </div>
            </dl>
            {s.usage_by_day.length === 0 ? (
              <p class="notice">No use in {region} in this window.</p>
            ) : (
              <TimeChart
                id="sound-usage"
                title={`Uses per day in ${region}`}
                times={s.usage_by_day.map((d) => d.time)}
                series={[{ label: "Uses", values: s.usage_by_day.map((d) => d.uses), color: "--series-1" }]}
              />
            )}
            {s.rank_history.every((d) => d.rank === null) ? (
              <p class="notice">Not in the top 100 of {region} on any day of this window.</p>
            ) : (
              <TimeChart
                id="sound-rank"
                title={`Rank on the ${period}-day chart of ${region} (1 at the top; gaps: not in the top 100)`}
                times={s.rank_history.map((d) => d.time)}
                invertY
                series={[{ label: "Rank", values: s.rank_history.map((d) => d.rank), color: "--series-2" }]}
              />
            )}
            <Countries countries={s.audience_countries} period={period} />
            <p class="hint">
              Clip id <code>{s.clip_id}</code>
              {s.link && (
                <>
                  {" · "}
                  <a href={s.link} rel="noreferrer noopener" target="_blank">
                    on TikTok
                  </a>
                </>
              )}
            </p>
          </>
        )}
      </Show>
    </>
  );
}

// Horizontal bars in SVG (attributes, not styles: the CSP allows no inline style).
function Countries(props: { countries: Country[]; period: string }) {
  const { countries } = props;
  const max = Math.max(1, ...countries.map((c) => c.score));
  return (
    <figure class="card">
      <figcaption>
        <strong>Audience countries: uses over the last {props.period} days</strong>
      </figcaption>
      {countries.length === 0 ? (
        <p class="notice">This sound was used nowhere in this window.</p>
      ) : (
        <table class="bars" data-testid="audience-countries">
          <caption class="visually-hidden">Countries where the sound was used most</caption>
          <thead class="visually-hidden">
            <tr>
              <th scope="col">Country</th>
              <th scope="col">Uses</th>
            </tr>
          </thead>
          <tbody>
            {countries.map((c) => (
              <tr>
                <th scope="row">
                  {c.country_info.value} ({c.country_info.label})
                </th>
                <td>
                  <div class="bar-cell">
                    <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                      <rect x="0" y="0" height="10" width={Math.max(0.5, (100 * c.score) / max)} />
                    </svg>
                    <span class="num">{formatInt(c.score)}</span>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
