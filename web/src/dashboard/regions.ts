// The 71 regions with their names, from the free GET /v1/tiktok/regions (fetched once).
export interface Region {
  code: string;
  name: string;
}

let regions: Promise<Region[]> | null = null;

export function loadRegions(): Promise<Region[]> {
  if (!regions) {
    regions = fetch("/v1/tiktok/regions", { credentials: "omit" })
      .then((r) => r.json())
      .then((j) => {
        const list = (j?.data?.regions ?? []) as Region[];
        if (list.length === 0) throw new Error("no regions");
        return [...list].sort((a, b) => a.name.localeCompare(b.name));
      })
      .catch((e) => {
        regions = null;
        throw e;
      });
  }
  return regions;
}
