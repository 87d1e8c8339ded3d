// Submitting an account's readings: one field per meter; the filled ones are sent together.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, field, form, linkButton, facts, fill } from "../ui.js";
import { accountTitle, meterTitle, load } from "../parts.js";

/**
 * The readings form of an account: fields `readings[i].value`, i the meter's index, so that
 * the server's errors land under their meter. `done(readings)` gets the stored readings.
 */
export function readingsForm(account, done) {
  const meters = account.meters;
  let sent = [];
  return form({
    fields: [
      meters.length === 1 ? null : h("p", { class: "hint" }, "Заполните показания тех счетчиков, которые хотите передать."),
      meters.map((m, i) => field(`readings[${i}].value`, meterTitle(m), {
        required: meters.length === 1,
        inputmode: "decimal",
        autocomplete: "off",
        hint: m.last_reading ? `Предыдущее: ${fmt.volume(m.last_reading.value)} от ${fmt.date(m.last_reading.date)}` : "В кубометрах, например 123,456",
      })),
    ],
    note: meters.length === 1,
    submitLabel: "Отправить",
    check: (values) => meters.some((_, i) => values[`readings[${i}].value`])
      ? []
      : [{ field: "readings[0].value", message: "Укажите показание хотя бы одного счетчика" }],
    submit: (values, key) => {
      sent = meters.map((m, i) => ({ meter_number: m.meter_number, value: fmt.decimal(values[`readings[${i}].value`]), i })).filter((r) => r.value);
      return api.post(`${api.accountPath(account.account_number)}/readings`, { readings: sent.map(({ meter_number, value }) => ({ meter_number, value })) }, key)
        .catch((error) => {
          // The body's index is not the field's when a meter was left empty.
          for (const item of error.errors || []) {
            item.field = item.field.replace(/^readings\[(\d+)\]/, (_, n) => `readings[${sent[Number(n)]?.i ?? n}]`);
          }
          throw error;
        });
    },
    codeFields: {
      // "Показание счётчика ВСХ-0011234 меньше предыдущего": under that meter's field.
      reading_below_previous: (error) => {
        const i = meters.findIndex((m) => error.message.includes(m.meter_number));
        return `readings[${i < 0 ? sent[0]?.i ?? 0 : i}].value`;
      },
      meter_not_found: "readings[0].value",
    },
    done,
  });
}

/** What was stored, with warnings. */
export function readingsAccepted(readings) {
  return readings.map((r) => h("div", { class: "card" },
      facts([
        ["Счетчик", r.meter_number],
        ["Показание", fmt.volume(r.value)],
        ["Период", fmt.period(r.period)],
        r.consumption ? ["Расход", fmt.volume(r.consumption)] : null,
      ]),
      r.warnings.map((w) => h("p", { class: "warning" }, fmt.WARNINGS[w] || w))));
}

export default async function submitReadings(root, { params }) {
  const box = h("div");
  page(root, "Отправить показания", box);
  const account = await load(box, () => api.get(api.accountPath(params.number)));
  if (!account) return;
  fill(box,
    h("p", {}, `${accountTitle(account)}, лицевой счет ${account.account_number}`),
    readingsForm(account, (readings) => {
      const done = page(root, "Показания приняты", readingsAccepted(readings),
        linkButton(`#${api.accountPath(account.account_number)}`, "К лицевому счету"));
      done.querySelector("h1").focus();
    }));
}
