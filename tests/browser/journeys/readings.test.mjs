// Readings from the cabinet: a refusal, then a submission, seen in the history at the
// utility's time (the browser's own zone is another).

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, heading, field, button, link, registeredUser, linkAccount, logIn, moscow } from "../lib.mjs";

useBrowser();

test("a subscriber submits readings, is refused a value below the last one, and sees the history", async () => {
  const { page, screenshot, finish } = await journey("readings");
  const { phone, token } = await registeredUser();
  await linkAccount(token, "100001", "1234", "Дом");
  await linkAccount(token, "100002", "3456", null);
  await logIn(page, phone);

  await page.getByRole("listitem").filter({ hasText: "Дом" }).getByRole("link", { name: "Отправить показания" }).click();
  await heading(page, "Отправить показания");
  await screenshot("submit");
  await button(page, "Отправить").click();
  await page.getByText("Укажите показание хотя бы одного счетчика").waitFor();

  await field(page, "ВСХ-0011234 (холодная вода)").fill("1");
  await button(page, "Отправить").click();
  await page.getByText("Показание счётчика ВСХ-0011234 меньше предыдущего").waitFor();
  await screenshot("submit-refused");

  await field(page, "ВСХ-0011234 (холодная вода)").fill("135,25");
  await field(page, "ВГВ-0022345 (горячая вода)").fill("48");
  const before = new Date();
  await button(page, "Отправить").click();
  await heading(page, "Показания приняты");
  const after = new Date();
  await page.getByText("135,250").first().waitFor();
  await screenshot("accepted");

  // The account screen: the meter's last reading and the history's time, both Moscow's.
  await link(page, "К лицевому счету").click();
  await heading(page, "Дом");
  const at = [moscow(before), moscow(after)];
  const last = await page.getByText(/^Последнее показание 135,250/).textContent();
  assert.ok(at.some((t) => last.endsWith(`от ${t.slice(0, 10)}`)), `${last} not on ${at}`);
  const sent = await page.getByText(/^Передано /).first().textContent();
  assert.ok(at.some((t) => sent.startsWith(`Передано ${t},`)), `${sent} not at ${at}`);

  // The "Показания" tab: the form and the history of the account.
  await page.getByRole("navigation", { name: "Разделы" }).getByRole("link", { name: "Показания" }).click();
  await heading(page, "Показания");
  await page.getByText("История показаний").waitFor();
  await page.getByText("48,000 м³", { exact: false }).first().waitFor();
  await screenshot("tab");

  // An unusually large consumption is accepted with a warning.
  await field(page, "ВСХ-0011234 (холодная вода)").fill("900");
  await button(page, "Отправить").click();
  await page.getByText("Расход необычно большой").first().waitFor();
  await screenshot("tab-warning");

  // The other account, through the chooser.
  await field(page, "Лицевой счет").selectOption("100002");
  await field(page, "ВСХ-0033456 (холодная вода) *").waitFor();
  await page.getByText("512,000 м³", { exact: false }).first().waitFor();
  await screenshot("tab-other-account");
  await finish();
});
