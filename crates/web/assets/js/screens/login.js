// Login: Телефон/E-mail, Пароль with a show/hide eye, "Забыли пароль?".

import * as api from "../api.js";
import { h, page, field, form, requiredNote } from "../ui.js";

export default function login(root, { go }) {
  page(root, "Вход в личный кабинет",
    form({
      fields: [
        requiredNote(),
        field("login", "Телефон/E-mail", { required: true, autocomplete: "username", hint: "Номер телефона или адрес электронной почты" }),
        field("password", "Пароль", { required: true, type: "password", password: true, autocomplete: "current-password" }),
      ],
      submitLabel: "Войти",
      submit: (values) => api.post("/auth/login", values),
      codeFields: { invalid_credentials: "password" },
      done: (session) => {
        api.setToken(session.token);
        go("/home");
      },
    }),
    h("p", {}, h("a", { href: "#/recover" }, "Забыли пароль?")),
    h("p", {}, "Нет личного кабинета? ", h("a", { href: "#/register" }, "Регистрация")));
}
