// @ts-check
// Where the payment page returns: the payment's state, asked of the server (GET
// /payments/{id}); a pending payment is asked again a few times.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, retitle, linkButton, facts, fill } from "../ui.js";
import { load } from "../parts.js";

/** @import { Payment, PaymentPurpose } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Record<string, string>} */
const TITLES = { succeeded: "Платеж проведен", canceled: "Платеж отменен", pending: "Платеж обрабатывается" };

/** @type {Screen} */
export default async function paymentResult(root, { params, loggedIn }) {
  const box = h("div");
  const section = page(root, "Платеж", box);
  /** @type {() => Promise<Payment>} */
  const ask = () => api.get(`/payments/${encodeURIComponent(params.id)}`);
  let payment = await load(box, ask);
  for (let tries = 0; payment && payment.status === "pending" && tries < 5 && section.isConnected; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    payment = await ask().catch(() => payment);
  }
  if (!payment || !section.isConnected) return;
  const title = TITLES[payment.status] || "Платеж";
  retitle(section, title);
  /** @type {PaymentPurpose[]} */
  const purposes = await api.getInfo().then(
    (info) => info.payment_purposes,
    () => [],
  );
  const purpose = purposes.find((p) => p.code === payment.purpose);
  fill(
    box,
    h(
      "p",
      { class: `status status-${payment.status}`, role: "status" },
      payment.status === "succeeded"
        ? "Спасибо! Оплата прошла успешно."
        : payment.status === "canceled"
          ? "Оплата не состоялась, деньги не списаны."
          : "Платеж еще не завершен. Обновите страницу чуть позже.",
    ),
    facts([
      ["Лицевой счет", payment.account_number],
      ["Назначение платежа", purpose ? purpose.title : payment.purpose],
      ["Сумма", fmt.money(payment.amount)],
      ["Статус", fmt.PAYMENT_STATUSES[payment.status] || payment.status],
      payment.paid_at ? ["Оплачен", fmt.instant(payment.paid_at)] : null,
    ]),
    loggedIn
      ? linkButton(`#${api.accountPath(payment.account_number)}`, "К лицевому счету")
      : linkButton("#/", "На начальный экран"),
  );
}
