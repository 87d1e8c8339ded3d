// @ts-check
// "Удалить профиль" (beyond the guide): the password confirms it.

import * as api from "../api.js";
import { h, page, field, form, flash } from "../ui.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default function deleteProfile(root, { go }) {
  page(
    root,
    "Удалить профиль",
    h(
      "p",
      {},
      "Профиль, привязки лицевых счетов и сеансы будут удалены. Переданные показания и платежи останутся в водоканале.",
    ),
    form({
      fields: [
        field("password", "Пароль", {
          required: true,
          type: "password",
          password: true,
          autocomplete: "current-password",
        }),
      ],
      note: true,
      submitLabel: "Удалить профиль",
      danger: true,
      submit: (values) => api.del("/profile", { password: values.password }),
      codeFields: { invalid_credentials: "password" },
      done: () => {
        api.setToken(null);
        flash("Профиль удален.");
        go("/");
      },
    }),
  );
}
