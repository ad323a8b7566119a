// Find a bank: the search box first, with filters (state, size, banks with figures only),
// an order (name, total assets), and two short lists to start from when nothing is typed:
// the largest banks and the banks researched most recently. The search is kept in the
// address (?q=…&state=…&size=…&sort=…&all=1), so that Back and a reload restore it.

import { api } from "./api.js";
import { $, element, setMessage, setText, show } from "./dom.js";
import { money, refusalWords } from "./words.js";

// Size bands, as the peer groups cut them (total assets, in thousands of dollars).
const SIZES = {
  "under-1b": { label: "Under $1 billion", max: 999_999 },
  "1b-10b": { label: "$1-10 billion", min: 1_000_000, max: 9_999_999 },
  "10b-100b": { label: "$10-100 billion", min: 10_000_000, max: 99_999_999 },
  "100b-700b": { label: "$100-700 billion", min: 100_000_000, max: 699_999_999 },
  "over-700b": { label: "$700 billion and more", min: 700_000_000 },
};

const STATES = [
  ["AL", "Alabama"], ["AK", "Alaska"], ["AZ", "Arizona"], ["AR", "Arkansas"], ["CA", "California"],
  ["CO", "Colorado"], ["CT", "Connecticut"], ["DE", "Delaware"], ["DC", "District of Columbia"],
  ["FL", "Florida"], ["GA", "Georgia"], ["HI", "Hawaii"], ["ID", "Idaho"], ["IL", "Illinois"],
  ["IN", "Indiana"], ["IA", "Iowa"], ["KS", "Kansas"], ["KY", "Kentucky"], ["LA", "Louisiana"],
  ["ME", "Maine"], ["MD", "Maryland"], ["MA", "Massachusetts"], ["MI", "Michigan"],
  ["MN", "Minnesota"], ["MS", "Mississippi"], ["MO", "Missouri"], ["MT", "Montana"],
  ["NE", "Nebraska"], ["NV", "Nevada"], ["NH", "New Hampshire"], ["NJ", "New Jersey"],
  ["NM", "New Mexico"], ["NY", "New York"], ["NC", "North Carolina"], ["ND", "North Dakota"],
  ["OH", "Ohio"], ["OK", "Oklahoma"], ["OR", "Oregon"], ["PA", "Pennsylvania"],
  ["RI", "Rhode Island"], ["SC", "South Carolina"], ["SD", "South Dakota"], ["TN", "Tennessee"],
  ["TX", "Texas"], ["UT", "Utah"], ["VT", "Vermont"], ["VA", "Virginia"], ["WA", "Washington"],
  ["WV", "West Virginia"], ["WI", "Wisconsin"], ["WY", "Wyoming"], ["AS", "American Samoa"],
  ["GU", "Guam"], ["MP", "Northern Mariana Islands"], ["PR", "Puerto Rico"],
  ["VI", "U.S. Virgin Islands"],
];

const finder = { generation: 0, cursor: null, choose: null, timer: null };

export function hasData(bank) {
  if (bank.data !== undefined) return bank.data !== "none" && bank.data !== false;
  if (bank.hasData !== undefined) return Boolean(bank.hasData);
  return true; // not said: assume it has, rather than mark every bank
}

// The form's fields, filled once: states and sizes.
export function setupFinder(choose) {
  finder.choose = choose;
  $("filter-state").append(...STATES.map(([code, name]) => element("option", { value: code, text: name })));
  $("filter-size").append(...Object.entries(SIZES).map(([value, size]) =>
    element("option", { value, text: size.label })));
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  $("q").addEventListener("input", () => {
    clearTimeout(finder.timer);
    finder.timer = setTimeout(() => search(), 250);
  });
  for (const id of ["filter-state", "filter-size", "filter-sort", "filter-all"]) {
    $(id).addEventListener("change", () => search());
  }
  $("results-more").addEventListener("click", () => search({ more: true }));
}

// What the form asks for, as the address keeps it (defaults left out).
function asked() {
  return {
    q: $("q").value.trim(), state: $("filter-state").value, size: $("filter-size").value,
    sort: $("filter-sort").value, all: $("filter-all").checked,
  };
}

// The form as the address says (a reload, Back, a shared link).
export function restoreSearch(params) {
  $("q").value = params.get("q") || "";
  $("filter-state").value = STATES.some(([code]) => code === params.get("state")) ? params.get("state") : "";
  $("filter-size").value = params.get("size") in SIZES ? params.get("size") : "";
  $("filter-sort").value = ["name", "assets"].includes(params.get("sort")) ? params.get("sort") : "";
  $("filter-all").checked = params.get("all") === "1";
}

function addressOf(wanted) {
  const query = new URLSearchParams();
  if (wanted.q) query.set("q", wanted.q);
  if (wanted.state) query.set("state", wanted.state);
  if (wanted.size) query.set("size", wanted.size);
  if (wanted.sort) query.set("sort", wanted.sort);
  if (wanted.all) query.set("all", "1");
  const text = query.toString();
  return text ? `?${text}` : location.pathname;
}

// Nothing typed and no filter: the page starts with the largest banks.
function starting(wanted) {
  return !wanted.q && !wanted.state && !wanted.size && !wanted.all;
}

// ...a short list of them, a place to start rather than a page to read through: the search
// and the filters reach the others.
const SHORT_LIST = 10;
const shortList = (wanted) => starting(wanted) && (wanted.sort || "assets") === "assets";

function apiQuery(wanted) {
  const query = new URLSearchParams();
  if (wanted.q) query.set("q", wanted.q);
  if (wanted.state) query.set("state", wanted.state);
  const size = SIZES[wanted.size];
  if (size && size.min !== undefined) query.set("minAssets", String(size.min));
  if (size && size.max !== undefined) query.set("maxAssets", String(size.max));
  if (!wanted.all) query.set("hasData", "true"); // banks known by name only, on request
  query.set("sort", wanted.sort || (wanted.q ? "name" : "assets"));
  return query;
}

export async function search({ record = true, more = false } = {}) {
  const wanted = asked();
  if (record && !more) history.replaceState(history.state, "", addressOf(wanted));
  const generation = ++finder.generation;
  const query = apiQuery(wanted);
  if (more && finder.cursor) query.set("cursor", finder.cursor);
  setMessage("search-error", "");
  let data;
  try {
    data = await api("GET", `api/banks?${query}`);
  } catch (error) {
    if (generation === finder.generation) setMessage("search-error", refusalWords(error));
    return;
  }
  if (generation !== finder.generation) return;
  const short = shortList(wanted) && !more;
  finder.cursor = short ? null : data.nextCursor || null;
  const items = (short ? data.banks.slice(0, SHORT_LIST) : data.banks).map(resultItem);
  if (more) $("results").append(...items);
  else $("results").replaceChildren(...items);
  show($("results-more"), Boolean(finder.cursor));
  const shown = $("results").children.length;
  setText("results-title", short ? "Largest banks" : "Banks found");
  setText("search-count", short && shown
    ? `The ${shown} largest of ${data.total.toLocaleString("en-US")} banks with financial data. ` +
      "Search, or choose a state or size, to find the others."
    : countWords(data, shown, wanted));
  if (!more) recentBanks(generation, starting(wanted));
}

function countWords(data, shown, wanted) {
  if (!data.total) {
    return wanted.all || !wanted.q
      ? "No bank matches that search. Try part of the name, a city, or fewer filters."
      : "No bank with financial data matches. Try part of the name, a city, or include banks without figures.";
  }
  const sorted = (wanted.sort || (wanted.q ? "name" : "assets")) === "assets" ? "largest first" : "by name";
  const without = [...$("results").children].filter((li) => li.classList.contains("no-data")).length;
  return `${data.total.toLocaleString("en-US")} bank${data.total === 1 ? "" : "s"} found, ${sorted}` +
    (shown < data.total ? `; showing ${shown}` : "") +
    (without ? `; ${without} of them without financial data yet.` : ".");
}

function resultItem(bank) {
  const link = element("a", { href: `?bank=${encodeURIComponent(bank.idrssd)}`, "data-bank": bank.idrssd });
  const where = [bank.city, bank.state].filter(Boolean).join(", ");
  const assets = bank.totalAssets ? ` · ${money(bank.totalAssets)}` : "";
  link.append(
    element("span", { class: "name", text: bank.name }),
    element("span", { class: "where", text: ` — ${where} · RSSD ${bank.idrssd}${assets}` }),
  );
  if (!hasData(bank)) link.append(element("span", { class: "tag", text: "No financial data yet" }));
  link.addEventListener("click", (event) => {
    event.preventDefault();
    finder.choose(bank.idrssd);
  });
  return element("li", { class: hasData(bank) ? null : "no-data" }, link);
}

// The banks whose research finished most recently (the Research list), when the page
// starts; said nothing of when the list cannot be read (it is a help, not the search).
async function recentBanks(generation, wanted) {
  if (!wanted) {
    show($("recent-banks-box"), false);
    return;
  }
  let data = null;
  try {
    data = await api("GET", "api/research/recent?limit=25&status=completed", undefined, { optional: true });
  } catch {
    data = null;
  }
  if (generation !== finder.generation) return;
  const seen = new Map();
  for (const job of (data && data.jobs) || []) {
    if (!seen.has(job.idrssd) && seen.size < 6) seen.set(job.idrssd, job.bankName || `Bank ${job.idrssd}`);
  }
  $("recent-banks").replaceChildren(...[...seen].map(([idrssd, name]) => {
    const link = element("a", { href: `?bank=${encodeURIComponent(idrssd)}`, text: name });
    link.addEventListener("click", (event) => {
      event.preventDefault();
      finder.choose(idrssd);
    });
    return element("li", {}, link);
  }));
  show($("recent-banks-box"), seen.size > 0);
}

// A bank that cannot be shown (an unknown or malformed RSSD ID): one message, above the
// search, and nothing else of a bank page.
export function showMissing(text) {
  setMessage("bank-missing", text);
}
