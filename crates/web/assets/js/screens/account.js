// @ts-check
// An account's details: debt, meters, and its readings and payments.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, retitle, linkButton, facts, fill } from "../ui.js";
import { accountTitle, meterTitle, load, readingList, paymentList } from "../parts.js";
import { consumptionChart } from "../chart.js";

/** @import { Account, Consumption, Info, Payment, Reading } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function account(root, { params }) {
  const box = h("div");
  const section = page(root, `Лицевой счет ${params.number}`, box);
  const path = api.accountPath(params.number);
  const data = await load(box, () => {
    /** @type {[Promise<Account>, Promise<Reading[]>, Promise<Payment[]>, Promise<Info>, Promise<Consumption>]} */
    const asked = [
      api.get(path),
      api.get(`${path}/readings?limit=10`),
      api.get(`${path}/payments`),
      api.getInfo(),
      api.get(`${path}/consumption`),
    ];
    return Promise.all(asked);
  });
  if (!data) return;
  const [acc, readings, payments, info, consumption] = data;
  retitle(section, accountTitle(acc));
  fill(
    box,
    facts([
      ["Лицевой счет", acc.account_number],
      ["Адрес", acc.address],
      [
        fmt.debt(acc.debt).startsWith("Переплата") ? "Переплата" : "Задолженность",
        `${fmt.money(acc.debt.replace("-", ""))} на ${fmt.date(acc.balance_as_of)}`,
      ],
    ]),
    acc.other_holders > 0
      ? h(
          "p",
          { class: "hint" },
          `Этот лицевой счет добавлен также в другие профили: ${acc.other_holders}. Если вы их не знаете, обратитесь в контактный центр.`,
        )
      : null,
    h(
      "div",
      { class: "row" },
      linkButton(`#${path}/pay`, "Оплатить"),
      linkButton(`#${path}/readings`, "Отправить показания", "secondary"),
      linkButton(`#${path}/edit`, "Редактировать", "secondary"),
    ),
    h("h2", {}, "Счетчики"),
    h(
      "ul",
      { class: "list" },
      acc.meters.map((m) =>
        h(
          "li",
          { class: "card" },
          h("p", { class: "card-title" }, meterTitle(m)),
          h(
            "p",
            {},
            m.last_reading
              ? `Последнее показание ${fmt.volume(m.last_reading.value)} от ${fmt.date(m.last_reading.date)}`
              : "Показаний еще нет",
          ),
          m.verification_due ? h("p", { class: "hint" }, `Поверка до ${fmt.date(m.verification_due)}`) : null,
          usage(m.meter_number, meterTitle(m)),
        ),
      ),
    ),
    h("h2", {}, "История показаний"),
    readingList(readings),
    h("h2", {}, "История платежей"),
    paymentList(payments, info.payment_purposes),
  );

  /**
   * The meter's section «Расход по месяцам» (the guide is silent: docs/screens.md).
   * @param {string} number
   * @param {string} title
   */
  function usage(number, title) {
    const series = consumption.meters.find((s) => s.meter_number === number);
    if (!series) return null;
    return h(
      "section",
      { class: "usage" },
      h("h3", {}, "Расход по месяцам"),
      consumptionChart(series, consumption.current_period, title),
    );
  }
}
