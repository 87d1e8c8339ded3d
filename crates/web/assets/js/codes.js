// @ts-check
// The two-step forms that send an SMS code (registration, password recovery): asking for a
// code, the countdown before a new one may be asked, and the "send again" button.

import * as api from "./api.js";
import { h, countdown, showError, setBusy, flash, fill } from "./ui.js";

/** @import { CodeSent } from "./api.js" */
/** @import { Values } from "./ui.js" */

/**
 * Asks for a code; resolves with `{resendAfter, values}`. A code sent a moment ago (429 with
 * Retry-After) leads to the code step too, with the server's words as a notice and the
 * countdown from Retry-After.
 * @param {string} path
 * @param {Values} values
 * @returns {Promise<{ resendAfter: number, values: Values }>}
 */
export async function askCode(path, values) {
  try {
    /** @type {CodeSent} */
    const answer = await api.post(path, values);
    return { resendAfter: answer.resend_after, values };
  } catch (error) {
    if (error instanceof api.ApiError && error.code === "too_many_requests" && error.retryAfter) {
      flash(error.message);
      return { resendAfter: error.retryAfter, values };
    }
    throw error;
  }
}

/**
 * The line under a code form: "Повторная отправка кода через 02:56", counting down from
 * `seconds`, then a button that calls `resend()` (which resolves with the next wait in
 * seconds, or rejects with the API's error, shown on `form`).
 * @param {number} seconds
 * @param {() => Promise<number>} resend
 * @param {HTMLFormElement} form
 */
export function resendLine(seconds, resend, form) {
  const box = h("div", { class: "resend" });
  const again = () => {
    const button = h("button", { type: "button", class: "button secondary" }, "Получить код");
    button.addEventListener("click", async () => {
      setBusy(button, true);
      try {
        fill(box, countdown(await resend(), again));
      } catch (error) {
        setBusy(button, false);
        showError(form, error);
      }
    });
    return button;
  };
  box.append(countdown(seconds, again));
  return box;
}
