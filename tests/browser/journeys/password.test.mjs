// Password recovery with the live countdown, then a change of password in the profile.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, registeredUser, newCode, lastCode, logIn } from "../lib.mjs";

useBrowser();

test("a subscriber recovers the password, logs in, changes it and logs out", async () => {
  const { page, screenshot, finish } = await journey("password");
  const { phone } = await registeredUser();
  const registrationCode = lastCode(phone);

  await open(page, "/login", "Вход в личный кабинет");
  await page.getByRole("link", { name: "Забыли пароль?" }).click();
  await heading(page, "Восстановление пароля");
  await screenshot("recover");
  await page.getByLabel("Номер телефона").fill(phone);
  await page.getByRole("button", { name: "Получить код" }).click();
  await heading(page, "Новый пароль");
  const timer = page.getByRole("timer");
  await timer.getByText(/Повторная отправка кода через 0[23]:\d\d/).waitFor();
  const first = await timer.textContent();
  await page.waitForTimeout(2100);
  const later = await timer.textContent();
  assert.notEqual(first, later, "the countdown counts down");
  await screenshot("recover-code");

  const code = await newCode(phone, registrationCode);
  await page.getByLabel("Код из SMS").fill(code);
  await page.getByLabel("Новый пароль").fill("новая вода 2027");
  await page.getByLabel("Подтверждение пароля").fill("другая вода 2027");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Пароли не совпадают").waitFor();
  await page.getByLabel("Подтверждение пароля").fill("новая вода 2027");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await heading(page, "Вход в личный кабинет");
  await page.getByText("Пароль изменен. Войдите с новым паролем.").waitFor();
  await screenshot("recovered");

  await logIn(page, phone, "новая вода 2027");
  const nav = page.getByRole("navigation", { name: "Разделы" });
  await nav.getByRole("link", { name: "Еще" }).click();
  await page.getByRole("link", { name: /Профиль/ }).click();
  await page.getByRole("link", { name: "Изменить пароль" }).click();
  await heading(page, "Изменить пароль");
  await screenshot("change");
  await page.getByLabel("Текущий пароль").fill("не тот пароль");
  await page.getByLabel("Новый пароль").fill("12345678");
  await page.getByLabel("Подтверждение пароля").fill("12345678");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Этот пароль слишком распространён").waitFor();
  await screenshot("change-refused");
  await page.getByLabel("Новый пароль").fill("третья вода 2028");
  await page.getByLabel("Подтверждение пароля").fill("третья вода 2028");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await page.getByText("Неверный пароль.").waitFor();
  await page.getByLabel("Текущий пароль").fill("новая вода 2027");
  await page.getByRole("button", { name: "Сохранить" }).click();
  await heading(page, "Профиль");
  await page.getByText("Пароль изменен.").waitFor();
  await screenshot("changed");

  await page.getByRole("button", { name: "Выйти" }).click();
  await heading(page, "Личный кабинет абонента");
  await logIn(page, phone, "третья вода 2028");
  await finish();
});
