// Bank Research page: find a bank, start and follow its report and podcast jobs, read and
// compare past versions, and see the research in progress across banks.
//
// Jobs follow the seed client (AIResearchTab / PodcastGenerator): on load and on every bank
// change the page asks for both job types and shows each one's last outcome (an active job
// is followed, a failure or cancellation is told with when it happened and a way to try
// again, a completed one shows its result). It polls every 2 s only while a job is active,
// honouring Retry-After, sending If-None-Match, and polling through a busy (503) service.
// While nothing runs, a light conditional check every 15 s (only while the tab is visible)
// and a BroadcastChannel between tabs tell the page of a job started elsewhere.

import {
  api, ApiError, credentials, isStarting, request, retryAfterMs, serverNow,
  whenCredentialsNeeded, whenStarting,
} from "./api.js";
import { reportCharts } from "./charts.js";
import { keyFigures } from "./figures.js";
import { downloadMarkdown, printHeading } from "./takeaway.js";
import { AUDIO_LOST, playPodcast } from "./player.js";
import { restoreSearch, search, setupFinder, showMissing } from "./finder.js";
import { $, element, setMessage, setText, show } from "./dom.js";
import { closeCompare, loadHistory, markShowing, setupLibrary } from "./library.js";
import { clearNoticesFor, endedHere, remember, setTitle, setupNotices } from "./notices.js";
import { hideOverview, setupOverview, showOverview } from "./overview.js";
import {
  loadSignIn, resume, SignInError, signIn, signInNeeded, signOut, whenSessionChanges,
} from "./session.js";
import {
  countWords, duration, forPeople, isActive, isCancelled, jobLife, listing, money, outcomeWords,
  quarterEnd, quarterLabel, refusalWords, tookWords, when, writerName,
} from "./words.js";

const POLL_MS = 2000;
const IDLE_MS = 15_000;
const TYPES = ["report", "podcast"];
const channel = "BroadcastChannel" in window ? new BroadcastChannel("bank-research-jobs") : null;

// One bank at a time; a generation counter discards answers for a previous bank.
const state = {
  bank: null,
  generation: 0,
  profile: null,
  report: null, // the report shown, as the API gave it
  experts: null,
  research: { report: false, podcast: false },
  latest: { report: null, podcast: null }, // jobId of the latest finished artifact shown
  loads: { report: null, podcast: null },
  history: { report: null, podcast: null },
  jobs: { report: tracker(), podcast: tracker() },
  idleTimer: null,
};

function tracker() {
  return { timer: null, etag: null, job: null, ticker: null };
}

whenCredentialsNeeded(() => {
  if (signInNeeded()) askToSignIn("Your sign-in has ended. Please sign in again.");
  else show($("credentials"), true);
});
whenStarting((starting) => show($("starting"), starting));

// ---------------------------------------------------------------------------------------
// Search

// ---------------------------------------------------------------------------------------
// Bank

function stopJobs() {
  for (const type of TYPES) {
    clearTimeout(state.jobs[type].timer);
    clearInterval(state.jobs[type].ticker);
    state.jobs[type] = tracker();
  }
  clearTimeout(state.idleTimer);
}

async function selectBank(idrssd, { push = false, focus = false } = {}) {
  if (push) history.pushState({ bank: idrssd }, "", `?bank=${encodeURIComponent(idrssd)}`);
  stopJobs();
  state.bank = idrssd;
  state.profile = null;
  clearNoticesFor(idrssd);
  const generation = ++state.generation;
  showView("bank");
  resetBankView();
  setText("bank-name", `Bank ${idrssd}`);
  let profile;
  try {
    profile = await api("GET", `api/banks/${encodeURIComponent(idrssd)}`);
  } catch (error) {
    if (generation !== state.generation) return;
    // No bank page for a bank that cannot be shown: the message, and the search to find it.
    setTitle("Bank not found · Bank Research");
    showView("search");
    showMissing(refusalWords(error));
    search({ record: false });
    $("bank-missing").focus();
    return;
  }
  if (generation !== state.generation) return;
  state.profile = profile;
  state.research = { report: false, podcast: false, ...(profile.research || {}) };
  renderProfile(profile);
  updateActions();
  if (focus) $("bank-name").focus();
  await Promise.all(TYPES.map((type) => checkJob(type, generation)));
  if (generation !== state.generation) return;
  for (const type of TYPES) {
    if (state.research[type] && !state.loads[type]) loadLatest(type, generation);
    if (state.research[type]) refreshHistory(type, generation);
  }
  scheduleIdle(generation);
}

// Before a Regenerate: whether the data has moved since the latest report.
function regenerateNote() {
  const asOf = state.latestReportAsOf;
  const same = Boolean(state.profile && asOf && asOf === state.profile.latestQuarter);
  setText("regenerate-note", same
    ? `The data has not changed since the latest report: it already uses the newest quarter loaded (${quarterLabel(asOf)}).`
    : "");
  show($("regenerate-note"), same && !(state.jobs.report.job && isActive(state.jobs.report.job)));
}

function resetBankView() {
  state.latestReportAsOf = null;
  show($("regenerate-note"), false);
  for (const type of TYPES) {
    hideProgress(type);
    clearOutcome(type);
    setStatus(type, "");
    show($(`${type}-history`), false);
    state.latest[type] = null;
    state.loads[type] = null;
    state.history[type] = null;
  }
  setMessage("bank-error", "");
  showMissing("");
  for (const id of ["report", "podcast", "synthetic-banner", "no-data"]) show($(id), false);
  closeCompare();
  $("key-figures").replaceChildren();
  setText("figures-note", "");
  $("bank-notes").replaceChildren();
  show($("bank-stopped"), false);
  setText("bank-place", "");
  state.research = { report: false, podcast: false };
  state.report = null;
  printHeading(null);
}

function renderProfile(profile) {
  setTitle(`${profile.name} · Bank Research`);
  setText("bank-name", profile.name);
  const where = [profile.city, profile.state].filter(Boolean).join(", ");
  setText("bank-place", `${where} · RSSD ${profile.idrssd}` +
    (profile.latestQuarter ? ` · data as of ${quarterLabel(profile.latestQuarter)}` : ""));
  show($("synthetic-banner"), Boolean(profile.synthetic));
  if (profile.data !== "loaded") {
    setText("no-data", forPeople(profile.message) ||
      "No financial data is loaded for this bank yet, so there are no figures to show and no report can be written. Choose a bank with data.");
    show($("no-data"), true);
    return;
  }
  const { tiles, note } = keyFigures(profile);
  $("key-figures").replaceChildren(...tiles);
  setText("figures-note", note);
  renderFiling(profile);
}

// Where the figures come from, and the bank's filing history: when it stopped, the RSSD IDs
// its FDIC certificate passed from or to, the names it filed under, quarters without income.
function renderFiling(profile) {
  const reporting = profile.reporting || {};
  const stopped = reporting.status === "stopped";
  setText("bank-stopped", stopped
    ? `This bank filed its last call report for the quarter ending ${quarterEnd(reporting.lastQuarter)}; ` +
      `the newest quarter loaded is ${quarterEnd(reporting.newestQuarter)}. Its figures are those of its last report.`
    : "");
  show($("bank-stopped"), stopped);
  const notes = [];
  const source = profile.source;
  if (source && source.kind === "ffiec_cdr") {
    notes.push(`Figures from the call report for the quarter ending ${quarterEnd(source.quarter)}, ` +
      "as published by the FFIEC Central Data Repository" +
      (source.producedAt ? ` (file produced ${quarterEnd(source.producedAt.slice(0, 10).replaceAll("-", ""))}).` : "."));
  } else if (source) {
    notes.push(`Synthetic figures for the quarter ending ${quarterEnd(source.quarter)}, made for demonstration.`);
  }
  const gaps = profile.incomeUnknown || [];
  if (gaps.length) {
    notes.push(`Income is not available for ${gaps.map(quarterLabel).join(" and ")}: call reports give ` +
      "income for the year to date, and the quarter before is not in the data.");
  }
  const items = notes.map((text) => element("li", { text }));
  if (profile.successor) {
    items.push(element("li", {},
      `After ${quarterEnd(profile.successor.lastQuarter)} its FDIC certificate was filed under `,
      bankLink(profile.successor), "."));
  }
  for (const before of profile.predecessors || []) {
    items.push(element("li", {},
      `Until ${quarterEnd(before.lastQuarter)} its FDIC certificate was filed under `,
      bankLink(before), "."));
  }
  if ((profile.formerNames || []).length) {
    items.push(element("li", { text: `Formerly named ${profile.formerNames.join("; ")}.` }));
  }
  $("bank-notes").replaceChildren(...items);
}

// A link to another bank's page (RSSD ID and name), opened in place.
function bankLink(bank) {
  const link = element("a", { href: `?bank=${encodeURIComponent(bank.idrssd)}`,
    text: `${bank.name} (RSSD ${bank.idrssd})` });
  link.addEventListener("click", (event) => {
    event.preventDefault();
    selectBank(bank.idrssd, { push: true, focus: true });
  });
  return link;
}

// What each action may do now, and why not when it may not.
function updateActions() {
  const loaded = Boolean(state.profile && state.profile.data === "loaded");
  const active = (type) => Boolean(state.jobs[type].job && isActive(state.jobs[type].job));
  const reportBusy = active("report");
  regenerateNote();
  $("generate-report").disabled = !loaded || reportBusy;
  $("generate-report").textContent = state.research.report ? "Regenerate report" : "Generate report";
  $("retry-report").disabled = !loaded || reportBusy;
  let reason = "";
  if (!state.profile) reason = "";
  else if (!loaded) reason = "A podcast needs a research report, and this bank has no financial data to write one from.";
  else if (!state.research.report && reportBusy) reason = "The podcast can be made as soon as the report is ready.";
  else if (!state.research.report) reason = "Generate the report first: the podcast discusses the bank's latest report.";
  const podcastAllowed = loaded && state.research.report && !active("podcast");
  $("generate-podcast").disabled = !podcastAllowed;
  $("generate-podcast").textContent = state.research.podcast ? "Regenerate podcast" : "Generate podcast";
  $("retry-podcast").disabled = !podcastAllowed;
  setText("podcast-reason", reason);
  show($("podcast-reason"), Boolean(reason));
  for (const type of TYPES) show($(`cancel-${type}`), active(type));
}

// ---------------------------------------------------------------------------------------
// Jobs: check, follow, start, cancel

function jobStatusPath(type) {
  return `api/research/${encodeURIComponent(state.bank)}/job-status?type=${type}`;
}

function schedulePoll(type, generation, delayMs) {
  clearTimeout(state.jobs[type].timer);
  state.jobs[type].timer = setTimeout(() => checkJob(type, generation), delayMs);
}

// One job-status read: 304 when nothing changed; a busy service is asked again later.
async function checkJob(type, generation) {
  if (generation !== state.generation) return;
  const job = state.jobs[type];
  const following = () => job.job && isActive(job.job);
  let response;
  try {
    response = await request("GET", jobStatusPath(type), { etag: job.etag });
  } catch {
    if (generation !== state.generation) return;
    if (following()) setStatus(type, "The connection was lost. Still trying…");
    schedulePoll(type, generation, POLL_MS * 2);
    return;
  }
  if (generation !== state.generation) return;
  const delay = retryAfterMs(response, POLL_MS);
  if (response.status === 304) {
    if (following()) schedulePoll(type, generation, delay);
    return;
  }
  if (response.status === 503 || response.status === 429) {
    const refusal = await response.json().catch(() => null);
    if (generation !== state.generation) return;
    if (following()) {
      setStatus(type, isStarting(response, refusal)
        ? "The service is starting. Following the job again in a moment…"
        : "The service is busy. Still following the job…");
    }
    schedulePoll(type, generation, delay);
    return;
  }
  const data = await response.json().catch(() => null);
  if (generation !== state.generation) return;
  if (!response.ok || !data) {
    showRefusal(type, new ApiError(response.status, data && data.error, data && data.code));
    if (following()) schedulePoll(type, generation, delay);
    return;
  }
  job.etag = response.headers.get("ETag");
  if (!data.hasJob) {
    job.job = null;
    hideProgress(type);
    updateActions();
    return;
  }
  showJob(type, data.job, generation, delay);
}

function showJob(type, job, generation, delayMs = POLL_MS) {
  const tracked = state.jobs[type];
  const previous = tracked.job;
  tracked.job = job;
  if (isActive(job)) {
    clearOutcome(type);
    showProgress(type, job);
    schedulePoll(type, generation, delayMs);
  } else {
    hideProgress(type);
    if (job.status === "completed") {
      clearOutcome(type);
      showReady(type, job);
      state.research[type] = true;
      if (previous && previous.jobId === job.jobId && isActive(previous)) announce(type, job);
      endedHere(job);
      if (state.latest[type] !== job.jobId) {
        loadLatest(type, generation, job.jobId);
        refreshHistory(type, generation);
      }
    } else {
      setStatus(type, "");
      showOutcome(type, job);
      endedHere(job);
    }
  }
  updateActions();
}

// An active job as it is now: queued (for how long, with an indeterminate bar), working,
// stalled (nothing heard from its run for a while) or waiting for a retry; redrawn every
// second from the last answer, so that waits and silences count up between polls.
function showProgress(type, job) {
  const tracked = state.jobs[type];
  const life = jobLife(job, serverNow());
  const bar = $(`${type}-bar`);
  if (life.phase === "queued") {
    bar.removeAttribute("value"); // indeterminate: nothing to measure yet
    bar.removeAttribute("aria-valuenow");
  } else {
    bar.value = Number(job.progress) || 0;
    bar.setAttribute("aria-valuenow", String(bar.value));
  }
  bar.setAttribute("aria-valuetext", life.words);
  $(`${type}-progress`).dataset.phase = life.phase;
  show($(`${type}-progress`), true);
  $(`${type}-status`).dataset.phase = life.phase;
  if (tracked.words !== life.words) { // the live region hears changes of words only
    setStatus(type, life.words);
    tracked.words = life.words;
  }
  setText(`${type}-facts`, life.facts);
  if (!tracked.ticker) {
    tracked.ticker = setInterval(() => {
      if (tracked.job && isActive(tracked.job)) showProgress(type, tracked.job);
    }, 1000);
  }
}

function hideProgress(type) {
  const tracked = state.jobs[type];
  clearTimeout(tracked.timer);
  clearInterval(tracked.ticker);
  tracked.ticker = null;
  tracked.words = null;
  show($(`${type}-progress`), false);
  $(`${type}-status`).dataset.phase = "";
  setText(`${type}-facts`, "");
}

function setStatus(type, text, link) {
  const status = $(`${type}-status`);
  status.replaceChildren(text);
  if (link) status.append(" ", link);
  state.jobs[type].words = null;
}

// "Report ready (written …). Read the report": the message links to its result.
function showReady(type, job) {
  const at = when(job.finishedAt);
  const target = type === "report" ? "report-title" : "podcast-title";
  const link = element("a", { href: `#${target}`, class: "result-link",
    text: type === "report" ? "Read the report" : "Listen to the podcast" });
  link.addEventListener("click", (event) => {
    event.preventDefault();
    $(target).scrollIntoView({ block: "start" });
    $(target).focus();
  });
  const took = tookWords(job);
  const details = [at ? `finished ${at}` : "", took].filter(Boolean).join(", ");
  setStatus(type, `${type === "report" ? "Report" : "Podcast"} ready${details ? ` (${details})` : ""}.`, link);
}

// A failed or cancelled job: what happened, and one way on (the panel's own Generate
// button gives way to it, so that one action is not offered twice).
function showOutcome(type, job) {
  const box = $(`${type}-outcome`);
  box.classList.toggle("cancelled", isCancelled(job));
  setText(`${type}-error`, outcomeWords(type, job));
  setText(`retry-${type}`, isCancelled(job) ? `Generate the ${type} again` : "Try again");
  show($(`retry-${type}`), true);
  show($(`generate-${type}`), false);
  show(box, true);
}

function showRefusal(type, error) {
  $(`${type}-outcome`).classList.remove("cancelled");
  setText(`${type}-error`, refusalWords(error));
  show($(`retry-${type}`), false);
  show($(`generate-${type}`), true);
  show($(`${type}-outcome`), true);
}

function clearOutcome(type) {
  setText(`${type}-error`, "");
  show($(`retry-${type}`), false);
  show($(`generate-${type}`), true);
  show($(`${type}-outcome`), false);
}

// The idle check: while no job is followed and the tab is visible, ask now and then whether
// someone started one (a conditional GET: usually a 304 with no body).
function scheduleIdle(generation) {
  clearTimeout(state.idleTimer);
  if (generation !== state.generation || document.hidden || !state.bank) return;
  state.idleTimer = setTimeout(() => {
    for (const type of TYPES) {
      const job = state.jobs[type].job;
      if (!job || !isActive(job)) checkJob(type, generation);
    }
    scheduleIdle(generation);
  }, IDLE_MS);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) {
    clearTimeout(state.idleTimer);
  } else if (state.bank && state.profile) {
    for (const type of TYPES) checkJob(type, state.generation);
    scheduleIdle(state.generation);
  }
});

// Tabs of this browser tell each other when they start, cancel or see the end of a job.
function announce(type, job) {
  if (channel) channel.postMessage({ bank: job.idrssd, type, jobId: job.jobId, status: job.status });
}

if (channel) {
  channel.addEventListener("message", (event) => {
    const { bank, type } = event.data || {};
    if (bank === state.bank && TYPES.includes(type) && state.profile) checkJob(type, state.generation);
  });
}

async function startJob(type, body) {
  const generation = state.generation;
  const path = type === "report"
    ? `api/research/${encodeURIComponent(state.bank)}/generate-background`
    : `api/research/${encodeURIComponent(state.bank)}/podcast/generate-background`;
  const data = await api("POST", path, body);
  if (generation !== state.generation) return;
  state.jobs[type].etag = null;
  clearOutcome(type);
  showJob(type, data.job, generation);
  announce(type, data.job);
  remember(data.job, state.profile && state.profile.name);
}

async function generateReport() {
  clearOutcome("report");
  setStatus("report", "Starting the report…");
  try {
    await startJob("report", {});
  } catch (error) {
    setStatus("report", "");
    showRefusal("report", error);
  }
}

async function cancelJob(type) {
  try {
    const data = await api("DELETE",
      `api/research/${encodeURIComponent(state.bank)}/job?type=${type}`);
    showJob(type, data.job, state.generation);
    announce(type, data.job);
  } catch (error) {
    showRefusal(type, error);
    checkJob(type, state.generation);
  }
}

// ---------------------------------------------------------------------------------------
// Results: the latest report and podcast, and any past version

function artifactPath(type, jobId) {
  const bank = encodeURIComponent(state.bank);
  return jobId ? `api/research/${bank}/${type}s/${encodeURIComponent(jobId)}` : `api/research/${bank}/${type}`;
}

async function loadLatest(type, generation, jobId = "latest") {
  const key = `${generation}:${jobId}`;
  if (state.loads[type] === key) return;
  state.loads[type] = key;
  try {
    const document_ = await api("GET", artifactPath(type));
    if (generation !== state.generation) return;
    state.latest[type] = document_.jobId || jobId;
    render(type, document_);
  } catch (error) {
    if (generation === state.generation) showRefusal(type, error);
  }
}

// Shows a version by jobId (the library's "Open"); the latest when it is the latest.
async function openVersion(type, jobId) {
  const generation = state.generation;
  try {
    const document_ = await api("GET", artifactPath(type, jobId));
    if (generation !== state.generation) return;
    render(type, document_);
    const target = type === "report" ? "report-title" : "podcast-title";
    $(target).focus();
  } catch (error) {
    if (generation === state.generation) showRefusal(type, error);
  }
}

function fetchVersion(jobId) {
  return api("GET", artifactPath("report", jobId));
}

function render(type, document_) {
  if (type === "report") renderReport(document_);
  else renderPodcast(document_);
  const latest = !document_.jobId || document_.jobId === state.latest[type];
  if (type === "report" && latest) {
    state.latestReportAsOf = document_.asOf;
    regenerateNote();
  }
  setText(`${type}-version-text`, latest ? "" :
    `You are ${type === "report" ? "reading" : "listening to"} an earlier version, written ${when(document_.generatedAt)}.`);
  show($(`${type}-version-note`), !latest);
  markShowing(type, document_.jobId);
}

// The versions list, read again when a new version finished (once per version shown).
function refreshHistory(type, generation) {
  const key = state.loads[type] || `${generation}:none`;
  if (state.history[type] === key) return;
  state.history[type] = key;
  loadHistory(type, state.bank, () => generation === state.generation);
}

function renderReport(report) {
  state.report = report; // what Download as Markdown writes out
  printHeading(report, state.profile && state.profile.name);
  const written = when(report.generatedAt);
  setText("report-meta", `Data as of ${quarterLabel(report.asOf)}` +
    (written ? ` · written ${written}` : "") + ` · ${writerName(report.writer)}` +
    (report.synthetic ? " · synthetic data" : ""));
  const sections = (report.sections || []).map((section) => {
    const body = element("div", { class: "section-body" });
    body.innerHTML = section.html; // sanitized by the server (markdown → nh3 allowlist)
    // A table wider than a phone scrolls sideways: reachable with the keyboard too.
    for (const table of body.querySelectorAll("table")) table.setAttribute("tabindex", "0");
    const id = `sec-${String(section.id).replace(/[^a-z0-9_-]/gi, "")}`;
    return element("section", { "aria-labelledby": id },
      element("h5", { id, text: section.title }), body);
  });
  $("report-sections").replaceChildren(...sections);
  show($("report"), true);
  // Charts are drawn at their shown width, so the report is shown before they are added.
  $("charts").replaceChildren(...reportCharts(report.series || [], report.peers || {}));
}

function renderPodcast(podcast) {
  const names = listing((podcast.experts || []).map((expert) => expert.name));
  setText("podcast-meta", `${duration(podcast.durationSeconds)} · with ${names}` +
    (podcast.asOf ? ` · report data as of ${quarterLabel(podcast.asOf)}` : "") +
    (podcast.generatedAt ? ` · made ${when(podcast.generatedAt)}` : ""));
  const path = artifactPath("podcast", podcast.jobId);
  playPodcast(podcast, {
    fresh: () => api("GET", path),
    failed: (error) => setStatus("podcast", error ? refusalWords(error) : AUDIO_LOST),
  });
  show($("podcast"), true);
}

// ---------------------------------------------------------------------------------------
// The podcast dialog: pick one to four experts; it closes as soon as the job has started.

async function openPodcastDialog(preselect = []) {
  setMessage("dialog-error", "");
  if (!state.experts) {
    try {
      state.experts = await api("GET", "api/podcast/experts");
    } catch (error) {
      showRefusal("podcast", error);
      return;
    }
  }
  const list = $("expert-list");
  if (!list.children.length) {
    for (const expert of state.experts.experts) {
      const input = element("input", { type: "checkbox", name: "experts", value: expert.id,
        id: `expert-${expert.id}` });
      list.append(element("label", { for: `expert-${expert.id}` }, input,
        element("span", {}, element("strong", { text: expert.name }), ` — ${expert.title}`,
          element("span", { class: "focus", text: expert.focus }))));
    }
  }
  if (preselect.length) {
    for (const input of list.querySelectorAll("input")) input.checked = preselect.includes(input.value);
  }
  $("podcast-dialog").showModal();
  const first = list.querySelector("input");
  if (first) first.focus();
}

async function submitPodcast(event) {
  event.preventDefault();
  const chosen = [...document.querySelectorAll("#expert-list input:checked")].map((i) => i.value);
  const limit = (state.experts && state.experts.maxExperts) || 4;
  if (chosen.length < 1 || chosen.length > limit) {
    setMessage("dialog-error", `Choose one to ${countWords(limit)} experts.`);
    return;
  }
  const button = $("start-podcast");
  button.disabled = true;
  try {
    await startJob("podcast", { experts: chosen });
    $("podcast-dialog").close();
    $("generate-podcast").focus();
  } catch (error) {
    setMessage("dialog-error", refusalWords(error));
  } finally {
    button.disabled = false;
  }
}

function retry(type) {
  if (type === "report") generateReport();
  else openPodcastDialog((state.jobs.podcast.job && state.jobs.podcast.job.params.experts) || []);
}

// ---------------------------------------------------------------------------------------
// Views and wiring

function bankFromUrl() {
  const bank = new URLSearchParams(location.search).get("bank");
  return bank && bank.trim() ? bank.trim() : null;
}

function viewFromUrl() {
  return new URLSearchParams(location.search).get("view");
}

function showView(view) {
  show($("search"), view === "search");
  show($("bank"), view === "bank");
  show($("overview"), view === "research");
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view !== "research") hideOverview();
}

function leaveBank() {
  stopJobs();
  state.bank = null;
  state.profile = null;
  state.generation++;
}

function route({ focus = false } = {}) {
  const bank = bankFromUrl();
  if (bank) {
    selectBank(bank, { focus });
    return;
  }
  leaveBank();
  if (viewFromUrl() === "research") {
    setTitle("Research · Bank Research");
    showView("research");
    showOverview({ focus });
    return;
  }
  setTitle("Bank Research");
  showMissing("");
  showView("search");
  restoreSearch(new URLSearchParams(location.search));
  search({ record: false });
}

function go(url) {
  history.pushState(null, "", url);
  route({ focus: true });
}

setupFinder((idrssd) => selectBank(idrssd, { push: true, focus: true }));
for (const link of document.querySelectorAll("nav a, header .title a")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    go(link.dataset.view === "research" ? "?view=research" : location.pathname);
  });
}
$("generate-report").addEventListener("click", generateReport);
$("cancel-report").addEventListener("click", () => cancelJob("report"));
$("retry-report").addEventListener("click", () => retry("report"));
$("generate-podcast").addEventListener("click", () => openPodcastDialog());
$("cancel-podcast").addEventListener("click", () => cancelJob("podcast"));
$("retry-podcast").addEventListener("click", () => retry("podcast"));
$("report-latest").addEventListener("click", () => { state.loads.report = null; loadLatest("report", state.generation); });
$("podcast-latest").addEventListener("click", () => { state.loads.podcast = null; loadLatest("podcast", state.generation); });
$("podcast-form").addEventListener("submit", submitPodcast);
$("report-markdown").addEventListener("click", () => {
  if (state.report) downloadMarkdown(state.report, state.profile && state.profile.name);
});
$("report-print").addEventListener("click", () => window.print());
$("close-dialog").addEventListener("click", () => $("podcast-dialog").close());
window.addEventListener("popstate", () => route({ focus: true }));
$("credentials-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("credential").value.trim();
  if (value) sessionStorage.setItem($("credential-kind").value, value);
  show($("credentials"), false);
  route();
});

// ---------------------------------------------------------------------------------------
// Signing in (a deployment asks people to; session.js talks to the sign-in service)

function askToSignIn(note = "") {
  leaveBank();
  for (const id of ["search", "bank", "overview", "credentials"]) show($(id), false);
  show(document.querySelector("header.site nav"), false); // nothing to show before signing in
  hideOverview();
  show($("sign-in"), true);
  setMessage("sign-in-error", "");
  const noteBox = $("sign-in-note");
  noteBox.textContent = note;
  show(noteBox, Boolean(note));
  document.title = "Sign in · Bank Research";
  $("sign-in-name").focus();
}

function showAccount(session) {
  show($("account"), Boolean(session));
  setText("account-name", session ? `Signed in as ${session.name || "you"}` : "");
}

async function submitSignIn(event) {
  event.preventDefault();
  const button = $("sign-in-submit");
  const asksNewPassword = !$("new-password-box").hidden;
  button.disabled = true;
  setMessage("sign-in-error", "");
  try {
    const outcome = await signIn(
      $("sign-in-name").value.trim(),
      $("sign-in-password").value,
      asksNewPassword ? $("new-password").value : undefined,
    );
    if (outcome === "new-password") {
      show($("new-password-box"), true);
      $("new-password").required = true;
      $("new-password").focus();
      return;
    }
    $("sign-in-form").reset();
    show($("new-password-box"), false);
    $("new-password").required = false;
    show($("sign-in"), false);
    show(document.querySelector("header.site nav"), true);
    route({ focus: true });
  } catch (error) {
    setMessage("sign-in-error", error instanceof SignInError ? error.message : "Signing in did not work just now. Try again in a minute.");
  } finally {
    button.disabled = false;
  }
}

$("sign-in-form").addEventListener("submit", submitSignIn);
$("sign-out").addEventListener("click", async () => {
  await signOut();
  askToSignIn("You are signed out.");
});

async function start() {
  if (await loadSignIn()) {
    whenSessionChanges(showAccount);
    if (!(await resume())) {
      askToSignIn();
      return;
    }
  }
  route();
}

setupLibrary({ open: openVersion, fetchReport: fetchVersion });
setupOverview({ navigate: go });
setupNotices({ channel, currentBank: () => state.bank, open: go });
credentials.load();
start();
