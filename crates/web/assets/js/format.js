// @ts-check
// Display forms of the contract's values: money and readings stay strings (never floats);
// every date and time in the utility's time zone (GET /info's `timezone`), whatever the
// device's own zone. No DOM here: `node --test` checks this module as it is.

/** @import { Hours } from "./api.js" */

const NBSP = "\u00a0";

/** @type {string | undefined} */
let zone;

/**
 * The utility's time zone (an IANA name) for `instant` and `today`; undefined: the device's.
 * @param {string | null | undefined} name
 */
export function setTimeZone(name) {
  zone = name || undefined;
}

/** @param {string} digits */
function groupThousands(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
}

/** "1234.50" -> "1 234,50 ₽" @param {string} text */
export function money(text) {
  const negative = text.startsWith("-");
  const [whole, fraction = "00"] = text.replace("-", "").split(".");
  return `${negative ? "−" : ""}${groupThousands(whole)},${fraction}${NBSP}₽`;
}

/** "130.500" -> "130,500 м³" @param {string} text */
export function volume(text) {
  const [whole, fraction] = text.split(".");
  return `${groupThousands(whole)}${fraction ? `,${fraction}` : ""}${NBSP}м³`;
}

/** "2026-10-31" -> "31.10.2026" @param {string} text */
export function date(text) {
  const [y, m, d] = text.split("-");
  return `${d}.${m}.${y}`;
}

/**
 * @param {Date} moment
 * @param {Intl.DateTimeFormatOptions} options
 * @returns {Record<string, string>}
 */
function parts(moment, options) {
  const list = new Intl.DateTimeFormat("ru-RU", { ...options, timeZone: zone, hourCycle: "h23" }).formatToParts(moment);
  return Object.fromEntries(list.map((p) => [p.type, p.value]));
}

/** An RFC 3339 instant in the utility's time zone: "07.12.2026, 01:25". @param {string} text */
export function instant(text) {
  const p = parts(new Date(text), {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  return `${p.day}.${p.month}.${p.year}, ${p.hour}:${p.minute}`;
}

/** The utility's date `days` after today (0: today), as YYYY-MM-DD. */
export function today(days = 0, now = new Date()) {
  const p = parts(now, { day: "2-digit", month: "2-digit", year: "numeric" });
  const date = new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day) + days));
  return date.toISOString().slice(0, 10);
}

/** "08:30" -> "8:30", as the guide writes hours. @param {string} text */
export function clock(text) {
  return text.replace(/^0(\d)/, "$1");
}

/** A line of the contact center's hours: "Пн-Пт: 8:30-18:30". @param {Hours} line */
export function hours(line) {
  return `${line.days}: ${clock(line.opens)}-${clock(line.closes)}`;
}

const MONTHS = [
  "январь",
  "февраль",
  "март",
  "апрель",
  "май",
  "июнь",
  "июль",
  "август",
  "сентябрь",
  "октябрь",
  "ноябрь",
  "декабрь",
];

/** "2026-11" -> "ноябрь 2026" @param {string} text */
export function period(text) {
  const [y, m] = text.split("-");
  return `${MONTHS[Number(m) - 1] || m} ${y}`;
}

/** "+79109845003" -> "+7 (910) 984-50-03", as the guide writes phones. @param {string} text */
export function phone(text) {
  const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(text);
  return m ? `+7${NBSP}(${m[1]})${NBSP}${m[2]}-${m[3]}-${m[4]}` : text;
}

/** The debt line of an account: owed, overpaid or settled. @param {string} text */
export function debt(text) {
  if (/^-/.test(text)) return `Переплата ${money(text.slice(1))}`;
  if (/^0+(\.0+)?$/.test(text)) return "Задолженности нет";
  return `Задолженность ${money(text)}`;
}

// The contract's codes in words; an unknown code is shown as it is.

/** @type {Record<string, string>} */
export const SERVICES = { cold_water: "холодная вода", hot_water: "горячая вода" };

/** @type {Record<string, string>} */
export const PAYMENT_STATUSES = { pending: "Ожидает оплаты", succeeded: "Оплачен", canceled: "Отменён" };

/** @type {Record<string, string>} */
export const VISIT_KINDS = { meter_acceptance: "Приемка ИПУ", meter_verification: "Сверка ИПУ" };

/** @type {Record<string, string>} */
export const VISIT_STATUSES = { new: "Новая" };

/** @type {Record<string, string>} */
export const SOURCES = { cabinet: "личный кабинет", anonymous: "без регистрации", registry: "данные водоканала" };

/** @type {Record<string, string>} */
export const WARNINGS = {
  consumption_unusually_high: "Расход необычно большой. Проверьте показание: если оно верное, ничего делать не нужно.",
};

/**
 * A decimal typed with a comma, as Russians write it, in the contract's form; undefined
 * (not sent) when empty.
 * @param {unknown} text a form's value
 */
export function decimal(text) {
  const value = String(text ?? "")
    .replace(/\s/g, "")
    .replace(",", ".");
  return value || undefined;
}
