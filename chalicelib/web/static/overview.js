// The "Research" view: the latest jobs across banks (work in progress first, then recent
// outcomes), each linking to its bank; refreshed every 15 s while it is open and visible.

import { api, ApiError } from "./api.js";
import { $, element, setMessage, show } from "./dom.js";
import { isActive, isCancelled, outcomeWords, progressWords, refusalWords, when } from "./words.js";

const REFRESH_MS = 15_000;
const PAGE_SIZE = 20;
const view = { open: false, timer: null, cursor: null, navigate: () => {}, generation: 0 };

export function setupOverview({ navigate }) {
  view.navigate = navigate;
  $("recent-more").addEventListener("click", () => load({ more: true }));
  $("recent-refresh").addEventListener("click", () => load());
  document.addEventListener("visibilitychange", () => {
    if (!view.open) return;
    if (document.hidden) clearTimeout(view.timer);
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
  clearTimeout(view.timer);
}

async function load({ more = false } = {}) {
  clearTimeout(view.timer);
  const generation = ++view.generation;
  const cursor = more && view.cursor ? `&cursor=${encodeURIComponent(view.cursor)}` : "";
  let data;
  try {
    data = await api("GET", `api/research/recent?limit=${PAGE_SIZE}${cursor}`, undefined, { optional: true });
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
  const items = (data.jobs || []).map(item);
  if (more) $("recent").append(...items);
  else $("recent").replaceChildren(...items);
  view.cursor = data.nextCursor || null;
  show($("recent-more"), Boolean(view.cursor));
  show($("overview-empty"), !$("recent").children.length);
  schedule(generation);
}

function schedule(generation) {
  if (!view.open || document.hidden || generation !== view.generation) return;
  view.timer = setTimeout(() => {
    if (view.open && !view.cursor) load(); // a longer list is left as it is being read
    else if (view.open) schedule(generation);
  }, REFRESH_MS);
}

function state(type, job) {
  if (isActive(job)) return progressWords(job);
  if (job.status === "completed") return `Ready, finished ${when(job.finishedAt)}.`;
  return outcomeWords(type, job);
}

function item(job) {
  const type = job.type === "podcast" ? "podcast" : "report";
  const name = job.bankName || `Bank ${job.idrssd}`;
  const link = element("a", { href: `?bank=${encodeURIComponent(job.idrssd)}`, "data-bank": job.idrssd, text: name });
  link.addEventListener("click", (event) => {
    event.preventDefault();
    view.navigate(`?bank=${encodeURIComponent(job.idrssd)}`);
  });
  let kind = "done";
  if (isActive(job)) kind = "active";
  else if (isCancelled(job)) kind = "cancelled";
  else if (job.status === "failed") kind = "failed";
  return element("li", { class: `recent-item ${kind}`, "data-job": job.jobId },
    element("p", { class: "recent-head" }, link,
      element("span", { class: "kind", text: type === "report" ? " · Research report" : " · Podcast" })),
    element("p", { class: "recent-state", text: state(type, job) }),
    element("p", { class: "muted recent-when", text: `Started ${when(job.createdAt)}` }));
}
