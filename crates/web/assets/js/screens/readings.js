// "Показания": per account, the submission form and the history.

import * as api from "../api.js";
import { h, page, fill } from "../ui.js";
import { accountChooser, accountsOrInvite, load, readingList } from "../parts.js";
import { readingsForm, readingsAccepted } from "./submit-readings.js";

export default async function readings(root, { query, go }) {
  const box = h("div");
  page(root, "Показания", box);
  const accounts = await accountsOrInvite(box);
  if (!accounts) return;
  const account = accounts.find((a) => a.account_number === query.get("account")) || accounts[0];
  const path = api.accountPath(account.account_number);
  const history = h("div");
  const submission = h("div");
  const showForm = () => fill(submission, readingsForm(account, (stored) => {
    fill(submission, h("p", { class: "notice", role: "status", tabindex: "-1" }, "Показания приняты."), readingsAccepted(stored));
    submission.firstChild.focus();
    showHistory();
  }));
  const showHistory = async () => {
    const list = await load(history, () => api.get(`${path}/readings?limit=20`));
    if (list) fill(history, readingList(list));
  };
  fill(box,
    accounts.length > 1 ? accountChooser(accounts, account.account_number, (n) => go(`/readings?account=${encodeURIComponent(n)}`)) : h("p", {}, `Лицевой счет ${account.account_number}`),
    h("h2", {}, "Передать показания"),
    submission,
    h("h2", {}, "История показаний"),
    history);
  showForm();
  await showHistory();
}
