// @ts-check
// "Мои заявления" (beyond the guide): the user's requests for Приемка ИПУ and Сверка ИПУ, each
// with "Добавить в календарь" (its .ics file).

import * as api from "../api.js";
import * as fmt from "../format.js";
import { h, page, linkButton, fill } from "../ui.js";
import { downloadButton, load } from "../parts.js";

/** @import { VisitRequest } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** @type {Screen} */
export default async function visits(root) {
  const box = h("div");
  page(root, "Мои заявления", box);
  /** @type {VisitRequest[] | null} */
  const list = await load(box, () => api.get("/visit-requests"));
  if (!list) return;
  fill(
    box,
    list.length
      ? h(
          "ul",
          { class: "list" },
          list.map((v) =>
            h(
              "li",
              { class: "card" },
              h(
                "p",
                { class: "card-title" },
                `${fmt.VISIT_KINDS[v.kind] || v.kind}: ${fmt.date(v.visit_date)} в ${v.visit_time}`,
              ),
              h("p", {}, `Лицевой счет ${v.account_number}${v.meter_number ? `, счётчик ${v.meter_number}` : ""}`),
              h("p", {}, `Номер телефона ${fmt.phone(v.phone)}`),
              v.notes ? h("p", {}, `Примечания: ${v.notes}`) : null,
              h(
                "p",
                { class: "hint" },
                `${fmt.VISIT_STATUSES[v.status] || v.status}, отправлено ${fmt.instant(v.created_at)}`,
              ),
              downloadButton(
                "Добавить в календарь",
                `/visit-requests/${encodeURIComponent(v.id)}/calendar.ics`,
                "vodokanal-visit.ics",
              ),
            ),
          ),
        )
      : h("p", { class: "hint" }, "Заявлений пока нет."),
    h(
      "div",
      { class: "row" },
      linkButton("#/visits/new/meter_acceptance", "Приемка ИПУ", "secondary"),
      linkButton("#/visits/new/meter_verification", "Сверка ИПУ", "secondary"),
    ),
  );
}
