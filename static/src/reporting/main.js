// Draws the dashboard's charts from the data the page carries in <script id="report-charts">
// (json_script: no inline script, CSP-safe). Each chart's figures are also in the table below
// it, so a failed or disabled chart loses nothing.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

// Okabe–Ito: told apart with the common colour-vision deficiencies.
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

function themeColor(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

// Long category names would squeeze the plot: the axis shows the start, the tooltip the whole name;
// a step between two stages ("Screen → Tech") goes on two lines.
const LABEL_MAX = 22;
const cut = (text) => (text.length > LABEL_MAX ? `${text.slice(0, LABEL_MAX - 1)}…` : text);
function shortLabel(value) {
  const label = String(this.getLabelForValue(value));
  const [from, to] = label.split(" → ");
  return to === undefined ? cut(label) : [cut(from), `→ ${cut(to)}`];
}

function config(chart) {
  const stacked = chart.kind === "stacked-bar";
  const type = chart.kind === "line" ? "line" : "bar";
  const text = themeColor("--body-fg", "#333333");
  const grid = themeColor("--hairline-color", "#e0e0e0");
  const datasets = chart.series.map((series, index) => ({
    label: series.name,
    data: series.values,
    backgroundColor: PALETTE[index % PALETTE.length],
    borderColor: PALETTE[index % PALETTE.length],
    borderWidth: type === "line" ? 2 : 0,
    categoryPercentage: chart.kind === "histogram" ? 1.0 : 0.8,
    barPercentage: chart.kind === "histogram" ? 1.0 : 0.9,
  }));
  const unit = chart.unit ? ` ${chart.unit}` : "";
  return {
    type,
    data: { labels: chart.labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 },
      scales: {
        x: { stacked, ticks: { color: text, maxRotation: 60, callback: shortLabel }, grid: { color: grid } },
        y: {
          stacked,
          beginAtZero: true,
          ticks: { color: text, precision: chart.unit ? undefined : 0 },
          grid: { color: grid },
          title: { display: Boolean(chart.unit), text: chart.unit, color: text },
        },
      },
      plugins: {
        legend: { display: datasets.length > 1, labels: { color: text } },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}: ${item.raw === null ? "—" : item.raw}${unit}`,
          },
        },
      },
    },
  };
}

function draw() {
  const source = document.getElementById("report-charts");
  if (!source) return;
  const charts = JSON.parse(source.textContent);
  for (const chart of charts) {
    const canvas = document.querySelector(`canvas[data-chart="${CSS.escape(chart.key)}"]`);
    if (!canvas) continue;
    new Chart(canvas, config(chart));
    canvas.dataset.drawn = "true";
  }
  document.documentElement.dataset.reportCharts = "ready";
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", draw);
} else {
  draw();
}
