// @ts-check
// "Главная": the linked accounts with label, address and debt, each to open, pay, send
// readings or edit; "Новый счет".

import * as api from "../api.js";
import { h, page, linkButton, fill } from "../ui.js";
import { accountSummary, accountsOrInvite } from "../parts.js";

/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function home(root) {
  const box = h("div");
  page(root, "Главная", box);
  const accounts = await accountsOrInvite(box);
  if (!accounts) return;
  fill(
    box,
    h(
      "ul",
      { class: "list" },
      accounts.map((account) => {
        const path = api.accountPath(account.account_number).slice(1);
        return h(
          "li",
          { class: "card" },
          accountSummary(account),
          h(
            "div",
            { class: "row" },
            linkButton(`#/${path}`, "Подробнее", "secondary"),
            linkButton(`#/${path}/pay`, "Оплатить", "secondary"),
            linkButton(`#/${path}/readings`, "Отправить показания", "secondary"),
            linkButton(`#/${path}/edit`, "Редактировать", "secondary"),
          ),
        );
      }),
    ),
    linkButton("#/accounts/new", "Новый счет"),
  );
}
