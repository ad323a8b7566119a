// Batches in the Research view: research for many banks at once. Each running or recent
// batch with its counts, a bar of the banks done of its total, the pace (banks a minute)
// and the time left at that pace, the banks that failed with their sentences, and, for
// administrators (everyone where nobody signs in), Cancel and Retry. Read with the jobs,
// on the same refresh; all text from data goes in as text.

import { api } from "./api.js";
import { element, setMessage, show, $ } from "./dom.js";
import { signInNeeded } from "./session.js";
import { clockTime, quarterLabel, refusalWords, span, when } from "./words.js";

const SHOWN = 5; // the newest batches shown
const DONE = ["completed", "failed", "skipped", "cancelled"];
const STATUS_WORDS = { running: "In progress", completed: "Finished", cancelled: "Cancelled" };
const failures = new Map(); // batch id → { failed count read at, list }

export async function loadBatches(you, now) {
  let data;
  try {
    data = await api("GET", `api/batches?limit=${SHOWN}`, undefined, { optional: true });
  } catch (error) {
    setMessage("batches-error", refusalWords(error));
    return;
  }
  const batches = (data && data.batches) || [];
  setMessage("batches-error", "");
  show($("batches"), batches.length > 0);
  const allowed = Boolean((you && you.admin) || !signInNeeded());
  await Promise.all(batches.map((batch) => readFailures(batch)));
  $("batch-list").replaceChildren(...batches.map((batch) => item(batch, now, allowed, you)));
}

async function readFailures(batch) {
  const failed = Number(batch.failed) || 0;
  const known = failures.get(batch.batchId);
  if (!failed) {
    failures.delete(batch.batchId);
    return;
  }
  if (known && known.count === failed) return;
  try {
    const data = await api("GET", `api/batches/${encodeURIComponent(batch.batchId)}/failures`);
    failures.set(batch.batchId, { count: failed, list: data.failures || [] });
  } catch {
    failures.delete(batch.batchId); // the counts still say how many failed
  }
}

// Where a batch stands: banks done of its total, banks a minute since it began, time left.
export function pace(batch, now) {
  const total = Number(batch.total) || 0;
  const done = DONE.reduce((sum, state) => sum + (Number(batch[state]) || 0), 0);
  const began = Date.parse(batch.createdAt || "");
  const ended = batch.finishedAt ? Date.parse(batch.finishedAt) : now;
  if (!done || Number.isNaN(began) || ended <= began) return { done, total, perMinute: null, left: null };
  const perMinute = done / ((ended - began) / 60000);
  const left = batch.status === "running" ? ((total - done) / perMinute) * 60 : null;
  return { done, total, perMinute, left };
}

function countsWords(batch) {
  const parts = [`${batch.completed || 0} written`, `${batch.failed || 0} failed`,
    `${batch.skipped || 0} already up to date`];
  if (batch.running) parts.push(`${batch.running} being written`);
  if (batch.queued) parts.push(`${batch.queued} waiting`);
  if (batch.cancelled) parts.push(`${batch.cancelled} cancelled`);
  return parts.join(", ");
}

function paceWords(reading) {
  if (reading.perMinute === null) return "";
  const rate = `${reading.perMinute.toFixed(1)} banks a minute`;
  return reading.left === null ? rate : `${rate}, about ${span(reading.left)} left`;
}

// When and by whom: several batches of the same banks and quarter read apart by it.
function startedWords(batch, you, now) {
  const began = Date.parse(batch.createdAt || "");
  if (Number.isNaN(began)) return "";
  const today = new Date(began).toDateString() === new Date(now).toDateString();
  // Who else started it is a hash, no name: only "you" means something to the reader.
  const mine = you && batch.startedBy && batch.startedBy === you.startedBy;
  return `Started ${today ? clockTime(began) : when(batch.createdAt)}${mine ? " by you" : ""}`;
}

function item(batch, now, allowed, you) {
  const reading = pace(batch, now);
  const banks = reading.total === 1 ? "1 bank" : `${reading.total} banks`;
  const title = `Reports for ${banks}, ${quarterLabel(batch.quarter)} figures`;
  const bar = element("progress", { max: String(reading.total || 1), value: String(reading.done),
    "aria-label": `Banks done: ${title}` });
  const status = batch.status === "completed" && batch.failed ? "Finished, with failures"
    : STATUS_WORDS[batch.status] || batch.status;
  return element("li", { class: `batch ${batch.status}`, "data-batch": batch.batchId },
    element("h4", { text: title }),
    element("p", { class: "muted batch-started", text: startedWords(batch, you, now) }),
    element("p", { class: "batch-done", text: `${status}: ${reading.done} of ${reading.total} banks done` }),
    bar,
    element("p", { class: "batch-counts", text: countsWords(batch) }),
    element("p", { class: "muted batch-pace", text: paceWords(reading) }),
    failureList(batch),
    allowed ? actions(batch, title) : null);
}

function failureList(batch) {
  const known = failures.get(batch.batchId);
  if (!known || !known.list.length) return null;
  return element("details", { class: "batch-failures" },
    element("summary", { text: known.list.length === 1 ? "1 bank failed" : `${known.list.length} banks failed` }),
    element("ul", {}, ...known.list.map((failure) => element("li", {},
      element("a", { href: `?bank=${encodeURIComponent(failure.idrssd)}`, text: failure.bankName || `Bank ${failure.idrssd}` }),
      element("span", { text: `: ${failure.message || "its report could not be written."}` })))));
}

function actions(batch, title) {
  const box = element("p", { class: "row-actions" });
  if (batch.status === "running") box.append(button("Cancel", `Cancel the banks not started: ${title}`,
    () => api("DELETE", `api/batches/${encodeURIComponent(batch.batchId)}`)));
  if (Number(batch.failed) > 0) box.append(button("Retry the failed", `Retry the failed banks: ${title}`,
    () => api("POST", `api/batches/${encodeURIComponent(batch.batchId)}/retry`, {})));
  return box.children.length ? box : null;
}

function button(text, label, send) {
  const node = element("button", { type: "button", class: "secondary small", text, "aria-label": label });
  node.addEventListener("click", async () => {
    node.disabled = true;
    try {
      await send();
      setMessage("batches-error", "");
    } catch (error) {
      setMessage("batches-error", refusalWords(error));
    }
    node.disabled = false;
    $("recent-refresh").click(); // read everything again, the batches with it
  });
  return node;
}
