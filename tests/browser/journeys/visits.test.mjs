// Booking both kinds of visits, a refused day first, and the list of requests.

import { test } from "node:test";
import { useBrowser, journey, heading, registeredUser, linkAccount, logIn, nextDay, nextWeekday } from "../lib.mjs";

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
  await screenshot("acceptance");
  await page.getByRole("button", { name: "Отправить заявку" }).click();
  await page.getByText("Укажите дату").waitFor();
  await screenshot("acceptance-errors");

  // Sunday: the contact center does not work, and the server says so under the date.
  await page.getByLabel("Дата визита").fill(nextDay((weekday) => weekday === 0));
  await page.getByLabel("Время визита").selectOption("10:00");
  await page.getByRole("button", { name: "Отправить заявку" }).click();
  await page.getByText("В этот день контактный центр не работает.").waitFor();
  await screenshot("acceptance-sunday");

  const day = nextWeekday();
  await page.getByLabel("Дата визита").fill(day);
  await page.getByLabel("Время визита").selectOption("08:30");
  await page.getByLabel("Примечание").fill("Код домофона 15");
  await page.getByRole("button", { name: "Отправить заявку" }).click();
  await heading(page, "Мои заявки");
  await page.getByText(/Заявка принята: Приемка ИПУ/).waitFor();
  await screenshot("list-one");

  await nav.getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Сверка ИПУ/ }).click();
  await heading(page, "Сверка ИПУ");
  await page.getByLabel("Дата визита").fill(day);
  await page.getByLabel("Время визита").selectOption("10:00");
  await page.getByLabel("Счетчик").selectOption({ index: 0 });
  await screenshot("verification");
  await page.getByRole("button", { name: "Отправить заявку" }).click();
  await heading(page, "Мои заявки");
  await page.getByText(/Сверка ИПУ: .* в 10:00/).waitFor();
  await page.getByText(/Приемка ИПУ: .* в 08:30/).waitFor();
  await screenshot("list-two");
  await finish();
});
