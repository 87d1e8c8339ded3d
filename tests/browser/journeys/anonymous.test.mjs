// Without registration, by the guide's words: the start screen, "Показания" (a refusal first),
// "Платежи" through the sandbox page and back, "Контактный центр".

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, field, button, link, REQUIRED_NOTE } from "../lib.mjs";

useBrowser();

test("an anonymous subscriber submits a reading and sees a refusal first", async () => {
  const { page, screenshot, finish } = await journey("anonymous-reading");
  await open(page, "/", "Личный кабинет абонента");
  await link(page, "Войти в личный кабинет").waitFor();
  await link(page, "Регистрация").waitFor();
  await screenshot("start");
  await link(page, "Без регистрации").click();
  await heading(page, "Без регистрации");
  await screenshot("guest");
  await link(page, "Показания").click();
  await heading(page, "Показания");
  await field(page, "ФИО *").waitFor();
  await page.getByText(REQUIRED_NOTE).waitFor();
  await screenshot("readings-form");

  // Nothing filled: the server's messages next to each field.
  await button(page, "Отправить").click();
  await page.getByText("Укажите фамилию, имя и отчество").waitFor();
  await assert.doesNotReject(page.getByText("Укажите номер телефона").waitFor());
  assert.equal(await field(page, "ФИО *").getAttribute("aria-invalid"), "true");
  await screenshot("readings-errors");

  await field(page, "ФИО *").fill("Иванов Иван Иванович");
  await field(page, "Номер телефона *").fill("8 (910) 984-50-03");
  await field(page, "Номер ИПУ *").fill("ВСХ-0011234");
  await field(page, "Показания счётчика *").fill("1");
  await button(page, "Отправить").click();
  await page.getByText("меньше предыдущего").waitFor();
  await screenshot("readings-refused");

  await field(page, "Показания счётчика *").fill("130,5");
  await button(page, "Отправить").click();
  await heading(page, "Показания приняты");
  await page.getByText("130,500").first().waitFor();
  await screenshot("readings-accepted");
  await finish();
});

test("an anonymous subscriber pays through the sandbox and comes back to the result", async () => {
  const { page, screenshot, finish } = await journey("anonymous-payment");
  await open(page, "/guest/payments", "Платежи");
  const purpose = field(page, "Назначение платежа *");
  await purpose.waitFor();
  const purposes = await purpose.locator("option").allTextContents();
  assert.deepEqual(purposes, ["Вода", "Временный водопровод", "Судебные", "Отопление"]);
  await page.getByText(REQUIRED_NOTE).waitFor();
  await screenshot("payments-form");

  await field(page, "Лицевой счет *").fill("999999");
  await field(page, "Сумма, ₽ *").fill("100");
  await button(page, "Перейти к оплате").click();
  await page.getByText("Лицевой счёт с таким номером не найден").waitFor();
  await screenshot("payments-unknown-account");

  await field(page, "Лицевой счет *").fill("100003");
  await purpose.selectOption({ label: "Отопление" });
  await field(page, "Сумма, ₽ *").fill("250,50");
  await button(page, "Перейти к оплате").click();
  await page.waitForURL(/\/sandbox\/pay\//);
  await page.getByText("250.50 ₽").waitFor();
  await screenshot("sandbox-page");
  await button(page, "Оплатить").click();
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

test("the contact center is the guide's, with phones to tap", async () => {
  const { page, screenshot, finish } = await journey("anonymous-contacts");
  await open(page, "/guest", "Без регистрации");
  await link(page, "Контактный центр").click();
  await heading(page, "Контактный центр");
  const section = page.locator("main");
  for (const words of ["Адрес", "Режим работы", "Телефон"]) {
    await section.getByRole("heading", { level: 2, name: words, exact: true }).waitFor();
  }
  await page.getByText("Ленинский район, Иваново, 153038, Строителей проспект, 4а", { exact: true }).waitFor();
  await page.getByText("Пн-Пт: 8:30-18:30", { exact: true }).waitFor();
  await page.getByText("Сб: 9:00-17:30", { exact: true }).waitFor();
  assert.equal(await link(page, "+7 (4932) 93-01-08").getAttribute("href"), "tel:+74932930108");
  assert.equal(await link(page, "+7 (4932) 56-13-30").getAttribute("href"), "tel:+74932561330");
  await screenshot("contacts");
  await finish();
});
