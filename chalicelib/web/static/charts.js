// Line charts of a report's quarterly series, drawn in SVG at the size they are shown, so
// that their text is real pixels (12 px and more) and the last quarter's label is never cut.
// Each chart reads out a quarter's values on hover, and on focus with the arrow keys.
// Colours and text sizes come from classes in app.css (the page allows no inline styles).

import { element } from "./dom.js";
import { money, quarterLabel } from "./words.js";

const NS = "http://www.w3.org/2000/svg";
const HEIGHT = 200;
const MARGIN = { left: 60, right: 30, top: 12, bottom: 30 };
const LABEL_PX = 58; // width given to one x label ("Q4 2024" at 12 px) with room between

export function reportCharts(series) {
  if (!series || series.length < 2) return [];
  const quarters = series.map((row) => row.quarter);
  const pick = (name, scale = 1) => series.map((row) =>
    row[name] === null || row[name] === undefined ? null : row[name] * scale);
  // Assets in thousands of dollars: drawn in millions or billions, read out in full words.
  const largest = Math.max(...pick("totalAssets").filter((v) => v !== null), 0);
  const [unit, perUnit] = largest >= 1e6 ? ["billion", 1e6] : ["million", 1e3];
  const pct = (v) => `${v.toFixed(2)}%`;
  return [
    lineChart(`Total assets ($ ${unit})`, quarters,
      [{ label: "Total assets", values: pick("totalAssets", 1 / perUnit) }],
      (v) => money(v * perUnit)),
    lineChart("Return on assets (%)", quarters,
      [{ label: "Return on assets", values: pick("roa") }], pct),
    lineChart("Net interest margin (%)", quarters,
      [{ label: "Net interest margin", values: pick("nim") }], pct),
    lineChart("Capital ratios (%)", quarters, [
      { label: "Tier 1 leverage", values: pick("leverageRatio") },
      { label: "CET1", values: pick("cet1Ratio") },
      { label: "Total capital", values: pick("totalCapitalRatio") },
    ], pct),
  ];
}

// Tick labels with as many decimals as the range needs to tell them apart.
function tickFormat(low, high) {
  const step = (high - low) / 4 || 1;
  const digits = Math.max(0, Math.min(3, Math.ceil(-Math.log10(step))));
  return (v) => v.toFixed(digits);
}

function lineChart(title, quarters, lines, readout) {
  const figure = element("figure", { class: "chart" });
  const caption = element("figcaption", { text: title });
  figure.append(caption);
  const known = lines.flatMap((line) => line.values).filter((v) => v !== null);
  if (!known.length) {
    figure.append(element("p", { class: "muted", text: "Not reported." }));
    return figure;
  }
  // A line the bank did not report (CET1 under the community bank leverage framework) is
  // said so, not read out.
  const summary = lines.map((line) => {
    const values = line.values.filter((v) => v !== null);
    if (!values.length) return `${line.label} not reported`;
    return `${line.label} from ${readout(values[0])} to ${readout(values[values.length - 1])}`;
  }).join("; ");
  const plot = element("div", {
    class: "plot", tabindex: "0", role: "group",
    "aria-label": `${title}, ${quarterLabel(quarters[0])} to ${quarterLabel(quarters.at(-1))}: ` +
      `${summary}. Use the left and right arrow keys to read each quarter.`,
  });
  const output = element("p", { class: "readout", "aria-live": "polite" });
  figure.append(plot, output);
  if (lines.length > 1) {
    figure.append(element("ul", { class: "legend" }, ...lines.map((line, index) =>
      element("li", {}, element("span", { class: `swatch series-${index}` }), line.label))));
  }
  const tick = tickFormat(Math.min(...known), Math.max(...known));
  const chart = { quarters, lines, tick, readout, plot, output, selected: null, geometry: null };
  wireReadout(chart);
  // Drawn when the figure has a width (it may be hidden when built), redrawn when it changes.
  new ResizeObserver(() => draw(chart)).observe(plot);
  return figure;
}

function scale(chart, width) {
  const values = chart.lines.flatMap((line) => line.values).filter((v) => v !== null);
  let low = Math.min(...values), high = Math.max(...values);
  if (low === high) { low -= 1; high += 1; }
  const pad = (high - low) * 0.1;
  const inner = { left: MARGIN.left, right: width - MARGIN.right };
  const span = Math.max(chart.quarters.length - 1, 1);
  return {
    low: low - pad, high: high + pad, ticks: [low, (low + high) / 2, high], inner,
    x: (i) => inner.left + (i * (inner.right - inner.left)) / span,
    y: (v) => MARGIN.top + ((high + pad - v) * (HEIGHT - MARGIN.top - MARGIN.bottom)) /
      (high - low + 2 * pad),
  };
}

function draw(chart) {
  const width = Math.floor(chart.plot.clientWidth);
  if (width < 120) return; // hidden, or not laid out yet
  const g = scale(chart, width);
  chart.geometry = g;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(HEIGHT));
  svg.setAttribute("aria-hidden", "true");
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  const bottom = HEIGHT - MARGIN.bottom;
  for (const value of g.ticks) {
    add("line", { x1: g.inner.left, x2: g.inner.right, y1: g.y(value), y2: g.y(value), class: "grid" });
    add("text", { x: g.inner.left - 6, y: g.y(value) + 4, class: "tick end" }, chart.tick(value));
  }
  add("line", { x1: g.inner.left, x2: g.inner.left, y1: MARGIN.top, y2: bottom, class: "axis" });
  add("line", { x1: g.inner.left, x2: g.inner.right, y1: bottom, y2: bottom, class: "axis" });
  xLabels(chart, g, add, bottom);
  chart.lines.forEach((line, index) => {
    const points = line.values
      .map((v, i) => (v === null ? null : `${g.x(i).toFixed(1)},${g.y(v).toFixed(1)}`))
      .filter(Boolean);
    add("polyline", { points: points.join(" "), class: `line series-${index}` });
    line.values.forEach((v, i) => {
      if (v !== null) add("circle", { cx: g.x(i), cy: g.y(v), r: 3, class: `dot series-${index}` });
    });
  });
  chart.cursor = add("line", { x1: 0, x2: 0, y1: MARGIN.top, y2: bottom, class: "cursor" });
  chart.plot.replaceChildren(svg);
  select(chart, chart.selected);
}

// Labels from the last quarter backwards, as many as fit; the last is anchored at its end
// when centring it would run past the chart's right edge.
function xLabels(chart, g, add, bottom) {
  const count = chart.quarters.length;
  const step = (g.inner.right - g.inner.left) / Math.max(count - 1, 1);
  const every = Math.max(1, Math.ceil(LABEL_PX / step));
  for (let i = count - 1; i >= 0; i -= every) {
    const x = g.x(i);
    let anchor = "middle";
    if (x + LABEL_PX / 2 > g.inner.right + MARGIN.right) anchor = "end";
    if (x - LABEL_PX / 2 < 0) anchor = "start";
    const node = add("text", { x: anchor === "end" ? g.inner.right + MARGIN.right - 2 : x,
      y: bottom + 20, class: `tick ${anchor}` }, quarterLabel(chart.quarters[i]));
    node.dataset.quarter = chart.quarters[i];
  }
}

function select(chart, index) {
  chart.selected = index;
  const g = chart.geometry;
  if (index === null || index === undefined || !g) {
    if (chart.cursor) chart.cursor.classList.remove("on");
    chart.output.textContent = "";
    return;
  }
  const x = g.x(index);
  chart.cursor.setAttribute("x1", String(x));
  chart.cursor.setAttribute("x2", String(x));
  chart.cursor.classList.add("on");
  const parts = chart.lines.map((line) => {
    const value = line.values[index];
    return `${line.label} ${value === null ? "not reported" : chart.readout(value)}`;
  });
  chart.output.textContent = `${quarterLabel(chart.quarters[index])}: ${parts.join(", ")}`;
}

function wireReadout(chart) {
  const last = () => chart.quarters.length - 1;
  chart.plot.addEventListener("pointermove", (event) => {
    const g = chart.geometry;
    if (!g) return;
    const x = event.clientX - chart.plot.getBoundingClientRect().left;
    const step = (g.inner.right - g.inner.left) / Math.max(last(), 1);
    select(chart, Math.min(last(), Math.max(0, Math.round((x - g.inner.left) / step))));
  });
  chart.plot.addEventListener("pointerleave", () => {
    if (document.activeElement !== chart.plot) select(chart, null);
  });
  chart.plot.addEventListener("focus", () => select(chart, chart.selected ?? last()));
  chart.plot.addEventListener("blur", () => select(chart, null));
  chart.plot.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = (chart.selected ?? last()) + moves[event.key];
    select(chart, Math.min(last(), Math.max(0, Number.isFinite(next) ? next : (next < 0 ? 0 : last()))));
  });
}
