// "Приемка ИПУ" and "Сверка ИПУ": the account (from the linked ones), the meter, the phone,
// the date and time of the visit, notes.

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, field, form, requiredNote, flash, fill } from "../ui.js";
import { accountsOrInvite, meterTitle } from "../parts.js";
import notFound from "./not-found.js";

/** Half-hour starts from the earliest opening to the latest closing less half an hour. */
export function slots(hours) {
  const minutes = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const from = Math.min(...hours.map((x) => minutes(x.opens)));
  const to = Math.max(...hours.map((x) => minutes(x.closes)));
  const result = [];
  for (let t = Math.ceil(from / 30) * 30; t + 30 <= to; t += 30) {
    result.push(`${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`);
  }
  return result;
}

function tomorrow() {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export default async function visitForm(root, ctx) {
  const kind = ctx.params.kind;
  const title = fmt.VISIT_KINDS[kind];
  if (!title) {
    notFound(root);
    return;
  }
  const box = h("div");
  page(root, title, box);
  const accounts = await accountsOrInvite(box);
  if (!accounts) return;
  let info;
  let profile;
  try {
    [info, profile] = await Promise.all([api.getInfo(), api.get("/profile")]);
  } catch {
    info = info || { contact_center: { hours: [{ opens: "08:00", closes: "20:00" }] } };
    profile = profile || { phone: "" };
  }
  const meterField = (account) => field("meter_number", "Счетчик", {
    options: account.meters.map((m) => ({ value: m.meter_number, title: meterTitle(m) })),
    placeholder: kind === "meter_acceptance" ? "Новый счетчик, номера еще нет" : null,
  });
  let meter = meterField(accounts[0]);
  const accountSelect = field("account_number", "Лицевой счет", {
    required: true,
    options: accounts.map((a) => ({ value: a.account_number, title: `${a.account_number} — ${a.label || a.address}` })),
  });
  accountSelect.querySelector("select").addEventListener("change", (event) => {
    const next = meterField(accounts.find((a) => a.account_number === event.target.value));
    meter.replaceWith(next);
    meter = next;
  });
  const hours = info.contact_center.hours.map((x) => `${x.days} ${x.opens}–${x.closes}`).join(", ");
  fill(box,
    h("p", {}, kind === "meter_acceptance"
      ? "Специалист водоканала приедет, проверит и опломбирует новый или замененный счетчик."
      : "Специалист водоканала приедет и сверит показания счетчика."),
    form({
      fields: [
        requiredNote(),
        accountSelect,
        meter,
        field("phone", "Телефон для связи", { required: true, type: "tel", autocomplete: "tel", value: fmt.phone(profile.phone) }),
        field("visit_date", "Дата визита", { required: true, type: "date", min: tomorrow(), hint: "Начиная с завтрашнего дня" }),
        field("visit_time", "Время визита", { required: true, options: slots(info.contact_center.hours).map((t) => ({ value: t, title: t })), placeholder: "Выберите время", hint: `Часы работы: ${hours}` }),
        field("notes", "Примечание", { type: "textarea", maxlength: "1000", hint: "Необязательно: например, код домофона" }),
      ],
      submitLabel: "Отправить заявку",
      submit: (values, key) => {
        const body = { kind, account_number: values.account_number, phone: values.phone, visit_date: values.visit_date, visit_time: values.visit_time };
        if (values.meter_number) body.meter_number = values.meter_number;
        if (values.notes) body.notes = values.notes;
        return api.post("/visit-requests", body, key);
      },
      codeFields: { visit_slot_unavailable: (error) => (/врем|час/i.test(error.message) ? "visit_time" : "visit_date"), meter_not_found: "meter_number" },
      done: (visit) => {
        flash(`Заявка принята: ${title}, ${fmt.date(visit.visit_date)} в ${visit.visit_time}. Мы позвоним, чтобы подтвердить время.`);
        ctx.go("/visits");
      },
    }));
}
