// What this server can do, read from its own OpenAPI document (/openapi.json, free and
// public): the surging chart (rank_type on the list) and the sound detail endpoint. The
// dashboard thus matches the binary that serves it, whatever its version.
export interface Features {
  surging: boolean;
  soundPages: boolean;
}

export const NO_FEATURES: Features = { surging: false, soundPages: false };

const LIST = "/v1/tiktok/trending/music";
const DETAIL = "/v1/tiktok/trending/music/detail";

interface Doc {
  paths?: Record<string, { get?: { parameters?: Param[] }; parameters?: Param[] }>;
  components?: { parameters?: Record<string, Param> };
}
interface Param {
  name?: string;
  $ref?: string;
}

let features: Promise<Features> | null = null;

export function loadFeatures(): Promise<Features> {
  features ??= fetch("/openapi.json", { credentials: "omit" })
    .then((r) => (r.ok ? r.json() : {}))
    .then((doc: Doc) => {
      const resolve = (p: Param): Param => (p.$ref ? (doc.components?.parameters?.[p.$ref.split("/").pop() ?? ""] ?? {}) : p);
      const list = doc.paths?.[LIST];
      const params = [...(list?.parameters ?? []), ...(list?.get?.parameters ?? [])].map(resolve);
      return { surging: params.some((p) => p.name === "rank_type"), soundPages: Boolean(doc.paths?.[DETAIL]?.get) };
    })
    .catch(() => NO_FEATURES);
  return features;
}
