// Where the payment page returns: the payment's state, asked of the server (GET
// /payments/{id}); a pending payment is asked again a few times.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, linkButton, facts, fill } from "../ui.js";
import { load } from "../parts.js";

const TITLES = { succeeded: "Платеж проведен", canceled: "Платеж отменен", pending: "Платеж обрабатывается" };

export default async function paymentResult(root, { params, loggedIn }) {
  const box = h("div");
  const section = page(root, "Платеж", box);
  let payment = await load(box, () => api.get(`/payments/${encodeURIComponent(params.id)}`));
  for (let tries = 0; payment && payment.status === "pending" && tries < 5 && section.isConnected; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    payment = await api.get(`/payments/${encodeURIComponent(params.id)}`).catch(() => payment);
  }
  if (!payment || !section.isConnected) return;
  const title = TITLES[payment.status] || "Платеж";
  section.querySelector("h1").textContent = title;
  document.title = `${title} — Водоканал`;
  const info = await api.getInfo().catch(() => ({ payment_purposes: [] }));
  const purpose = info.payment_purposes.find((p) => p.code === payment.purpose);
  fill(box,
    h("p", { class: `status status-${payment.status}`, role: "status" },
      payment.status === "succeeded" ? "Спасибо! Оплата прошла успешно." :
        payment.status === "canceled" ? "Оплата не состоялась, деньги не списаны." :
          "Платеж еще не завершен. Обновите страницу чуть позже."),
    facts([
      ["Лицевой счет", payment.account_number],
      ["Назначение платежа", purpose ? purpose.title : payment.purpose],
      ["Сумма", fmt.money(payment.amount)],
      ["Статус", fmt.PAYMENT_STATUSES[payment.status] || payment.status],
      payment.paid_at ? ["Оплачен", fmt.instant(payment.paid_at)] : null,
    ]),
    loggedIn
      ? linkButton(`#${api.accountPath(payment.account_number)}`, "К лицевому счету")
      : linkButton("#/", "На начальный экран"));
}
