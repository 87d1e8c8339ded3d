// "Вход" by the guide's words: the errors, the eye, a login by phone in another form and by
// e-mail; the profile's deletion.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, field, button, link, registeredUser, PASSWORD } from "../lib.mjs";

useBrowser();

test("a subscriber logs in by phone and by e-mail, then deletes the profile", async () => {
  const { page, screenshot, finish } = await journey("login");
  const { phone } = await registeredUser();
  await open(page, "/login", "Вход");
  await link(page, "Забыли пароль?").waitFor();
  await screenshot("login");
  await button(page, "Войти").click();
  await page.getByText("Введите пароль").waitFor();
  await screenshot("login-empty");

  await field(page, "Телефон/E-mail *").fill(phone);
  const password = field(page, "Пароль");
  await password.fill("не тот пароль");
  await page.getByRole("button", { name: "Показать пароль" }).click();
  assert.equal(await password.getAttribute("type"), "text");
  await page.getByRole("button", { name: "Скрыть пароль" }).click();
  assert.equal(await password.getAttribute("type"), "password");
  await button(page, "Войти").click();
  await page.getByText("Неверный телефон, электронная почта или пароль.").waitFor();
  // The message is tied to its field for screen readers, and the field has the focus.
  const described = await password.getAttribute("aria-describedby");
  const message = await page.locator(`[id="${described.split(" ").at(-1)}"]`).textContent();
  assert.equal(message, "Неверный телефон, электронная почта или пароль.");
  assert.equal(await password.evaluate((input) => input === document.activeElement), true);
  await screenshot("login-wrong");

  // The phone as people write it, "8 (9xx) xxx-xx-xx".
  const local = phone.slice(2);
  await field(page, "Телефон/E-mail *").fill(`8 (${local.slice(0, 3)}) ${local.slice(3, 6)}-${local.slice(6, 8)}-${local.slice(8)}`);
  // By keyboard: Tab to the password, Enter to submit.
  await field(page, "Телефон/E-mail *").focus();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await heading(page, "Главная");
  await screenshot("home");

  await page.getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Профиль/ }).click();
  await button(page, "Выход").click();
  await heading(page, "Личный кабинет абонента");

  await page.getByRole("link", { name: "Войти в личный кабинет" }).click();
  await field(page, "Телефон/E-mail *").fill(`U${local}@Example.ru`);
  await field(page, "Пароль").fill(PASSWORD);
  await button(page, "Войти").click();
  await heading(page, "Главная");

  // The profile can be deleted with the password.
  await page.getByRole("navigation", { name: "Разделы" }).getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Профиль/ }).click();
  await page.getByRole("link", { name: "Удалить профиль" }).click();
  await heading(page, "Удалить профиль");
  await field(page, "Пароль *").fill("не тот пароль");
  await page.getByRole("button", { name: "Удалить профиль" }).click();
  await page.getByText("Неверный пароль.").waitFor();
  await screenshot("delete-refused");
  await field(page, "Пароль *").fill(PASSWORD);
  await page.getByRole("button", { name: "Удалить профиль" }).click();
  await heading(page, "Личный кабинет абонента");
  await page.getByText("Профиль удален.").waitFor();
  await open(page, "/login", "Вход");
  await field(page, "Телефон/E-mail *").fill(phone);
  await field(page, "Пароль").fill(PASSWORD);
  await button(page, "Войти").click();
  await page.getByText("Неверный телефон, электронная почта или пароль.").waitFor();
  await finish();
});
