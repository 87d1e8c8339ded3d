// The service worker: caches the shell (the page, scripts, style sheet, icons, manifest) when
// installed, and serves it when the network is not there. It never touches /api: answers of
// the API are never cached, and requests to it go to the network as they are.
// The server writes the digest of the files in place of the placeholder, so a new binary
// with other files means a new worker and a fresh cache.

const VERSION = "__VERSION__";
const CACHE = `vodokanal-shell-${VERSION}`;
const SHELL = [
  "/",
  "/manifest.webmanifest",
  "/assets/css/app.css",
  "/assets/icons/eye-off.svg",
  "/assets/icons/eye.svg",
  "/assets/icons/icon.svg",
  "/assets/icons/icon-192.png",
  "/assets/icons/icon-512.png",
  "/assets/js/api.js",
  "/assets/js/app.js",
  "/assets/js/codes.js",
  "/assets/js/format.js",
  "/assets/js/parts.js",
  "/assets/js/ui.js",
  "/assets/js/screens/account-form.js",
  "/assets/js/screens/account.js",
  "/assets/js/screens/change-password.js",
  "/assets/js/screens/contacts.js",
  "/assets/js/screens/delete-profile.js",
  "/assets/js/screens/guest-payments.js",
  "/assets/js/screens/guest-readings.js",
  "/assets/js/screens/guest.js",
  "/assets/js/screens/home.js",
  "/assets/js/screens/login.js",
  "/assets/js/screens/more.js",
  "/assets/js/screens/not-found.js",
  "/assets/js/screens/pay.js",
  "/assets/js/screens/payment-result.js",
  "/assets/js/screens/payments.js",
  "/assets/js/screens/profile.js",
  "/assets/js/screens/readings.js",
  "/assets/js/screens/recover.js",
  "/assets/js/screens/register.js",
  "/assets/js/screens/start.js",
  "/assets/js/screens/submit-readings.js",
  "/assets/js/screens/visit-form.js",
  "/assets/js/screens/visits.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("vodokanal-shell-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// Network first, so that an online subscriber always gets the served files; the cache when
// the network fails. A page navigation offline gets the shell, whatever its path.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const navigation = request.mode === "navigate";
  if (!navigation && !SHELL.includes(url.pathname)) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/sandbox/")) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && SHELL.includes(url.pathname)) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.open(CACHE).then((cache) => cache.match(navigation ? "/" : url.pathname)).then((cached) => cached || Response.error())),
  );
});
