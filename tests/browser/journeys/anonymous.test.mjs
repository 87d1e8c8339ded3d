// Without registration: the start screen, a reading, a payment through the sandbox page and
// back, the contact center.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading } from "../lib.mjs";

useBrowser();

test("an anonymous subscriber submits a reading and sees a refusal first", async () => {
  const { page, screenshot, finish } = await journey("anonymous-reading");
  await open(page, "/", "Личный кабинет абонента");
  await screenshot("start");
  await page.getByRole("link", { name: "Без регистрации" }).click();
  await heading(page, "Без регистрации");
  await screenshot("guest");
  await page.getByRole("link", { name: "Показания" }).click();
  await heading(page, "Показания");
  await page.getByLabel("ФИО").waitFor();
  await screenshot("readings-form");

  // Nothing filled: the server's messages next to each field.
  await page.getByRole("button", { name: "Передать показания" }).click();
  await page.getByText("Укажите фамилию, имя и отчество").waitFor();
  await assert.doesNotReject(page.getByText("Укажите номер телефона").waitFor());
  assert.equal(await page.getByLabel("ФИО").getAttribute("aria-invalid"), "true");
  await screenshot("readings-errors");

  await page.getByLabel("ФИО").fill("Иванов Иван Иванович");
  await page.getByLabel("Номер телефона").fill("8 (910) 984-50-03");
  await page.getByLabel("Номер ИПУ").fill("ВСХ-0011234");
  await page.getByLabel("Показания счётчика").fill("1");
  await page.getByRole("button", { name: "Передать показания" }).click();
  await page.getByText("меньше предыдущего").waitFor();
  await screenshot("readings-refused");

  await page.getByLabel("Показания счётчика").fill("130,5");
  await page.getByRole("button", { name: "Передать показания" }).click();
  await heading(page, "Показания приняты");
  await page.getByText("130,500").first().waitFor();
  await screenshot("readings-accepted");
  await finish();
});

test("an anonymous subscriber pays through the sandbox and comes back to the result", async () => {
  const { page, screenshot, finish } = await journey("anonymous-payment");
  await open(page, "/guest/payments", "Платежи");
  await page.getByLabel("Назначение платежа").waitFor();
  const purposes = await page.getByLabel("Назначение платежа").locator("option").allTextContents();
  assert.deepEqual(purposes, ["Вода", "Временный водопровод", "Судебные", "Отопление"]);
  await screenshot("payments-form");

  await page.getByLabel("Лицевой счет").fill("999999");
  await page.getByLabel("Сумма, ₽").fill("100");
  await page.getByRole("button", { name: "Перейти к оплате" }).click();
  await page.getByText("Лицевой счёт с таким номером не найден").waitFor();
  await screenshot("payments-unknown-account");

  await page.getByLabel("Лицевой счет").fill("100003");
  await page.getByLabel("Назначение платежа").selectOption({ label: "Отопление" });
  await page.getByLabel("Сумма, ₽").fill("250,50");
  await page.getByRole("button", { name: "Перейти к оплате" }).click();
  await page.waitForURL(/\/sandbox\/pay\//);
  await page.getByText("250.50 ₽").waitFor();
  await screenshot("sandbox-page");
  await page.getByRole("button", { name: "Оплатить" }).click();
  await page.getByRole("heading", { name: "Платёж проведён" }).waitFor();
  await screenshot("sandbox-paid");

  // The sandbox returns to the app by itself.
  await page.waitForURL(/#\/payments\//, { timeout: 15000 });
  await heading(page, "Платеж проведен");
  await page.getByText("250,50").waitFor();
  await page.getByText("Отопление").waitFor();
  await screenshot("payment-result");
  await finish();
});

test("the contact center lists phones to tap", async () => {
  const { page, screenshot, finish } = await journey("anonymous-contacts");
  await open(page, "/guest", "Без регистрации");
  await page.getByRole("link", { name: "Контактный центр" }).click();
  await heading(page, "Контактный центр");
  const phone = page.getByRole("link", { name: "+7 (4932) 93-93-93" });
  assert.equal(await phone.getAttribute("href"), "tel:+74932939393");
  await page.getByText("Пн–Пт: 08:30–18:30").waitFor();
  await screenshot("contacts");
  await finish();
});
