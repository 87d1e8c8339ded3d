// @ts-check
// "Профиль", as the guide shows it: Номер телефона, Электронная почта, "Изменить пароль",
// "Выход"; beyond the guide, the date of registration and "Удалить профиль".

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, linkButton, facts, setBusy, flash, fill } from "../ui.js";
import { load } from "../parts.js";

/** @import { Profile } from "../api.js" */
/** @import { Screen } from "../ui.js" */

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
      ["Электронная почта", me.email],
      ["Дата регистрации", fmt.instant(me.created_at)],
    ]),
    h(
      "div",
      { class: "stack" },
      linkButton("#/profile/password", "Изменить пароль", "secondary"),
      logout,
      linkButton("#/profile/delete", "Удалить профиль", "danger"),
    ),
  );
}
