// @ts-check
// The link "Отписаться" in a notice's e-mail, #/unsubscribe?token=...: says what it does and
// posts only when asked (a mail scanner opening the link unsubscribes no one). No session
// needed.

import * as api from "../api.js";
import { h, page, form, linkButton } from "../ui.js";

/** @import { Unsubscribed } from "../api.js" */
/** @import { Screen } from "../ui.js" */

const INVALID = "Ссылка недействительна. Проверьте, что она открыта из письма полностью.";

/** @type {Screen} */
export default function unsubscribe(root, { query, loggedIn }) {
  const token = query.get("token");
  const onward = loggedIn
    ? linkButton("#/profile/notifications", "Уведомления", "secondary")
    : linkButton("#/login", "Войти в личный кабинет", "secondary");
  if (!token) {
    page(root, "Отписка от уведомлений", h("p", { class: "warning", role: "alert" }, INVALID), onward);
    return;
  }
  /** @param {Unsubscribed | null} result null: the link is invalid */
  const result = (result) => {
    const said = result
      ? h(
          "p",
          { class: "notice", role: "status" },
          `Вы отписались: ${result.title}. Выбрать другие уведомления можно в профиле, раздел «Уведомления».`,
        )
      : h("p", { class: "warning", role: "alert" }, INVALID);
    page(root, "Отписка от уведомлений", said, onward).querySelector("h1")?.focus();
  };
  page(
    root,
    "Отписка от уведомлений",
    h(
      "p",
      {},
      "Нажмите «Отписаться», чтобы больше не получать уведомления этой темы: ни письмами, ни push-уведомлениями, ни по SMS.",
    ),
    form({
      fields: [],
      submitLabel: "Отписаться",
      submit: () =>
        /** @type {Promise<Unsubscribed>} */ (
          api.post(`/notices/unsubscribe?token=${encodeURIComponent(token)}`)
        ).catch((error) => {
          if (error instanceof api.ApiError && error.status === 422) return null;
          throw error;
        }),
      done: result,
    }),
  );
}
