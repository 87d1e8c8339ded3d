// What every journey needs: Chromium at 360x740, a page that fails the test on any console
// error or page error, screenshots of each screen, the SMS outbox, and API shortcuts for the
// setup a journey is not about.

import { after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = process.env.VODOKANAL_URL || "http://127.0.0.1:8080";
const OUTBOX = process.env.VODOKANAL_SMS_OUTBOX || "outbox.jsonl";
const SCREENSHOTS = process.env.SCREENSHOTS || new URL("./screenshots", import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

mkdirSync(SCREENSHOTS, { recursive: true });

let browser;

/** The browser's own time zone in every journey. */
export const DEVICE_ZONE = "America/New_York";

/** Starts Chromium once per test file. */
export function useBrowser() {
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--lang=ru-RU"] });
  });
  after(async () => {
    await browser?.close();
  });
}

/**
 * A fresh browser context and page for a journey named `name`. Every console error and page
 * error is collected; `finish()` asserts there was none.
 */
export async function journey(name) {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 1,
    locale: "ru-RU",
    // Far from the utility's Europe/Moscow: every date and time the app shows must still be
    // Moscow's.
    timezoneId: DEVICE_ZONE,
  });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // Chromium logs every 4xx answer to fetch as "Failed to load resource"; the API's refusals
    // (422 for a bad field, 401 for a wrong password, ...) are answers the journeys provoke on
    // purpose and the app shows. Anything else, a 5xx of the API included, fails the journey.
    const refusal = /^Failed to load resource: the server responded with a status of 4\d\d /.test(message.text())
      && message.location().url.startsWith(`${BASE}/api/v1/`);
    if (!refusal) errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
  let shot = 0;
  return {
    page,
    context,
    /** Saves a screenshot of the whole screen as `<journey>-<nn>-<what>.png`. */
    async screenshot(what) {
      shot += 1;
      const file = join(SCREENSHOTS, `${name}-${String(shot).padStart(2, "0")}-${what}.png`);
      await page.screenshot({ path: file, fullPage: true });
    },
    async finish() {
      await context.close();
      assert.deepEqual(errors, [], `console or page errors in ${name}`);
    },
  };
}

/** Opens a screen by its route and waits for its title. */
export async function open(page, route, title) {
  await page.goto(`${BASE}/#${route}`);
  await heading(page, title);
}

/** Waits for the screen's title (h1). */
export async function heading(page, title) {
  await page.getByRole("heading", { level: 1, name: title, exact: true }).waitFor();
}

/**
 * The form control whose label reads exactly `words` as the guide prints them, asterisk
 * included ("ФИО *", "Пароль"; the asterisk is hidden from screen readers, which hear
 * aria-required): any drift from the guide's words fails the journey.
 */
export function field(page, words) {
  return page.getByLabel(words, { exact: true });
}

/** The button that reads exactly `words`. */
export function button(page, words) {
  return page.getByRole("button", { name: words, exact: true });
}

/** The link that reads exactly `words`. */
export function link(page, words) {
  return page.getByRole("link", { name: words, exact: true });
}

/** The guide's sentence under the forms that have fields marked with *. */
export const REQUIRED_NOTE = "Поля, отмеченные *, являются обязательными для заполнения.";

/** The utility's "DD.MM.YYYY, HH:MM" of an instant (Europe/Moscow is UTC+3 all year). */
export function moscow(instant) {
  const shifted = new Date(instant.getTime() + 3 * 3600 * 1000).toISOString();
  return `${shifted.slice(8, 10)}.${shifted.slice(5, 7)}.${shifted.slice(0, 4)}, ${shifted.slice(11, 16)}`;
}

/** The newest SMS code sent to `phone` (E.164), from the outbox file. */
export function lastCode(phone) {
  const lines = readFileSync(OUTBOX, "utf8").trim().split("\n").map((line) => JSON.parse(line));
  const sms = lines.filter((line) => line.to === phone).at(-1);
  assert.ok(sms, `no SMS to ${phone}`);
  const code = /\b(\d{6})\b/.exec(sms.text);
  assert.ok(code, `no code in ${sms.text}`);
  return code[1];
}

/** Waits until the outbox has a new SMS to `phone` other than `previous` and returns its code. */
export async function newCode(phone, previous = null) {
  for (let i = 0; i < 50; i++) {
    try {
      const code = lastCode(phone);
      if (code !== previous) return code;
    } catch {
      // not yet written
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return lastCode(phone);
}

let phones = 0;

/** A new mobile phone number for this run: +7 9xx, distinct per call and per test file. */
export function freshPhone() {
  phones += 1;
  const seed = (process.pid % 10000) * 100 + phones;
  return `+7950${String(seed).padStart(7, "0").slice(-7)}`;
}

async function api(method, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${BASE}/api/v1${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export const PASSWORD = "тихая вода 2026";

/** Registers a user through the API (for journeys about something else); returns the phone. */
export async function registeredUser() {
  const phone = freshPhone();
  await api("POST", "/auth/registration", { phone, email: `u${phone.slice(2)}@example.ru`, consent_personal_data: true });
  const code = await newCode(phone);
  const session = await api("POST", "/auth/registration/confirm", { phone, code, password: PASSWORD });
  return { phone, token: session.token };
}

/** Links a demo account to a user through the API. */
export async function linkAccount(token, account_number, meter_last4, label) {
  return api("POST", "/accounts", { account_number, meter_last4, label }, token);
}

/** Logs in through the login screen. */
export async function logIn(page, login, password = PASSWORD) {
  await open(page, "/login", "Вход");
  await field(page, "Телефон/E-mail *").fill(login);
  await field(page, "Пароль").fill(password);
  await button(page, "Войти").click();
  await heading(page, "Главная");
}

/** The first day after today (Moscow) whose weekday (0 = Sunday) passes `wanted`, as YYYY-MM-DD. */
export function nextDay(wanted) {
  const day = new Date(new Date().toLocaleString("en-US", { timeZone: "Europe/Moscow" }));
  do {
    day.setDate(day.getDate() + 1);
  } while (!wanted(day.getDay()));
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;
}

/** The next day after today (Moscow) that is Monday to Friday. */
export const nextWeekday = () => nextDay((weekday) => weekday >= 1 && weekday <= 5);
