// @ts-check
// Web push in this browser: whether it can, its subscription, subscribing with the server's
// VAPID key and unsubscribing. What the server keeps (POST and DELETE
// /profile/push-subscriptions) is the screen's; here only the browser's side.

/**
 * The bytes of URL-safe base64 (padded or not): the VAPID key as `applicationServerKey`.
 * @param {string} text
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function base64UrlBytes(text) {
  const plain = text.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(plain + "=".repeat((4 - (plain.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/**
 * Whether two keys are the same bytes.
 * @param {ArrayBuffer | null} a
 * @param {Uint8Array} b
 */
export function sameKey(a, b) {
  if (!a || a.byteLength !== b.length) return false;
  const bytes = new Uint8Array(a);
  return bytes.every((byte, i) => byte === b[i]);
}

/** Whether this browser has web push (a service worker and the Push API). */
export function supported() {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator && "PushManager" in globalThis;
}

/**
 * This browser's push subscription, or null (none, or no service worker yet).
 * @returns {Promise<PushSubscription | null>}
 */
export async function current() {
  const registration = await navigator.serviceWorker.getRegistration();
  return registration ? registration.pushManager.getSubscription() : null;
}

/**
 * The service worker's registration once it is active (the shell registers it at start; it
 * is registered here if that has not happened yet).
 * @returns {Promise<ServiceWorkerRegistration>}
 */
async function activeRegistration() {
  if (!(await navigator.serviceWorker.getRegistration())) await navigator.serviceWorker.register("/sw.js");
  return navigator.serviceWorker.ready;
}

/**
 * Subscribes this browser with the server's key (URL-safe base64), or gives its subscription
 * with that key if there is one already; a subscription with another key (the server's key
 * changed) is dropped first. `created` says whether the subscription is new.
 * @param {string} publicKey
 * @returns {Promise<{ subscription: PushSubscription, created: boolean }>}
 */
export async function subscribe(publicKey) {
  const key = base64UrlBytes(publicKey);
  const registration = await activeRegistration();
  const existing = await registration.pushManager.getSubscription();
  if (existing && sameKey(existing.options.applicationServerKey, key))
    return { subscription: existing, created: false };
  if (existing) await existing.unsubscribe();
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  return { subscription, created: true };
}
