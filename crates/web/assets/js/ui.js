// DOM helpers: elements, form fields with their errors, busy buttons, one submission at a
// time with its Idempotency-Key, countdowns, notices. No innerHTML: text is always text.

import { ApiError, NetworkError, newIdempotencyKey } from "./api.js";

/** h("p", {class: "x"}, "text", child) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  append(element, children);
  return element;
}

/** Replaces a node's children (nulls skipped, arrays flattened, strings as text). */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let counter = 0;
const uid = (prefix) => `${prefix}-${++counter}`;

let notice = null;

/** A message for the next screen ("Пароль изменён"). */
export function flash(message) {
  notice = message;
}

/**
 * Starts a screen: its title (also the document's), an optional notice from the previous
 * screen, and the section the screen fills.
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

/** A paragraph saying that something is loading; replace it when done. */
export function loading() {
  return h("p", { class: "loading", role: "status" }, "Загрузка…");
}

/** What failed to load, with a button to try again. */
export function loadError(error, retry) {
  const message = error instanceof NetworkError
    ? "Нет соединения с сервером. Проверьте подключение к интернету и нажмите «Повторить»."
    : error.message;
  const box = h("div", { class: "form-error", role: "alert" }, h("p", {}, message));
  if (retry) box.append(h("button", { type: "button", class: "button secondary", onclick: retry }, "Повторить"));
  return box;
}

/** A link styled as a button. */
export function linkButton(href, text, kind = "primary") {
  return h("a", { href, class: `button ${kind}` }, text);
}

/**
 * A labelled form field: `name` is the contract's field name, so that a problem's
 * `errors[].field` finds it. Options: label, type, required, hint, value, autocomplete,
 * inputmode, options ([{value, title}]) for a select, rows for a textarea, readonly, password
 * (a show/hide button), min, max.
 */
export function field(name, label, options = {}) {
  const id = uid("f");
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  let control;
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
    control = h("select", common,
      options.placeholder ? h("option", { value: "" }, options.placeholder) : null,
      options.options.map((o) => h("option", { value: o.value, selected: o.value === options.value }, o.title)));
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
  const labelNode = h("label", { for: id }, label, options.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null);
  const wrapper = h("div", { class: "field" }, labelNode);
  if (options.password) {
    const eye = h("button", { type: "button", class: "eye", "aria-label": "Показать пароль", "aria-pressed": "false", "aria-controls": id });
    const icon = h("img", { src: "/assets/icons/eye.svg", alt: "", width: "24", height: "24" });
    eye.append(icon);
    eye.addEventListener("click", () => {
      const shown = control.type === "text";
      control.type = shown ? "password" : "text";
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

/** A checkbox with its label on the right. */
export function checkbox(name, label, options = {}) {
  const id = uid("f");
  const errorId = `${id}-error`;
  const box = h("input", { type: "checkbox", id, name, "data-error": errorId, "aria-required": options.required ? "true" : false });
  return h("div", { class: "field check" },
    h("div", { class: "check-row" }, box, h("label", { for: id }, label, options.required ? h("span", { class: "required", "aria-hidden": "true" }, " *") : null)),
    h("p", { class: "field-error", id: errorId, hidden: true }));
}

/** The guide's note under a form that explains the asterisks. */
function requiredNote() {
  return h("p", { class: "hint required-note" }, "Поля, отмеченные *, являются обязательными для заполнения.");
}

function describedBy(control, withError) {
  const ids = [control.dataset.hint, withError ? control.dataset.error : null].filter(Boolean);
  if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
  else control.removeAttribute("aria-describedby");
}

/** Shows `message` under the field `name`; false if the form has no such field. */
export function setFieldError(form, name, message) {
  const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!control) return false;
  const error = document.getElementById(control.dataset.error);
  error.textContent = message;
  error.hidden = false;
  control.setAttribute("aria-invalid", "true");
  describedBy(control, true);
  return true;
}

function formAlert(form) {
  return form.querySelector(":scope > .form-error");
}

/** Shows a message for the whole form, above its buttons. */
export function setFormError(form, message) {
  const alert = formAlert(form);
  alert.textContent = message;
  alert.hidden = false;
}

export function clearErrors(form) {
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    describedBy(control, false);
  }
  for (const error of form.querySelectorAll(".field-error")) {
    error.textContent = "";
    error.hidden = true;
  }
  const alert = formAlert(form);
  alert.textContent = "";
  alert.hidden = true;
}

function focusFirstError(form) {
  const target = form.querySelector("[aria-invalid=true]") || formAlert(form);
  target.focus();
}

/** Marks a button as busy (disabled, aria-busy, "Отправка…") or gives it back. */
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

/** The values without empty text: a field left empty is not sent, so that the server says
 * that it is required rather than that it is malformed. */
function compact(data) {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== ""));
}

/** The form's values by field name: checkboxes as booleans, text trimmed. */
export function values(form) {
  const result = {};
  for (const control of form.elements) {
    if (!control.name) continue;
    if (control.type === "checkbox") result[control.name] = control.checked;
    else result[control.name] = control.type === "password" || control.dataset.password ? control.value : control.value.trim();
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
 */
export function form({ fields, submitLabel, submit, done, check, codeFields = {}, extra = [], danger = false, note = false }) {
  const button = h("button", { type: "submit", class: `button ${danger ? "danger" : "primary"}` }, submitLabel);
  const alert = h("div", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
  const node = h("form", { novalidate: true }, fields, alert, h("div", { class: "actions" }, button, extra), note ? requiredNote() : null);
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

/** Shows an error of a submission on its form. */
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

/** "02:56" */
export function mmss(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/**
 * A live countdown "Повторная отправка кода через 02:56" from `seconds`; when it reaches zero
 * it is replaced by `whenDone()`'s node. Stops when the node leaves the page.
 */
export function countdown(seconds, whenDone) {
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
    node.textContent = `Повторная отправка кода через ${mmss(left)}`;
    setTimeout(tick, 250);
  };
  tick();
  return node;
}

/** A definition list of [term, value] pairs. */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}
