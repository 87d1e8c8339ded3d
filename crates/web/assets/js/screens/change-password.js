// @ts-check
// "Изменить пароль": the current password, the new one and its confirmation, "Сохранить".

import * as api from "../api.js";
import { page, field, form, flash } from "../ui.js";
import { samePasswords } from "../parts.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default function changePassword(root, { go }) {
  page(
    root,
    "Изменить пароль",
    form({
      fields: [
        field("current_password", "Текущий пароль", {
          required: true,
          type: "password",
          password: true,
          autocomplete: "current-password",
        }),
        field("new_password", "Новый пароль", {
          required: true,
          type: "password",
          password: true,
          autocomplete: "new-password",
          hint: "От 8 до 128 символов",
        }),
        field("confirmation", "Подтвердить новый пароль", {
          required: true,
          type: "password",
          password: true,
          autocomplete: "new-password",
        }),
      ],
      note: true,
      submitLabel: "Сохранить",
      check: samePasswords,
      submit: (values) =>
        api.post("/profile/password", { current_password: values.current_password, new_password: values.new_password }),
      codeFields: { invalid_credentials: "current_password" },
      done: () => {
        flash("Пароль изменен. На других устройствах нужно будет войти снова.");
        go("/profile");
      },
    }),
  );
}
