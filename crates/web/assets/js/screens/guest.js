// @ts-check
// "Без регистрации": readings, payments and the contact center without an account.

import { h, page, linkButton } from "../ui.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default function guest(root) {
  page(
    root,
    "Без регистрации",
    h("p", {}, "Передайте показания или оплатите услуги без входа в личный кабинет."),
    h(
      "div",
      { class: "stack" },
      linkButton("#/guest/readings", "Показания"),
      linkButton("#/guest/payments", "Платежи"),
      linkButton("#/contacts", "Контактный центр", "secondary"),
    ),
  );
}
