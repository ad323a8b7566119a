// The "Research" view: a dashboard of the latest jobs across banks (work in progress
// first, then the latest outcomes), counted by status and type, filtered by status, type,
// bank and "started by me"; each row with its progress, stage, time, attempt and who
// started it, and a way to cancel it (its starter or an admin) or try it again. It is
// live while it is open and the tab is visible: one request (one Query on the server)
// every few seconds, whatever the number of rows, and times count up in between.

import { api, ApiError, serverNow } from "./api.js";
import { loadBatches } from "./batches.js";
import { $, element, setMessage, setText, show } from "./dom.js";
import { remember } from "./notices.js";
import {
  clockTime, failureSentence, isActive, isCancelled, jobLife, NOUN, refusalWords, span, when,
} from "./words.js";

const REFRESH_MS = 3000;
const WINDOW = 200; // the latest jobs read (and counted) per refresh
const view = {
  open: false, timer: null, ticker: null, cursor: null, more: false, navigate: () => {},
  generation: 0, jobs: new Map(), you: null,
};

const STATUS_WORDS = {
  pending: "Queued", running: "Running", completed: "Completed", failed: "Failed",
  cancelled: "Cancelled",
};
const PHASE_WORDS = { queued: "Queued", working: "Running", stalled: "Stalled", retrying: "Retrying" };

export function setupOverview({ navigate }) {
  view.navigate = navigate;
  $("recent-more").addEventListener("click", () => load({ more: true }));
  $("recent-refresh").addEventListener("click", () => load());
  for (const id of ["filter-status", "filter-type", "filter-mine"]) {
    $(id).addEventListener("change", () => load());
  }
  let typing = null;
  $("filter-bank").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => load(), 400);
  });
  $("overview-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  document.addEventListener("visibilitychange", () => {
    if (!view.open) return;
    if (document.hidden) stopTimers();
    else load();
  });
}

export function showOverview({ focus = false } = {}) {
  view.open = true;
  load();
  if (focus) $("overview-title").focus();
}

export function hideOverview() {
  view.open = false;
  view.generation++;
  stopTimers();
}

function stopTimers() {
  clearTimeout(view.timer);
  clearInterval(view.ticker);
  view.ticker = null;
}

function filters() {
  const bank = $("filter-bank").value.trim();
  const query = new URLSearchParams({ limit: String(WINDOW) });
  if ($("filter-status").value) query.set("status", $("filter-status").value);
  if ($("filter-type").value) query.set("type", $("filter-type").value);
  if (bank) query.set("bank", bank);
  if ($("filter-mine").checked) query.set("mine", "true");
  return query;
}

async function load({ more = false } = {}) {
  clearTimeout(view.timer);
  const generation = ++view.generation;
  const query = filters();
  if (more && view.cursor) query.set("cursor", view.cursor);
  let data;
  try {
    data = await api("GET", `api/research/recent?${query}`, undefined, { optional: true });
    if (!data) throw new ApiError(404, "", "unavailable");
  } catch (error) {
    if (generation !== view.generation) return;
    setMessage("overview-error", error.code === "unavailable"
      ? "The list of recent research cannot be shown right now. Try again later."
      : refusalWords(error));
    schedule(generation);
    return;
  }
  if (generation !== view.generation) return;
  setMessage("overview-error", "");
  view.you = data.you || null;
  view.more = more;
  view.cursor = data.nextCursor || null;
  render(data.jobs || [], more);
  renderCounts(data.counts, Boolean(view.cursor));
  setText("overview-updated", `Updated ${new Date(serverNow()).toLocaleTimeString("en-US")}`);
  show($("recent-more"), Boolean(view.cursor));
  show($("overview-empty"), !$("recent").children.length);
  if (!view.ticker) view.ticker = setInterval(tick, 1000);
  await loadBatches(view.you, serverNow());
  if (generation !== view.generation) return;
  schedule(generation);
}

// Live while open and visible; a longer list (after "Show more") is left as it is read.
function schedule(generation) {
  if (!view.open || document.hidden || generation !== view.generation || view.more) return;
  view.timer = setTimeout(() => {
    if (view.open) load();
  }, REFRESH_MS);
}

function renderCounts(counts, partial) {
  if (!counts) return;
  const status = counts.status || {};
  const type = counts.type || {};
  const active = (status.pending || 0) + (status.running || 0);
  const items = [
    ["In progress", active], ["Queued", status.pending], ["Running", status.running],
    ["Completed", status.completed], ["Failed", status.failed], ["Cancelled", status.cancelled],
    ["Reports", type.report], ["Podcasts", type.podcast],
  ];
  $("overview-counts").replaceChildren(...items.map(([label, value]) =>
    element("div", { class: label === "Failed" && value ? "failed" : null },
      element("dt", { text: label }), element("dd", { text: String(value || 0) }))));
  const total = counts.total === 1 ? "the one job" : `all ${counts.total} jobs`;
  setText("overview-scope", partial
    ? `Counts of the latest ${counts.total} jobs; older ones are under "Show more".`
    : `Counts of ${total} of the last day or so.`);
}

// Rows are kept by job and updated in place, so that a bar moves without a redraw and a
// focused button keeps its focus. Batches are listed above the table (batches.js).
function render(jobs, more) {
  const body = $("recent");
  const rows = jobs.map((job) => {
    view.jobs.set(job.jobId, job);
    const existing = body.querySelector(`tr[data-job="${CSS.escape(job.jobId)}"]`);
    const row = existing || newRow(job);
    fill(row, job);
    return row;
  });
  if (more) body.append(...rows.filter((row) => !row.isConnected));
  else body.replaceChildren(...rows);
}

function cell(label, ...children) {
  return element("td", { "data-label": label }, element("div", { class: "value" }, ...children));
}

function newRow(job) {
  const link = element("a", { href: `?bank=${encodeURIComponent(job.idrssd)}`, "data-bank": job.idrssd });
  link.addEventListener("click", (event) => {
    event.preventDefault();
    view.navigate(`?bank=${encodeURIComponent(job.idrssd)}`);
  });
  const bar = element("progress", { max: "100", "aria-label": `Progress of the ${NOUN[job.type] || "job"}` });
  return element("tr", { "data-job": job.jobId },
    cell("Bank", link, element("span", { class: "muted rssd" })),
    cell("Type", element("span", { class: "kind" })),
    cell("Status", element("span", { class: "badge" }), element("span", { class: "detail" })),
    cell("Progress", bar, element("span", { class: "percent" })),
    cell("Time", element("span", { class: "time" })),
    cell("Attempt", element("span", { class: "attempt" })),
    cell("Started by", element("span", { class: "who" })),
    cell("Actions", element("span", { class: "row-actions" })));
}

function stateOf(job, life) {
  if (isActive(job)) return life.phase === "working" ? "running" : life.phase;
  if (isCancelled(job)) return "cancelled";
  return job.status;
}

function fill(row, job) {
  const life = isActive(job) ? jobLife(job, serverNow()) : null;
  const state = stateOf(job, life);
  row.className = `job ${state}`;
  const link = row.querySelector("a");
  link.textContent = job.bankName || `Bank ${job.idrssd}`;
  row.querySelector(".rssd").textContent = ` RSSD ${job.idrssd}`;
  row.querySelector(".kind").textContent = job.type === "podcast" ? "Podcast" : "Report";
  row.querySelector(".badge").textContent = (life && PHASE_WORDS[life.phase]) || STATUS_WORDS[state] || state;
  row.querySelector(".detail").textContent = detail(job, life);
  // A bar while it runs; once ended, where a failed one stopped (a finished one needs none).
  const bar = row.querySelector("progress");
  const progress = Number(job.progress) || 0;
  show(bar, Boolean(life));
  if (life && life.phase === "queued") bar.removeAttribute("value");
  else bar.value = progress;
  let percent = `${progress}%`;
  if (!life) percent = job.status === "completed" ? "" : `stopped at ${progress}%`;
  else if (life.phase === "queued") percent = "";
  row.querySelector(".percent").textContent = percent;
  row.querySelector(".time").textContent = timeWords(job);
  const attempt = Number(job.attempt) || 0;
  row.querySelector(".attempt").textContent = attempt && job.maxAttempts
    ? `${attempt} of ${job.maxAttempts}` : "—";
  const mine = view.you && job.startedBy && job.startedBy === view.you.startedBy;
  row.querySelector(".who").textContent = mine ? "you" : job.startedBy || "—";
  fillActions(row.querySelector(".row-actions"), job, mine);
}

function detail(job, life) {
  if (life) return life.phase === "working" ? life.words.replace(/ \(\d+%\)$/, "") : life.words;
  if (job.status === "completed") return "";
  if (isCancelled(job)) return job.error || "";
  return failureSentence(job.type, job);
}

function timeWords(job) {
  const created = Date.parse(job.createdAt || "");
  if (Number.isNaN(created)) return "";
  if (isActive(job)) {
    const seconds = (serverNow() - created) / 1000;
    return job.status === "pending" ? `waiting ${span(seconds)}` : `${span(seconds)} elapsed`;
  }
  const finished = Date.parse(job.finishedAt || "");
  if (Number.isNaN(finished)) return "";
  const today = new Date(finished).toDateString() === new Date(serverNow()).toDateString();
  return `took ${span((finished - created) / 1000)}, ended ${today ? clockTime(finished) : when(job.finishedAt)}`;
}

function fillActions(box, job, mine) {
  const wanted = isActive(job) && (mine || (view.you && view.you.admin)) ? "cancel"
    : job.status === "failed" ? "retry" : "";
  if (box.dataset.action === wanted) return; // keep the button (and its focus)
  box.dataset.action = wanted;
  const name = job.bankName || `bank ${job.idrssd}`;
  const noun = NOUN[job.type] || "job";
  if (!wanted) {
    box.replaceChildren();
    return;
  }
  const button = element("button", { type: "button", class: "secondary small",
    text: wanted === "cancel" ? "Cancel" : "Try again",
    "aria-label": `${wanted === "cancel" ? "Cancel" : "Try again"}: the ${noun} for ${name}` });
  button.addEventListener("click", () => act(wanted, job.jobId, button));
  box.replaceChildren(button);
}

async function act(action, jobId, button) {
  const job = view.jobs.get(jobId);
  if (!job) return;
  const bank = encodeURIComponent(job.idrssd);
  button.disabled = true;
  try {
    if (action === "cancel") {
      await api("DELETE", `api/research/${bank}/job?type=${job.type}`);
    } else {
      const path = job.type === "podcast"
        ? `api/research/${bank}/podcast/generate-background` : `api/research/${bank}/generate-background`;
      const body = job.type === "podcast" ? { experts: (job.params && job.params.experts) || [] } : {};
      const started = await api("POST", path, body);
      remember(started.job, job.bankName);
    }
    setMessage("overview-error", "");
  } catch (error) {
    setMessage("overview-error", refusalWords(error));
  } finally {
    button.disabled = false;
  }
  load();
}

// Between refreshes: times count up and silences show, from the last answer.
function tick() {
  if (!view.open || document.hidden) return;
  for (const row of $("recent").querySelectorAll("tr[data-job]")) {
    const job = view.jobs.get(row.dataset.job);
    if (job && isActive(job)) fill(row, job);
  }
}
