// @ts-check
// "Регистрация": Номер телефона, Электронная почта and consent, "Зарегистрироваться"; then,
// as password recovery does, the code from the SMS and the password, "Сохранить".

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, field, checkbox, form, flash } from "../ui.js";
import { askCode, resendLine } from "../codes.js";
import { samePasswords } from "../parts.js";

/** @import { Session } from "../api.js" */
/** @import { Context, Values } from "../ui.js" */

/**
 * @param {HTMLElement} root
 * @param {Context} ctx
 * @param {Values} [first] what was typed before "Изменить номер телефона или почту"
 */
export default function register(root, ctx, first = {}) {
  page(
    root,
    "Регистрация",
    form({
      fields: [
        field("phone", "Номер телефона", {
          required: true,
          type: "tel",
          autocomplete: "tel",
          value: /** @type {string | undefined} */ (first.phone),
          hint: "На него будет выслан код подтверждения, например +7 (910) 984-50-03",
        }),
        field("email", "Электронная почта", {
          required: true,
          type: "email",
          autocomplete: "email",
          value: /** @type {string | undefined} */ (first.email),
        }),
        checkbox("consent_personal_data", "Я даю согласие на обработку персональных данных", { required: true }),
      ],
      note: true,
      submitLabel: "Зарегистрироваться",
      submit: (values) => askCode("/auth/registration", values),
      done: ({ resendAfter, values }) => confirmStep(root, ctx, values, resendAfter),
    }),
    h("p", {}, "Уже зарегистрированы? ", h("a", { href: "#/login" }, "Войти в личный кабинет")),
  );
}

/**
 * @param {HTMLElement} root
 * @param {Context} ctx
 * @param {Values} first the values of the first step
 * @param {number} resendAfter
 */
function confirmStep(root, ctx, first, resendAfter) {
  const phone = field("phone", "Номер телефона", {
    required: true,
    readonly: true,
    value: fmt.phone(/** @type {string} */ (first.phone)),
  });
  const step = form({
    fields: [
      phone,
      h("p", {}, "В поле «Код подтверждения» введите код из sms-сообщения и придумайте пароль."),
      field("code", "Код подтверждения", {
        required: true,
        inputmode: "numeric",
        autocomplete: "one-time-code",
        maxlength: "6",
      }),
      field("password", "Пароль", {
        required: true,
        type: "password",
        password: true,
        autocomplete: "new-password",
        hint: "От 8 до 128 символов; не используйте простые пароли вроде 12345678",
      }),
      field("confirmation", "Подтвердить пароль", {
        required: true,
        type: "password",
        password: true,
        autocomplete: "new-password",
      }),
    ],
    note: true,
    submitLabel: "Сохранить",
    check: (values) => samePasswords({ new_password: values.password, confirmation: values.confirmation }),
    submit: (values) =>
      api.post("/auth/registration/confirm", { phone: first.phone, code: values.code, password: values.password }),
    codeFields: { code_invalid: "code", code_expired: "code" },
    done: (/** @type {Session} */ session) => {
      api.setToken(session.token);
      flash("Вы зарегистрированы. Добавьте лицевой счет, чтобы видеть задолженность и передавать показания.");
      ctx.go("/home");
    },
    extra: [
      h(
        "button",
        { type: "button", class: "button secondary", onclick: () => register(root, ctx, first) },
        "Изменить номер телефона или почту",
      ),
    ],
  });
  const resend = () => askCode("/auth/registration", first).then((x) => x.resendAfter);
  phone.after(resendLine(resendAfter, resend, step));
  page(root, "Регистрация", step).querySelector("h1")?.focus();
}
