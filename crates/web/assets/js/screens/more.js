// @ts-check
// "Еще": the guide's Приемка ИПУ and Сверка ИПУ; beyond it, my requests, the profile and the
// contact center.

import { h, page } from "../ui.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default function more(root) {
  /** @type {(href: string, title: string, text: string) => HTMLLIElement} */
  const item = (href, title, text) =>
    h(
      "li",
      {},
      h(
        "a",
        { class: "menu-item", href },
        h("span", { class: "card-title" }, title),
        h("span", { class: "hint" }, text),
      ),
    );
  page(
    root,
    "Еще",
    h(
      "ul",
      { class: "menu" },
      item("#/visits/new/meter_acceptance", "Приемка ИПУ", "Заявление на приемку прибора учета"),
      item("#/visits/new/meter_verification", "Сверка ИПУ", "Заявление на сверку прибора учета"),
      item("#/visits", "Мои заявления", "Отправленные заявления на приемку и сверку ИПУ"),
      item("#/profile", "Профиль", "Номер телефона, электронная почта, уведомления, пароль, выход"),
      item("#/contacts", "Контактный центр", "Адрес, режим работы, телефоны"),
    ),
  );
}
