// @ts-check
// "Вход": Телефон/E-mail, Пароль with a show/hide eye, "Войти", "Забыли пароль?".

import * as api from "../api.js";
import { h, page, field, form } from "../ui.js";

/** @import { Session } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default function login(root, { go }) {
  page(
    root,
    "Вход",
    form({
      fields: [
        field("login", "Телефон/E-mail", {
          required: true,
          autocomplete: "username",
          hint: "Номер телефона либо E-mail, указанные при регистрации",
        }),
        // The guide marks no asterisk here; the server still says when it is empty.
        field("password", "Пароль", { type: "password", password: true, autocomplete: "current-password" }),
      ],
      submitLabel: "Войти",
      submit: (values) => api.post("/auth/login", values),
      codeFields: { invalid_credentials: "password" },
      done: (/** @type {Session} */ session) => {
        api.setToken(session.token);
        go(api.routeAfterLogin());
      },
    }),
    h("p", {}, h("a", { href: "#/recover" }, "Забыли пароль?")),
    h("p", {}, "Нет личного кабинета? ", h("a", { href: "#/register" }, "Регистрация")),
  );
}
