// Bar charts for the reports, drawn with Chart.js (bundled by Vite, loaded only by the pages
// that show a chart). A chart is a picture of a table that stands beside it: the canvas is an
// image whose label says so, and the numbers are read from the table, never from the canvas.
import type { ChartConfiguration } from "chart.js";

type ChartModule = typeof import("./chartParts");
let loading: Promise<ChartModule> | null = null;

function chartjs(): Promise<ChartModule> {
  loading ??= import("./chartParts");
  return loading;
}

export interface Series {
  label: string;
  values: number[];
  color: string;
}

export interface BarOptions {
  title: string; // what the chart shows (its accessible name)
  describedBy?: string; // id of the table with the same numbers
  labels: string[];
  series: Series[];
  horizontal?: boolean;
  percent?: boolean; // values are 0–1 fractions, shown as %
}

export const COLORS = { primary: "#2f5bea", warn: "#d97706", danger: "#dc2626", ok: "#15803d" };

/**
 * A canvas that Chart.js draws into once it is in the page. `data-values` holds the plotted
 * numbers (one array per series) and `data-rendered` is set after the first draw.
 */
export function barChart(opts: BarOptions): HTMLElement {
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", opts.title);
  if (opts.describedBy) canvas.setAttribute("aria-describedby", opts.describedBy);
  canvas.dataset.values = JSON.stringify(opts.series.map((s) => s.values));
  canvas.dataset.labels = JSON.stringify(opts.labels);
  const box = document.createElement("div");
  box.className = opts.horizontal ? "chart horizontal" : "chart";
  box.style.height = opts.horizontal ? `${Math.max(120, 34 * opts.labels.length + 40)}px` : "220px";
  box.append(canvas);
  const scale = opts.percent
    ? { beginAtZero: true, max: 1, ticks: { callback: (v: string | number) => `${Math.round(Number(v) * 100)}%` } }
    : { beginAtZero: true, ticks: { precision: 0 } };
  const config: ChartConfiguration<"bar", number[], string> = {
    type: "bar",
    data: {
      labels: opts.labels,
      datasets: opts.series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color })),
    },
    options: {
      indexAxis: opts.horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: opts.series.length > 1 } },
      scales: opts.horizontal ? { x: scale } : { y: scale },
    },
    plugins: [
      {
        id: "fairviewRendered",
        afterRender: (chart) => {
          chart.canvas.dataset.rendered = "true";
        },
      },
    ],
  };
  void chartjs().then((m) => new m.Chart(canvas, config));
  return box;
}
