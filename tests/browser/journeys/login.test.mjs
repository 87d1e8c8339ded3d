// Login: the errors, the eye, a login by phone in another form and by e-mail.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, registeredUser, PASSWORD } from "../lib.mjs";

useBrowser();

test("a subscriber logs in by phone and by e-mail, then deletes the profile", async () => {
  const { page, screenshot, finish } = await journey("login");
  const { phone } = await registeredUser();
  await open(page, "/login", "Вход в личный кабинет");
  await screenshot("login");
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByText("Введите пароль").waitFor();
  await screenshot("login-empty");

  await page.getByLabel("Телефон/E-mail").fill(phone);
  const password = page.getByLabel(/^Пароль/);
  await password.fill("не тот пароль");
  await page.getByRole("button", { name: "Показать пароль" }).click();
  assert.equal(await password.getAttribute("type"), "text");
  await page.getByRole("button", { name: "Скрыть пароль" }).click();
  assert.equal(await password.getAttribute("type"), "password");
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByText("Неверный телефон, электронная почта или пароль.").waitFor();
  // The message is tied to its field for screen readers, and the field has the focus.
  const described = await password.getAttribute("aria-describedby");
  const message = await page.locator(`[id="${described.split(" ").at(-1)}"]`).textContent();
  assert.equal(message, "Неверный телефон, электронная почта или пароль.");
  assert.equal(await password.evaluate((input) => input === document.activeElement), true);
  await screenshot("login-wrong");

  // The phone as people write it, "8 (9xx) xxx-xx-xx".
  const local = phone.slice(2);
  await page.getByLabel("Телефон/E-mail").fill(`8 (${local.slice(0, 3)}) ${local.slice(3, 6)}-${local.slice(6, 8)}-${local.slice(8)}`);
  // By keyboard: Tab to the password, Enter to submit.
  await page.getByLabel("Телефон/E-mail").focus();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await heading(page, "Главная");
  await screenshot("home");

  await page.getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Профиль/ }).click();
  await page.getByRole("button", { name: "Выйти" }).click();
  await heading(page, "Личный кабинет абонента");

  await page.getByRole("link", { name: "Войти в личный кабинет" }).click();
  await page.getByLabel("Телефон/E-mail").fill(`U${local}@Example.ru`);
  await page.getByLabel(/^Пароль/).fill(PASSWORD);
  await page.getByRole("button", { name: "Войти" }).click();
  await heading(page, "Главная");

  // The profile can be deleted with the password.
  await page.getByRole("navigation", { name: "Разделы" }).getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Профиль/ }).click();
  await page.getByRole("link", { name: "Удалить профиль" }).click();
  await heading(page, "Удалить профиль");
  await page.getByLabel(/^Пароль/).fill("не тот пароль");
  await page.getByRole("button", { name: "Удалить профиль" }).click();
  await page.getByText("Неверный пароль.").waitFor();
  await screenshot("delete-refused");
  await page.getByLabel(/^Пароль/).fill(PASSWORD);
  await page.getByRole("button", { name: "Удалить профиль" }).click();
  await heading(page, "Личный кабинет абонента");
  await page.getByText("Профиль удален.").waitFor();
  await open(page, "/login", "Вход в личный кабинет");
  await page.getByLabel("Телефон/E-mail").fill(phone);
  await page.getByLabel(/^Пароль/).fill(PASSWORD);
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByText("Неверный телефон, электронная почта или пароль.").waitFor();
  await finish();
});
