// The bank's key figures as tiles: the latest value, its change on the quarter and on the
// year, and where it ranks among the banks of its size (the profile's `context`). A change
// says its direction in words ("better", "worse") and not by colour alone; whether up is
// better depends on the figure (a rising nonaccrual ratio is worse). Negative values stand
// out. A change the data cannot give (a quarter missing) says "not available"; an amount's
// change from zero or a loss says "not meaningful".

import { element } from "./dom.js";
import { blank, money, percent, quarterLabel } from "./words.js";

// label, the context's name, the figure's name on the profile, the metric's, which way is
// better ("up", "down", or null where neither is), and whether it is the quarter's income.
const TILES = [
  { label: "Total assets", name: "totalAssets", figure: "totalAssets", better: null },
  { label: "Deposits", name: "deposits", figure: "totalDeposits", better: null },
  { label: "Net income (quarter)", name: "netIncome", figure: "netIncome", better: "up", income: true },
  { label: "Return on assets", name: "roa", metric: "roa", better: "up", income: true },
  { label: "Net interest margin", name: "nim", metric: "nim", better: "up", income: true },
  { label: "CET1 ratio", name: "cet1Ratio", metric: "cet1Ratio", better: "up" },
  { label: "Nonaccrual loans", name: "nonaccrualRatio", metric: "nonaccrualRatio", better: "down" },
];

export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
  return `${n}${suffix}`;
}

// "+0.20 pts" / "-3.1%": a ratio's change in percentage points, an amount's in percent.
function signed(change, kind) {
  const sign = change > 0 ? "+" : change < 0 ? "\u2212" : "";
  const size = Math.abs(change);
  return kind === "amount" ? `${sign}${size.toFixed(1)}%` : `${sign}${size.toFixed(2)} pts`;
}

function flat(change, kind) {
  return Math.abs(change) < (kind === "amount" ? 0.05 : 0.005);
}

// The quarter-end before a yyyymmdd one, and the same one a year before.
const ENDS = ["0331", "0630", "0930", "1231"];
function earlierQuarter(quarter, period) {
  const year = Number(quarter.slice(0, 4));
  if (period === "YoY") return `${year - 1}${quarter.slice(4)}`;
  const index = ENDS.indexOf(quarter.slice(4));
  return index === 0 ? `${year - 1}1231` : `${year}${ENDS[index - 1]}`;
}

// Why a change is blank: the earlier quarter is not in the data (or its figure unknown),
// or an amount changes from zero or a loss, where a percentage means nothing.
function blankChange(profile, name, kind, period) {
  const row = (profile.series || []).find((r) => r.quarter === earlierQuarter(profile.latestQuarter, period));
  const before = row ? row[name] : null;
  return kind === "amount" && before !== null && before !== undefined && before <= 0
    ? "not meaningful" : "not available";
}

// One change ("QoQ +0.20 pts, better"), with its class: better, worse, or neutral.
function changeLine(period, change, kind, better, why) {
  const line = element("span", { class: "change" });
  line.append(element("abbr", { title: period === "QoQ" ? "on the quarter" : "on the year", text: period }), " ");
  if (change === null || change === undefined) {
    line.append(element("span", { class: "muted", text: why() }));
    return line;
  }
  if (flat(change, kind)) {
    line.append(element("span", { text: "flat" }));
    return line;
  }
  const up = change > 0;
  const arrow = element("span", { class: "arrow", "aria-hidden": "true", text: up ? "\u25B2" : "\u25BC" });
  if (!better) {
    line.append(arrow, ` ${signed(change, kind)}`);
    return line;
  }
  const good = (better === "up") === up;
  line.classList.add(good ? "better" : "worse");
  line.append(arrow, ` ${signed(change, kind)}, `, element("strong", { text: good ? "better" : "worse" }));
  return line;
}

function valueText(tile, value, unknown) {
  const text = tile.metric ? percent(value) : money(value);
  return blank(value, value !== null && value !== undefined && value < 0 ? text.replace("-", "\u2212") : text,
    { unknown: unknown && tile.income });
}

// The tiles, and the sentence that says what a percentile compares with.
export function keyFigures(profile) {
  const figures = profile.figures || {};
  const metrics = profile.metrics || {};
  const context = profile.context || {};
  // The latest quarter's income is unknown when the quarter before it is not in the data.
  const unknown = (profile.incomeUnknown || []).includes(profile.latestQuarter);
  const tiles = TILES.map((tile) => {
    const value = tile.metric ? metrics[tile.metric] : figures[tile.figure];
    const said = context[tile.name];
    const negative = value !== null && value !== undefined && value < 0;
    const box = element("div", { class: negative ? "tile negative" : "tile" },
      element("dt", { text: tile.label }),
      element("dd", { class: "value", text: valueText(tile, value, unknown) }));
    if (said && value !== null && value !== undefined) {
      box.append(element("dd", { class: "changes" },
        ...["QoQ", "YoY"].map((period) => changeLine(period, said.changes[period.toLowerCase()],
          said.kind, tile.better, () => blankChange(profile, tile.name, said.kind, period)))));
      if (said.percentile !== null && said.percentile !== undefined) {
        const median = said.peerMedian === null || said.peerMedian === undefined ? null
          : element("span", { class: "median", text: `, median ${percent(said.peerMedian)}` });
        box.append(element("dd", { class: "peer" }, `${ordinal(said.percentile)} percentile`, median));
      }
    }
    return box;
  });
  return { tiles, note: percentileNote(profile) };
}

function percentileNote(profile) {
  const peers = profile.peers;
  if (!peers || !peers.banks || peers.banks < 2) return "";
  const kind = profile.synthetic ? "synthetic banks" : "banks";
  const band = String(peers.label || "").replace(/^Total assets/, "with total assets");
  return `QoQ and YoY: change on the quarter and on the year (ratios in percentage points). ` +
    `Percentiles rank the bank among the ${peers.banks.toLocaleString("en-US")} ${kind} ${band} ` +
    `in ${quarterLabel(peers.quarter)}: 100 is the highest value, whether high is good or bad.`;
}
