// @ts-check
// Pieces that several screens show or use: account cards and choosers, reading and payment
// lists and forms, the contact center, the payment form, the check of a new password, the
// page of an unknown address. Screens import from here, never from each other.

import * as api from "./api.js";
import * as fmt from "./format.js";
import {
  h,
  page,
  field,
  form,
  facts,
  linkButton,
  loading,
  loadError,
  fill,
  clearErrors,
  showError,
  values as uiValues,
} from "./ui.js";

/** @import { Account, Info, Meter, Payment, PaymentPurpose, PaymentQr, Reading } from "./api.js" */
/** @import { Child, Context, FieldProblem, Values } from "./ui.js" */

/** "Дом" or "Лицевой счет 100001". @param {Account} account */
export function accountTitle(account) {
  return account.label || `Лицевой счет ${account.account_number}`;
}

/** A linked account in a few lines: title, number, address, debt. @param {Account} account */
export function accountSummary(account) {
  return [
    h("p", { class: "card-title" }, accountTitle(account)),
    h("p", {}, `Лицевой счет ${account.account_number}`),
    h("p", {}, account.address),
    h(
      "p",
      { class: "debt" },
      fmt.debt(account.debt),
      h("span", { class: "hint" }, ` (на ${fmt.date(account.balance_as_of)})`),
    ),
  ];
}

/** The meter's name: "ВСХ-0011234 (холодная вода)". @param {Meter} meter */
export function meterTitle(meter) {
  return `${meter.meter_number} (${fmt.SERVICES[meter.service] || meter.service})`;
}

/**
 * Loads something into `box` (a loading line first; on failure the error and a button that
 * shows the screen again).
 * Resolves with the loaded value, or null after a failure.
 * @template T
 * @param {HTMLElement} box
 * @param {() => Promise<T>} fetcher
 * @returns {Promise<T | null>}
 */
export async function load(box, fetcher) {
  fill(box, loading());
  try {
    return await fetcher();
  } catch (error) {
    fill(
      box,
      loadError(/** @type {Error} */ (error), () => window.dispatchEvent(new HashChangeEvent("hashchange"))),
    );
    return null;
  }
}

/**
 * A chooser of the user's accounts that calls `pick(number)` on change.
 * @param {Account[]} accounts
 * @param {string} selected
 * @param {(number: string) => void} pick
 */
export function accountChooser(accounts, selected, pick) {
  const node = field("account", "Лицевой счет", {
    options: accounts.map((a) => ({ value: a.account_number, title: `${a.account_number} — ${a.label || a.address}` })),
    value: selected,
  });
  const select = /** @type {HTMLSelectElement} */ (node.querySelector("select"));
  select.addEventListener("change", () => pick(select.value));
  return node;
}

/** The newest readings of an account, as a list. @param {Reading[]} readings */
export function readingList(readings) {
  if (!readings.length) return h("p", { class: "hint" }, "Показаний пока нет.");
  return h(
    "ul",
    { class: "list" },
    readings.map((r) =>
      h(
        "li",
        { class: "card" },
        h("p", { class: "card-title" }, `${fmt.volume(r.value)} — ${fmt.period(r.period)}`),
        h("p", {}, `Счетчик ${r.meter_number}`),
        r.consumption ? h("p", {}, `Расход ${fmt.volume(r.consumption)}`) : null,
        h("p", { class: "hint" }, `Передано ${fmt.instant(r.submitted_at)}, ${fmt.SOURCES[r.source] || r.source}`),
        r.voided_at ? h("p", { class: "warning" }, `Аннулировано водоканалом ${fmt.instant(r.voided_at)}`) : null,
        r.warnings.map((w) => h("p", { class: "warning" }, fmt.WARNINGS[w] || w)),
      ),
    ),
  );
}

/**
 * Payments, newest first.
 * @param {Payment[]} payments
 * @param {PaymentPurpose[]} purposes
 */
export function paymentList(payments, purposes) {
  if (!payments.length) return h("p", { class: "hint" }, "Платежей пока нет.");
  const titles = Object.fromEntries(purposes.map((p) => [p.code, p.title]));
  return h(
    "ul",
    { class: "list" },
    payments.map((p) =>
      h(
        "li",
        { class: "card" },
        h("p", { class: "card-title" }, `${fmt.money(p.amount)} — ${titles[p.purpose] || p.purpose}`),
        h("p", { class: `status status-${p.status}` }, fmt.PAYMENT_STATUSES[p.status] || p.status),
        h("p", { class: "hint" }, fmt.instant(p.paid_at || p.created_at)),
      ),
    ),
  );
}

/**
 * The contact center as the guide shows it: Адрес, Режим работы, Телефон (each phone a
 * link that a phone dials).
 * @param {Info} info
 */
export function contactCenter(info) {
  const center = info.contact_center;
  return h(
    "div",
    { class: "contacts" },
    h("h2", {}, "Адрес"),
    h("p", {}, center.address),
    h("h2", {}, "Режим работы"),
    h(
      "ul",
      { class: "plain" },
      center.hours.map((line) => h("li", {}, fmt.hours(line))),
    ),
    h("h2", {}, "Телефон"),
    h(
      "ul",
      { class: "plain" },
      center.phones.map((phone) =>
        h("li", {}, h("a", { class: "phone", href: `tel:${phone.replace(/[^\d+]/g, "")}` }, phone)),
      ),
    ),
  );
}

/** The purpose chooser (Вода, Временный водопровод, Судебные, Отопление). @param {PaymentPurpose[]} purposes */
export function purposeField(purposes) {
  return field("purpose", "Назначение платежа", {
    required: true,
    options: purposes.map((p) => ({ value: p.code, title: p.title })),
    value: purposes[0]?.code,
  });
}

/** The amount field, in roubles. @param {string} [value] */
export function amountField(value) {
  return field("amount", "Сумма, ₽", {
    required: true,
    inputmode: "decimal",
    autocomplete: "off",
    value,
    hint: "Например, 1234,50",
  });
}

/**
 * A payment form: `fields` before the purpose and amount; `start(values, key)` creates the
 * payment. On success the payer goes to the payment page, which returns to #/payments/{id}.
 * With `qr` (paying by QR code is on: `payment_qr` of /info), a second button «Оплатить по
 * QR-коду» shows the code of the form's purpose and amount below the form.
 * @param {object} spec
 * @param {Child[]} [spec.fields]
 * @param {PaymentPurpose[]} spec.purposes
 * @param {string} [spec.amount]
 * @param {(values: Record<string, unknown>, idempotencyKey: string) => Promise<Payment>} spec.start
 *   gets the form's values with the amount in the contract's form (undefined: not sent)
 * @param {{ payee: PaymentQr, path: (values: Record<string, string>) => string } | null} [spec.qr]
 *   the payee and the code's path for the form's values (the amount in the contract's form)
 */
export function paymentForm({ fields = [], purposes, amount, start, qr = null }) {
  const shown = h("div", { class: "qr-payment" });
  const qrButton = qr ? h("button", { type: "button", class: "button secondary" }, "Оплатить по QR-коду") : null;
  const node = form({
    fields: [...fields, purposeField(purposes), amountField(amount)],
    note: true,
    submitLabel: "Перейти к оплате",
    submit: (values, key) => start({ ...values, amount: fmt.decimal(values.amount) }, key),
    done: (payment) => {
      if (payment.confirmation_url) location.assign(payment.confirmation_url);
      else location.hash = `#/payments/${payment.id}`;
    },
    codeFields: { not_found: "account_number" },
    extra: [qrButton],
  });
  if (qr && qrButton) {
    qrButton.addEventListener("click", () => showQr(node, shown, qrButton, qr));
  }
  return qr ? h("div", {}, node, shown) : node;
}

/**
 * The title of the purpose chosen in the form.
 * @param {HTMLFormElement} node
 * @param {string} code
 */
function purposeTitle(node, code) {
  const purpose = /** @type {HTMLSelectElement | null} */ (node.querySelector("select[name=purpose]"));
  return purpose?.selectedOptions[0]?.textContent || code;
}

/**
 * A Blob as a `data:` URL (the page's CSP takes `data:` images, not `blob:` ones).
 * @param {Blob} blob
 * @returns {Promise<string>}
 */
function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/**
 * Fetches and shows the QR code of the form's values in `box`; errors go to the form.
 * @param {HTMLFormElement} node
 * @param {HTMLElement} box
 * @param {HTMLButtonElement} button
 * @param {{ payee: PaymentQr, path: (values: Record<string, string>) => string }} qr
 */
async function showQr(node, box, button, qr) {
  if (button.disabled) return;
  clearErrors(node);
  /** @type {Record<string, string>} */
  const values = {};
  for (const [name, value] of Object.entries(uiValues(node))) values[name] = String(value);
  values.amount = fmt.decimal(values.amount) ?? "";
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const image = await api.getImage(qr.path(values));
    const heading = h("h2", { tabindex: "-1" }, "Оплата по QR-коду");
    const img = h("img", {
      class: "qr-code",
      src: await dataUrl(image),
      alt: `QR-код для оплаты: ${purposeTitle(node, values.purpose)}, сумма ${fmt.money(values.amount)}`,
    });
    // Whole pixels a module (the SVG draws 8 units a module), as large as the screen allows:
    // a camera reads sharp modules best.
    img.addEventListener("load", () => {
      const modules = img.naturalWidth / 8;
      const room = Math.min(box.clientWidth || 320, 400);
      img.style.width = `${Math.max(1, Math.floor(room / modules)) * modules}px`;
    });
    fill(
      box,
      heading,
      img,
      h("p", {}, "Отсканируйте код в приложении своего банка."),
      h("p", { class: "hint" }, "Платеж поступит на лицевой счет после перевода банком, не сразу."),
      h("h3", {}, "Реквизиты"),
      facts([
        ["Получатель", qr.payee.name],
        ["ИНН", qr.payee.inn],
        ["КПП", qr.payee.kpp],
        ["Расчетный счет", qr.payee.account],
        ["Банк", qr.payee.bank],
        ["БИК", qr.payee.bic],
        ["Корр. счет", qr.payee.correspondent_account],
      ]),
    );
    heading.focus();
  } catch (error) {
    fill(box);
    showError(node, error, { not_found: "account_number" });
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/**
 * The cabinet's payment form of an account ("Оплата" and the "Платежи" tab).
 * @param {Account} account
 * @param {Info} info
 */
export function cabinetPaymentForm(account, info) {
  const owed = /^-|^0+(\.0+)?$/.test(account.debt) ? "" : account.debt.replace(".", ",");
  const number = account.account_number;
  return paymentForm({
    purposes: info.payment_purposes,
    amount: owed,
    start: (values, key) =>
      api.post(`${api.accountPath(number)}/payments`, { purpose: values.purpose, amount: values.amount }, key),
    qr: info.payment_qr
      ? {
          payee: info.payment_qr,
          path: (values) =>
            `${api.accountPath(number)}/payment-qr?${new URLSearchParams({
              purpose: values.purpose,
              amount: values.amount,
            })}`,
        }
      : null,
  });
}

/**
 * Loads the user's accounts; the screen shows an invitation to add one when there is none.
 * @param {HTMLElement} box
 * @returns {Promise<Account[] | null>}
 */
export async function accountsOrInvite(box) {
  /** @type {Account[] | null} */
  const accounts = await load(box, () => api.get("/accounts"));
  if (accounts && !accounts.length) {
    fill(
      box,
      h("p", {}, "Лицевые счета еще не добавлены."),
      h("a", { class: "button primary", href: "#/accounts/new" }, "Новый счет"),
    );
    return null;
  }
  return accounts;
}

/**
 * The account a tab ("Показания", "Платежи") shows: the one named by `?account=`, else the
 * first; with the chooser that opens the tab (`route`) on another. Null when there is none.
 * @param {HTMLElement} box
 * @param {Context} ctx
 * @param {string} route
 * @returns {Promise<{ account: Account, chooser: HTMLElement } | null>}
 */
export async function tabAccount(box, { query, go }, route) {
  const accounts = await accountsOrInvite(box);
  if (!accounts) return null;
  const account = accounts.find((a) => a.account_number === query.get("account")) || accounts[0];
  const chooser =
    accounts.length > 1
      ? accountChooser(accounts, account.account_number, (n) => go(`${route}?account=${encodeURIComponent(n)}`))
      : h("p", {}, `Лицевой счет ${account.account_number}`);
  return { account, chooser };
}

/**
 * The readings form of an account: fields `readings[i].value`, i the meter's index, so that
 * the server's errors land under their meter. `done(readings)` gets the stored readings.
 * @param {Account} account
 * @param {(readings: Reading[]) => void} done
 */
export function readingsForm(account, done) {
  const meters = account.meters;
  /** @type {{ meter_number: string, value: string | undefined, i: number }[]} */
  let sent = [];
  return form({
    fields: [
      meters.length === 1
        ? null
        : h("p", { class: "hint" }, "Заполните показания тех счетчиков, которые хотите передать."),
      meters.map((m, i) =>
        field(`readings[${i}].value`, meterTitle(m), {
          required: meters.length === 1,
          inputmode: "decimal",
          autocomplete: "off",
          hint: m.last_reading
            ? `Предыдущее: ${fmt.volume(m.last_reading.value)} от ${fmt.date(m.last_reading.date)}`
            : "В кубометрах, например 123,456",
        }),
      ),
    ],
    note: meters.length === 1,
    submitLabel: "Отправить",
    check: (values) =>
      meters.some((_, i) => values[`readings[${i}].value`])
        ? []
        : [{ field: "readings[0].value", message: "Укажите показание хотя бы одного счетчика" }],
    submit: (values, key) => {
      sent = meters
        .map((m, i) => ({ meter_number: m.meter_number, value: fmt.decimal(values[`readings[${i}].value`]), i }))
        .filter((r) => r.value);
      /** @type {Promise<Reading[]>} */
      const stored = api.post(
        `${api.accountPath(account.account_number)}/readings`,
        { readings: sent.map(({ meter_number, value }) => ({ meter_number, value })) },
        key,
      );
      return stored.catch((error) => {
        // The body's index is not the field's when a meter was left empty.
        for (const item of error instanceof api.ApiError ? error.errors : []) {
          item.field = item.field.replace(/^readings\[(\d+)\]/, (_, n) => `readings[${sent[Number(n)]?.i ?? n}]`);
        }
        throw error;
      });
    },
    codeFields: {
      // "Показание счётчика ВСХ-0011234 меньше предыдущего": under that meter's field.
      reading_below_previous: (error) => {
        const i = meters.findIndex((m) => error.message.includes(m.meter_number));
        return `readings[${i < 0 ? (sent[0]?.i ?? 0) : i}].value`;
      },
      meter_not_found: "readings[0].value",
    },
    done,
  });
}

/** What was stored, with warnings. @param {Reading[]} readings */
export function readingsAccepted(readings) {
  return readings.map((r) =>
    h(
      "div",
      { class: "card" },
      facts([
        ["Счетчик", r.meter_number],
        ["Показание", fmt.volume(r.value)],
        ["Период", fmt.period(r.period)],
        r.consumption ? ["Расход", fmt.volume(r.consumption)] : null,
      ]),
      r.warnings.map((w) => h("p", { class: "warning" }, fmt.WARNINGS[w] || w)),
    ),
  );
}

/**
 * The check of a new password's confirmation (the server never sees the confirmation).
 * @param {Values} values
 * @returns {FieldProblem[]}
 */
export function samePasswords(values) {
  if (!values.confirmation) return [{ field: "confirmation", message: "Повторите пароль" }];
  if (values.confirmation !== values.new_password) return [{ field: "confirmation", message: "Пароли не совпадают" }];
  return [];
}

/** The page of an address the app does not know. @param {HTMLElement} root */
export function notFoundPage(root) {
  page(
    root,
    "Страница не найдена",
    h("p", {}, "Такой страницы нет. Проверьте адрес или вернитесь на главную."),
    linkButton("#/", "На главную"),
  );
}

/**
 * A button that fetches a file of the API with the session («Скачать историю», a visit's
 * «Добавить в календарь») and saves it: the bytes become a Blob URL, clicked as an
 * `<a download>`. A refusal is said below the button.
 * @param {string} text
 * @param {string} path
 * @param {string} fallback the file's name when the answer gives none
 */
export function downloadButton(text, path, fallback) {
  const button = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "button secondary" }, text));
  const said = h("div", { class: "form-error", role: "alert", hidden: true });
  button.addEventListener("click", async () => {
    said.hidden = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const { blob, name } = await api.download(path, fallback);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      fill(said, h("p", {}, error instanceof Error ? error.message : String(error)));
      said.hidden = false;
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
  return h("div", { class: "download" }, button, said);
}
