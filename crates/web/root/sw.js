// @ts-check
// The service worker: caches the shell (the page, scripts, style sheet, icons, manifest) when
// installed, and serves it when the network is not there. It never touches /api: answers of
// the API are never cached, and requests to it go to the network as they are. It also shows
// the server's web push notices and opens the screen a notice names when it is clicked.
// The server (crates/web/src/lib.rs) writes the digest of the files into VERSION, so a new
// binary with other files means a new worker and a fresh cache, and the paths of the shell
// (the page, the manifest, every file under /assets/) into SHELL, so that list is never kept
// by hand. Their placeholders appear once each, below.

// `self` as what it is here: the service worker's global scope.
const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const VERSION = "__VERSION__";
const CACHE = `vodokanal-shell-${VERSION}`;
/** @type {string[]} */
const SHELL = ["__SHELL__"];

worker.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "no-cache" }))))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith("vodokanal-shell-") && key !== CACHE).map((key) => caches.delete(key)),
        ),
      )
      .then(() => worker.clients.claim()),
  );
});

// Network first, so that an online subscriber always gets the served files; the cache when
// the network fails. A page navigation offline gets the shell, whatever its path.
worker.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== worker.location.origin) return;
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
      .catch(() =>
        caches
          .open(CACHE)
          .then((cache) => cache.match(navigation ? "/" : url.pathname))
          .then((cached) => cached || Response.error()),
      ),
  );
});

// A notice by web push: JSON {title, body, url} (crates/app/src/ports/push.rs), `url` a path
// of the web client such as "/#/payments". Only a path of this site is kept.
/** @param {unknown} url */
function ownUrl(url) {
  const origin = worker.location.origin;
  try {
    const target = new URL(typeof url === "string" ? url : "/", origin);
    return target.origin === origin ? target.href : `${origin}/`;
  } catch {
    return `${origin}/`;
  }
}

worker.addEventListener("push", (event) => {
  /** @type {{ title?: unknown, body?: unknown, url?: unknown }} */
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : "" };
  }
  const title = typeof message.title === "string" && message.title ? message.title : "Водоканал";
  event.waitUntil(
    worker.registration.showNotification(title, {
      body: typeof message.body === "string" ? message.body : "",
      icon: "/assets/icons/icon-192.png",
      lang: "ru",
      data: { url: ownUrl(message.url) },
    }),
  );
});

// A click focuses a window of the cabinet and shows the notice's screen there, or opens one.
worker.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = ownUrl(event.notification.data?.url);
  event.waitUntil(
    worker.clients.matchAll({ type: "window" }).then(async (windows) => {
      const open = windows.find((client) => new URL(client.url).origin === worker.location.origin);
      if (open) {
        try {
          const focused = await open.focus();
          if (await focused.navigate(url)) return;
        } catch {
          // A window that can't be focused or navigated: a new one below.
        }
      }
      await worker.clients.openWindow(url);
    }),
  );
});
