// @ts-check
// The shell: hash routes to screens, the cabinet's bottom menu, the back link, the offline
// banner and the service worker. Routes live in the fragment (#/login), so every screen
// works from the one cached page, offline too.

import * as api from "./api.js";
import * as fmt from "./format.js";
import { flash } from "./ui.js";
import start from "./screens/start.js";
import guest from "./screens/guest.js";
import guestReadings from "./screens/guest-readings.js";
import guestPayments from "./screens/guest-payments.js";
import contacts from "./screens/contacts.js";
import register from "./screens/register.js";
import login from "./screens/login.js";
import recover from "./screens/recover.js";
import paymentResult from "./screens/payment-result.js";
import home from "./screens/home.js";
import accountForm from "./screens/account-form.js";
import account from "./screens/account.js";
import pay from "./screens/pay.js";
import submitReadings from "./screens/submit-readings.js";
import readings from "./screens/readings.js";
import payments from "./screens/payments.js";
import more from "./screens/more.js";
import visits from "./screens/visits.js";
import visitForm from "./screens/visit-form.js";
import profile from "./screens/profile.js";
import changePassword from "./screens/change-password.js";
import deleteProfile from "./screens/delete-profile.js";
import notifications from "./screens/notifications.js";
import emailVerify from "./screens/email-verify.js";
import unsubscribe from "./screens/unsubscribe.js";
import notFound from "./screens/not-found.js";

/** @import { Screen } from "./ui.js" */
/** @typedef {{ auth?: boolean, tab?: string, back?: string | true }} RouteOptions */

// [pattern, screen, options]: `auth` needs a session; `tab` is the bottom menu's item;
// `back` the header's back link (`true`: back in the history).
/** @type {[string, Screen, RouteOptions][]} */
const ROUTES = [
  ["/", start, {}],
  ["/guest", guest, { back: "/" }],
  ["/guest/readings", guestReadings, { back: "/guest" }],
  ["/guest/payments", guestPayments, { back: "/guest" }],
  ["/contacts", contacts, { back: true }],
  ["/register", register, { back: "/" }],
  ["/login", login, { back: "/" }],
  ["/recover", recover, { back: "/login" }],
  ["/payments/:id", paymentResult, {}],
  ["/email/verify", emailVerify, {}],
  ["/unsubscribe", unsubscribe, {}],
  ["/home", home, { auth: true, tab: "home" }],
  ["/accounts/new", accountForm, { auth: true, tab: "home", back: "/home" }],
  ["/accounts/:number", account, { auth: true, tab: "home", back: "/home" }],
  ["/accounts/:number/edit", accountForm, { auth: true, tab: "home", back: true }],
  ["/accounts/:number/pay", pay, { auth: true, tab: "home", back: true }],
  ["/accounts/:number/readings", submitReadings, { auth: true, tab: "home", back: true }],
  ["/readings", readings, { auth: true, tab: "readings" }],
  ["/payments", payments, { auth: true, tab: "payments" }],
  ["/more", more, { auth: true, tab: "more" }],
  ["/visits", visits, { auth: true, tab: "more", back: "/more" }],
  ["/visits/new/:kind", visitForm, { auth: true, tab: "more", back: "/more" }],
  ["/profile", profile, { auth: true, tab: "more", back: "/more" }],
  ["/profile/password", changePassword, { auth: true, tab: "more", back: "/profile" }],
  ["/profile/delete", deleteProfile, { auth: true, tab: "more", back: "/profile" }],
  ["/profile/notifications", notifications, { auth: true, tab: "more", back: "/profile" }],
];

/** Goes to a screen: go("/home"). @param {string} path */
export function go(path) {
  const target = `#${path}`;
  if (location.hash === target) render();
  else location.hash = target;
}

/**
 * @param {string} path
 * @returns {{ screen: Screen, options: RouteOptions, params: Record<string, string> }}
 */
function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, screen, options] of ROUTES) {
    const names = pattern.split("/").filter(Boolean);
    if (names.length !== parts.length) continue;
    /** @type {Record<string, string>} */
    const params = {};
    const ok = names.every((name, i) => {
      if (name.startsWith(":")) {
        params[name.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return name === parts[i];
    });
    if (ok) return { screen, options, params };
  }
  return { screen: notFound, options: { back: "/" }, params: {} };
}

// Every date and time is shown in the utility's time zone (GET /info), also offline: the last
// one seen is kept.
const ZONE_KEY = "vodokanal.timezone";
const zoneKnown = api
  .getInfo()
  .then((info) => {
    localStorage.setItem(ZONE_KEY, info.timezone);
    return info.timezone;
  })
  .catch(() => localStorage.getItem(ZONE_KEY))
  .then(fmt.setTimeZone);

// The page's fixed parts (root/index.html).
const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const tabs = /** @type {HTMLElement} */ (document.getElementById("tabs"));
const back = /** @type {HTMLElement} */ (document.getElementById("back"));
let rendered = 0;

async function render() {
  await zoneKnown;
  const [path, search = ""] = (location.hash.slice(1) || "/").split("?");
  const { screen, options, params } = match(path);
  if (options.auth && !api.token()) {
    api.returnAfterLogin(location.hash.slice(1));
    flash("Войдите в личный кабинет.");
    go("/login");
    return;
  }
  const loggedIn = Boolean(api.token());
  tabs.hidden = !(options.tab || (loggedIn && path === "/contacts"));
  for (const link of tabs.querySelectorAll("a")) {
    if (link.dataset.tab === options.tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  back.hidden = !options.back;
  back.setAttribute("href", options.back === true ? "#/" : `#${options.back || "/"}`);
  back.dataset.history = options.back === true ? "yes" : "";
  const number = ++rendered;
  await screen(main, { params, query: new URLSearchParams(search), go, loggedIn });
  if (number === rendered && rendered > 1) {
    const heading = main.querySelector("h1");
    if (heading) heading.focus();
  }
}

back.addEventListener("click", (event) => {
  if (back.dataset.history === "yes" && history.length > 1) {
    event.preventDefault();
    history.back();
  }
});

// The skip link moves the focus without touching the route in the fragment.
const skip = /** @type {HTMLElement} */ (document.querySelector(".skip"));
skip.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

api.on("unauthorized", () => {
  api.returnAfterLogin(location.hash.slice(1));
  flash("Сеанс завершён. Войдите снова.");
  go("/login");
});

const banner = /** @type {HTMLElement} */ (document.getElementById("offline"));
let failed = false;
function showConnection() {
  banner.hidden = navigator.onLine && !failed;
}
api.on("network", (lost) => {
  failed = lost;
  showConnection();
});
window.addEventListener("online", () => {
  failed = false;
  showConnection();
});
window.addEventListener("offline", showConnection);

// A payment provider returns to /payments/{id}; the server redirects to #/payments/{id}, but
// the service worker, offline, serves the shell at that path as it is.
const returned = /^\/payments\/([0-9a-fA-F-]{36})$/.exec(location.pathname);
if (returned) history.replaceState(null, "", `/#/payments/${returned[1]}`);

window.addEventListener("hashchange", render);
showConnection();
render();

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {
    // Without a worker the app works online; nothing to tell the subscriber.
  });
}
