// Password recovery: phone, "Получить код"; then code, new password, confirmation,
// "Сохранить", with the live countdown before a new code may be asked.

import * as api from "../api.js";
import { h, page, field, form, requiredNote, flash } from "../ui.js";
import { askCode, resendLine } from "../codes.js";
import { samePasswords } from "./change-password.js";

export default function recover(root, ctx, first = {}) {
  page(root, "Восстановление пароля",
    h("p", {}, "Укажите номер телефона, с которым вы регистрировались: мы пришлем SMS с кодом."),
    form({
      fields: [
        requiredNote(),
        field("phone", "Номер телефона", { required: true, type: "tel", autocomplete: "tel", value: first.phone, hint: "Например, +7 910 984-50-03" }),
      ],
      submitLabel: "Получить код",
      submit: (values) => askCode("/auth/password-reset", values),
      done: ({ resendAfter, values }) => codeStep(root, ctx, values, resendAfter),
    }));
}

function codeStep(root, ctx, first, resendAfter) {
  const step = form({
    fields: [
      h("p", {}, `Если номер ${first.phone} зарегистрирован, на него придет SMS с кодом.`),
      requiredNote(),
      field("code", "Код из SMS", { required: true, inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6" }),
      field("new_password", "Новый пароль", { required: true, type: "password", password: true, autocomplete: "new-password", hint: "От 8 до 128 символов" }),
      field("confirmation", "Подтверждение пароля", { required: true, type: "password", password: true, autocomplete: "new-password" }),
    ],
    submitLabel: "Сохранить",
    check: samePasswords,
    submit: (values) => api.post("/auth/password-reset/confirm", { phone: first.phone, code: values.code, new_password: values.new_password }),
    codeFields: { code_invalid: "code", code_expired: "code" },
    done: () => {
      flash("Пароль изменен. Войдите с новым паролем.");
      ctx.go("/login");
    },
    extra: [h("button", { type: "button", class: "button secondary", onclick: () => recover(root, ctx, first) }, "Изменить номер")],
  });
  const resend = () => askCode("/auth/password-reset", first).then((x) => x.resendAfter);
  page(root, "Новый пароль", step, resendLine(resendAfter, resend, step)).querySelector("h1").focus();
}
