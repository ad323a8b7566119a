// Bank Research page: search a bank, start and follow its report and podcast jobs.
// Behaviour follows the seed client (AIResearchTab / PodcastGenerator): on load and on every
// bank change it asks for both job types and resumes an active job; it polls every 2 s only
// while a job is active (honouring Retry-After and sending If-None-Match), shows the result
// on completion and the error on failure.

const POLL_MS = 2000;
const TYPES = ["report", "podcast"];
const $ = (id) => document.getElementById(id);

// Every URL is relative to the page, so the app works under a path prefix too (API
// Gateway serves a stage at /<stage>/); the API's own links are made relative the same way.
const relative = (path) => path.replace(/^\//, "");

class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Credentials, when the deployment asks for them (API_AUTH): an API key or a Cognito token,
// given once (in the form the page shows on a 401/403, or as #apiKey=… / #token=… in the
// URL) and kept for this browser tab only.
const credentials = {
  load() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    for (const name of ["apiKey", "token"]) {
      if (fragment.get(name)) sessionStorage.setItem(name, fragment.get(name));
    }
    if (fragment.get("apiKey") || fragment.get("token")) {
      history.replaceState(history.state, "", location.pathname + location.search);
    }
  },
  headers() {
    const headers = {};
    const key = sessionStorage.getItem("apiKey");
    const token = sessionStorage.getItem("token");
    if (key) headers["x-api-key"] = key;
    if (token) headers.Authorization = token;
    return headers;
  },
};

function askForCredentials() {
  show($("credentials"), true);
}

async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json", ...credentials.headers() } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(0, "The service cannot be reached. Check your connection and try again.");
  }
  const data = await response.json().catch(() => null);
  if (response.status === 401 || response.status === 403) {
    askForCredentials();
    throw new ApiError(response.status,
      "This service needs an API key or a sign-in token: enter it above and try again.");
  }
  if (!response.ok) {
    const message = (data && data.error) || `The request failed (HTTP ${response.status}).`;
    throw new ApiError(response.status, message, data && data.code);
  }
  return data;
}

// ---------------------------------------------------------------------------------------
// State: one bank at a time; a generation counter discards answers for a previous bank.

const state = {
  bank: null,
  generation: 0,
  profile: null,
  experts: null,
  jobs: {
    report: { timer: null, etag: null, jobId: null },
    podcast: { timer: null, etag: null, jobId: null },
  },
};

function show(element, visible) {
  element.hidden = !visible;
}

function setError(id, message) {
  const element = $(id);
  element.textContent = message || "";
  show(element, Boolean(message));
}

// ---------------------------------------------------------------------------------------
// Formatting

function money(thousands) {
  if (thousands === null || thousands === undefined) return "—";
  const dollars = Number(thousands) * 1000;
  const sign = dollars < 0 ? "-" : "";
  const abs = Math.abs(dollars);
  for (const [size, word] of [[1e12, "trillion"], [1e9, "billion"], [1e6, "million"]]) {
    if (abs >= size) return `${sign}$${(abs / size).toFixed(abs / size < 10 ? 2 : 1)} ${word}`;
  }
  return `${sign}$${abs.toLocaleString("en-US")}`;
}

function percent(value, digits = 2) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(digits)}%`;
}

function quarterLabel(yyyymmdd) {
  if (!yyyymmdd) return "";
  const month = Number(yyyymmdd.slice(4, 6));
  return `Q${Math.floor((month - 1) / 3) + 1} ${yyyymmdd.slice(0, 4)}`;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// ---------------------------------------------------------------------------------------
// Search

let searchTimer = null;

function showResults(visible) {
  show($("results"), visible);
  show($("search-count"), visible);
}

async function search(text) {
  setError("search-error", "");
  showResults(true);
  try {
    const data = await api("GET", `api/banks?q=${encodeURIComponent(text)}`);
    const list = $("results");
    list.replaceChildren();
    for (const bank of data.banks) {
      const link = element("a", { href: `?bank=${bank.idrssd}`, "data-bank": bank.idrssd });
      const where = [bank.city, bank.state].filter(Boolean).join(", ");
      const size = bank.totalAssets ? ` · ${money(bank.totalAssets)}` : "";
      const noData = bank.hasData ? "" : " · no data loaded";
      link.append(
        element("span", { text: bank.name }),
        element("span", { class: "where", text: ` — ${where} · RSSD ${bank.idrssd}${size}${noData}` }),
      );
      link.addEventListener("click", (event) => {
        event.preventDefault();
        selectBank(bank.idrssd, true);
      });
      list.append(element("li", {}, link));
    }
    $("search-count").textContent = data.count
      ? `${data.count} bank${data.count === 1 ? "" : "s"} found.`
      : "No bank matches that search.";
  } catch (error) {
    setError("search-error", error.message);
  }
}

// ---------------------------------------------------------------------------------------
// Bank

function stopPolling() {
  for (const type of TYPES) {
    clearTimeout(state.jobs[type].timer);
    state.jobs[type] = { timer: null, etag: null, jobId: null };
  }
}

async function selectBank(idrssd, push) {
  if (push) history.pushState({ bank: idrssd }, "", `?bank=${idrssd}`);
  stopPolling();
  state.bank = idrssd;
  const generation = ++state.generation;
  resetBankView();
  showResults(false);
  show($("bank"), true);
  $("bank-name").textContent = `Bank ${idrssd}`;
  let profile;
  try {
    profile = await api("GET", `api/banks/${encodeURIComponent(idrssd)}`);
  } catch (error) {
    if (generation !== state.generation) return;
    $("bank-name").textContent = "Bank not available";
    setError("bank-error", error.message);
    setActionsEnabled(false);
    return;
  }
  if (generation !== state.generation) return;
  state.profile = profile;
  renderProfile(profile);
  const research = profile.research || {};
  if (research.report) loadReport(generation);
  if (research.podcast) loadPodcast(generation);
  checkForActiveJobs(generation);
}

function resetBankView() {
  for (const id of ["report-error", "podcast-error", "bank-error"]) setError(id, "");
  for (const id of ["report", "podcast", "synthetic-banner", "no-data"]) show($(id), false);
  for (const type of TYPES) hideProgress(type);
  $("key-figures").replaceChildren();
  $("bank-place").textContent = "";
  setActionsEnabled(true);
}

function setActionsEnabled(enabled) {
  $("generate-report").disabled = !enabled;
  $("generate-podcast").disabled = !enabled;
}

function renderProfile(profile) {
  document.title = `${profile.name} · Bank Research`;
  $("bank-name").textContent = profile.name;
  const where = [profile.city, profile.state].filter(Boolean).join(", ");
  $("bank-place").textContent = `${where} · RSSD ${profile.idrssd}` +
    (profile.latestQuarter ? ` · data as of ${quarterLabel(profile.latestQuarter)}` : "");
  show($("synthetic-banner"), Boolean(profile.synthetic));
  if (profile.data !== "loaded") {
    $("no-data").textContent = profile.message ||
      "No financial data is loaded for this bank.";
    show($("no-data"), true);
    setActionsEnabled(false);
    return;
  }
  const figures = profile.figures || {};
  const metrics = profile.metrics || {};
  const items = [
    ["Total assets", money(figures.totalAssets)],
    ["Deposits", money(figures.totalDeposits)],
    ["Net income (quarter)", money(figures.netIncome)],
    ["Return on assets", percent(metrics.roa)],
    ["Net interest margin", percent(metrics.nim)],
    ["CET1 ratio", percent(metrics.cet1Ratio)],
    ["Nonaccrual loans", percent(metrics.nonaccrualRatio)],
  ];
  $("key-figures").replaceChildren(
    ...items.map(([label, value]) =>
      element("div", {}, element("dt", { text: label }), element("dd", { text: value }))),
  );
}

// ---------------------------------------------------------------------------------------
// Jobs: start, poll, cancel

function isActive(job) {
  return job.status === "pending" || job.status === "running";
}

async function checkForActiveJobs(generation) {
  for (const type of TYPES) {
    try {
      const data = await api("GET", jobStatusPath(type));
      if (generation !== state.generation) return;
      if (data.hasJob && isActive(data.job)) showJob(type, data.job, generation);
    } catch (error) {
      setError(`${type}-error`, error.message);
    }
  }
}

function jobStatusPath(type) {
  return `api/research/${encodeURIComponent(state.bank)}/job-status?type=${type}`;
}

function schedulePoll(type, generation, delayMs) {
  clearTimeout(state.jobs[type].timer);
  state.jobs[type].timer = setTimeout(() => pollJobStatus(type, generation), delayMs);
}

async function pollJobStatus(type, generation) {
  if (generation !== state.generation) return;
  const tracker = state.jobs[type];
  const headers = { Accept: "application/json", ...credentials.headers() };
  if (tracker.etag) headers["If-None-Match"] = tracker.etag;
  let response;
  try {
    response = await fetch(jobStatusPath(type), { headers, cache: "no-store" });
  } catch {
    setStatus(type, "Connection lost; retrying…");
    schedulePoll(type, generation, POLL_MS);
    return;
  }
  if (generation !== state.generation) return;
  const retryAfter = Number(response.headers.get("Retry-After")) * 1000 || POLL_MS;
  if (response.status === 304) {
    schedulePoll(type, generation, retryAfter);
    return;
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || !data) {
    setError(`${type}-error`, (data && data.error) || "The job status could not be read.");
    schedulePoll(type, generation, retryAfter);
    return;
  }
  tracker.etag = response.headers.get("ETag");
  if (!data.hasJob) {
    hideProgress(type);
    return;
  }
  showJob(type, data.job, generation, retryAfter);
}

function showJob(type, job, generation, delayMs = POLL_MS) {
  state.jobs[type].jobId = job.jobId;
  if (isActive(job)) {
    setError(`${type}-error`, "");
    showProgress(type, job.progress, job.message);
    schedulePoll(type, generation, delayMs);
    return;
  }
  hideProgress(type);
  if (job.status === "completed") {
    setStatus(type, type === "report" ? "Report ready." : "Podcast ready.");
    if (type === "report") loadReport(generation);
    else loadPodcast(generation);
  } else if (job.status === "failed") {
    setStatus(type, "");
    setError(`${type}-error`, job.error ||
      (type === "report" ? "Report generation failed." : "Podcast generation failed."));
  } else if (job.status === "cancelled") {
    setStatus(type, type === "report" ? "Report cancelled." : "Podcast cancelled.");
  }
}

function showProgress(type, progress, message) {
  const bar = $(`${type}-bar`);
  bar.value = progress;
  bar.setAttribute("aria-valuenow", String(progress));
  bar.setAttribute("aria-valuetext", `${progress}% — ${message}`);
  show($(`${type}-progress`), true);
  setStatus(type, `${message} (${progress}%)`);
  show($(`cancel-${type}`), true);
  $(`generate-${type}`).disabled = true;
}

function hideProgress(type) {
  clearTimeout(state.jobs[type].timer);
  show($(`${type}-progress`), false);
  show($(`cancel-${type}`), false);
  const hasData = !state.profile || state.profile.data === "loaded";
  $(`generate-${type}`).disabled = !hasData;
}

function setStatus(type, text) {
  $(`${type}-status`).textContent = text;
}

async function startJob(type, body) {
  const generation = state.generation;
  const path = type === "report"
    ? `api/research/${encodeURIComponent(state.bank)}/generate-background`
    : `api/research/${encodeURIComponent(state.bank)}/podcast/generate-background`;
  const data = await api("POST", path, body);
  if (generation !== state.generation) return;
  state.jobs[type].etag = null;
  setError(`${type}-error`, "");
  showJob(type, data.job, generation);
}

async function generateReport() {
  setError("report-error", "");
  setStatus("report", "Starting report generation…");
  try {
    await startJob("report", {});
  } catch (error) {
    setStatus("report", "");
    setError("report-error", error.message);
  }
}

async function cancelJob(type) {
  try {
    const data = await api("DELETE",
      `api/research/${encodeURIComponent(state.bank)}/job?type=${type}`);
    showJob(type, data.job, state.generation);
  } catch (error) {
    setError(`${type}-error`, error.message);
  }
}

// ---------------------------------------------------------------------------------------
// Report

async function loadReport(generation) {
  try {
    const report = await api("GET", `api/research/${encodeURIComponent(state.bank)}/report`);
    if (generation !== state.generation) return;
    renderReport(report);
  } catch (error) {
    if (generation === state.generation) setError("report-error", error.message);
  }
}

function renderReport(report) {
  const generated = new Date(report.generatedAt);
  const when = Number.isNaN(generated.getTime()) ? "" : ` · written ${generated.toLocaleString()}`;
  $("report-meta").textContent =
    `Data as of ${quarterLabel(report.asOf)}${when} · writer: ${report.writer}` +
    (report.synthetic ? " · synthetic data" : "");
  $("charts").replaceChildren(...charts(report.series || []));
  const sections = (report.sections || []).map((section) => {
    const body = element("div", { class: "section-body" });
    body.innerHTML = section.html; // sanitized by the server (markdown → nh3)
    return element("section", { "aria-labelledby": `sec-${section.id}` },
      element("h4", { id: `sec-${section.id}`, text: section.title }), body);
  });
  $("report-sections").replaceChildren(...sections);
  show($("report"), true);
  $("generate-report").textContent = "Regenerate report";
}

const COLORS = ["#1d5fa8", "#c2410c", "#15803d", "#7c3aed"];

function charts(series) {
  if (series.length < 2) return [];
  const quarters = series.map((row) => row.quarter);
  const pick = (name, scale = 1) => series.map((row) =>
    row[name] === null || row[name] === undefined ? null : row[name] * scale);
  return [
    lineChart("Total assets ($ billion)", quarters, [
      { label: "Total assets", values: pick("totalAssets", 1e-6) },
    ], 1),
    lineChart("Return on assets (%)", quarters, [{ label: "ROA", values: pick("roa") }], 2),
    lineChart("Net interest margin (%)", quarters, [{ label: "NIM", values: pick("nim") }], 2),
    lineChart("Capital ratios (%)", quarters, [
      { label: "Tier 1 leverage", values: pick("leverageRatio") },
      { label: "CET1", values: pick("cet1Ratio") },
      { label: "Total capital", values: pick("totalCapitalRatio") },
    ], 1),
  ];
}

function lineChart(title, quarters, lines, digits) {
  const width = 320, height = 180, left = 44, right = 10, top = 10, bottom = 28;
  const values = lines.flatMap((line) => line.values).filter((v) => v !== null);
  const figure = element("figure", { class: "chart" });
  figure.append(element("h4", { text: title }));
  if (!values.length) {
    figure.append(element("p", { class: "muted", text: "Not reported." }));
    return figure;
  }
  let low = Math.min(...values), high = Math.max(...values);
  if (low === high) { low -= 1; high += 1; }
  const pad = (high - low) * 0.1;
  low -= pad; high += pad;
  const x = (i) => left + (i * (width - left - right)) / Math.max(quarters.length - 1, 1);
  const y = (v) => top + ((high - v) * (height - top - bottom)) / (high - low);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const summary = lines.map((line) => {
    const known = line.values.filter((v) => v !== null);
    return `${line.label} from ${known[0].toFixed(digits)} to ${known[known.length - 1].toFixed(digits)}`;
  }).join("; ");
  svg.setAttribute("aria-label",
    `${title}, ${quarterLabel(quarters[0])} to ${quarterLabel(quarters[quarters.length - 1])}: ${summary}`);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  for (const tick of [low + pad, (low + high) / 2, high - pad]) {
    add("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), stroke: "#e3e8ee" });
    add("text", { x: left - 4, y: y(tick) + 4, "text-anchor": "end", "font-size": 10, fill: "#5a6675" },
      tick.toFixed(digits));
  }
  quarters.forEach((quarter, i) => {
    if ((quarters.length - 1 - i) % 2 === 0) {
      add("text", { x: x(i), y: height - 8, "text-anchor": "middle", "font-size": 10, fill: "#5a6675" },
        quarterLabel(quarter));
    }
  });
  lines.forEach((line, index) => {
    const points = line.values
      .map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter(Boolean);
    add("polyline", { points: points.join(" "), fill: "none", stroke: COLORS[index], "stroke-width": 2 });
    line.values.forEach((v, i) => {
      if (v !== null) add("circle", { cx: x(i), cy: y(v), r: 2.5, fill: COLORS[index] });
    });
  });
  figure.append(svg);
  if (lines.length > 1) {
    figure.append(element("ul", { class: "legend" }, ...lines.map((line, index) => {
      const swatch = element("span", { style: `background:${COLORS[index]}` });
      return element("li", {}, swatch, line.label);
    })));
  }
  return figure;
}

// ---------------------------------------------------------------------------------------
// Podcast

async function loadPodcast(generation) {
  try {
    const podcast = await api("GET", `api/research/${encodeURIComponent(state.bank)}/podcast`);
    if (generation !== state.generation) return;
    renderPodcast(podcast);
  } catch (error) {
    if (generation === state.generation) setError("podcast-error", error.message);
  }
}

function renderPodcast(podcast) {
  const minutes = Math.floor((podcast.durationSeconds || 0) / 60);
  const seconds = Math.round((podcast.durationSeconds || 0) % 60);
  const names = (podcast.experts || []).map((expert) => expert.name).join(", ");
  $("podcast-meta").textContent =
    `${minutes} min ${String(seconds).padStart(2, "0")} s · with ${names}` +
    (podcast.asOf ? ` · report data as of ${quarterLabel(podcast.asOf)}` : "");
  const audio = $("podcast-audio");
  // audioSrc is a short-lived signed link (an <audio> element cannot send API credentials);
  // when it has expired, the podcast is fetched again for a fresh one.
  audio.src = podcast.audioSrc || relative(podcast.audioUrl);
  audio.onerror = () => {
    if (audio.dataset.retried !== podcast.jobId) {
      audio.dataset.retried = podcast.jobId;
      loadPodcast(state.generation);
    }
  };
  $("transcript").replaceChildren(...(podcast.script || []).map((line) =>
    element("li", {}, element("span", { class: "speaker", text: `${line.name}: ` }), line.text)));
  show($("podcast"), true);
  $("generate-podcast").textContent = "Regenerate podcast";
}

// The dialog: pick one to four experts; it closes as soon as the job has started.

async function openPodcastDialog() {
  setError("dialog-error", "");
  const dialog = $("podcast-dialog");
  if (!state.experts) {
    try {
      state.experts = await api("GET", "api/podcast/experts");
    } catch (error) {
      setError("podcast-error", error.message);
      return;
    }
  }
  const list = $("expert-list");
  if (!list.children.length) {
    for (const expert of state.experts.experts) {
      const input = element("input", { type: "checkbox", name: "experts", value: expert.id,
        id: `expert-${expert.id}` });
      const label = element("label", { for: `expert-${expert.id}` }, input,
        element("span", {}, element("strong", { text: expert.name }), ` — ${expert.title}`,
          element("span", { class: "focus", text: expert.focus })));
      list.append(label);
    }
  }
  dialog.showModal();
  const first = list.querySelector("input");
  if (first) first.focus();
}

async function submitPodcast(event) {
  event.preventDefault();
  const chosen = [...document.querySelectorAll("#expert-list input:checked")].map((i) => i.value);
  const limit = (state.experts && state.experts.maxExperts) || 4;
  if (chosen.length < 1 || chosen.length > limit) {
    setError("dialog-error", `Choose between one and ${limit} experts.`);
    return;
  }
  const button = $("start-podcast");
  button.disabled = true;
  try {
    await startJob("podcast", { experts: chosen });
    $("podcast-dialog").close();
    $("generate-podcast").focus();
  } catch (error) {
    setError("dialog-error", error.message);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------
// Wiring

function bankFromUrl() {
  const bank = new URLSearchParams(location.search).get("bank");
  return bank && bank.trim() ? bank.trim() : null;
}

function route() {
  const bank = bankFromUrl();
  if (bank) {
    selectBank(bank, false);
  } else {
    stopPolling();
    state.bank = null;
    state.generation++;
    show($("bank"), false);
    showResults(true);
    document.title = "Bank Research";
  }
}

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  search($("q").value);
});
$("q").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search($("q").value), 250);
});
$("generate-report").addEventListener("click", generateReport);
$("cancel-report").addEventListener("click", () => cancelJob("report"));
$("generate-podcast").addEventListener("click", openPodcastDialog);
$("cancel-podcast").addEventListener("click", () => cancelJob("podcast"));
$("podcast-form").addEventListener("submit", submitPodcast);
$("close-dialog").addEventListener("click", () => $("podcast-dialog").close());
window.addEventListener("popstate", route);
$("credentials-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("credential").value.trim();
  const kind = $("credential-kind").value;
  if (value) sessionStorage.setItem(kind, value);
  show($("credentials"), false);
  route();
  if (!bankFromUrl()) search($("q").value);
});

credentials.load();

route();
if (!bankFromUrl()) search("");
