// "Your data" (issue 18): «Скачать историю» in the profile saves a CSV of the readings and
// payments of the linked accounts; «Добавить в календарь» on a booked visit and beside the
// reading window save .ics files. Each download is captured and parsed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { BASE, useBrowser, journey, open, button, link, registeredUser, linkAccount, logIn, nextWeekday } from "../lib.mjs";

useBrowser();

/** A call of the API with the session, for the setup the journey is not about. */
async function call(method, path, body, token) {
  const response = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Clicks `target` and returns the saved file's name and bytes. */
async function downloaded(page, target) {
  const [download] = await Promise.all([page.waitForEvent("download"), target.click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(path) };
}

/** The content lines of an iCalendar text, unfolded; asserts CRLF and 75-octet lines. */
function icsLines(bytes) {
  const text = bytes.toString("utf8");
  assert.ok(text.endsWith("\r\n"));
  for (const line of text.slice(0, -2).split("\r\n")) {
    assert.ok(Buffer.byteLength(line) <= 75, line);
  }
  return text.replaceAll("\r\n ", "").slice(0, -2).split("\r\n");
}

test("a subscriber downloads the history and adds a visit and the reading window to the calendar", async () => {
  const { page, screenshot, finish } = await journey("your-data");
  const { phone, token } = await registeredUser();
  await linkAccount(token, "100001", "1234", null);
  await linkAccount(token, "100002", "3456", null);
  // A reading and a paid payment on the first account.
  const account = await call("GET", "/accounts/100001", null, token);
  const meter = account.meters[0];
  const base = meter.last_reading ? Number.parseFloat(meter.last_reading.value) : 0;
  const value = (Math.floor(base) + 3).toFixed(3);
  await call("POST", "/accounts/100001/readings", { readings: [{ meter_number: meter.meter_number, value }] }, token);
  const payment = await call("POST", "/accounts/100001/payments", { purpose: "water", amount: "10.00" }, token);
  const paid = await fetch(payment.confirmation_url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "result=succeeded",
    redirect: "manual",
  });
  assert.ok(paid.status < 400, `sandbox: ${paid.status}`);
  const visit = await call(
    "POST",
    "/visit-requests",
    { kind: "meter_acceptance", account_number: "100001", phone, visit_date: nextWeekday(), visit_time: "10:00" },
    token,
  );

  await logIn(page, phone);
  await open(page, "/profile", "Профиль");
  await screenshot("profile");
  const history = await downloaded(page, button(page, "Скачать историю"));
  assert.match(history.name, /^vodokanal-history-\d{4}-\d{2}-\d{2}\.csv$/);
  assert.deepEqual([...history.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "a byte order mark");
  const rows = history.bytes
    .subarray(3)
    .toString("utf8")
    .trimEnd()
    .split("\n")
    .map((line) => line.split(";"));
  assert.deepEqual(rows[0], [
    "Дата",
    "Лицевой счет",
    "Запись",
    "Счетчик",
    "Период",
    "Показание, м³",
    "Расход, м³",
    "Источник",
    "Назначение платежа",
    "Сумма, руб.",
    "Статус",
  ]);
  for (const row of rows) assert.equal(row.length, 11, row.join(";"));
  const mine = rows.find((row) => row[2] === "Показание" && row[5] === value.replace(".", ","));
  assert.ok(mine, `the reading ${value} in ${JSON.stringify(rows)}`);
  assert.deepEqual([mine[1], mine[3], mine[7], mine[10]], ["100001", meter.meter_number, "личный кабинет", "Принято"]);
  assert.match(mine[0], /^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$/);
  const row = rows.find((row) => row[2] === "Платеж");
  assert.ok(row, "the payment");
  assert.deepEqual(row.slice(8), ["Вода", "10,00", "Оплачен"]);

  await open(page, "/visits", "Мои заявления");
  await screenshot("visits");
  const calendar = await downloaded(page, button(page, "Добавить в календарь"));
  assert.equal(calendar.name, `vodokanal-visit-${visit.visit_date}.ics`);
  const lines = icsLines(calendar.bytes);
  const day = visit.visit_date.replaceAll("-", "");
  for (const line of [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "BEGIN:VEVENT",
    `DTSTART;TZID=Europe/Moscow:${day}T100000`,
    `DTEND;TZID=Europe/Moscow:${day}T103000`,
    "SUMMARY:Приемка ИПУ",
    "END:VCALENDAR",
  ]) {
    assert.ok(lines.includes(line), `${line} in ${lines.join("\n")}`);
  }
  assert.ok(lines.some((line) => line.startsWith(`UID:${visit.id}@`)));

  await open(page, "/guest/readings", "Показания");
  await screenshot("guest-readings");
  const window = await downloaded(page, link(page, "Добавить в календарь"));
  assert.equal(window.name, "vodokanal-reading-window.ics");
  const windowLines = icsLines(window.bytes);
  assert.ok(windowLines.includes("BEGIN:VEVENT"));
  assert.ok(windowLines.includes("RRULE:FREQ=MONTHLY"));
  assert.ok(windowLines.includes("SUMMARY:Передать показания ИПУ"));
  assert.ok(windowLines.some((line) => /^DTSTART;VALUE=DATE:\d{8}$/.test(line)));
  await finish();
});
