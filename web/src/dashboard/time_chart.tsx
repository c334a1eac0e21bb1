// A time series chart (uPlot) with a text alternative: the same numbers as a table, behind
// a disclosure, and a summary for screen readers. Redrawn when the container is resized or
// the color scheme changes (the series colors are the theme's CSS variables).
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatInt } from "../common/format";

export interface Series {
  label: string;
  values: (number | null)[];
  color: string; // a CSS variable name, e.g. "--series-1"
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function useColorScheme(): string {
  const query = window.matchMedia("(prefers-color-scheme: dark)");
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const update = () => setDark(query.matches);
    query.addEventListener("change", update);
    return () => query.removeEventListener("change", update);
  }, []);
  return dark ? "dark" : "light";
}

export function TimeChart(props: {
  id: string;
  title: string;
  times: number[]; // unix seconds, 00:00 UTC
  series: Series[];
  bars?: boolean;
  stacked?: boolean;
  invertY?: boolean; // ranks: 1 at the top
  height?: number;
  valueName?: string;
  seconds?: boolean; // times are moments, not days (table shows the time of day)
}) {
  const box = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();
  const { times, series } = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const text = cssVar("--muted");
    const grid = cssVar("--border");
    let data: (number | null)[][] = series.map((s) => s.values);
    if (props.stacked) {
      const acc = times.map(() => 0);
      data = series.map((s) =>
        s.values.map((v, i) => {
          acc[i] += v ?? 0;
          return acc[i];
        }),
      );
    }
    const bars = props.bars ? uPlot.paths.bars!({ size: [0.7, 40] }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: props.height ?? 240,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        y: props.invertY ? { dir: -1, range: (_u, min, max) => [Math.max(1, min - 1), max + 1] } : {},
      },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: cssVar(s.color),
          fill: props.bars ? cssVar(s.color) : undefined,
          width: 2,
          paths: bars,
          spanGaps: false,
        })),
      ],
      hooks: {
        draw: [() => performance.mark(`st:chart:${props.id}`)],
      },
    };
    // Stacked bars: draw the tallest first so each shorter one shows in front.
    const ordered = props.stacked ? [...data].reverse() : data;
    const order = props.stacked ? [...opts.series.slice(1)].reverse() : opts.series.slice(1);
    opts.series = [{}, ...order];
    const plot = new uPlot(opts, [times, ...ordered] as uPlot.AlignedData, el);
    const observer = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(280, el.clientWidth), height: props.height ?? 240 });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [times, series, scheme]);

  const total = (s: Series) => s.values.reduce<number>((a, v) => a + (v ?? 0), 0);
  const best = (s: Series) => Math.min(...s.values.filter((v): v is number => v !== null));
  // Ranks (invertY) do not add up: the summary gives the best one.
  const summary = series.map((s) => (props.invertY ? `${s.label}: best ${formatInt(best(s))}` : `${s.label}: ${formatInt(total(s))} in all`)).join("; ");
  return (
    <figure class="card">
      <figcaption>
        <strong>{props.title}</strong>
      </figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={`${props.title}. ${summary}`} data-chart={props.id} />
      <details>
        <summary>The numbers as a table</summary>
        <div class="table-wrap" tabIndex={0} role="region" aria-label={`${props.title}, as a table`}>
          <table>
            <caption class="visually-hidden">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">{props.seconds ? "Time (UTC)" : "Day"}</th>
                {series.map((s) => (
                  <th scope="col" class="num">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((t, i) => (
                <tr>
                  <td>{props.seconds ? new Date(t * 1000).toISOString().slice(11, 19) : new Date(t * 1000).toISOString().slice(0, 10)}</td>
                  {series.map((s) => (
                    <td class="num">{s.values[i] === null ? "—" : formatInt(s.values[i])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
