// "Еще": visit requests, my requests, the profile, the contact center.

import { h, page } from "../ui.js";

export default function more(root) {
  const item = (href, title, text) => h("li", {}, h("a", { class: "menu-item", href }, h("span", { class: "card-title" }, title), h("span", { class: "hint" }, text)));
  page(root, "Еще",
    h("ul", { class: "menu" },
      item("#/visits/new/meter_acceptance", "Приемка ИПУ", "Заявка на приемку нового или замененного счетчика"),
      item("#/visits/new/meter_verification", "Сверка ИПУ", "Заявка на сверку показаний счетчика"),
      item("#/visits", "Мои заявки", "Заявки на приемку и сверку"),
      item("#/profile", "Профиль", "Телефон, e-mail, пароль, выход"),
      item("#/contacts", "Контактный центр", "Адрес, часы работы, телефоны")));
}
