// Installable and offline: the manifest, the service worker, and the shell without a network.

import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, journey, open, heading, field, button, BASE } from "../lib.mjs";

useBrowser();

test("the shell loads offline and says so", async () => {
  const { page, context, screenshot, finish } = await journey("offline");
  await open(page, "/", "Личный кабинет абонента");
  const manifest = await page.evaluate(async () => (await fetch(document.querySelector("link[rel=manifest]").href)).json());
  assert.equal(manifest.name, "Водоканал: личный кабинет");
  assert.equal(manifest.display, "standalone");
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => null));
  await page.waitForFunction(() => caches.keys().then((keys) => keys.length > 0));

  await context.setOffline(true);
  // A fresh start of the app, not a change of route: the service worker serves the shell.
  await page.goto(`${BASE}/#/guest/payments`);
  await page.reload();
  await page.getByText("Нет подключения к интернету").waitFor();
  await heading(page, "Платежи");
  await page.getByText("Нет соединения с сервером").waitFor();
  await screenshot("offline");

  await context.setOffline(false);
  await page.getByRole("button", { name: "Повторить" }).click();
  await field(page, "Назначение платежа *").waitFor();
  assert.equal(await page.getByText("Нет подключения к интернету").isVisible(), false);
  await finish();
});

test("a lost connection keeps what was typed", async () => {
  const { page, context, screenshot, finish } = await journey("lost-connection");
  await open(page, "/guest/readings", "Показания");
  await field(page, "ФИО *").fill("Петров Петр");
  await context.setOffline(true);
  await button(page, "Отправить").click();
  await page.getByRole("alert").getByText("Нет соединения с сервером").waitFor();
  assert.equal(await field(page, "ФИО *").inputValue(), "Петров Петр");
  await page.getByText("Нет подключения к интернету").waitFor();
  await screenshot("lost");
  await context.setOffline(false);
  await finish();
});
