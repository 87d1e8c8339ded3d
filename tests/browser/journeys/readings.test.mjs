// Readings from the cabinet: a refusal, then a submission, seen in the history.

import { test } from "node:test";
import { useBrowser, journey, heading, registeredUser, linkAccount, logIn } from "../lib.mjs";

useBrowser();

test("a subscriber submits readings, is refused a value below the last one, and sees the history", async () => {
  const { page, screenshot, finish } = await journey("readings");
  const { phone, token } = await registeredUser();
  await linkAccount(token, "100001", "1234", "Дом");
  await linkAccount(token, "100002", "3456", null);
  await logIn(page, phone);

  await page.getByRole("listitem").filter({ hasText: "Дом" }).getByRole("link", { name: "Показания" }).click();
  await heading(page, "Передать показания");
  await screenshot("submit");
  await page.getByRole("button", { name: "Передать показания" }).click();
  await page.getByText("Укажите показание хотя бы одного счетчика").waitFor();

  await page.getByLabel("ВСХ-0011234 (холодная вода)").fill("1");
  await page.getByRole("button", { name: "Передать показания" }).click();
  await page.getByText("Показание счётчика ВСХ-0011234 меньше предыдущего").waitFor();
  await screenshot("submit-refused");

  await page.getByLabel("ВСХ-0011234 (холодная вода)").fill("135,25");
  await page.getByLabel("ВГВ-0022345 (горячая вода)").fill("48");
  await page.getByRole("button", { name: "Передать показания" }).click();
  await heading(page, "Показания приняты");
  await page.getByText("135,250").first().waitFor();
  await screenshot("accepted");

  // The "Показания" tab: the form and the history of the account.
  await page.getByRole("navigation", { name: "Разделы" }).getByRole("link", { name: "Показания" }).click();
  await heading(page, "Показания");
  await page.getByText("История показаний").waitFor();
  await page.getByText("48,000 м³", { exact: false }).first().waitFor();
  await screenshot("tab");

  // An unusually large consumption is accepted with a warning.
  await page.getByLabel("ВСХ-0011234 (холодная вода)").fill("900");
  await page.getByRole("button", { name: "Передать показания" }).click();
  await page.getByText("Расход необычно большой").first().waitFor();
  await screenshot("tab-warning");

  // The other account, through the chooser.
  await page.getByLabel("Лицевой счет").selectOption("100002");
  await page.getByLabel("ВСХ-0033456 (холодная вода)").waitFor();
  await page.getByText("512,000 м³", { exact: false }).first().waitFor();
  await screenshot("tab-other-account");
  await finish();
});
