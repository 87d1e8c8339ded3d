// Paying from the cabinet through the sandbox page: back to the app, the debt lower.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, heading, field, button, link, registeredUser, linkAccount, logIn } from "../lib.mjs";

useBrowser();

test("a subscriber pays an account's debt and sees it in the history", async () => {
  const { page, screenshot, finish } = await journey("pay");
  const { phone, token } = await registeredUser();
  const account = await linkAccount(token, "100004", "6789", "Дача");
  await logIn(page, phone);

  await link(page, "Оплатить").click();
  await heading(page, "Оплата");
  const amount = field(page, "Сумма, ₽ *");
  assert.equal(await amount.inputValue(), account.debt.replace(".", ","));
  await screenshot("pay");
  await amount.fill("0");
  await button(page, "Перейти к оплате").click();
  await page.getByText("Сумма должна быть больше нуля").waitFor();
  await screenshot("pay-refused");

  await amount.fill("100,00");
  await button(page, "Перейти к оплате").click();
  await page.waitForURL(/\/sandbox\/pay\//);
  await page.getByRole("button", { name: "Оплатить" }).click();
  await page.waitForURL(/#\/payments\//, { timeout: 15000 });
  await heading(page, "Платеж проведен");
  await screenshot("paid");
  await page.getByRole("link", { name: "К лицевому счету" }).click();
  await heading(page, "Дача");
  await page.getByText("Оплачен").waitFor();
  await screenshot("account");

  await page.getByRole("navigation", { name: "Разделы" }).getByRole("link", { name: "Платежи" }).click();
  await heading(page, "Платежи");
  await page.getByText("История платежей").waitFor();
  await page.getByText("100,00", { exact: false }).first().waitFor();
  await screenshot("tab");
  await finish();
});
