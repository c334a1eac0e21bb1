// Small building blocks shared by the pages: links, the three states of every piece of
// data (loading, empty, error), sparklines, movement, covers, copy and confirm.
import type { ComponentChildren, JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";
import { BASE, onLinkClick } from "./router";

export function Link(props: {
  to: string;
  children: ComponentChildren;
  class?: string;
  current?: boolean;
}) {
  return (
    <a
      href={BASE + props.to}
      class={props.class}
      aria-current={props.current ? "page" : undefined}
      onClick={(e) => onLinkClick(e, props.to)}
    >
      {props.children}
    </a>
  );
}

export type Async<T> =
  | { state: "loading" }
  | { state: "ok"; value: T }
  | { state: "error"; error: ApiError };

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, e instanceof Error ? e.message : String(e));
}

// Runs `load` whenever `deps` change; the latest run wins. The third element replaces the
// value with one the caller already has (e.g. the record a change answered with), with no
// loading state in between.
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): [Async<T>, () => void, (value: T) => void] {
  const [result, setResult] = useState<Async<T>>({ state: "loading" });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    setResult({ state: "loading" });
    load().then(
      (value) => live && setResult({ state: "ok", value }),
      (e) => live && setResult({ state: "error", error: asApiError(e) }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const replace = useCallback((value: T) => setResult({ state: "ok", value }), []);
  return [result, reload, replace];
}

export function Loading(props: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

export function ErrorNotice(props: { error: ApiError; retry?: () => void; what?: string }) {
  const { error } = props;
  let text = error.message;
  if (error.status === 402) text = "This key has no credits left for this request (402).";
  if (error.status === 429) {
    text = `Over the key's rate limit (429)${error.retryAfter ? `: try again in ${error.retryAfter} s` : ""}.`;
  }
  return (
    <div class="notice error" role="alert">
      <strong>{props.what ? `Could not load ${props.what}. ` : "Error. "}</strong>
      {text}
      {error.status > 0 && <span class="hint"> (HTTP {error.status})</span>}
      {props.retry && (
        <>
          {" "}
          <button type="button" class="secondary" onClick={props.retry}>
            Retry
          </button>
        </>
      )}
    </div>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="notice">{props.children}</p>;
}

// Shows the loading, error or value state of `data`.
export function Show<T>(props: {
  data: Async<T>;
  what: string;
  retry?: () => void;
  children: (value: T) => JSX.Element;
}) {
  const { data } = props;
  if (data.state === "loading") return <Loading what={props.what} />;
  if (data.state === "error") return <ErrorNotice error={data.error} retry={props.retry} what={props.what} />;
  return props.children(data.value);
}

export interface TrendPoint {
  time: number;
  value: number;
}

// A trend curve (values 0..1, oldest first) as a small SVG line.
export function Sparkline(props: { points: TrendPoint[]; label: string }) {
  const pts = props.points;
  if (pts.length === 0) return <span class="hint">no data</span>;
  const w = 100;
  const h = 30;
  const step = pts.length > 1 ? w / (pts.length - 1) : 0;
  const coords = pts.map((p, i) => `${(i * step).toFixed(2)},${(h - p.value * h).toFixed(2)}`);
  if (pts.length === 1) coords.push(`${w},${(h - pts[0].value * h).toFixed(2)}`);
  const area = `0,${h} ${coords.join(" ")} ${w},${h}`;
  return (
    <svg class="sparkline" viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={props.label}>
      <polygon points={area} />
      <polyline points={coords.join(" ")} />
    </svg>
  );
}

export function trendLabel(points: TrendPoint[]): string {
  if (points.length < 2) return "trend: one point";
  const first = points[0].value;
  const last = points[points.length - 1].value;
  const peak = points.reduce((best, p, i) => (p.value > points[best].value ? i : best), 0);
  const dir = last > first + 0.1 ? "rising" : last < first - 0.1 ? "falling" : "steady";
  return `trend ${dir}, ${points.length} points, peak at point ${peak + 1}`;
}

// rank_diff_type: 1 up, 2 unchanged, 3 down, 4 new (SPEC §3).
export function Movement(props: { type: number; diff: number | null }) {
  switch (props.type) {
    case 1:
      return (
        <span class="movement up" aria-label={`up ${props.diff} places`}>
          ▲ {props.diff}
        </span>
      );
    case 3:
      return (
        <span class="movement down" aria-label={`down ${props.diff} places`}>
          ▼ {props.diff}
        </span>
      );
    case 4:
      return (
        <span class="movement new" aria-label="new on the chart">
          NEW
        </span>
      );
    default:
      return (
        <span class="movement same" aria-label="unchanged">
          –
        </span>
      );
  }
}

// A cover image with the title's initials behind it (the image's host may be unreachable).
export function Cover(props: { src: string; title: string }) {
  const [broken, setBroken] = useState(false);
  const initials = props.title
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => Array.from(w)[0]?.toUpperCase() ?? "")
    .join("");
  return (
    <span class="cover" aria-hidden="true">
      {initials}
      {props.src && (
        <img
          src={props.src}
          alt=""
          width={44}
          height={44}
          loading="lazy"
          referrerpolicy="no-referrer"
          class={broken ? "broken" : undefined}
          onError={() => setBroken(true)}
        />
      )}
    </span>
  );
}

export function CopyButton(props: { text: string; label?: string }) {
  const [copied, setCopied] = useState<"" | "copied" | "failed">("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <>
      <button type="button" onClick={copy}>
        {props.label ?? "Copy"}
      </button>
      <span role="status" aria-live="polite" class="hint">
        {copied === "copied" ? "Copied." : copied === "failed" ? "Copy failed: select the text and copy it." : ""}
      </span>
    </>
  );
}

// A modal confirmation (native <dialog>: focus is trapped, Escape cancels).
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirm: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={props.onCancel} onClose={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      {props.children}
      <div class="dialog-actions">
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirm}
        </button>
      </div>
    </dialog>
  );
}
