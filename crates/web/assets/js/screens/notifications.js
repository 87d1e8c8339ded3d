// @ts-check
// "Уведомления": per topic (its title from the server) the channels Электронная почта,
// Push-уведомления and SMS, "Сохранить"; and web push in this browser: "Получать уведомления"
// or "Отключить в этом браузере".

import * as api from "../api.js";
import * as push from "../push.js";
import { h, page, form, checkbox, loading, setBusy, flash, fill } from "../ui.js";
import { load } from "../parts.js";

/** @import { NoticeSettings } from "../api.js" */
/** @import { Screen } from "../ui.js" */

/** The channels in the contract's order, with their labels. */
const CHANNELS = [
  ["email", "Электронная почта"],
  ["push", "Push-уведомления"],
  ["sms", "SMS"],
];

/** @type {Record<string, string>} The problems of POST /profile/push-subscriptions, in the subscriber's words. */
const PUSH_PROBLEMS = {
  push_endpoint_not_allowed:
    "Водоканал не может отправлять уведомления в этот браузер. Попробуйте другой браузер или выберите электронную почту или SMS.",
  too_many_push_subscriptions:
    "Уведомления уже включены в наибольшем возможном числе браузеров. Отключите их в одном из браузеров и попробуйте снова.",
  push_not_configured: "Push-уведомления сейчас недоступны. Выберите электронную почту или SMS.",
};

const DENIED =
  "Уведомления для этого сайта запрещены в настройках браузера. Чтобы разрешить их, нажмите на значок слева от адреса сайта, откройте настройки сайта, выберите для уведомлений «Разрешить» и нажмите «Получать уведомления» еще раз.";
const NOT_ALLOWED =
  "Браузер не получил разрешения показывать уведомления. Нажмите «Получать уведомления» еще раз и выберите «Разрешить».";

/** @type {Screen} */
export default async function notifications(root, { go }) {
  const box = h("div");
  page(root, "Уведомления", box);
  /** @type {NoticeSettings | null} */
  const settings = await load(box, () => api.get("/profile/notifications"));
  if (!settings) return;
  const key = settings.push.public_key;
  fill(
    box,
    h("p", {}, "Отметьте, о чем и как вам сообщать, и нажмите «Сохранить»."),
    settings.email_verified
      ? null
      : h(
          "p",
          { class: "warning" },
          "Адрес электронной почты не подтверждён: письма начнут приходить после подтверждения. Ссылку для подтверждения можно отправить из ",
          h("a", { href: "#/profile" }, "профиля"),
          ".",
        ),
    settingsForm(settings, () => {
      flash("Настройки уведомлений сохранены");
      go("/profile/notifications");
    }),
    key ? pushSection(key, settings.push.subscriptions) : null,
  );
}

/**
 * A fieldset per topic with its channels' checkboxes; "Сохранить" sends every topic.
 * @param {NoticeSettings} settings
 * @param {() => void} saved
 */
function settingsForm(settings, saved) {
  /** @type {Record<string, string | undefined>} */
  const hints = {
    email: settings.email_verified ? undefined : "Адрес не подтверждён",
    push: settings.push.public_key ? undefined : "Сейчас недоступны",
    sms: "По умолчанию выключены",
  };
  return form({
    fields: settings.topics.map((topic) =>
      h(
        "fieldset",
        { class: "topic" },
        h("legend", {}, topic.title),
        CHANNELS.map(([channel, label]) =>
          checkbox(`${topic.topic}.${channel}`, label, {
            checked: topic.channels.includes(channel),
            hint: hints[channel],
          }),
        ),
      ),
    ),
    submitLabel: "Сохранить",
    submit: (values) =>
      api.put("/profile/notifications", {
        topics: settings.topics.map((topic) => ({
          topic: topic.topic,
          channels: CHANNELS.map(([channel]) => channel).filter(
            (channel) => values[`${topic.topic}.${channel}`] === true,
          ),
        })),
      }),
    done: saved,
  });
}

/**
 * What a failure to turn push on or off says; `otherwise` when the browser failed.
 * @param {unknown} error
 * @param {string} otherwise
 */
function pushProblem(error, otherwise) {
  if (error instanceof api.ApiError) return PUSH_PROBLEMS[error.code] || error.message;
  if (error instanceof api.NetworkError) return error.message;
  if (error instanceof DOMException && error.name === "NotAllowedError") return DENIED;
  return otherwise;
}

/**
 * Web push in this browser: its state and the button that turns it on or off.
 * @param {string} publicKey the server's VAPID key
 * @param {number} subscriptions how many browsers of the subscriber the server keeps
 */
function pushSection(publicKey, subscriptions) {
  const body = h("div", {}, loading());
  const section = h("section", { class: "push" }, h("h2", {}, "Push-уведомления в этом браузере"), body);
  if (!push.supported() || typeof Notification === "undefined") {
    fill(
      body,
      h("p", { class: "hint" }, "Этот браузер не показывает push-уведомления. Выберите электронную почту или SMS."),
    );
    return section;
  }

  /**
   * Shows the state, with a message that is announced and takes the focus.
   * @param {boolean} on
   * @param {{ text: string, error?: boolean } | null} [message]
   */
  const show = (on, message = null) => {
    const said = message
      ? h(
          "p",
          { class: message.error ? "form-error" : "notice", role: message.error ? "alert" : "status", tabindex: "-1" },
          message.text,
        )
      : null;
    if (on) {
      const off = h("button", { type: "button", class: "button secondary" }, "Отключить в этом браузере");
      off.addEventListener("click", () => turnOff(off));
      fill(
        body,
        h("p", { class: "push-state" }, "Уведомления в этом браузере включены"),
        said,
        h("div", { class: "stack" }, off),
      );
    } else {
      const denied = !message && Notification.permission === "denied";
      const ask = h("button", { type: "button", class: "button primary" }, "Получать уведомления");
      ask.addEventListener("click", () => turnOn(ask));
      fill(body, denied ? h("p", { class: "warning" }, DENIED) : null, said, h("div", { class: "stack" }, ask));
    }
    said?.focus();
  };

  /** @param {HTMLButtonElement} button */
  const turnOn = async (button) => {
    setBusy(button, true);
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        show(false, { text: permission === "denied" ? DENIED : NOT_ALLOWED, error: true });
        return;
      }
      const { subscription, created } = await push.subscribe(publicKey);
      try {
        await api.post("/profile/push-subscriptions", subscription.toJSON());
      } catch (error) {
        // Refused: a subscription the server will never use is not kept in the browser.
        if (created && error instanceof api.ApiError) await subscription.unsubscribe().catch(() => false);
        throw error;
      }
      show(true, { text: "Уведомления придут в этот браузер по темам, где отмечено «Push-уведомления»." });
    } catch (error) {
      show(false, {
        text: pushProblem(error, "Браузер не смог включить уведомления. Попробуйте еще раз позже."),
        error: true,
      });
    }
  };

  /** @param {HTMLButtonElement} button */
  const turnOff = async (button) => {
    setBusy(button, true);
    try {
      const subscription = await push.current();
      if (subscription) {
        await api.del("/profile/push-subscriptions", { endpoint: subscription.endpoint });
        await subscription.unsubscribe();
      }
      show(false, { text: "Уведомления в этом браузере отключены." });
    } catch (error) {
      show(true, {
        text: pushProblem(error, "Браузер не смог отключить уведомления. Попробуйте еще раз позже."),
        error: true,
      });
    }
  };

  // This browser is subscribed with the server's key, and the server keeps a subscription of
  // this subscriber (with none, this browser's is someone else's or was dropped, and
  // "Получать уведомления" sends it again).
  push
    .current()
    .then(
      (subscription) =>
        subscriptions > 0 &&
        subscription !== null &&
        push.sameKey(subscription.options.applicationServerKey, push.base64UrlBytes(publicKey)),
    )
    .catch(() => false)
    .then((on) => show(on));
  return section;
}
