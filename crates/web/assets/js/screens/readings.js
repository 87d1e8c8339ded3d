// @ts-check
// "Показания": per account, the submission form and the history.

import * as api from "../api.js";
import { h, page, fill } from "../ui.js";
import { load, readingList, readingsForm, readingsAccepted, tabAccount } from "../parts.js";

/** @import { Reading } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function readings(root, ctx) {
  const box = h("div");
  page(root, "Показания", box);
  const chosen = await tabAccount(box, ctx, "/readings");
  if (!chosen) return;
  const { account, chooser } = chosen;
  const path = api.accountPath(account.account_number);
  const history = h("div");
  const submission = h("div");
  const showForm = () =>
    fill(
      submission,
      readingsForm(account, (stored) => {
        const notice = h("p", { class: "notice", role: "status", tabindex: "-1" }, "Показания приняты.");
        fill(submission, notice, readingsAccepted(stored));
        notice.focus();
        showHistory();
      }),
    );
  const showHistory = async () => {
    /** @type {Reading[] | null} */
    const list = await load(history, () => api.get(`${path}/readings?limit=20`));
    if (list) fill(history, readingList(list));
  };
  fill(box, chooser, h("h2", {}, "Отправить показания"), submission, h("h2", {}, "История показаний"), history);
  showForm();
  await showHistory();
}
