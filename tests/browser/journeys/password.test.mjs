// "Восстановление пароля" by the guide's words, with the live countdown, then "Изменить пароль"
// in the profile.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, field, button, link, registeredUser, newCode, lastCode, logIn, REQUIRED_NOTE } from "../lib.mjs";

useBrowser();

test("a subscriber recovers the password, logs in, changes it and logs out", async () => {
  const { page, screenshot, finish } = await journey("password");
  const { phone } = await registeredUser();
  const registrationCode = lastCode(phone);

  await open(page, "/login", "Вход");
  await link(page, "Забыли пароль?").click();
  await heading(page, "Восстановление пароля");
  await screenshot("recover");
  await field(page, "Номер телефона *").fill(phone);
  await button(page, "Получить код").click();
  await field(page, "Код подтверждения *").waitFor();
  await heading(page, "Восстановление пароля");
  // The guide's second screen: the phone as it was given, then the countdown.
  assert.match(await field(page, "Номер телефона *").inputValue(), /^\+7\s\(\d{3}\)\s\d{3}-\d{2}-\d{2}$/);
  const timer = page.getByRole("timer");
  await timer.getByText(/^Повторная отправка кода через 0[23]:\d\d$/).waitFor();
  const first = await timer.textContent();
  await page.waitForTimeout(2100);
  const later = await timer.textContent();
  assert.notEqual(first, later, "the countdown counts down");
  await page.getByText(REQUIRED_NOTE).waitFor();
  await screenshot("recover-code");

  const code = await newCode(phone, registrationCode);
  await field(page, "Код подтверждения *").fill(code);
  await field(page, "Новый пароль *").fill("новая вода 2027");
  await field(page, "Подтвердить новый пароль *").fill("другая вода 2027");
  await button(page, "Сохранить").click();
  await page.getByText("Пароли не совпадают").waitFor();
  await field(page, "Подтвердить новый пароль *").fill("новая вода 2027");
  await button(page, "Сохранить").click();
  await heading(page, "Вход");
  await page.getByText("Пароль изменен. Войдите с новым паролем.").waitFor();
  await screenshot("recovered");

  await logIn(page, phone, "новая вода 2027");
  const nav = page.getByRole("navigation", { name: "Разделы" });
  await nav.getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Профиль/ }).click();
  await page.getByRole("link", { name: "Изменить пароль" }).click();
  await heading(page, "Изменить пароль");
  await screenshot("change");
  await field(page, "Текущий пароль *").fill("не тот пароль");
  await field(page, "Новый пароль *").fill("12345678");
  await field(page, "Подтвердить новый пароль *").fill("12345678");
  await button(page, "Сохранить").click();
  await page.getByText("Этот пароль слишком распространён").waitFor();
  await screenshot("change-refused");
  await field(page, "Новый пароль *").fill("третья вода 2028");
  await field(page, "Подтвердить новый пароль *").fill("третья вода 2028");
  await button(page, "Сохранить").click();
  await page.getByText("Неверный пароль.").waitFor();
  await field(page, "Текущий пароль *").fill("новая вода 2027");
  await button(page, "Сохранить").click();
  await heading(page, "Профиль");
  await page.getByText("Пароль изменен.").waitFor();
  await screenshot("changed");

  await button(page, "Выход").click();
  await heading(page, "Личный кабинет абонента");
  await logIn(page, phone, "третья вода 2028");
  await finish();
});
