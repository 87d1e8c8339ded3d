// @ts-check
// "Приемка ИПУ" and "Сверка ИПУ", as the guide shows them: Лицевой счет, Счётчик, Номер
// телефона, Дата визита, Время визита, Примечания, "Отправить". `?account=` and `?meter=`
// choose the account and the meter (a notice of a verification due opens it so).

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, field, form, flash, fill } from "../ui.js";
import { accountsOrInvite, load, meterTitle, notFoundPage } from "../parts.js";

/** @import { Account, Info, Hours, Profile, VisitRequest } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** Half-hour starts from the earliest opening to the latest closing less half an hour. @param {Hours[]} hours */
export function slots(hours) {
  const minutes = (/** @type {string} */ hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const from = Math.min(...hours.map((x) => minutes(x.opens)));
  const to = Math.max(...hours.map((x) => minutes(x.closes)));
  const result = [];
  for (let t = Math.ceil(from / 30) * 30; t + 30 <= to; t += 30) {
    result.push(`${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`);
  }
  return result;
}

/** @type {Screen} */
export default async function visitForm(root, ctx) {
  const kind = ctx.params.kind;
  const title = fmt.VISIT_KINDS[kind];
  if (!title) {
    notFoundPage(root);
    return;
  }
  const box = h("div");
  page(root, title, box);
  const accounts = await accountsOrInvite(box);
  if (!accounts) return;
  const loaded = await load(box, () => {
    /** @type {[Promise<Info>, Promise<Profile>]} */
    const asked = [api.getInfo(), api.get("/profile")];
    return Promise.all(asked);
  });
  if (!loaded) return;
  const [info, profile] = loaded;
  const meterField = (/** @type {Account} */ account, /** @type {string | null} */ selected = null) =>
    field("meter_number", "Счётчик", {
      options: account.meters.map((m) => ({ value: m.meter_number, title: meterTitle(m) })),
      placeholder: kind === "meter_acceptance" ? "Новый счетчик, номера еще нет" : null,
      value: selected,
    });
  // A notice opens the form on its account and meter (?account=...&meter=...); one that is not
  // the subscriber's is ignored.
  const named = accounts.find((a) => a.account_number === ctx.query.get("account"));
  const chosen = named || accounts[0];
  const namedMeter = named?.meters.find((m) => m.meter_number === ctx.query.get("meter"));
  let meter = meterField(chosen, namedMeter ? namedMeter.meter_number : null);
  const accountSelect = field("account_number", "Лицевой счет", {
    required: true,
    options: accounts.map((a) => ({ value: a.account_number, title: `${a.account_number} — ${a.label || a.address}` })),
    value: chosen.account_number,
  });
  const select = /** @type {HTMLSelectElement} */ (accountSelect.querySelector("select"));
  select.addEventListener("change", () => {
    // The select's options are the accounts: the number is always found.
    const next = meterField(/** @type {Account} */ (accounts.find((a) => a.account_number === select.value)));
    meter.replaceWith(next);
    meter = next;
  });
  const hours = info.contact_center.hours.map(fmt.hours).join(", ");
  fill(
    box,
    h("p", {}, "Укажите лицевой счет, номер телефона, дату и время визита и нажмите «Отправить»."),
    form({
      fields: [
        accountSelect,
        meter,
        field("phone", "Номер телефона", {
          required: true,
          type: "tel",
          autocomplete: "tel",
          value: fmt.phone(profile.phone),
        }),
        field("visit_date", "Дата визита", {
          required: true,
          type: "date",
          min: fmt.today(1),
          hint: "Начиная с завтрашнего дня",
        }),
        field("visit_time", "Время визита", {
          required: true,
          options: slots(info.contact_center.hours).map((t) => ({ value: t, title: t })),
          placeholder: "Выберите время",
          hint: `Режим работы: ${hours}`,
        }),
        field("notes", "Примечания", { type: "textarea", maxlength: "1000", hint: "Например, код домофона" }),
      ],
      note: true,
      submitLabel: "Отправить",
      submit: (values, key) => {
        /** @type {Record<string, unknown>} */
        const body = {
          kind,
          account_number: values.account_number,
          phone: values.phone,
          visit_date: values.visit_date,
          visit_time: values.visit_time,
        };
        if (values.meter_number) body.meter_number = values.meter_number;
        if (values.notes) body.notes = values.notes;
        return api.post("/visit-requests", body, key);
      },
      codeFields: {
        visit_slot_unavailable: (error) => (/врем|час/i.test(error.message) ? "visit_time" : "visit_date"),
        meter_not_found: "meter_number",
      },
      done: (/** @type {VisitRequest} */ visit) => {
        flash(`Заявление отправлено: ${title}, ${fmt.date(visit.visit_date)} в ${visit.visit_time}.`);
        ctx.go("/visits");
      },
    }),
  );
}
