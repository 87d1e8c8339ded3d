// @ts-check
// "Показания" without registration, as the guide shows it: the ways to submit, and the form
// ФИО, Номер телефона, Номер ИПУ, Показания счётчика, "Отправить".

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, field, form, facts, linkButton, fill } from "../ui.js";
import { load } from "../parts.js";

/** @import { Reading } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function guestReadings(root) {
  const box = h("div");
  page(root, "Показания", box);
  const info = await load(box, api.getInfo);
  if (!info) return;
  const readingForm = form({
    fields: [
      field("full_name", "ФИО", { required: true, autocomplete: "name" }),
      field("phone", "Номер телефона", {
        required: true,
        type: "tel",
        autocomplete: "tel",
        hint: "Например, +7 (910) 984-50-03",
      }),
      field("meter_number", "Номер ИПУ", {
        required: true,
        autocomplete: "off",
        hint: "Заводской номер счетчика, как на его корпусе",
      }),
      field("value", "Показания счётчика", {
        required: true,
        inputmode: "decimal",
        autocomplete: "off",
        hint: "В кубометрах, например 123,456",
      }),
    ],
    note: true,
    submitLabel: "Отправить",
    submit: (values, key) => api.post("/public/readings", { ...values, value: fmt.decimal(values.value) }, key),
    codeFields: {
      meter_not_found: "meter_number",
      reading_below_previous: "value",
      reading_implausible: "value",
      reading_already_submitted: "meter_number",
    },
    done: (/** @type {Reading} */ reading) => {
      const result = page(
        root,
        "Показания приняты",
        facts([
          ["Номер ИПУ", reading.meter_number],
          ["Показания счётчика", fmt.volume(reading.value)],
          ["Период", fmt.period(reading.period)],
          reading.consumption ? ["Расход", fmt.volume(reading.consumption)] : null,
        ]),
        reading.warnings.map((w) => h("p", { class: "warning" }, fmt.WARNINGS[w] || w)),
        h("div", { class: "stack" }, linkButton("#/guest", "Готово")),
      );
      result.querySelector("h1")?.focus();
    },
  });
  fill(
    box,
    h("h2", {}, "Способы передачи показаний"),
    h("p", {}, info.readings_help),
    info.reading_window
      ? h(
          "p",
          { class: "hint" },
          `Показания принимаются с ${info.reading_window.from_day} по ${info.reading_window.to_day} число месяца.`,
        )
      : null,
    // The window's .ics needs no session: a plain link the phone's calendar opens.
    info.reading_window
      ? h(
          "p",
          {},
          h(
            "a",
            { href: "/api/v1/reading-window.ics", download: "vodokanal-reading-window.ics", class: "button secondary" },
            "Добавить в календарь",
          ),
        )
      : null,
    h("h2", {}, "Отправить показания"),
    readingForm,
  );
}
