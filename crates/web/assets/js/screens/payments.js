// "Платежи": per account, the payment form and the history.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, fill } from "../ui.js";
import { accountChooser, accountsOrInvite, load, paymentList } from "../parts.js";
import { cabinetPaymentForm } from "./pay.js";

export default async function payments(root, { query, go }) {
  const box = h("div");
  page(root, "Платежи", box);
  const accounts = await accountsOrInvite(box);
  if (!accounts) return;
  const account = accounts.find((a) => a.account_number === query.get("account")) || accounts[0];
  const data = await load(box, () => Promise.all([api.get(`${api.accountPath(account.account_number)}/payments`), api.getInfo()]));
  if (!data) return;
  const [list, info] = data;
  fill(box,
    accounts.length > 1 ? accountChooser(accounts, account.account_number, (n) => go(`/payments?account=${encodeURIComponent(n)}`)) : h("p", {}, `Лицевой счет ${account.account_number}`),
    h("p", { class: "debt" }, fmt.debt(account.debt)),
    h("h2", {}, "Оплатить"),
    cabinetPaymentForm(account, info),
    h("h2", {}, "История платежей"),
    paymentList(list, info.payment_purposes));
}
