// Paying by any bank's QR code (issue 18): «Оплатить по QR-коду» beside the card payment shows
// the code of the form's purpose and amount; the code is read back off the screenshot with a
// real decoder (jsQR) and must carry the account, the amount in kopecks and the payee's name.

import { test } from "node:test";
import assert from "node:assert/strict";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { useBrowser, journey, open, heading, field, button, link, registeredUser, linkAccount, logIn } from "../lib.mjs";

useBrowser();

const PAYEE_NAME = process.env.PAYEE_NAME || "МУП «Водоканал»";

/** The text of the QR code in the image's screenshot. */
async function decodeShown(page) {
  const image = page.getByRole("img", { name: /^QR-код для оплаты/ });
  await image.waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector("img.qr-code");
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0 && img.style.width !== "";
  });
  // Clear of the fixed bottom menu.
  await image.evaluate((img) => img.scrollIntoView({ block: "center" }));
  // The image with a white margin of the page around it, as a camera sees it.
  const box = await image.boundingBox();
  assert.ok(box);
  const margin = 20;
  const clip = { x: box.x - margin, y: box.y - margin, width: box.width + 2 * margin, height: box.height + 2 * margin };
  const png = PNG.sync.read(await page.screenshot({ clip }));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.ok(code, "a QR code is read off the screen");
  // jsQR gives the byte segments' raw bytes too: they are the text's UTF-8.
  assert.equal(new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(code.binaryData)), code.data);
  return code.data;
}

/** The decoded text's fields. */
function fields(text) {
  const [header, ...pairs] = text.split("|");
  assert.equal(header, "ST00012");
  return Object.fromEntries(pairs.map((pair) => pair.split("=")));
}

test("a subscriber shows the QR code of the debt and reads the bank details", async () => {
  const { page, screenshot, finish } = await journey("payment-qr");
  const { phone, token } = await registeredUser();
  const account = await linkAccount(token, "100001", "1234", "Квартира");
  await logIn(page, phone);

  await link(page, "Оплатить").first().click();
  await heading(page, "Оплата");
  const amount = field(page, "Сумма, ₽ *");
  assert.equal(await amount.inputValue(), account.debt.replace(".", ","));
  await button(page, "Оплатить по QR-коду").click();
  await page.getByRole("heading", { name: "Оплата по QR-коду" }).waitFor();
  await page.getByText("Отсканируйте код в приложении своего банка.").waitFor();
  await page.getByText("Платеж поступит на лицевой счет после перевода банком, не сразу.").waitFor();
  await page.getByText("3702012348").waitFor();
  await screenshot("cabinet");

  const text = fields(await decodeShown(page));
  const kopecks = String(Math.round(Number(account.debt) * 100));
  assert.equal(text.PersAcc, "100001");
  assert.equal(text.Sum, kopecks);
  assert.equal(text.Name, PAYEE_NAME);
  assert.equal(text.Purpose, "Вода, лицевой счет 100001");
  assert.equal(text.TechCode, "02");

  // Another amount, another code.
  await amount.fill("250,75");
  await button(page, "Оплатить по QR-коду").click();
  await page.getByRole("img", { name: /сумма 250,75/ }).waitFor();
  assert.equal(fields(await decodeShown(page)).Sum, "25075");
  await finish();
});

test("without registration the QR code carries the account typed", async () => {
  const { page, screenshot, finish } = await journey("payment-qr-guest");
  await open(page, "/guest/payments", "Платежи");
  await field(page, "Лицевой счет *").fill("100003");
  await field(page, "Сумма, ₽ *").fill("99,90");
  await button(page, "Оплатить по QR-коду").click();
  await page.getByRole("heading", { name: "Оплата по QR-коду" }).waitFor();
  await screenshot("guest");
  const text = fields(await decodeShown(page));
  assert.equal(text.PersAcc, "100003");
  assert.equal(text.Sum, "9990");
  assert.equal(text.Name, PAYEE_NAME);

  // An account the registry does not hold is said under its field, and no code is shown.
  await field(page, "Лицевой счет *").fill("999999");
  await button(page, "Оплатить по QR-коду").click();
  await page.getByText("Лицевой счёт с таким номером не найден. Проверьте номер.").waitFor();
  assert.equal(await page.locator("img.qr-code").count(), 0);
  await finish();
});
