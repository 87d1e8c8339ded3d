// @ts-check
// "Профиль", as the guide shows it: Номер телефона, Электронная почта, "Изменить пароль",
// "Выход"; beyond the guide, whether the address is verified (with "Отправить ссылку еще раз"),
// "Уведомления", the date of registration, "Скачать историю" (a CSV of the readings and
// payments) and "Удалить профиль".

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, linkButton, facts, form, countdown, setBusy, flash, fill } from "../ui.js";
import { downloadButton, load } from "../parts.js";

/** @import { LinkSent, Profile } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/**
 * What "Отправить ссылку еще раз" leads to: a message and the wait before the next link, or
 * the address found verified meanwhile.
 * @typedef {{ wait: number | null, message: string } | "verified"} Outcome
 */

/** @type {Screen} */
export default async function profile(root, { go }) {
  const box = h("div");
  page(root, "Профиль", box);
  /** @type {Profile | null} */
  const me = await load(box, () => api.get("/profile"));
  if (!me) return;
  const logout = h("button", { type: "button", class: "button secondary" }, "Выход");
  logout.addEventListener("click", async () => {
    setBusy(logout, true);
    // Whatever the server says, this browser forgets the session.
    await api.post("/auth/logout").catch(() => null);
    api.setToken(null);
    flash("Вы вышли из личного кабинета.");
    go("/");
  });
  fill(
    box,
    facts([
      ["Номер телефона", fmt.phone(me.phone)],
      ["Электронная почта", [me.email, emailState(me)]],
      ["Дата регистрации", fmt.instant(me.created_at)],
    ]),
    h(
      "div",
      { class: "stack" },
      linkButton("#/profile/notifications", "Уведомления", "secondary"),
      linkButton("#/profile/password", "Изменить пароль", "secondary"),
      downloadButton("Скачать историю", "/profile/history.csv", "vodokanal-history.csv"),
      logout,
      linkButton("#/profile/delete", "Удалить профиль", "danger"),
    ),
  );
}

/** "Адрес подтверждён". */
function verified() {
  return h("p", { class: "email-state verified", tabindex: "-1" }, "Адрес подтверждён");
}

/**
 * Whether the address is verified; if not, "Отправить ссылку еще раз" with the countdown
 * before the next link may be asked.
 * @param {Profile} me
 */
function emailState(me) {
  if (me.email_verified) return verified();
  const box = h("div", { class: "email-state" }, h("p", { class: "unverified" }, "Адрес не подтверждён"));
  const resend = () =>
    form({
      fields: [],
      submitLabel: "Отправить ссылку еще раз",
      submit: async () => {
        try {
          /** @type {LinkSent} */
          const sent = await api.post("/profile/email/verify");
          return /** @type {Outcome} */ ({
            wait: sent.resend_after,
            message: `На адрес ${me.email} придет письмо со ссылкой. Перейдите по ссылке из письма, чтобы подтвердить адрес.`,
          });
        } catch (error) {
          if (error instanceof api.ApiError && error.code === "email_already_verified") {
            return /** @type {Outcome} */ ("verified");
          }
          if (error instanceof api.ApiError && error.code === "too_many_requests") {
            return /** @type {Outcome} */ ({ wait: error.retryAfter, message: error.message });
          }
          throw error;
        }
      },
      done: (outcome) => {
        if (outcome === "verified") {
          const state = verified();
          box.replaceWith(state);
          state.focus();
          return;
        }
        const said = h("p", { class: "notice", role: "status", tabindex: "-1" }, outcome.message);
        const next = outcome.wait ? countdown(outcome.wait, resend, "Повторная отправка ссылки через") : resend();
        fill(box, h("p", { class: "unverified" }, "Адрес не подтверждён"), said, next);
        said.focus();
      },
    });
  box.append(resend());
  return box;
}
