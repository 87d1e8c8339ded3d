// Paying for one account from the cabinet.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, fill } from "../ui.js";
import { accountTitle, load, paymentForm } from "../parts.js";

/** The cabinet's payment form of an account (also on the "Платежи" tab). */
export function cabinetPaymentForm(account, info) {
  const owed = /^-|^0+(\.0+)?$/.test(account.debt) ? "" : account.debt.replace(".", ",");
  return paymentForm({
    purposes: info.payment_purposes,
    amount: owed,
    start: (values, key) => api.post(`${api.accountPath(account.account_number)}/payments`, { purpose: values.purpose, amount: values.amount }, key),
  });
}

export default async function pay(root, { params }) {
  const box = h("div");
  page(root, "Оплата", box);
  const data = await load(box, () => Promise.all([api.get(api.accountPath(params.number)), api.getInfo()]));
  if (!data) return;
  const [account, info] = data;
  fill(box,
    h("p", {}, `${accountTitle(account)}, лицевой счет ${account.account_number}`),
    h("p", { class: "debt" }, fmt.debt(account.debt)),
    cabinetPaymentForm(account, info));
}
