// @ts-check
// DOM helpers: elements, form fields with their errors, busy buttons, one submission at a
// time with its Idempotency-Key, countdowns, notices. No innerHTML: text is always text.

import { ApiError, NetworkError, newIdempotencyKey } from "./api.js";

/**
 * What a screen gets from the shell: the route's `:names`, the query after `?`, `go(path)`,
 * and whether there is a session.
 * @typedef {object} Context
 * @property {Record<string, string>} params
 * @property {URLSearchParams} query
 * @property {(path: string) => void} go
 * @property {boolean} loggedIn
 */

/**
 * A screen module's default export: fills `root` for the route.
 * @typedef {(root: HTMLElement, ctx: Context) => void | Promise<void>} Screen
 */

/**
 * A child for `h` and `fill`: nulls, undefined and false are skipped, arrays flattened,
 * anything but a node becomes text.
 * @typedef {Node | string | number | boolean | null | undefined | Child[]} Child
 */

/**
 * Attributes for `h`: `true` as an empty attribute, false/null/undefined left out, `on...` as
 * event listeners.
 * @typedef {Record<string, string | number | boolean | null | undefined | EventListener>} Attributes
 */

/**
 * A form's values by field name: text, or a boolean for a checkbox.
 * @typedef {Record<string, string | boolean>} Values
 */

/** @typedef {{ field: string, message: string }} FieldProblem */

/**
 * Where a problem `code` is shown: the field's name, or a function of the error that names it.
 * @typedef {Record<string, string | ((error: ApiError) => string)>} CodeFields
 */

/**
 * h("p", {class: "x"}, "text", child)
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

/**
 * Replaces a node's children (nulls skipped, arrays flattened, strings as text).
 * @param {Element} element
 * @param {...Child} children
 */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/**
 * @param {Element} element
 * @param {Child[]} children
 */
function append(element, children) {
  for (const child of /** @type {unknown[]} */ (children).flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let counter = 0;
const uid = (/** @type {string} */ prefix) => `${prefix}-${++counter}`;

/** @type {string | null} */
let notice = null;

/**
 * A message for the next screen ("Пароль изменён").
 * @param {string} message
 */
export function flash(message) {
  notice = message;
}

/**
 * Starts a screen: its title (also the document's), an optional notice from the previous
 * screen, and the section the screen fills.
 * @param {HTMLElement} root
 * @param {string} title
 * @param {...Child} intro
 * @returns {HTMLElement}
 */
export function page(root, title, ...intro) {
  document.title = `${title} — Водоканал`;
  const heading = h("h1", { tabindex: "-1" }, title);
  const section = h("section", { class: "screen" }, heading);
  if (notice) {
    section.append(h("p", { class: "notice", role: "status" }, notice));
    notice = null;
  }
  append(section, intro);
  fill(root, section);
  return section;
}

/**
 * A new title for a screen started by `page` once its data is there (the document's too).
 * @param {HTMLElement} section
 * @param {string} title
 */
export function retitle(section, title) {
  const heading = section.querySelector("h1");
  if (heading) heading.textContent = title;
  document.title = `${title} — Водоканал`;
}

/** A paragraph saying that something is loading; replace it when done. */
export function loading() {
  return h("p", { class: "loading", role: "status" }, "Загрузка…");
}

/**
 * What failed to load, with a button to try again.
 * @param {Error} error
 * @param {() => void} [retry]
 */
export function loadError(error, retry) {
  const message =
    error instanceof NetworkError
      ? "Нет соединения с сервером. Проверьте подключение к интернету и нажмите «Повторить»."
      : error.message;
  const box = h("div", { class: "form-error", role: "alert" }, h("p", {}, message));
  if (retry) box.append(h("button", { type: "button", class: "button secondary", onclick: retry }, "Повторить"));
  return box;
}

/**
 * A link styled as a button.
 * @param {string} href
 * @param {string} text
 * @param {"primary" | "secondary" | "danger"} [kind]
 */
export function linkButton(href, text, kind = "primary") {
  return h("a", { href, class: `button ${kind}` }, text);
}

/**
 * @typedef {object} FieldOptions
 * @property {string} [type] an input's type, or "textarea"
 * @property {boolean} [required]
 * @property {string} [hint]
 * @property {string | null} [value]
 * @property {string} [autocomplete]
 * @property {string} [inputmode]
 * @property {{ value: string, title: string }[]} [options] a select's options
 * @property {string | null} [placeholder] a select's first, empty option
 * @property {number} [rows] a textarea's
 * @property {string} [maxlength]
 * @property {boolean} [readonly]
 * @property {boolean} [password] a show/hide button
 * @property {string} [min]
 * @property {string} [max]
 */

/**
 * A labelled form field: `name` is the contract's field name, so that a problem's
 * `errors[].field` finds it. Options: label, type, required, hint, value, autocomplete,
 * inputmode, options ([{value, title}]) for a select, rows for a textarea, readonly, password
 * (a show/hide button), min, max.
 * @param {string} name
 * @param {string} label
 * @param {FieldOptions} [options]
 * @returns {HTMLDivElement}
 */
export function field(name, label, options = {}) {
  const id = uid("f");
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  /** @type {HTMLSelectElement | HTMLTextAreaElement | HTMLInputElement} */
  let control;
  /** @type {Attributes} */
  const common = {
    id,
    name,
    "aria-required": options.required ? "true" : false,
    "aria-describedby": options.hint ? hintId : false,
    "data-hint": options.hint ? hintId : false,
    "data-error": errorId,
    autocomplete: options.autocomplete || false,
    readonly: options.readonly || false,
  };
  if (options.options) {
    control = h(
      "select",
      common,
      options.placeholder ? h("option", { value: "" }, options.placeholder) : null,
      options.options.map((o) => h("option", { value: o.value, selected: o.value === options.value }, o.title)),
    );
  } else if (options.type === "textarea") {
    control = h("textarea", { ...common, rows: options.rows || 3, maxlength: options.maxlength || false });
    control.value = options.value || "";
  } else {
    control = h("input", {
      ...common,
      type: options.type || "text",
      inputmode: options.inputmode || false,
      min: options.min || false,
      max: options.max || false,
      maxlength: options.maxlength || false,
      spellcheck: options.type === "password" || options.password ? "false" : false,
    });
    if (options.value !== undefined && options.value !== null) control.value = options.value;
  }
  const labelNode = h(
    "label",
    { for: id },
    label,
    options.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null,
  );
  const wrapper = h("div", { class: "field" }, labelNode);
  if (options.password) {
    const eye = h("button", {
      type: "button",
      class: "eye",
      "aria-label": "Показать пароль",
      "aria-pressed": "false",
      "aria-controls": id,
    });
    const icon = h("img", { src: "/assets/icons/eye.svg", alt: "", width: "24", height: "24" });
    eye.append(icon);
    const input = /** @type {HTMLInputElement} */ (control);
    eye.addEventListener("click", () => {
      const shown = input.type === "text";
      input.type = shown ? "password" : "text";
      icon.src = shown ? "/assets/icons/eye.svg" : "/assets/icons/eye-off.svg";
      eye.setAttribute("aria-pressed", String(!shown));
      eye.setAttribute("aria-label", shown ? "Показать пароль" : "Скрыть пароль");
    });
    wrapper.append(h("div", { class: "with-eye" }, control, eye));
  } else {
    wrapper.append(control);
  }
  if (options.hint) wrapper.append(h("p", { class: "hint", id: hintId }, options.hint));
  wrapper.append(h("p", { class: "field-error", id: errorId, hidden: true }));
  return wrapper;
}

/**
 * A checkbox with its label on the right, and a hint under the label.
 * @param {string} name
 * @param {string} label
 * @param {{ required?: boolean, checked?: boolean, hint?: string }} [options]
 */
export function checkbox(name, label, options = {}) {
  const id = uid("f");
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const box = h("input", {
    type: "checkbox",
    id,
    name,
    checked: options.checked || false,
    "aria-describedby": options.hint ? hintId : false,
    "data-hint": options.hint ? hintId : false,
    "data-error": errorId,
    "aria-required": options.required ? "true" : false,
  });
  return h(
    "div",
    { class: "field check" },
    h(
      "div",
      { class: "check-row" },
      box,
      h(
        "label",
        { for: id },
        label,
        options.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null,
      ),
    ),
    options.hint ? h("p", { class: "hint", id: hintId }, options.hint) : null,
    h("p", { class: "field-error", id: errorId, hidden: true }),
  );
}

/** The guide's note under a form that explains the asterisks. */
function requiredNote() {
  return h("p", { class: "hint required-note" }, "Поля, отмеченные *, являются обязательными для заполнения.");
}

/**
 * @param {HTMLElement} control
 * @param {boolean} withError
 */
function describedBy(control, withError) {
  const ids = [control.dataset.hint, withError ? control.dataset.error : null].filter(Boolean);
  if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
  else control.removeAttribute("aria-describedby");
}

/**
 * Shows `message` under the field `name`; false if the form has no such field.
 * @param {HTMLFormElement} form
 * @param {string} name
 * @param {string} message
 */
export function setFieldError(form, name, message) {
  /** @type {HTMLElement | null} */
  const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!control) return false;
  // Every field and checkbox has its error paragraph.
  const error = /** @type {HTMLElement} */ (document.getElementById(control.dataset.error ?? ""));
  error.textContent = message;
  error.hidden = false;
  control.setAttribute("aria-invalid", "true");
  describedBy(control, true);
  return true;
}

/**
 * The form's alert above its buttons; every `form` has one.
 * @param {HTMLFormElement} form
 */
function formAlert(form) {
  return /** @type {HTMLElement} */ (form.querySelector(":scope > .form-error"));
}

/**
 * Shows a message for the whole form, above its buttons.
 * @param {HTMLFormElement} form
 * @param {string} message
 */
export function setFormError(form, message) {
  const alert = formAlert(form);
  alert.textContent = message;
  alert.hidden = false;
}

/** @param {HTMLFormElement} form */
export function clearErrors(form) {
  /** @type {NodeListOf<HTMLElement>} */
  const invalid = form.querySelectorAll("[aria-invalid]");
  for (const control of invalid) {
    control.removeAttribute("aria-invalid");
    describedBy(control, false);
  }
  /** @type {NodeListOf<HTMLElement>} */
  const errors = form.querySelectorAll(".field-error");
  for (const error of errors) {
    error.textContent = "";
    error.hidden = true;
  }
  const alert = formAlert(form);
  alert.textContent = "";
  alert.hidden = true;
}

/** @param {HTMLFormElement} form */
function focusFirstError(form) {
  /** @type {HTMLElement} */
  const target = form.querySelector("[aria-invalid=true]") || formAlert(form);
  target.focus();
}

/**
 * Marks a button as busy (disabled, aria-busy, "Отправка…") or gives it back.
 * @param {HTMLButtonElement} button
 * @param {boolean} busy
 */
export function setBusy(button, busy) {
  if (busy) {
    button.dataset.label = button.textContent;
    button.textContent = "Отправка…";
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  } else {
    if (button.dataset.label) button.textContent = button.dataset.label;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/**
 * The values without empty text: a field left empty is not sent, so that the server says
 * that it is required rather than that it is malformed.
 * @param {Values} data
 * @returns {Values}
 */
function compact(data) {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== ""));
}

/**
 * The form's values by field name: checkboxes as booleans, text trimmed.
 * @param {HTMLFormElement} form
 * @returns {Values}
 */
export function values(form) {
  /** @type {Values} */
  const result = {};
  // Inputs, selects, textareas and buttons: all have the name, type, value and dataset read here.
  for (const control of /** @type {Iterable<HTMLInputElement>} */ (form.elements)) {
    if (!control.name) continue;
    if (control.type === "checkbox") result[control.name] = control.checked;
    else
      result[control.name] =
        control.type === "password" || control.dataset.password ? control.value : control.value.trim();
  }
  return result;
}

/**
 * A form that submits once at a time: `fields` (nodes), the submit button's text, and
 * `submit(values, idempotencyKey)` returning a promise. Errors are shown where they belong:
 * a problem's `errors[].field` under that field, a problem `code` listed in `codeFields`
 * under the field it names, anything else above the button; a lost connection says so and
 * keeps what was typed, and the same Idempotency-Key is sent again until an answer comes
 * for that body. `check(values)` may return [{field, message}] to stop before sending;
 * `danger` draws the button as a destructive one; `note` puts the guide's sentence about the
 * asterisks under the buttons, where the guide has it.
 * @template R
 * @param {object} spec
 * @param {Child[]} spec.fields
 * @param {string} spec.submitLabel
 * @param {(values: Values, idempotencyKey: string) => Promise<R>} spec.submit
 * @param {(result: R, values: Values, form: HTMLFormElement) => unknown} spec.done
 * @param {(values: Values) => FieldProblem[]} [spec.check]
 * @param {CodeFields} [spec.codeFields]
 * @param {Child[]} [spec.extra]
 * @param {boolean} [spec.danger]
 * @param {boolean} [spec.note]
 * @returns {HTMLFormElement}
 */
export function form({
  fields,
  submitLabel,
  submit,
  done,
  check,
  codeFields = {},
  extra = [],
  danger = false,
  note = false,
}) {
  const button = h("button", { type: "submit", class: `button ${danger ? "danger" : "primary"}` }, submitLabel);
  const alert = h("div", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
  const node = h(
    "form",
    { novalidate: true },
    fields,
    alert,
    h("div", { class: "actions" }, button, extra),
    note ? requiredNote() : null,
  );
  /** @type {{ body: string, key: string } | null} */
  let pending = null;
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearErrors(node);
    const data = values(node);
    const local = check ? check(data) : [];
    if (local.length) {
      for (const { field: name, message } of local) {
        if (!setFieldError(node, name, message)) setFormError(node, message);
      }
      focusFirstError(node);
      return;
    }
    const body = JSON.stringify(data);
    if (!pending || pending.body !== body) pending = { body, key: newIdempotencyKey() };
    setBusy(button, true);
    try {
      const result = await submit(compact(data), pending.key);
      pending = null;
      setBusy(button, false);
      await done(result, data, node);
    } catch (error) {
      setBusy(button, false);
      if (!(error instanceof NetworkError)) pending = null;
      showError(node, error, codeFields);
      focusFirstError(node);
    }
  });
  return node;
}

/**
 * Shows an error of a submission on its form.
 * @param {HTMLFormElement} form
 * @param {unknown} error
 * @param {CodeFields} [codeFields]
 */
export function showError(form, error, codeFields = {}) {
  if (error instanceof ApiError) {
    let shown = false;
    for (const item of error.errors) {
      if (setFieldError(form, item.field, item.message)) shown = true;
      else setFormError(form, item.message);
    }
    const target = codeFields[error.code];
    const name = typeof target === "function" ? target(error) : target;
    if (!shown && name && setFieldError(form, name, error.message)) return;
    if (!shown) setFormError(form, error.message);
    return;
  }
  if (error instanceof NetworkError) {
    setFormError(form, error.message);
    return;
  }
  setFormError(form, "Что-то пошло не так. Обновите страницу и попробуйте ещё раз.");
}

/** "02:56" @param {number} seconds */
export function mmss(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/**
 * A live countdown "Повторная отправка кода через 02:56" from `seconds` (`words` before the
 * time); when it reaches zero it is replaced by `whenDone()`'s node. Stops when the node
 * leaves the page.
 * @param {number} seconds
 * @param {() => Node} whenDone
 * @param {string} [words]
 */
export function countdown(seconds, whenDone, words = "Повторная отправка кода через") {
  const node = h("p", { class: "countdown", role: "timer" });
  const ends = Date.now() + seconds * 1000;
  let seen = false;
  const tick = () => {
    if (node.isConnected) seen = true;
    else if (seen) return;
    const left = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
    if (left === 0) {
      node.replaceWith(whenDone());
      return;
    }
    node.textContent = `${words} ${mmss(left)}`;
    setTimeout(tick, 250);
  };
  tick();
  return node;
}

/**
 * A definition list of [term, value] pairs; null pairs are left out.
 * @param {([string, Child] | null)[]} pairs
 */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter((pair) => pair !== null).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}
