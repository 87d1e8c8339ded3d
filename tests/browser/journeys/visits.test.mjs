// "Приемка ИПУ" and "Сверка ИПУ" by the guide's words, a refused day first, and the list of
// requests.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, heading, field, button, registeredUser, linkAccount, logIn, nextDay, nextWeekday, REQUIRED_NOTE } from "../lib.mjs";

useBrowser();

test("a subscriber books meter acceptance and meter verification", async () => {
  const { page, screenshot, finish } = await journey("visits");
  const { phone, token } = await registeredUser();
  await linkAccount(token, "100002", "3456", null);
  await logIn(page, phone);
  const nav = page.getByRole("navigation", { name: "Разделы" });

  await nav.getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Приемка ИПУ/ }).click();
  await heading(page, "Приемка ИПУ");
  for (const words of ["Лицевой счет *", "Счётчик", "Номер телефона *", "Дата визита *", "Время визита *", "Примечания"]) {
    await field(page, words).waitFor();
  }
  await page.getByText(REQUIRED_NOTE).waitFor();
  assert.match(await field(page, "Номер телефона *").inputValue(), /^\+7\s\(9\d\d\)\s\d{3}-\d{2}-\d{2}$/);
  await screenshot("acceptance");
  await button(page, "Отправить").click();
  await page.getByText("Укажите дату").waitFor();
  await screenshot("acceptance-errors");

  // Sunday: the contact center does not work, and the server says so under the date.
  await field(page, "Дата визита *").fill(nextDay((weekday) => weekday === 0));
  await field(page, "Время визита *").selectOption("10:00");
  await button(page, "Отправить").click();
  await page.getByText("В этот день контактный центр не работает.").waitFor();
  await screenshot("acceptance-sunday");

  const day = nextWeekday();
  await field(page, "Дата визита *").fill(day);
  await field(page, "Время визита *").selectOption("08:30");
  await field(page, "Примечания").fill("Код домофона 15");
  await button(page, "Отправить").click();
  await heading(page, "Мои заявления");
  await page.getByText(/Заявление отправлено: Приемка ИПУ/).waitFor();
  await screenshot("list-one");

  await nav.getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Сверка ИПУ/ }).click();
  await heading(page, "Сверка ИПУ");
  await field(page, "Дата визита *").fill(day);
  await field(page, "Время визита *").selectOption("10:00");
  await field(page, "Счётчик").selectOption({ index: 0 });
  await screenshot("verification");
  await button(page, "Отправить").click();
  await heading(page, "Мои заявления");
  await page.getByText(/Сверка ИПУ: .* в 10:00/).waitFor();
  await page.getByText(/Приемка ИПУ: .* в 08:30/).waitFor();
  await screenshot("list-two");
  await finish();
});
