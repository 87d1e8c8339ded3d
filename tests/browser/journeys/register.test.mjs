// Registration with the code from the SMS outbox, then the first account: add it (wrong
// digits first), edit its label, open it; log out.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, freshPhone, newCode, PASSWORD } from "../lib.mjs";

useBrowser();

test("a subscriber registers, adds and edits an account, and logs out", async () => {
  const { page, screenshot, finish } = await journey("register");
  const phone = freshPhone();
  await open(page, "/", "Личный кабинет абонента");
  await page.getByRole("link", { name: "Регистрация" }).click();
  await heading(page, "Регистрация");
  await screenshot("register");

  await page.getByLabel("Номер телефона").fill(`8${phone.slice(2)}`);
  await page.getByLabel("E-mail").fill(`new${phone.slice(2)}@example.ru`);
  await page.getByRole("button", { name: "Получить код" }).click();
  await page.getByText("Необходимо согласие на обработку персональных данных").waitFor();
  await screenshot("register-no-consent");
  await page.getByLabel("Я даю согласие на обработку персональных данных").check();
  await page.getByRole("button", { name: "Получить код" }).click();
  await heading(page, "Подтверждение регистрации");
  await page.getByText(/Повторная отправка кода через 0[23]:\d\d/).waitFor();
  await screenshot("register-code");

  const code = await newCode(phone);
  await page.getByLabel("Код из SMS").fill(code === "000000" ? "111111" : "000000");
  await page.getByLabel(/^Пароль/).fill(PASSWORD);
  await page.getByRole("button", { name: "Зарегистрироваться" }).click();
  await page.getByText("Неверный код из SMS").waitFor();
  await page.getByLabel("Код из SMS").fill(code);
  await page.getByRole("button", { name: "Зарегистрироваться" }).click();
  await heading(page, "Главная");
  await page.getByText("Лицевые счета еще не добавлены.").waitFor();
  await screenshot("home-empty");

  await page.getByRole("link", { name: "Новый счет" }).click();
  await heading(page, "Новый счет");
  await screenshot("account-new");
  await page.getByLabel("Лицевой счет").fill("100001");
  await page.getByLabel("Последние 4 цифры счетчика").fill("9999");
  await page.getByRole("button", { name: "Добавить" }).click();
  await page.getByText("Не найден лицевой счёт с таким номером").waitFor();
  await screenshot("account-new-refused");
  await page.getByLabel("Последние 4 цифры счетчика").fill("1234");
  await page.getByLabel("Наименование для счета").fill("Квартира");
  await page.getByRole("button", { name: "Добавить" }).click();
  await heading(page, "Главная");
  await page.getByText("Лицевой счет 100001 добавлен.").waitFor();
  await page.getByText("г. Иваново, ул. Лежневская, д. 120, кв. 15").waitFor();
  await screenshot("home");

  await page.getByRole("link", { name: "Подробнее" }).click();
  await heading(page, "Квартира");
  await page.getByText("ВСХ-0011234 (холодная вода)").waitFor();
  await screenshot("account");
  await page.getByRole("link", { name: "Редактировать" }).click();
  await heading(page, "Редактирование");
  assert.equal(await page.getByLabel("Лицевой счет").inputValue(), "100001");
  await screenshot("account-edit");
  await page.getByLabel("Наименование для счета").fill("Дом у реки");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await heading(page, "Дом у реки");
  await page.getByText("Изменения сохранены.").waitFor();

  await page.getByRole("link", { name: "Еще" }).click();
  await heading(page, "Еще");
  await screenshot("more");
  await page.getByRole("link", { name: /Профиль/ }).click();
  await heading(page, "Профиль");
  await page.getByText(`new${phone.slice(2)}@example.ru`).waitFor();
  await screenshot("profile");
  await page.getByRole("button", { name: "Выйти" }).click();
  await heading(page, "Личный кабинет абонента");
  await page.getByText("Вы вышли из личного кабинета.").waitFor();
  await screenshot("logged-out");

  // The session is gone: the cabinet asks to log in.
  await page.goto(`${page.url().split("#")[0]}#/home`);
  await heading(page, "Вход в личный кабинет");
  await finish();
});
