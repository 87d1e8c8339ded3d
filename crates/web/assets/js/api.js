// The HTTP contract's client: JSON in and out, the bearer token, Idempotency-Key, and the
// mapping of problem+json answers and lost connections to errors the screens can show.
//
// The token lives in sessionStorage: it survives a reload and the trip to the payment page
// and back in the same tab, but not the closing of the browser, so a subscriber who forgets
// to log out on a shared computer leaves no open cabinet behind (see docs/adr/0008).

const BASE = "/api/v1";
const TOKEN_KEY = "vodokanal.token";

/** A problem+json answer: `status`, `code`, `detail`, and `errors` ([{field, code, message}]). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "unknown";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.retryAfter = null;
  }
}

/** The request never got an answer: no connection, or the server could not be reached. */
export class NetworkError extends Error {
  constructor() {
    super("Нет соединения с сервером. Проверьте подключение к интернету и попробуйте ещё раз: введённые данные сохранены.");
  }
}

const listeners = { unauthorized: [], network: [] };

/** `unauthorized`: the session ended; `network`: true when a request failed for want of a
 * connection, false when one got through. */
export function on(event, callback) {
  listeners[event].push(callback);
}

function emit(event, value) {
  for (const callback of listeners[event]) callback(value);
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A new Idempotency-Key (a UUID), also where crypto.randomUUID is missing (plain HTTP). */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Calls the API. `body` is sent as JSON; `idempotencyKey` as the header. Resolves with the
 * parsed body (null for 204); rejects with ApiError or NetworkError.
 */
export async function request(method, path, { body, idempotencyKey } = {}) {
  if (!navigator.onLine) {
    emit("network", true);
    throw new NetworkError();
  }
  const headers = { accept: "application/json" };
  const sent = token();
  if (sent) headers.authorization = `Bearer ${sent}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    emit("network", true);
    throw new NetworkError();
  }
  emit("network", false);
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return data;
  const error = new ApiError(response.status, data || { detail: "Сервис временно недоступен. Попробуйте ещё раз через минуту." });
  const retryAfter = Number.parseInt(response.headers.get("retry-after") || "", 10);
  if (Number.isFinite(retryAfter)) error.retryAfter = retryAfter;
  if (error.code === "unauthorized" && sent) {
    setToken(null);
    emit("unauthorized");
  }
  return Promise.reject(error);
}

export const get = (path) => request("GET", path);
export const post = (path, body, idempotencyKey) => request("POST", path, { body, idempotencyKey });
export const patch = (path, body) => request("PATCH", path, { body });
export const del = (path, body) => request("DELETE", path, { body });

let info = null;

/** GET /info, once per page load. */
export async function getInfo() {
  if (!info) {
    info = get("/info").catch((error) => {
      info = null;
      throw error;
    });
  }
  return info;
}

/** The account number as a path segment. */
export const accountPath = (number) => `/accounts/${encodeURIComponent(number)}`;
