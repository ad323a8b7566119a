// Line charts of a report's quarterly series, drawn in SVG at the size they are shown, so
// that their text is real pixels (12 px and more) and the last quarter's label is never cut.
// Each chart reads out a quarter's values on hover, and on focus with the arrow keys.
// Honest scales: round ticks (1, 2 or 5 times a power of ten) that carry their unit,
// amounts from zero, ratios over at least MIN_RATIO_SPAN points so that noise looks like
// noise; each ratio drawn beside its peer group's median quarter by quarter (dashed; a
// quarter whose median is not known is a gap in it); a quarter missing from the data is a
// gap in the line, never bridged.
// Colours and text sizes come from classes in app.css (the page allows no inline styles).

import { element } from "./dom.js";
import { money, quarterLabel } from "./words.js";

const NS = "http://www.w3.org/2000/svg";
const HEIGHT = 200;
const MARGIN = { left: 60, right: 30, top: 12, bottom: 30 };
const LABEL_PX = 58; // width given to one x label ("Q4 2024" at 12 px) with room between
const MIN_RATIO_SPAN = 2; // percentage points: a 0.04-point drift must not fill the chart
const ENDS = ["0331", "0630", "0930", "1231"];

// Every quarter-end from the first to the last held, the missing ones included.
function quarterRange(held) {
  const sorted = [...held].sort();
  const all = [];
  let [year, index] = [Number(sorted[0].slice(0, 4)), ENDS.indexOf(sorted[0].slice(4))];
  for (let quarter = sorted[0]; quarter <= sorted.at(-1) && all.length < 200;) {
    all.push(quarter);
    index = (index + 1) % 4;
    if (index === 0) year += 1;
    quarter = `${year}${ENDS[index]}`;
  }
  return all;
}

export function reportCharts(series, peers = {}) {
  if (!series || series.length < 2) return [];
  const rows = new Map(series.map((row) => [row.quarter, row]));
  const quarters = quarterRange(rows.keys());
  const missing = new Set(quarters.filter((quarter) => !rows.has(quarter)));
  const pick = (name, scale = 1) => quarters.map((quarter) => {
    const value = rows.has(quarter) ? rows.get(quarter)[name] : null;
    return value === null || value === undefined ? null : value * scale;
  });
  // Each quarter's median (its row's peerMedians); a report written before rows carried
  // them knows the latest quarter's only.
  const perQuarter = series.some((row) => row.peerMedians !== undefined);
  const latest = (peers && peers.medians) || {};
  const median = (name) => quarters.map((quarter, index) => {
    const row = rows.get(quarter);
    const known = perQuarter ? (row && row.peerMedians) || {} : (index === quarters.length - 1 ? latest : {});
    return known[name] === null || known[name] === undefined ? null : Number(known[name]);
  });
  // Assets in thousands of dollars: drawn in millions or billions, read out in full words.
  const largest = Math.max(...pick("totalAssets").filter((v) => v !== null), 0);
  const [unit, perUnit] = largest >= 1e6 ? ["billion", 1e6] : ["million", 1e3];
  const pct = (v) => `${v.toFixed(2)}%`;
  const ratio = { unit: "%", missing, asOf: quarters.at(-1) };
  return [
    lineChart(`Total assets ($ ${unit})`, quarters,
      [{ label: "Total assets", values: pick("totalAssets", 1 / perUnit) }],
      (v) => money(v * perUnit), { unit: unit === "billion" ? "bn" : "m", missing, fromZero: true }),
    lineChart("Return on assets (%)", quarters,
      [{ label: "Return on assets", values: pick("roa"), median: median("roa") }], pct, ratio),
    lineChart("Net interest margin (%)", quarters,
      [{ label: "Net interest margin", values: pick("nim"), median: median("nim") }], pct, ratio),
    lineChart("Capital ratios (%)", quarters, [
      { label: "Tier 1 leverage", values: pick("leverageRatio"), median: median("leverageRatio") },
      { label: "CET1", values: pick("cet1Ratio"), median: median("cet1Ratio") },
      { label: "Total capital", values: pick("totalCapitalRatio"), median: median("totalCapitalRatio") },
    ], pct, ratio),
  ];
}

// A round step for about `count` intervals over `span`: 1, 2 or 5 times a power of ten.
export function niceStep(span, count = 4) {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  return (mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10) * power;
}

// The axis of `values` (and the medians drawn beside them): round ends and round ticks.
export function niceScale(values, { fromZero = false, minSpan = 0 } = {}) {
  let low = Math.min(...values), high = Math.max(...values);
  if (fromZero) { low = Math.min(0, low); high = Math.max(0, high); }
  if (high - low < minSpan) {
    const middle = (low + high) / 2;
    const floor = low >= 0 ? 0 : -Infinity; // a ratio that is never negative stays above 0
    low = Math.max(floor, middle - minSpan / 2);
    high = low + minSpan;
  }
  if (high === low) high = low + 1;
  const step = niceStep(high - low);
  const first = Math.floor(low / step + 1e-9) * step;
  const last = Math.ceil(high / step - 1e-9) * step;
  const ticks = [];
  for (let value = first; value <= last + step / 2; value += step) ticks.push(Number(value.toPrecision(12)));
  return { low: first, high: last, step, ticks };
}

// Tick labels with the decimals the step needs, and their unit ("2.5%", "$150bn").
function tickFormat(step, unit) {
  const digits = Math.max(0, Math.min(3, -Math.floor(Math.log10(step) + 1e-9)));
  if (unit === "%") return (v) => `${v.toFixed(digits)}%`;
  return (v) => `$${v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}${unit}`;
}

function lineChart(title, quarters, lines, readout, options = {}) {
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
  // A peer median beside a line the bank does not report would compare nothing.
  for (const line of lines) if (!line.values.some((v) => v !== null)) line.median = undefined;
  const withMedian = lines.filter((line) => line.median && line.median.some((v) => v !== null));
  const medians = withMedian.flatMap((line) => line.median.filter((v) => v !== null));
  const items = lines.length > 1 ? lines.map((line, index) =>
    element("li", {}, element("span", { class: `swatch series-${index}` }),
      line.values.some((v) => v !== null) ? line.label : `${line.label} (not reported)`)) : [];
  if (withMedian.length) {
    items.push(element("li", {}, element("span", { class: "swatch dashed" }), withMedian.length > 1
      ? "Peer medians, each quarter (banks of its size then; dashed, in each line's colour)"
      : "Peer median, each quarter (banks of its size then)"));
  }
  if (items.length) figure.append(element("ul", { class: "legend" }, ...items));
  const gaps = quarters.filter((quarter) => (options.missing || new Set()).has(quarter));
  if (gaps.length) {
    figure.append(element("p", { class: "muted gap-note",
      text: `No data for ${gaps.map(quarterLabel).join(" and ")}: the line stops there.` }));
  }
  const axis = niceScale([...known, ...medians], {
    fromZero: Boolean(options.fromZero), minSpan: options.unit === "%" ? MIN_RATIO_SPAN : 0 });
  const tick = tickFormat(axis.step, options.unit);
  const missing = options.missing || new Set();
  const chart = { quarters, lines, tick, readout, plot, output, selected: null, geometry: null, axis, missing };
  wireReadout(chart);
  // Drawn when the figure has a width (it may be hidden when built), redrawn when it changes.
  new ResizeObserver(() => draw(chart)).observe(plot);
  return figure;
}

function scale(chart, width) {
  const { low, high, ticks } = chart.axis;
  const inner = { left: MARGIN.left, right: width - MARGIN.right };
  const span = Math.max(chart.quarters.length - 1, 1);
  const tall = HEIGHT - MARGIN.top - MARGIN.bottom;
  return {
    low, high, ticks, inner,
    x: (i) => inner.left + (i * (inner.right - inner.left)) / span,
    y: (v) => MARGIN.top + ((high - v) * tall) / (high - low),
  };
}

// The runs of consecutive known values: a line is drawn per run, so that a missing
// quarter (or a value not reported) leaves a gap.
function runs(values) {
  const found = [];
  let current = [];
  values.forEach((value, index) => {
    if (value === null) {
      if (current.length) found.push(current);
      current = [];
    } else current.push(index);
  });
  if (current.length) found.push(current);
  return found;
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
  chart.quarters.forEach((quarter, i) => {
    if (!chart.missing.has(quarter)) return;
    const half = (g.inner.right - g.inner.left) / Math.max(chart.quarters.length - 1, 1) / 2;
    const node = add("rect", { x: g.x(i) - half / 2, y: MARGIN.top, width: half, height: bottom - MARGIN.top, class: "gap" });
    node.dataset.quarter = quarter;
  });
  chart.lines.forEach((line, index) => {
    // The median quarter by quarter, a run at a time; a lone quarter's is a short dash.
    for (const run of line.median ? runs(line.median) : []) {
      const at = (i) => `${g.x(i).toFixed(1)},${g.y(line.median[i]).toFixed(1)}`;
      const points = run.length > 1 ? run.map(at)
        : [`${(g.x(run[0]) - 8).toFixed(1)},${g.y(line.median[run[0]]).toFixed(1)}`,
           `${(g.x(run[0]) + 8).toFixed(1)},${g.y(line.median[run[0]]).toFixed(1)}`];
      const node = add("polyline", { points: points.join(" "), class: `median series-${index}` });
      node.dataset.quarters = run.map((i) => chart.quarters[i]).join(" ");
    }
    for (const run of runs(line.values)) {
      const points = run.map((i) => `${g.x(i).toFixed(1)},${g.y(line.values[i]).toFixed(1)}`);
      add("polyline", { points: points.join(" "), class: `line series-${index}` });
    }
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
  if (chart.missing.has(chart.quarters[index])) {
    chart.output.textContent = `${quarterLabel(chart.quarters[index])}: not in the data`;
    return;
  }
  const parts = chart.lines.map((line) => {
    const value = line.values[index];
    const peer = line.median ? line.median[index] : null;
    const median = peer === null || peer === undefined ? "" : ` (peer median ${chart.readout(peer)})`;
    return `${line.label} ${value === null ? "not reported" : chart.readout(value)}${median}`;
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
