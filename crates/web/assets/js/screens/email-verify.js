// @ts-check
// The e-mail's verification link, #/email/verify?token=...: posts the token at once (no session
// needed, the link may be opened in another browser) and says what came of it.

import * as api from "../api.js";
import { h, page, linkButton, fill } from "../ui.js";
import { load } from "../parts.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function emailVerify(root, { query, loggedIn }) {
  const box = h("div");
  page(root, "Подтверждение адреса", box);
  const token = query.get("token");
  // true: verified; false: the link is forged, expired or for another address.
  const verified = token
    ? await load(box, () =>
        api.post("/email/verify", { token }).then(
          () => true,
          (error) => {
            if (error instanceof api.ApiError && error.status === 422) return false;
            throw error;
          },
        ),
      )
    : false;
  if (verified === null) return;
  fill(
    box,
    verified
      ? h("p", { class: "notice", role: "status" }, "Адрес электронной почты подтверждён")
      : h(
          "p",
          { class: "warning", role: "alert" },
          "Ссылка недействительна или устарела. Войдите в личный кабинет и отправьте новую ссылку из профиля.",
        ),
    loggedIn ? linkButton("#/profile", "Перейти в профиль") : linkButton("#/login", "Войти в личный кабинет"),
  );
}
