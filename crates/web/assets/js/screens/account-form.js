// @ts-check
// "Новый счет" (link an account by its number and a meter's last 4 digits, "Добавить") and
// "Редактирование" (its label, "Принять"; or unlink it: the number and the meters are the
// registry's), as the guide shows them.

import * as api from "../api.js";
import { h, page, field, form, flash, setBusy, showError, fill } from "../ui.js";
import { load } from "../parts.js";

/** @import { Account, Meter } from "../api.js" */
/** @import { Screen } from "../ui.js" */

const HINT =
  "Номер лицевого счета указан в квитанции. Последние 4 цифры счетчика — это последние цифры заводского номера, который написан на корпусе счетчика.";

// The guide's hint, word for word.
const LABEL_HINT =
  'Вы можете указать свое наименование для счета, например, "Моя квартира" или "Квартира бабушки". Если вы не хотите указывать свое наименование - оставьте поле пустым';

const labelField = (/** @type {string} */ value) =>
  field("label", "Наименование для счета", { autocomplete: "off", value, maxlength: "50", hint: LABEL_HINT });

// The last 4 digits of each of the account's meters, as the subscriber typed one of them.
const lastDigits = (/** @type {Meter[] | undefined} */ meters) =>
  (meters || []).map((m) => m.meter_number.slice(-4)).join(", ");

/** @type {Screen} */
export default async function accountForm(root, { params, go }) {
  if (!params.number) {
    page(
      root,
      "Новый счет",
      h("p", { class: "hint" }, HINT),
      form({
        fields: [
          field("account_number", "Лицевой счет", { required: true, inputmode: "numeric", autocomplete: "off" }),
          field("meter_last4", "Последние 4 цифры счетчика", {
            required: true,
            inputmode: "numeric",
            autocomplete: "off",
            maxlength: "4",
          }),
          labelField(""),
        ],
        note: true,
        submitLabel: "Добавить",
        submit: (values) => {
          /** @type {Record<string, unknown>} */
          const body = { account_number: values.account_number, meter_last4: values.meter_last4 };
          if (values.label) body.label = values.label;
          return api.post("/accounts", body);
        },
        codeFields: { account_link_failed: "meter_last4", account_already_linked: "account_number" },
        done: (/** @type {Account} */ account) => {
          flash(`Лицевой счет ${account.account_number} добавлен.`);
          go("/home");
        },
      }),
    );
    return;
  }
  const box = h("div");
  page(root, "Редактирование", box);
  const path = api.accountPath(params.number);
  /** @type {Account | null} */
  const account = await load(box, () => api.get(path));
  if (!account) return;
  const unlink = h("button", { type: "button", class: "button danger" }, "Удалить счет из кабинета");
  const edit = form({
    fields: [
      field("account_number", "Лицевой счет", {
        required: true,
        readonly: true,
        value: account.account_number,
        hint: "Чтобы добавить другой лицевой счет, удалите этот и добавьте новый.",
      }),
      field("meter_last4", "Последние 4 цифры счетчика", {
        required: true,
        readonly: true,
        value: lastDigits(account.meters),
      }),
      labelField(account.label || ""),
    ],
    submitLabel: "Принять",
    submit: (values) => api.patch(path, { label: values.label ?? null }),
    done: () => {
      flash("Изменения сохранены.");
      go(path);
    },
    extra: [unlink],
  });
  unlink.addEventListener("click", async () => {
    if (
      !window.confirm(
        `Удалить лицевой счет ${account.account_number} из личного кабинета? Данные счета в водоканале останутся.`,
      )
    )
      return;
    setBusy(unlink, true);
    try {
      await api.del(path);
      flash(`Лицевой счет ${account.account_number} удален из кабинета.`);
      go("/home");
    } catch (error) {
      setBusy(unlink, false);
      showError(edit, error);
    }
  });
  fill(box, edit);
}
