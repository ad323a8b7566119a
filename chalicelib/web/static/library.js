// The research library: a bank's past reports and podcasts, newest first; any of them can
// be opened, and two reports compared side by side with the figures that changed marked.

import { api } from "./api.js";
import { $, element, setText, show } from "./dom.js";
import { exactMoney, listing, percent, quarterLabel, refusalWords, size, when, writerName } from "./words.js";

const handlers = { open: async () => {}, fetchReport: async () => null };
const showing = { report: null, podcast: null };
let experts = null; // id → name, for the podcast list

export function setupLibrary({ open, fetchReport }) {
  handlers.open = open;
  handlers.fetchReport = fetchReport;
  $("compare-reports").addEventListener("click", compareChosen);
  $("close-compare").addEventListener("click", () => {
    closeCompare();
    $("compare-reports").focus();
  });
  setupCompareFilter();
}

// Lists the bank's versions of a type; leaves the list out when there is none (or the
// service cannot list them right now: the latest result is still shown).
export async function loadHistory(type, bank, isCurrent) {
  let data;
  try {
    data = await api("GET", `api/research/${encodeURIComponent(bank)}/${type}s`, undefined,
      { optional: true });
    if (type === "podcast" && !experts) await loadExperts();
  } catch {
    data = null;
  }
  if (!isCurrent()) return;
  const items = (data && data[`${type}s`]) || [];
  show($(`${type}-history`), items.length > 0);
  if (!items.length) return;
  setText(`${type}-history-title`, items.length === 1 ? "All versions (1)" : `All versions (${items.length})`);
  $(`${type}-versions`).replaceChildren(...items.map((item, index) => versionItem(type, item, index)));
  markShowing(type, showing[type]);
  updateCompare();
}

async function loadExperts() {
  const panel = await api("GET", "api/podcast/experts", undefined, { optional: true });
  experts = new Map(((panel && panel.experts) || []).map((expert) => [expert.id, expert.name]));
}

function describe(type, item) {
  const parts = [`Written ${when(item.generatedAt)}`];
  if (item.asOf) parts.push(`data as of ${quarterLabel(item.asOf)}`);
  if (type === "report") {
    parts.push(writerName(item.writer));
  } else {
    const names = (item.experts || []).map((id) => (experts && experts.get(id)) || id);
    if (names.length) parts.push(`with ${listing(names)}`);
    if (item.durationSeconds) parts.push(`${Math.round(item.durationSeconds / 60)} min`);
  }
  if (item.bytes) parts.push(size(item.bytes));
  return parts.filter(Boolean).join(" · ");
}

function versionItem(type, item, index) {
  const label = describe(type, item);
  const open = element("button", { type: "button", class: "secondary small",
    "aria-label": `Open the version ${label}`, text: "Open" });
  open.addEventListener("click", () => handlers.open(type, item.jobId));
  const li = element("li", { "data-job": item.jobId },
    element("span", { class: "version-text", text: label + (index === 0 ? " (latest)" : "") }),
    element("span", { class: "showing", text: "Showing" }),
    open);
  if (type === "report") {
    const id = `pick-${item.jobId}`;
    const box = element("input", { type: "checkbox", id, class: "compare-pick", value: item.jobId });
    box.addEventListener("change", updateCompare);
    li.append(element("label", { for: id, class: "pick" }, box,
      element("span", { text: "Compare" }, element("span", { class: "visually-hidden", text: ` the version ${label}` }))));
  }
  return li;
}

export function markShowing(type, jobId) {
  showing[type] = jobId || null;
  for (const li of $(`${type}-versions`).children) {
    const current = li.dataset.job === jobId;
    li.classList.toggle("current", current);
    if (current) li.setAttribute("aria-current", "true");
    else li.removeAttribute("aria-current");
  }
}

function chosen() {
  return [...document.querySelectorAll("#report-versions .compare-pick:checked")].map((box) => box.value);
}

function updateCompare() {
  const picked = chosen();
  $("compare-reports").disabled = picked.length !== 2;
  setText("compare-hint", picked.length > 2
    ? "Choose exactly two versions to compare: untick one."
    : "Choose two versions to compare them side by side.");
}

async function compareChosen() {
  const picked = chosen();
  if (picked.length !== 2) return;
  let reports;
  try {
    reports = await Promise.all(picked.map((jobId) => handlers.fetchReport(jobId)));
  } catch (error) {
    setText("compare-hint", refusalWords(error));
    return;
  }
  reports.sort((a, b) => String(a.generatedAt).localeCompare(String(b.generatedAt)));
  renderCompare(reports[0], reports[1]);
  show($("compare"), true);
  $("compare-title").focus();
}

// "Show only what changed": unchanged figures and sections folded away (the default).
function setupCompareFilter() {
  const box = $("compare-changes-only");
  const apply = () => $("compare").classList.toggle("changes-only", box.checked);
  box.addEventListener("change", apply);
  apply();
}

export function closeCompare() {
  show($("compare"), false);
  $("compare-figures").replaceChildren();
  $("compare-sections").replaceChildren();
}

// Figures to the dollar and ratios to a hundredth of a point: a row is marked changed when
// what it shows differs, so the precision shown is the precision compared.
const FIGURES = [
  ["Total assets", "keyFigures", "totalAssets", exactMoney],
  ["Loans", "keyFigures", "loans", exactMoney],
  ["Deposits", "keyFigures", "totalDeposits", exactMoney],
  ["Equity", "keyFigures", "totalEquity", exactMoney],
  ["Net income (quarter)", "keyFigures", "netIncome", exactMoney],
  ["Return on assets", "keyMetrics", "roa", percent],
  ["Return on equity", "keyMetrics", "roe", percent],
  ["Net interest margin", "keyMetrics", "nim", percent],
  ["Efficiency ratio", "keyMetrics", "efficiencyRatio", percent],
  ["Nonaccrual loans", "keyMetrics", "nonaccrualRatio", percent],
  ["Net charge-offs", "keyMetrics", "netChargeOffRatio", percent],
  ["Tier 1 leverage", "keyMetrics", "leverageRatio", percent],
  ["CET1 ratio", "keyMetrics", "cet1Ratio", percent],
  ["Total capital ratio", "keyMetrics", "totalCapitalRatio", percent],
  ["Loans to deposits", "keyMetrics", "loanToDeposit", percent],
];

function figureRows(older, newer) {
  const rows = [
    ["Data as of", quarterLabel(older.asOf), quarterLabel(newer.asOf)],
    ["Written", writerName(older.writer), writerName(newer.writer)],
  ];
  for (const [label, group, name, format] of FIGURES) {
    const a = ((older[group] || {})[name]);
    const b = ((newer[group] || {})[name]);
    if ((a === undefined || a === null) && (b === undefined || b === null)) continue;
    rows.push([label, format(a), format(b)]);
  }
  return rows;
}

function renderCompare(older, newer) {
  const head = element("thead", {}, element("tr", {},
    element("th", { scope: "col", text: "Figure" }),
    element("th", { scope: "col", text: `Earlier: ${when(older.generatedAt)}` }),
    element("th", { scope: "col", text: `Later: ${when(newer.generatedAt)}` }),
    element("th", { scope: "col", text: "Changed" })));
  const rows = figureRows(older, newer);
  const body = element("tbody", {}, ...rows.map(([label, a, b]) => {
    const changed = a !== b;
    return element("tr", { class: changed ? "changed" : "same" },
      element("th", { scope: "row", text: label }),
      element("td", { text: a }),
      element("td", {}, changed ? element("mark", { text: b }) : b),
      element("td", { text: changed ? "Changed" : "Same" }));
  }));
  $("compare-figures").replaceChildren(
    element("caption", { class: "visually-hidden", text: "Figures of the two reports" }), head, body);
  const byId = new Map((newer.sections || []).map((section) => [section.id, section]));
  const rewritten = (older.sections || []).filter((section) =>
    (byId.get(section.id) || {}).markdown !== section.markdown);
  setText("compare-summary", compareSummary(older, newer, rows, rewritten));
  const sections = (older.sections || []).map((section) => {
    const later = byId.get(section.id);
    const same = !rewritten.includes(section);
    return element("section", { class: same ? "compare-row same" : "compare-row" },
      element("h5", { text: section.title }),
      column("Earlier", section.html),
      column("Later", later ? later.html : ""));
  });
  $("compare-sections").replaceChildren(...sections);
}

// "3 figures changed, 2 sections rewritten (data Q4 2024 → Q1 2025)", or "No differences:
// same data, same writer."
function compareSummary(older, newer, rows, rewritten) {
  const figures = rows.filter(([label, a, b]) => !["Data as of", "Written"].includes(label) && a !== b).length;
  const plural = (count, noun) => `${count} ${noun}${count === 1 ? "" : "s"}`;
  const sameData = older.asOf === newer.asOf;
  const sameWriter = writerName(older.writer) === writerName(newer.writer);
  if (!figures && !rewritten.length) {
    return `No differences: ${sameData ? "same data" : "same figures"} (${quarterLabel(newer.asOf)}), ` +
      `${sameWriter ? "same writer" : "another writer, same words"}.`;
  }
  const parts = [`${plural(figures, "figure")} changed`, `${plural(rewritten.length, "section")} rewritten`];
  const why = [sameData ? `same data (${quarterLabel(newer.asOf)})` : `data ${quarterLabel(older.asOf)} \u2192 ${quarterLabel(newer.asOf)}`,
    sameWriter ? "same writer" : `${writerName(older.writer)} \u2192 ${writerName(newer.writer)}`];
  return `${parts.join(", ")}: ${why.join(", ")}.`;
}

function column(label, html) {
  const body = element("div", { class: "section-body" });
  body.innerHTML = html || ""; // sanitized by the server (markdown → nh3 allowlist)
  return element("div", { class: "compare-col" }, element("p", { class: "col-label", text: label }), body);
}
