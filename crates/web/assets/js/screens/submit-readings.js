// @ts-check
// Submitting an account's readings: one field per meter; the filled ones are sent together.

import * as api from "../api.js";
import { h, page, linkButton, fill } from "../ui.js";
import { accountTitle, load, readingsForm, readingsAccepted } from "../parts.js";

/** @import { Account } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function submitReadings(root, { params }) {
  const box = h("div");
  page(root, "Отправить показания", box);
  /** @type {Account | null} */
  const account = await load(box, () => api.get(api.accountPath(params.number)));
  if (!account) return;
  fill(
    box,
    h("p", {}, `${accountTitle(account)}, лицевой счет ${account.account_number}`),
    readingsForm(account, (readings) => {
      const done = page(
        root,
        "Показания приняты",
        readingsAccepted(readings),
        linkButton(`#${api.accountPath(account.account_number)}`, "К лицевому счету"),
      );
      done.querySelector("h1")?.focus();
    }),
  );
}
