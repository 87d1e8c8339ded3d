// @ts-check
// The start screen: log in, register, or go on without registration.

import { h, page, linkButton } from "../ui.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default function start(root, { go, loggedIn }) {
  if (loggedIn) {
    go("/home");
    return;
  }
  page(
    root,
    "Личный кабинет абонента",
    h("img", { class: "logo", src: "/assets/icons/icon.svg", alt: "", width: "96", height: "96" }),
    h("p", { class: "lead" }, "Показания приборов учета, оплата и заявления на приемку и сверку ИПУ."),
    h(
      "div",
      { class: "stack" },
      linkButton("#/login", "Войти в личный кабинет"),
      linkButton("#/register", "Регистрация", "secondary"),
      linkButton("#/guest", "Без регистрации", "secondary"),
    ),
  );
}
