// @ts-check
// "Восстановление пароля", as the guide shows it: Номер телефона, "Получить код"; then the
// same screen with the phone, "Повторная отправка кода через MM:SS", Код подтверждения,
// Новый пароль, Подтвердить новый пароль, "Сохранить".

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, field, form, flash } from "../ui.js";
import { askCode, resendLine } from "../codes.js";
import { samePasswords } from "../parts.js";

/** @import { Context, Values } from "../ui.js" */

/**
 * @param {HTMLElement} root
 * @param {Context} ctx
 * @param {Values} [first] what was typed before "Изменить номер телефона"
 */
export default function recover(root, ctx, first = {}) {
  page(
    root,
    "Восстановление пароля",
    h("p", {}, "Укажите номер телефона, на который будет выслан код подтверждения."),
    form({
      fields: [
        field("phone", "Номер телефона", {
          required: true,
          type: "tel",
          autocomplete: "tel",
          value: /** @type {string | undefined} */ (first.phone),
          hint: "Например, +7 (910) 984-50-03",
        }),
      ],
      note: true,
      submitLabel: "Получить код",
      submit: (values) => askCode("/auth/password-reset", values),
      done: ({ resendAfter, values }) => codeStep(root, ctx, values, resendAfter),
    }),
  );
}

/**
 * @param {HTMLElement} root
 * @param {Context} ctx
 * @param {Values} first the values of the first step
 * @param {number} resendAfter
 */
function codeStep(root, ctx, first, resendAfter) {
  const phone = field("phone", "Номер телефона", {
    required: true,
    readonly: true,
    value: fmt.phone(/** @type {string} */ (first.phone)),
  });
  const step = form({
    fields: [
      phone,
      h(
        "p",
        {},
        "Если номер зарегистрирован, на него придет sms-сообщение с кодом. В поле «Код подтверждения» введите код из sms-сообщения.",
      ),
      field("code", "Код подтверждения", {
        required: true,
        inputmode: "numeric",
        autocomplete: "one-time-code",
        maxlength: "6",
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
      api.post("/auth/password-reset/confirm", {
        phone: first.phone,
        code: values.code,
        new_password: values.new_password,
      }),
    codeFields: { code_invalid: "code", code_expired: "code" },
    done: () => {
      flash("Пароль изменен. Войдите с новым паролем.");
      ctx.go("/login");
    },
    extra: [
      h(
        "button",
        { type: "button", class: "button secondary", onclick: () => recover(root, ctx, first) },
        "Изменить номер телефона",
      ),
    ],
  });
  const resend = () => askCode("/auth/password-reset", first).then((x) => x.resendAfter);
  phone.after(resendLine(resendAfter, resend, step));
  page(root, "Восстановление пароля", step).querySelector("h1")?.focus();
}
