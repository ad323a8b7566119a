// Talking to the API: credentials, JSON, conditional GETs and a busy service.
// Every URL is relative to the page, so the app works under a path prefix too (API Gateway
// serves a stage at /<stage>/); the API's own links are made relative the same way.

import { authorization, refresh, signInNeeded } from "./session.js";

export const relative = (path) => String(path).replace(/^\//, "");

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Credentials, when the deployment asks for them (API_AUTH): a signed-in person's ID token
// (session.js), or an API key given once (in the form the page shows on a 401/403, or as
// #apiKey=… in the URL; #token=… for a token from elsewhere), kept for this tab only.
export const credentials = {
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
    const token = authorization() || sessionStorage.getItem("token");
    if (key) headers["x-api-key"] = key;
    if (token) headers.Authorization = token;
    return headers;
  },
};

let onCredentialsNeeded = () => {};
export function whenCredentialsNeeded(callback) {
  onCredentialsNeeded = callback;
}

// While the service starts (503 with code "starting": nothing was done), the page says so
// and asks again; `starting(true)` when it begins, `starting(false)` once it answers.
let onStarting = () => {};
export function whenStarting(callback) {
  onStarting = callback;
}

// The server's clock, from its answers' Date headers: a browser's clock may be off by
// minutes, and "no word for 50 s" must be measured on the clock the job's times are from.
let offsetMs = 0;
export function serverNow() {
  return Date.now() + offsetMs;
}

function noteServerTime(response) {
  const date = Date.parse(response.headers.get("Date") || "");
  if (Number.isNaN(date)) return;
  const estimate = date + 500 - Date.now(); // a Date header is to the second
  offsetMs = Math.abs(estimate) > 2000 ? estimate : 0;
}

export function isStarting(response, data) {
  return response.status === 503 && Boolean(data) && data.code === "starting";
}

const BUSY_TRIES = 3;
const MAX_WAIT_MS = 10_000;

// Seconds from Retry-After (a number of seconds; dates are read as "soon").
export function retryAfterMs(response, fallbackMs) {
  const seconds = Number(response.headers.get("Retry-After"));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_WAIT_MS) : fallbackMs;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function isBusy(response) {
  return response.status === 503 || response.status === 429;
}

// The raw response of one request (no retry, but for one after a refreshed sign-in when
// the API found the token expired); a network failure is an ApiError with status 0.
export async function request(method, path, { body, etag } = {}, refreshed = false) {
  const headers = { Accept: "application/json", ...credentials.headers() };
  const options = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (etag) headers["If-None-Match"] = etag;
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(0, "The service cannot be reached. Check your connection and try again.");
  }
  if (response.status === 401 && !refreshed && signInNeeded() && (await refresh())) {
    return request(method, path, { body, etag }, true);
  }
  noteServerTime(response);
  return response;
}

// JSON of a request; a GET that finds the service busy (503 with Retry-After) is tried again
// a few times before it gives up, and any request is asked again until the service has
// started. `optional` answers null for a missing or refused route
// instead of asking for credentials: the page then leaves that part out.
export async function api(method, path, body, { optional = false } = {}) {
  for (let attempt = 1; ; attempt++) {
    const response = await request(method, path, { body });
    const data = await response.json().catch(() => null);
    if (isStarting(response, data)) {
      onStarting(true);
      await pause(retryAfterMs(response, 1000));
      attempt = 0;
      continue;
    }
    onStarting(false);
    if (response.ok) return data;
    if (method === "GET" && response.status === 503 && attempt < BUSY_TRIES) {
      await pause(retryAfterMs(response, 2000));
      continue;
    }
    if (optional && !isBusy(response)) return null;
    if (response.status === 401 || response.status === 403) onCredentialsNeeded();
    throw new ApiError(response.status, (data && data.error) || "", data && data.code);
  }
}
