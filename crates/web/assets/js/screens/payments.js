// @ts-check
// "Платежи": per account, the payment form and the history.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, fill } from "../ui.js";
import { cabinetPaymentForm, load, paymentList, tabAccount } from "../parts.js";

/** @import { Info, Payment } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function payments(root, ctx) {
  const box = h("div");
  page(root, "Платежи", box);
  const chosen = await tabAccount(box, ctx, "/payments");
  if (!chosen) return;
  const { account, chooser } = chosen;
  const data = await load(box, () => {
    /** @type {[Promise<Payment[]>, Promise<Info>]} */
    const asked = [api.get(`${api.accountPath(account.account_number)}/payments`), api.getInfo()];
    return Promise.all(asked);
  });
  if (!data) return;
  const [list, info] = data;
  fill(
    box,
    chooser,
    h("p", { class: "debt" }, fmt.debt(account.debt)),
    h("h2", {}, "Оплатить"),
    cabinetPaymentForm(account, info),
    h("h2", {}, "История платежей"),
    paymentList(list, info.payment_purposes),
  );
}
