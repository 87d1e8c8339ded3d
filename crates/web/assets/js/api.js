// @ts-check
// The HTTP contract's client: JSON in and out, the bearer token, Idempotency-Key, and the
// mapping of problem+json answers and lost connections to errors the screens can show.
//
// The token lives in sessionStorage: it survives a reload and the trip to the payment page
// and back in the same tab, but not the closing of the browser, so a subscriber who forgets
// to log out on a shared computer leaves no open cabinet behind (see docs/adr/0008).

// The contract's shapes as the client reads them (crates/http/src/dto.rs): money, volumes,
// dates and instants are strings; `null` where the contract says so.

/** @typedef {{ days: string, opens: string, closes: string }} Hours */
/** @typedef {{ address: string, hours: Hours[], phones: string[] }} ContactCenter */
/** @typedef {{ code: string, title: string }} PaymentPurpose */
/** @typedef {{ from_day: number, to_day: number }} ReadingWindow */
/**
 * @typedef {object} Info GET /info.
 * @property {ContactCenter} contact_center
 * @property {PaymentPurpose[]} payment_purposes
 * @property {string} readings_help
 * @property {string} payments_help
 * @property {ReadingWindow | null} reading_window
 * @property {string} timezone
 * @property {PaymentQr | null} payment_qr the bank details when paying by QR code is on
 */
/**
 * @typedef {object} PaymentQr The utility's bank details (GET /info, issue 18).
 * @property {string} name
 * @property {string} account
 * @property {string} bank
 * @property {string} bic
 * @property {string} correspondent_account
 * @property {string} inn
 * @property {string} kpp
 */
/** @typedef {{ value: string, date: string }} LastReading */
/** @typedef {{ meter_number: string, service: string, last_reading: LastReading | null, verification_due: string | null }} Meter */
/**
 * @typedef {object} Account
 * @property {string} account_number
 * @property {string | null} label
 * @property {string} address
 * @property {string} debt
 * @property {string} balance_as_of
 * @property {Meter[]} meters
 * @property {number} other_holders
 */
/**
 * @typedef {object} Reading
 * @property {string} id
 * @property {string | null} account_number
 * @property {string} meter_number
 * @property {string} value
 * @property {string | null} previous_value
 * @property {string | null} consumption
 * @property {string} period
 * @property {string} submitted_at
 * @property {string} source
 * @property {string[]} warnings
 * @property {string | null} voided_at
 */
/**
 * @typedef {object} ConsumptionPoint One period of a meter's series: `value` and `consumption`
 * are null for a period without a reading (a gap); `spans_periods` > 1 after a gap.
 * @property {string} period
 * @property {string | null} value
 * @property {string | null} consumption
 * @property {number | null} spans_periods
 */
/** @typedef {{ meter_number: string, service: string, points: ConsumptionPoint[] }} MeterConsumption */
/** @typedef {{ current_period: string, periods: string[], meters: MeterConsumption[] }} Consumption */
/**
 * @typedef {object} Payment
 * @property {string} id
 * @property {string} account_number
 * @property {string} purpose
 * @property {string} amount
 * @property {string} status
 * @property {string | null} confirmation_url
 * @property {string} created_at
 * @property {string | null} paid_at
 */
/**
 * @typedef {object} VisitRequest
 * @property {string} id
 * @property {string} kind
 * @property {string} account_number
 * @property {string | null} meter_number
 * @property {string} phone
 * @property {string} visit_date
 * @property {string} visit_time
 * @property {string | null} notes
 * @property {string} status
 * @property {string} created_at
 */
/** @typedef {{ resend_after: number, expires_in: number }} CodeSent */
/** @typedef {{ token: string, expires_at: string, user: { phone: string, email: string } }} Session */
/** @typedef {{ phone: string, email: string, created_at: string, email_verified: boolean }} Profile */
/** @typedef {{ resend_after: number }} LinkSent POST /profile/email/verify. */
/** @typedef {{ topic: string, title: string, channels: string[] }} NoticeTopic */
/**
 * @typedef {object} NoticeSettings GET and PUT /profile/notifications.
 * @property {boolean} email_verified
 * @property {{ public_key: string | null, subscriptions: number }} push the VAPID key (URL-safe
 *   base64; null: web push is off) and how many browsers of the user are subscribed
 * @property {NoticeTopic[]} topics
 */
/** @typedef {{ topic: string, title: string }} Unsubscribed POST /notices/unsubscribe. */
/** @typedef {{ field: string, code: string, message: string }} FieldError */
/** @typedef {{ title?: string, code?: string, detail?: string, errors?: FieldError[] | null }} Problem */

const BASE = "/api/v1";
const TOKEN_KEY = "vodokanal.token";

/** A problem+json answer: `status`, `code`, `detail`, and `errors` ([{field, code, message}]). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "unknown";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    /** @type {number | null} */
    this.retryAfter = null;
  }
}

/** The request never got an answer: no connection, or the server could not be reached. */
export class NetworkError extends Error {
  constructor() {
    super(
      "Нет соединения с сервером. Проверьте подключение к интернету и попробуйте ещё раз: введённые данные сохранены.",
    );
  }
}

/** @typedef {{ unauthorized: void, network: boolean }} Events */

/** @type {{ [E in keyof Events]: ((value: Events[E]) => void)[] }} */
const listeners = { unauthorized: [], network: [] };

/**
 * `unauthorized`: the session ended; `network`: true when a request failed for want of a
 * connection, false when one got through.
 * @template {keyof Events} E
 * @param {E} event
 * @param {(value: Events[E]) => void} callback
 */
export function on(event, callback) {
  listeners[event].push(callback);
}

/**
 * @template {keyof Events} E
 * @param {E} event
 * @param {Events[E]} value
 */
function emit(event, value) {
  for (const callback of listeners[event]) callback(value);
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** @param {string | null} value */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

const RETURN_KEY = "vodokanal.after-login";

/**
 * The route (with its query) to show after the next login: the screen that asked for a
 * session, e.g. a notice's link opened in a new window.
 * @param {string} route
 */
export function returnAfterLogin(route) {
  if (route.startsWith("/") && !route.startsWith("/login")) sessionStorage.setItem(RETURN_KEY, route);
}

/** The route kept by `returnAfterLogin`, once; "/home" when there is none. */
export function routeAfterLogin() {
  const route = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  return route || "/home";
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
 * Calls the API. `body` is sent as JSON; without one, nothing is sent and no Content-Type
 * either. `idempotencyKey` goes as the header. Resolves with the parsed body (null for 204);
 * rejects with ApiError or NetworkError.
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, idempotencyKey?: string }} [options]
 * @returns {Promise<unknown>}
 */
export async function request(method, path, { body, idempotencyKey } = {}) {
  if (!navigator.onLine) {
    emit("network", true);
    throw new NetworkError();
  }
  /** @type {Record<string, string>} */
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
  return Promise.reject(failure(response, data, sent));
}

/**
 * The error of a refused answer, its problem+json `data` read; a refused session is forgotten.
 * @param {Response} response
 * @param {unknown} data
 * @param {string | null} sent the token the request carried
 */
function failure(response, data, sent) {
  const error = new ApiError(
    response.status,
    data || { detail: "Сервис временно недоступен. Попробуйте ещё раз через минуту." },
  );
  const retryAfter = Number.parseInt(response.headers.get("retry-after") || "", 10);
  if (Number.isFinite(retryAfter)) error.retryAfter = retryAfter;
  if (error.code === "unauthorized" && sent) {
    setToken(null);
    emit("unauthorized", undefined);
  }
  return error;
}

/**
 * A file the API answers (the history CSV, a visit's .ics), fetched with the session's token:
 * its bytes and the name `Content-Disposition` gives (else `fallback`). Rejects as `request`.
 * @param {string} path
 * @param {string} fallback
 * @returns {Promise<{ blob: Blob, name: string }>}
 */
export async function download(path, fallback) {
  if (!navigator.onLine) {
    emit("network", true);
    throw new NetworkError();
  }
  const sent = token();
  let response;
  try {
    response = await fetch(BASE + path, {
      headers: sent ? { authorization: `Bearer ${sent}` } : {},
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    emit("network", true);
    throw new NetworkError();
  }
  emit("network", false);
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    throw failure(response, data, sent);
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
  return { blob: await response.blob(), name: named ? named[1] : fallback };
}

// The answer's type is the caller's: the contract's shape of that path (see the typedefs).

/**
 * @template [T=unknown]
 * @param {string} path
 * @returns {Promise<T>}
 */
export const get = (path) => /** @type {Promise<T>} */ (request("GET", path));

/**
 * @template [T=unknown]
 * @param {string} path
 * @param {unknown} [body]
 * @param {string} [idempotencyKey]
 * @returns {Promise<T>}
 */
export const post = (path, body, idempotencyKey) =>
  /** @type {Promise<T>} */ (request("POST", path, { body, idempotencyKey }));

/**
 * @template [T=unknown]
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export const put = (path, body) => /** @type {Promise<T>} */ (request("PUT", path, { body }));

/**
 * @template [T=unknown]
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export const patch = (path, body) => /** @type {Promise<T>} */ (request("PATCH", path, { body }));

/**
 * @template [T=unknown]
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export const del = (path, body) => /** @type {Promise<T>} */ (request("DELETE", path, { body }));

/**
 * GET an image (the payment QR code's SVG) with the session, as a Blob; a problem rejects
 * with ApiError as `request` does.
 * @param {string} path
 * @returns {Promise<Blob>}
 */
export async function getImage(path) {
  if (!navigator.onLine) throw new NetworkError();
  /** @type {Record<string, string>} */
  const headers = { accept: "image/svg+xml" };
  const sent = token();
  if (sent) headers.authorization = `Bearer ${sent}`;
  let response;
  try {
    response = await fetch(BASE + path, { headers, cache: "no-store", credentials: "omit" });
  } catch {
    throw new NetworkError();
  }
  if (response.ok) return response.blob();
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const error = new ApiError(
    response.status,
    data || { detail: "Сервис временно недоступен. Попробуйте ещё раз через минуту." },
  );
  if (error.code === "unauthorized" && sent) {
    setToken(null);
    emit("unauthorized", undefined);
  }
  throw error;
}

/** @type {Promise<Info> | null} */
let info = null;

/**
 * GET /info, once per page load.
 * @returns {Promise<Info>}
 */
export async function getInfo() {
  if (!info) {
    /** @type {Promise<Info>} */
    const answer = get("/info");
    info = answer.catch((error) => {
      info = null;
      throw error;
    });
  }
  return info;
}

/** The account number as a path segment. */
export const accountPath = (/** @type {string} */ number) => `/accounts/${encodeURIComponent(number)}`;
