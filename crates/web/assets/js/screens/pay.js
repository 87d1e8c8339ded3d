// @ts-check
// Paying for one account from the cabinet.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, fill } from "../ui.js";
import { accountTitle, cabinetPaymentForm, load } from "../parts.js";

/** @import { Account, Info } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function pay(root, { params }) {
  const box = h("div");
  page(root, "Оплата", box);
  const data = await load(box, () => {
    /** @type {[Promise<Account>, Promise<Info>]} */
    const asked = [api.get(api.accountPath(params.number)), api.getInfo()];
    return Promise.all(asked);
  });
  if (!data) return;
  const [account, info] = data;
  fill(
    box,
    h("p", {}, `${accountTitle(account)}, лицевой счет ${account.account_number}`),
    h("p", { class: "debt" }, fmt.debt(account.debt)),
    cabinetPaymentForm(account, info),
  );
}
