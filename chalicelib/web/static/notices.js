// Your jobs that finish while you look elsewhere. This browser remembers the jobs started
// from it (localStorage); each tab watches those of them it is not already following (a
// conditional poll every 5 s while any is active); the tab that sees one end tells the
// others (BroadcastChannel). Every tab that is not showing that bank then shows a notice
// with a link to the result, and its title says so until the notice is dismissed.

import { request } from "./api.js";
import { $, element } from "./dom.js";
import { isActive, isCancelled, NOUN } from "./words.js";

const KEY = "bank-research-mine";
const WATCH_MS = 5000;
const FORGET_AFTER_MS = 24 * 3600 * 1000; // a job's record is gone a day after it ended

const notices = {
  channel: null,
  currentBank: () => null,
  open: () => {},
  base: document.title,
  etags: new Map(),
  timer: null,
  shown: new Set(),
};

function mine() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list.filter((entry) => entry && entry.jobId) : [];
  } catch {
    return [];
  }
}

function save(list) {
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // storage refused (private mode, full): the notices of other tabs are what is lost
  }
}

function forget(jobId) {
  save(mine().filter((entry) => entry.jobId !== jobId));
  notices.etags.delete(jobId);
}

// A job this browser started (or joined): watched until it ends.
export function remember(job, bankName) {
  if (!isActive(job)) return;
  const now = Date.now();
  const kept = mine().filter((entry) => entry.jobId !== job.jobId && now - entry.at < FORGET_AFTER_MS);
  kept.push({ jobId: job.jobId, idrssd: job.idrssd, type: job.type, bankName: bankName || job.bankName, at: now });
  save(kept);
  schedule(0);
}

// The page saw one of these jobs end on the bank it shows: the other tabs are told.
export function endedHere(job) {
  const entry = mine().find((known) => known.jobId === job.jobId);
  if (!entry || isActive(job)) return;
  forget(job.jobId);
  notices.shown.add(job.jobId);
  if (notices.channel) notices.channel.postMessage({ kind: "finished", job, bankName: entry.bankName });
}

export function setupNotices({ channel, currentBank, open }) {
  notices.channel = channel;
  notices.currentBank = currentBank;
  notices.open = open;
  if (channel) {
    channel.addEventListener("message", (event) => {
      const data = event.data || {};
      if (data.kind === "finished" && data.job) showNotice(data.job, data.bankName);
    });
  }
  window.addEventListener("storage", (event) => {
    if (event.key === KEY) schedule(0); // another tab started one
  });
  schedule(0);
}

// The page's own title; a notice puts its news in front of it.
export function setTitle(title) {
  notices.base = title;
  renderTitle();
}

function renderTitle() {
  const first = $("notices").querySelector(".finished");
  document.title = first ? `${first.dataset.title} · ${notices.base}` : notices.base;
}

// Leaving the bank a notice is about: the notice has done its work.
export function clearNoticesFor(idrssd) {
  for (const notice of [...$("notices").querySelectorAll(".finished")]) {
    if (notice.dataset.bank === idrssd) notice.remove();
  }
  renderTitle();
}

function schedule(delayMs = WATCH_MS) {
  clearTimeout(notices.timer);
  if (!mine().length) return;
  notices.timer = setTimeout(watch, delayMs);
}

async function watch() {
  const here = notices.currentBank();
  for (const entry of mine()) {
    if (entry.idrssd === here) continue; // that bank's page follows it
    await check(entry);
  }
  schedule();
}

async function check(entry) {
  const path = `api/research/${encodeURIComponent(entry.idrssd)}/job-status?type=${entry.type}`;
  let response;
  try {
    response = await request("GET", path, { etag: notices.etags.get(entry.jobId) });
  } catch {
    return; // unreachable for now: asked again at the next round
  }
  if (response.status !== 200) return; // 304 unchanged, or busy: the next round asks again
  const data = await response.json().catch(() => null);
  const job = data && data.hasJob ? data.job : null;
  if (!job || job.jobId !== entry.jobId) {
    forget(entry.jobId); // replaced or forgotten by the service: nothing to tell
    return;
  }
  notices.etags.set(entry.jobId, response.headers.get("ETag"));
  if (isActive(job)) return;
  forget(entry.jobId);
  if (notices.channel) notices.channel.postMessage({ kind: "finished", job, bankName: entry.bankName });
  showNotice(job, entry.bankName);
}

function showNotice(job, bankName) {
  forget(job.jobId);
  if (notices.shown.has(job.jobId) || job.idrssd === notices.currentBank()) return;
  notices.shown.add(job.jobId);
  const noun = NOUN[job.type] || "job";
  const name = bankName || job.bankName || `bank ${job.idrssd}`;
  let news = `Your ${noun} for ${name} could not be finished.`;
  let title = `${noun === "report" ? "Report" : "Podcast"} failed`;
  if (job.status === "completed") {
    news = `Your ${noun} for ${name} is ready.`;
    title = `${noun === "report" ? "Report" : "Podcast"} ready`;
  } else if (isCancelled(job)) {
    news = `Your ${noun} for ${name} was cancelled.`;
    title = `${noun === "report" ? "Report" : "Podcast"} cancelled`;
  }
  const url = `?bank=${encodeURIComponent(job.idrssd)}`;
  const link = element("a", { href: url, text: job.status === "completed" ? `Open the ${noun}` : "See why" });
  const dismiss = element("button", { type: "button", class: "link", text: "Dismiss" });
  const notice = element("p", { class: `notice finished ${job.status}`, "data-bank": job.idrssd,
    "data-job": job.jobId, "data-title": `${title}: ${name}` }, `${news} `, link, " ", dismiss);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    notice.remove();
    renderTitle();
    notices.open(url);
  });
  dismiss.addEventListener("click", () => {
    notice.remove();
    renderTitle();
  });
  $("notices").prepend(notice);
  renderTitle();
}
