// Notices (issue 17) in the web client: a verification notice's link opens «Сверка ИПУ» on its
// account and meter, after the login when there is no session; «Уведомления» keeps what was
// chosen; the profile says whether the address is verified; the e-mails' links (verification,
// unsubscribe) when the link is not valid.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, field, button, link, registeredUser, linkAccount, logIn, BASE, PASSWORD } from "../lib.mjs";

useBrowser();

/** The values of a select's options, in order. */
const optionValues = (select) => select.locator("option").evaluateAll((options) => options.map((o) => o.value));

test("a notice's link opens «Сверка ИПУ» with its account and meter chosen", async () => {
  const { page, screenshot, finish } = await journey("notices-visit");
  const { phone, token } = await registeredUser();
  await linkAccount(token, "100002", "3456", null);
  await linkAccount(token, "100001", "1234", "Дом");

  // The account's meters in the server's order: the link names the second, which the form
  // would not choose by itself.
  const account = await (
    await fetch(`${BASE}/api/v1/accounts/100001`, { headers: { authorization: `Bearer ${token}` } })
  ).json();
  const [first, second] = account.meters.map((m) => m.meter_number);
  assert.deepEqual([first, second].sort(), ["ВГВ-0022345", "ВСХ-0011234"]);

  // Opened without a session (a new window from a push notice): the login, then the form.
  await page.goto(`${BASE}/#/visits/new/meter_verification?account=100001&meter=${encodeURIComponent(second)}`);
  await heading(page, "Вход");
  await page.getByText("Войдите в личный кабинет.", { exact: true }).waitFor();
  await field(page, "Телефон/E-mail *").fill(phone);
  await field(page, "Пароль").fill(PASSWORD);
  await button(page, "Войти").click();
  await heading(page, "Сверка ИПУ");
  assert.equal(await field(page, "Лицевой счет *").inputValue(), "100001");
  assert.equal(await field(page, "Счётчик").inputValue(), second);
  assert.deepEqual(await optionValues(field(page, "Счётчик")), [first, second]);
  await screenshot("verification-chosen");

  // A meter of another account: the account is chosen, the meter left as the form has it.
  await open(page, "/more", "Еще");
  await open(page, "/visits/new/meter_verification?account=100001&meter=ВСХ-0033456", "Сверка ИПУ");
  assert.equal(await field(page, "Лицевой счет *").inputValue(), "100001");
  assert.equal(await field(page, "Счётчик").inputValue(), first);

  // An account that is not the subscriber's: ignored, the form as without the query.
  await open(page, "/more", "Еще");
  await open(page, "/visits/new/meter_verification?account=100003&meter=ВСХ-0044567", "Сверка ИПУ");
  await field(page, "Лицевой счет *").waitFor();
  const accounts = await optionValues(field(page, "Лицевой счет *"));
  assert.deepEqual([...accounts].sort(), ["100001", "100002"]);
  assert.equal(await field(page, "Лицевой счет *").inputValue(), accounts[0]);
  await screenshot("verification-not-mine");
  await finish();
});

test("«Уведомления» keeps the debt's SMS; the profile says the address is not verified", async () => {
  const { page, screenshot, finish } = await journey("notices-settings");
  const { phone, token } = await registeredUser();
  await logIn(page, phone);

  await open(page, "/profile", "Профиль");
  await page.getByText("Адрес не подтверждён", { exact: true }).waitFor();
  await screenshot("profile-unverified");
  // 202 (a new link) or 429 (the registration's link is fresh): a countdown either way.
  await button(page, "Отправить ссылку еще раз").click();
  await page.getByText(/^Повторная отправка ссылки через 0[0-3]:\d\d$/).waitFor();
  await screenshot("profile-link-sent");

  await link(page, "Уведомления").click();
  await heading(page, "Уведомления");
  // The heading comes before the settings are read: wait for the last topic's group.
  const debt = page.getByRole("group", { name: "Задолженность", exact: true });
  await debt.waitFor();
  assert.equal(await page.getByRole("group").count(), 4);
  const sms = debt.getByLabel("SMS", { exact: true });
  assert.equal(await sms.isChecked(), false);
  assert.equal(await debt.getByLabel("Электронная почта", { exact: true }).isChecked(), true);
  await debt.getByText("По умолчанию выключены", { exact: true }).waitFor();
  await debt.getByText("Адрес не подтверждён", { exact: true }).waitFor();
  await page.getByText(/^Адрес электронной почты не подтверждён: письма начнут приходить после подтверждения/).waitFor();

  // Web push is offered only when the server has a VAPID key.
  const settings = await (
    await fetch(`${BASE}/api/v1/profile/notifications`, { headers: { authorization: `Bearer ${token}` } })
  ).json();
  if (settings.push.public_key === null) {
    assert.equal(await page.getByRole("heading", { name: "Push-уведомления в этом браузере" }).count(), 0);
    await debt.getByText("Сейчас недоступны", { exact: true }).waitFor();
  } else {
    await button(page, "Получать уведомления").waitFor();
  }
  await screenshot("notifications");

  await sms.check();
  await button(page, "Сохранить").click();
  await page.getByText("Настройки уведомлений сохранены", { exact: true }).waitFor();
  await page.reload();
  await heading(page, "Уведомления");
  const kept = page.getByRole("group", { name: "Задолженность", exact: true });
  await kept.waitFor();
  assert.equal(await kept.getByLabel("SMS", { exact: true }).isChecked(), true);
  assert.equal(await kept.getByLabel("Электронная почта", { exact: true }).isChecked(), true);
  // The other topics kept their SMS off.
  const smsChecked = await page
    .getByRole("group")
    .evaluateAll((groups) =>
      groups.map((g) => [g.querySelector("legend").textContent, g.querySelectorAll("input")[2].checked]),
    );
  assert.deepEqual(
    smsChecked.filter(([, on]) => on).map(([title]) => title),
    ["Задолженность"],
  );
  await screenshot("notifications-saved");
  await finish();
});

test("the e-mails' links say when they are not valid", async () => {
  const { page, screenshot, finish } = await journey("notices-links");

  await open(page, "/email/verify?token=forged", "Подтверждение адреса");
  await page
    .getByText(
      "Ссылка недействительна или устарела. Войдите в личный кабинет и отправьте новую ссылку из профиля.",
      { exact: true },
    )
    .waitFor();
  await link(page, "Войти в личный кабинет").waitFor();
  await screenshot("verify-invalid");

  await open(page, "/unsubscribe?token=forged", "Отписка от уведомлений");
  await screenshot("unsubscribe");
  await button(page, "Отписаться").click();
  await page.getByText("Ссылка недействительна. Проверьте, что она открыта из письма полностью.", { exact: true }).waitFor();
  await screenshot("unsubscribe-invalid");
  await finish();
});
