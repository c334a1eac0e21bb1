// TimeChart loaded on first use: uPlot (the largest dependency) stays out of the first page.
import type { ComponentProps } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Loading } from "./components";
import type { TimeChart as TimeChartType } from "./time_chart";

let module: Promise<typeof import("./time_chart")> | null = null;

export function LazyTimeChart(props: ComponentProps<typeof TimeChartType>) {
  const [Chart, setChart] = useState<typeof TimeChartType | null>(null);
  useEffect(() => {
    module ??= import("./time_chart");
    module.then((m) => setChart(() => m.TimeChart));
  }, []);
  return Chart ? <Chart {...props} /> : <Loading what="the chart" />;
}
