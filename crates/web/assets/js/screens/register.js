// Registration: phone, e-mail and consent; then the SMS code and the password.

import * as api from "../api.js";
import { h, page, field, checkbox, form, requiredNote, flash } from "../ui.js";
import { askCode, resendLine } from "../codes.js";

export default function register(root, ctx, first = {}) {
  page(root, "Регистрация",
    form({
      fields: [
        requiredNote(),
        field("phone", "Номер телефона", { required: true, type: "tel", autocomplete: "tel", value: first.phone, hint: "На него придет SMS с кодом, например +7 910 984-50-03" }),
        field("email", "E-mail", { required: true, type: "email", autocomplete: "email", value: first.email }),
        checkbox("consent_personal_data", "Я даю согласие на обработку персональных данных", { required: true }),
      ],
      submitLabel: "Получить код",
      submit: (values) => askCode("/auth/registration", values),
      done: ({ resendAfter, values }) => confirmStep(root, ctx, values, resendAfter),
    }),
    h("p", {}, "Уже зарегистрированы? ", h("a", { href: "#/login" }, "Войти")));
}

function confirmStep(root, ctx, first, resendAfter) {
  const step = form({
    fields: [
      h("p", {}, `Мы отправили SMS с кодом на номер ${first.phone}. Введите код и придумайте пароль.`),
      requiredNote(),
      field("code", "Код из SMS", { required: true, inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6" }),
      field("password", "Пароль", { required: true, type: "password", password: true, autocomplete: "new-password", hint: "От 8 до 128 символов; не используйте простые пароли вроде 12345678" }),
    ],
    submitLabel: "Зарегистрироваться",
    submit: (values) => api.post("/auth/registration/confirm", { phone: first.phone, code: values.code, password: values.password }),
    codeFields: { code_invalid: "code", code_expired: "code" },
    done: (session) => {
      api.setToken(session.token);
      flash("Вы зарегистрированы. Добавьте лицевой счет, чтобы видеть задолженность и передавать показания.");
      ctx.go("/home");
    },
    extra: [h("button", { type: "button", class: "button secondary", onclick: () => register(root, ctx, first) }, "Изменить телефон или e-mail")],
  });
  const resend = () => askCode("/auth/registration", first).then((x) => x.resendAfter);
  page(root, "Подтверждение регистрации", step, resendLine(resendAfter, resend, step)).querySelector("h1").focus();
}
