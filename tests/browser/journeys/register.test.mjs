// By the guide's words: "Регистрация" with the code from the SMS outbox, then "Новый счет"
// (wrong digits first), "Редактирование", the account; "Профиль" and "Выход".

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, field, button, link, freshPhone, newCode, PASSWORD, REQUIRED_NOTE } from "../lib.mjs";

useBrowser();

const LABEL_HINT = 'Вы можете указать свое наименование для счета, например, "Моя квартира" или "Квартира бабушки". Если вы не хотите указывать свое наименование - оставьте поле пустым';

test("a subscriber registers, adds and edits an account, and logs out", async () => {
  const { page, screenshot, finish } = await journey("register");
  const phone = freshPhone();
  await open(page, "/", "Личный кабинет абонента");
  await link(page, "Регистрация").click();
  await heading(page, "Регистрация");
  await page.getByText(REQUIRED_NOTE).waitFor();
  await screenshot("register");

  await field(page, "Номер телефона *").fill(`8${phone.slice(2)}`);
  await field(page, "Электронная почта *").fill(`new${phone.slice(2)}@example.ru`);
  await button(page, "Зарегистрироваться").click();
  await page.getByText("Необходимо согласие на обработку персональных данных").waitFor();
  await screenshot("register-no-consent");
  await field(page, "Я даю согласие на обработку персональных данных *").check();
  await button(page, "Зарегистрироваться").click();
  await field(page, "Код подтверждения *").waitFor();
  await heading(page, "Регистрация");
  await page.getByText(/Повторная отправка кода через 0[23]:\d\d/).waitFor();
  await screenshot("register-code");

  const code = await newCode(phone);
  await field(page, "Код подтверждения *").fill(code === "000000" ? "111111" : "000000");
  await field(page, "Пароль *").fill(PASSWORD);
  await field(page, "Подтвердить пароль *").fill(PASSWORD);
  await button(page, "Сохранить").click();
  await page.getByText("Неверный код подтверждения").waitFor();
  await field(page, "Код подтверждения *").fill(code);
  await button(page, "Сохранить").click();
  await heading(page, "Главная");
  await page.getByText("Лицевые счета еще не добавлены.").waitFor();
  // The cabinet's menu, as the guide lists it.
  const menu = await page.getByRole("navigation", { name: "Разделы" }).getByRole("link").allTextContents();
  assert.deepEqual(menu, ["Главная", "Показания", "Платежи", "Еще"]);
  await screenshot("home-empty");

  await link(page, "Новый счет").click();
  await heading(page, "Новый счет");
  await page.getByText(REQUIRED_NOTE).waitFor();
  await page.getByText(LABEL_HINT, { exact: true }).waitFor();
  await screenshot("account-new");
  await field(page, "Лицевой счет *").fill("100001");
  await field(page, "Последние 4 цифры счетчика *").fill("9999");
  await button(page, "Добавить").click();
  await page.getByText("Не найден лицевой счёт с таким номером").waitFor();
  await screenshot("account-new-refused");
  await field(page, "Последние 4 цифры счетчика *").fill("1234");
  await field(page, "Наименование для счета").fill("Квартира");
  await button(page, "Добавить").click();
  await heading(page, "Главная");
  await page.getByText("Лицевой счет 100001 добавлен.").waitFor();
  await page.getByText("г. Иваново, ул. Лежневская, д. 120, кв. 15").waitFor();
  await screenshot("home");

  await link(page, "Подробнее").click();
  await heading(page, "Квартира");
  await page.getByText("ВСХ-0011234 (холодная вода)").waitFor();
  await screenshot("account");
  await link(page, "Редактировать").click();
  await heading(page, "Редактирование");
  assert.equal(await field(page, "Лицевой счет *").inputValue(), "100001");
  assert.deepEqual((await field(page, "Последние 4 цифры счетчика *").inputValue()).split(", ").sort(), ["1234", "2345"]);
  await page.getByText(LABEL_HINT, { exact: true }).waitFor();
  await screenshot("account-edit");
  await field(page, "Наименование для счета").fill("Дом у реки");
  await button(page, "Принять").click();
  await heading(page, "Дом у реки");
  await page.getByText("Изменения сохранены.").waitFor();

  await link(page, "Еще").click();
  await heading(page, "Еще");
  await screenshot("more");
  await page.getByRole("link", { name: /^Профиль/ }).click();
  await heading(page, "Профиль");
  // The profile's facts arrive after its heading: wait for them before reading the list.
  await page.getByText(`new${phone.slice(2)}@example.ru`).waitFor();
  const facts = await page.locator("dl.facts dt").allTextContents();
  assert.deepEqual(facts.slice(0, 2), ["Номер телефона", "Электронная почта"]);
  await link(page, "Изменить пароль").waitFor();
  await screenshot("profile");
  await button(page, "Выход").click();
  await heading(page, "Личный кабинет абонента");
  await page.getByText("Вы вышли из личного кабинета.").waitFor();
  await screenshot("logged-out");

  // The session is gone: the cabinet asks to log in.
  await page.goto(`${page.url().split("#")[0]}#/home`);
  await heading(page, "Вход");
  await finish();
});
