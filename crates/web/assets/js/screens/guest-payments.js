// @ts-check
// "Платежи" without registration: the ways to pay, and the form with the account, the
// "Назначение платежа" list (Вода, Временный водопровод, Судебные, Отопление) and the amount.

import * as api from "../api.js";
import { h, page, field, fill } from "../ui.js";
import { load, paymentForm } from "../parts.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function guestPayments(root) {
  const box = h("div");
  page(root, "Платежи", box);
  const info = await load(box, api.getInfo);
  if (!info) return;
  fill(
    box,
    h("h2", {}, "Способы оплаты"),
    h("p", {}, info.payments_help),
    h("h2", {}, "Оплатить"),
    paymentForm({
      purposes: info.payment_purposes,
      fields: [
        field("account_number", "Лицевой счет", {
          required: true,
          inputmode: "numeric",
          autocomplete: "off",
          hint: "Номер из квитанции, от 4 до 20 цифр",
        }),
        field("email", "Электронная почта для чека", {
          type: "email",
          autocomplete: "email",
          hint: "Если укажете, пришлем на нее чек об оплате",
        }),
      ],
      start: (values, key) => {
        /** @type {Record<string, unknown>} */
        const body = { account_number: values.account_number, purpose: values.purpose, amount: values.amount };
        if (values.email) body.email = values.email;
        return api.post("/public/payments", body, key);
      },
      qr: info.payment_qr
        ? {
            payee: info.payment_qr,
            path: (values) =>
              `/public/payment-qr?${new URLSearchParams({
                account_number: values.account_number,
                purpose: values.purpose,
                amount: values.amount,
              })}`,
          }
        : null,
    }),
  );
}
