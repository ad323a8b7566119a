// What people read: numbers and dates formatted, and every status or error as a sentence
// about their situation with what they can do. The API's codes decide the sentence; its own
// text is used only where it is already written for people (see forPeople).

import { FAILURES } from "./failures.js";

export const NOUN = { report: "report", podcast: "podcast" };

export function money(thousands) {
  if (thousands === null || thousands === undefined) return "—";
  const dollars = Number(thousands) * 1000;
  const sign = dollars < 0 ? "-" : "";
  const abs = Math.abs(dollars);
  for (const [size, word] of [[1e12, "trillion"], [1e9, "billion"], [1e6, "million"]]) {
    if (abs >= size) return `${sign}$${(abs / size).toFixed(abs / size < 10 ? 2 : 1)} ${word}`;
  }
  return `${sign}$${abs.toLocaleString("en-US")}`;
}

// Every dollar, for comparing two versions: "$3.85 billion" twice may hide a change.
export function exactMoney(thousands) {
  if (thousands === null || thousands === undefined) return "—";
  const dollars = Math.round(Number(thousands) * 1000);
  return `${dollars < 0 ? "-" : ""}$${Math.abs(dollars).toLocaleString("en-US")}`;
}

export function percent(value, digits = 2) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(digits)}%`;
}

export function quarterLabel(yyyymmdd) {
  if (!yyyymmdd) return "";
  const month = Number(String(yyyymmdd).slice(4, 6));
  return `Q${Math.floor((month - 1) / 3) + 1} ${String(yyyymmdd).slice(0, 4)}`;
}

// "30 June 2024": a quarter's end day, as a call report names its date.
export function quarterEnd(yyyymmdd) {
  if (!yyyymmdd) return "";
  const text = String(yyyymmdd);
  const date = new Date(Date.UTC(Number(text.slice(0, 4)), Number(text.slice(4, 6)) - 1,
    Number(text.slice(6, 8))));
  return date.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

// A blank figure: "Not reported" when the bank filed the quarter and left the item out,
// "Not available" when the figure needs a quarter that is not in the data.
export function blank(value, text, { unknown = false } = {}) {
  if (value !== null && value !== undefined) return text;
  return unknown ? "Not available" : "Not reported";
}

export function when(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" });
}

export function size(bytes) {
  if (!bytes && bytes !== 0) return "";
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function duration(seconds) {
  const total = Math.round(Number(seconds) || 0);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
}

// Text meant for operators (a command, a route, a link, internals) never reaches the page:
// such a sentence is replaced by the page's own.
const OPERATOR_TEXT = /`|\bmake (import|run|test|package|install)\b|\bmake [A-Z_]+=|\/api\/|\b(POST|GET|DELETE)\s\/|https?:\/\/|\bworkers?\b|\bDynamoDB\b|\bLambda\b|\bS3\b|Traceback|Exception/i;

export function forPeople(text) {
  return typeof text === "string" && text.trim() && !OPERATOR_TEXT.test(text) ? text.trim() : null;
}

export function isActive(job) {
  return job.status === "pending" || job.status === "running";
}

// A cancelled job is `failed` with errorCode "cancelled" (docs/ARCHITECTURE.md, "The job state machine").
export function isCancelled(job) {
  return job.status === "failed" && job.errorCode === "cancelled";
}

const STAGE_WORDS = {
  queued: "Queued",
  starting: "Starting",
  load: null, // the server's own sentence ("Loading the bank's call-report data") is kept
  done: "Finishing",
};

// "Writing the capital section (40%)": what is happening now, in words.
export function progressWords(job) {
  const fallback = job.status === "pending" ? "Queued" : "Working on it";
  const stage = STAGE_WORDS[job.stage];
  const words = stage || forPeople(job.message) || fallback;
  return `${words} (${Number(job.progress) || 0}%)`;
}

// "50 s", "2 min 05 s", "1 h 04 min": how long something has lasted.
export function span(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  if (total < 60) return `${total} s`;
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
  return `${Math.floor(total / 3600)} h ${String(Math.floor(total / 60) % 60).padStart(2, "0")} min`;
}

// "2:32 PM": a time of today, to the minute.
export function clockTime(epochMs) {
  return new Date(epochMs).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
}

const WORKER = { report: "the writer", podcast: "the podcast maker" };
const STALLED_AFTER_BEATS = 1.5; // silence, in heartbeats, after which a run reads as stalled

function epochMs(iso) {
  const ms = Date.parse(iso || "");
  return Number.isNaN(ms) ? null : ms;
}

// Where an active job is, as people follow it: queued (and for how long), working, stalled
// (nothing heard from its run for more than 1.5 heartbeats), or waiting for a retry (its
// lease ran out). `now` is the server's time in ms (api.js serverNow). Returns the phase,
// the sentence, and a line of facts: time elapsed or waited, the attempt once retried.
export function jobLife(job, now) {
  const noun = NOUN[job.type] || "job";
  const created = epochMs(job.createdAt);
  const beat = epochMs(job.lastBeatAt);
  const attempt = Number(job.attempt) || 0;
  const attempts = Number(job.maxAttempts) || 0;
  const attemptText = attempt > 1 && attempts ? `attempt ${attempt} of ${attempts}` : "";
  const facts = (lead) => [lead, attemptText].filter(Boolean).join(" · ");
  if (job.status === "pending") {
    const waited = created === null ? "" : `waiting ${span((now - created) / 1000)}`;
    return { phase: "queued", words: `Waiting to start: the ${noun} is queued.`, facts: facts(waited) };
  }
  const elapsed = created === null ? "" : `${span((now - created) / 1000)} elapsed`;
  const heartbeat = Number(job.heartbeatSeconds) || 0;
  const lease = Number(job.leaseSeconds) || 0;
  if (beat !== null && heartbeat > 0 && lease > 0) {
    const silent = (now - beat) / 1000;
    const leaseEnd = beat + lease * 1000;
    const worker = WORKER[job.type] || "the worker";
    if (now > leaseEnd) {
      const next = attempt < attempts ? ` Attempt ${attempt + 1} of ${attempts} will take over shortly.` : "";
      return {
        phase: "retrying",
        words: `No word from ${worker} since ${clockTime(beat)}.${next}`,
        facts: facts(elapsed),
      };
    }
    if (silent > STALLED_AFTER_BEATS * heartbeat) {
      const then = attempt < attempts ? "it will be retried" : `the ${noun} will be stopped`;
      // Counted in 5 s steps past 10 s: the status is a live region, read out on change.
      const counted = silent < 10 ? silent : Math.floor(silent / 5) * 5;
      return {
        phase: "stalled",
        words: `No word from ${worker} for ${span(counted)}; ${then} at ${clockTime(leaseEnd)} if it does not recover.`,
        facts: facts(elapsed),
      };
    }
  }
  return { phase: "working", words: progressWords(job), facts: facts(elapsed) };
}

// "took 1 min 05 s": how long a finished job took, from its start to its end.
export function tookWords(job) {
  const created = epochMs(job.createdAt);
  const finished = epochMs(job.finishedAt);
  return created === null || finished === null ? "" : `took ${span((finished - created) / 1000)}`;
}

// Why a job failed, from the one table of failure words the server serves (failures.js):
// its own sentence where the failing step wrote a more precise one (`own`), else the table's.
export function failureSentence(type, job) {
  const entry = FAILURES[job.errorCode];
  if (!entry) {
    return forPeople(job.error) || FAILURES.internal_error.sentence.replaceAll("{noun}", NOUN[type]);
  }
  return (entry.own && forPeople(job.error)) || entry.sentence.replaceAll("{noun}", NOUN[type]);
}

// The outcome of a finished job that did not complete, with when it happened.
export function outcomeWords(type, job) {
  const at = when(job.finishedAt || job.updatedAt);
  const noun = NOUN[type];
  if (isCancelled(job)) {
    const cancelled = `The ${noun} was cancelled${at ? ` on ${at}` : ""}.`;
    return `${cancelled} Generate it again whenever you like.`;
  }
  return `${failureSentence(type, job)}${at ? ` (This happened on ${at}.)` : ""}`;
}

// Sentences for the API's refusals, by code; the API's own text where it is for people.
const REFUSALS = {
  bank_not_found: "We know of no bank with that RSSD ID. Find the bank by its name, city or state below.",
  invalid_idrssd: "That is not an RSSD ID (a number of 1 to 10 digits). Find the bank by its name, city or state below.",
  no_data: "No financial data is loaded for this bank, so no report can be written. Choose a bank with data.",
  report_required: "This bank has no research report yet, and the podcast is built from it. Generate the report first.",
  no_report: "This report is no longer available. Choose another version or generate a new one.",
  no_podcast: "This podcast is no longer available. Choose another version or generate a new one.",
  no_active_job: "There is nothing to cancel: it has already finished.",
  busy: "The service is busy right now. Try again in a minute.",
  worker_unavailable: "The service could not start this right now. Try again in a minute.",
  not_your_job: "Only the person who started this can cancel it.",
};

export function refusalWords(error) {
  if (error.status === 0) return "The service cannot be reached. Check your connection and try again.";
  if (error.code === "not_your_job") return REFUSALS.not_your_job;
  if (error.status === 401) return "Please sign in again: your sign-in has ended.";
  if (error.status === 403) {
    return "This service needs an access key: enter it above and try again.";
  }
  if (error.status === 429) {
    return "You have started a lot of work in a short time. Wait a minute, then try again.";
  }
  const known = REFUSALS[error.code];
  if (known && (error.code !== "no_data" || !forPeople(error.message))) return known;
  if (error.status >= 500) return forPeople(error.message) || "Something went wrong on our side. Try again in a minute.";
  return forPeople(error.message) || "That request was not accepted. Check what you entered and try again.";
}

export function writerName(writer) {
  if (writer === "template") return "standard wording from the figures (no AI)";
  if (writer === "bedrock") return "written by an AI model";
  return writer ? `written by ${writer}` : "";
}

const NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

// "four": a small count in words, as prose writes it; larger ones in digits.
export function countWords(count) {
  return NUMBER_WORDS[count] || String(count);
}

// "A", "A and B", "A, B and C": names as a sentence lists them.
export function listing(items) {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
