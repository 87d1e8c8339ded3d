//! The subscriber web client, served by the `vodokanal` binary: plain ES modules, one CSS
//! file, the web app manifest, the icons and the service worker, embedded in the binary with
//! `rust-embed` (in debug builds too), so that the server builds and runs with cargo alone.
//!
//! [`router`] serves `/` (the shell), `/assets/...`, `/manifest.webmanifest`, `/sw.js`,
//! `/favicon.ico` and `/payments/{id}` (where a payment provider sends the payer back: a
//! redirect to the client's `#/payments/{id}` screen). Every answer carries an `ETag` (a
//! `304` for a matching `If-None-Match`), `Cache-Control: no-cache` and a
//! [`CONTENT_SECURITY_POLICY`] that allows nothing from other origins. The service worker gets
//! a digest of the embedded files as its cache name and their paths as the list it caches, so
//! neither is kept by hand. The client's routing is in the URL's fragment, so nothing else
//! needs the server. May depend on axum, rust-embed and sha2; knows nothing of the contract
//! beyond the return path of payments. Why no build step: `docs/adr/0008`.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

/// The files served at the root: `index.html`, `sw.js`, `manifest.webmanifest`.
#[derive(RustEmbed)]
#[folder = "root/"]
struct Root;

/// The files served under `/assets/`: scripts, the style sheet, the icons.
#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// The policy of every answer: nothing from other origins, no inline scripts or styles, no
/// framing; forms post only to this origin (the sandbox payment page's form does).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'self'";

/// Every file is revalidated before use: the files carry no fingerprint in their names, so a
/// cached copy could outlive an upgrade of the binary; a revalidation costs a `304`, and the
/// service worker serves the shell from its own cache anyway. See `docs/adr/0008`.
const CACHE_CONTROL: &str = "no-cache";

/// The service worker's placeholder for [`VERSION`].
const VERSION_PLACEHOLDER: &str = "__VERSION__";

/// The service worker's placeholder for the paths of [`shell`]: the one item of its array, so
/// that `sw.js` as stored stays valid (and type-checked) JavaScript.
const SHELL_PLACEHOLDER: &str = "\"__SHELL__\"";

/// A digest of every embedded file: the service worker's cache name, so that a binary with
/// other files installs a new worker, which caches the new shell and drops the old one.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut digest = Sha256::new();
    for (prefix, files) in [
        ("root/", embedded::<Root>()),
        ("assets/", embedded::<Assets>()),
    ] {
        for (path, hash) in files {
            digest.update(prefix.as_bytes());
            digest.update(path.as_bytes());
            digest.update(hash);
        }
    }
    hex(&digest.finalize()[..8])
});

/// The sorted paths of a folder's files with their SHA-256.
fn embedded<E: RustEmbed>() -> Vec<(String, [u8; 32])> {
    let mut files: Vec<(String, [u8; 32])> = E::iter()
        .filter_map(|path| {
            let hash = E::get(&path)?.metadata.sha256_hash();
            Some((path.into_owned(), hash))
        })
        .collect();
    files.sort();
    files
}

/// What the service worker caches: the page, the manifest and every served file under
/// `/assets/`, sorted. Made from the embedded files, so adding one can't leave it stale.
fn shell() -> Vec<String> {
    let mut paths = vec!["/".to_owned(), "/manifest.webmanifest".to_owned()];
    paths.extend(
        embedded::<Assets>()
            .into_iter()
            .map(|(path, _)| path)
            .filter(|path| content_type(path).is_some())
            .map(|path| format!("/assets/{path}")),
    );
    paths
}

/// `sw.js` as served, and its `ETag`: [`VERSION`] and the paths of [`shell`] in place of
/// their placeholders. `None` if the file is missing.
static WORKER: LazyLock<Option<(String, String)>> = LazyLock::new(|| {
    let file = Root::get("sw.js")?;
    // One path a line; a Rust string literal of a path is a JavaScript one too.
    let paths: String = shell()
        .iter()
        .map(|path| format!("\n  {path:?},"))
        .chain(std::iter::once("\n".to_owned()))
        .collect();
    let text = String::from_utf8_lossy(&file.data)
        .replace(VERSION_PLACEHOLDER, &VERSION)
        .replace(SHELL_PLACEHOLDER, &paths);
    let etag = format!("\"{}\"", hex(&Sha256::digest(text.as_bytes())[..16]));
    Some((text, etag))
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// The web client's routes; merge them with the API's router, e.g. as
/// `vodokanal_web::router().fallback_service(api)`, so that every other path (`/api/...`)
/// gets the API's answers, its 404 included.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/sw.js", get(service_worker))
        .route("/manifest.webmanifest", get(manifest))
        .route("/favicon.ico", get(favicon))
        .route("/assets/{*path}", get(asset))
        .route("/payments/{id}", get(payment_return))
}

async fn index(headers: HeaderMap) -> Response {
    from_folder::<Root>("index.html", &headers)
}

async fn manifest(headers: HeaderMap) -> Response {
    from_folder::<Root>("manifest.webmanifest", &headers)
}

/// What browsers ask for by themselves on pages without an icon link (the sandbox page).
async fn favicon(headers: HeaderMap) -> Response {
    from_folder::<Assets>("icons/icon-192.png", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    from_folder::<Assets>(&path, &headers)
}

/// The worker: [`WORKER`].
async fn service_worker(headers: HeaderMap) -> Response {
    let Some((text, etag)) = WORKER.as_ref() else {
        return not_found();
    };
    respond("sw.js", Cow::Borrowed(text.as_bytes()), etag, &headers)
}

/// A payment provider's return: on to the client's screen of the payment, which asks the API
/// for its state. Only a UUID's characters pass, so the redirect can't point elsewhere.
async fn payment_return(Path(id): Path<String>) -> Response {
    let is_uuid_like = id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !is_uuid_like {
        return not_found();
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, format!("/#/payments/{id}")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

fn from_folder<E: RustEmbed>(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = E::get(path) else {
        return not_found();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    respond(path, file.data, &etag, headers)
}

fn respond(path: &str, body: Cow<'static, [u8]>, etag: &str, request: &HeaderMap) -> Response {
    let Some(content_type) = content_type(path) else {
        return not_found();
    };
    let mut response = if matches_etag(request, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Whether `If-None-Match` names the file's current `ETag` (or `*`).
fn matches_etag(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The type of a file we serve, by its extension; other files are not served.
fn content_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1;
    Some(match extension {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "Не найдено\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a failing test says where"
    )]

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        router()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn text(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn header<'a>(response: &'a Response, name: &header::HeaderName) -> &'a str {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_str()
            .unwrap()
    }

    #[tokio::test]
    async fn every_file_has_its_content_type() {
        for (path, expected) in [
            ("/", "text/html; charset=utf-8"),
            ("/sw.js", "text/javascript; charset=utf-8"),
            ("/manifest.webmanifest", "application/manifest+json"),
            ("/assets/js/app.js", "text/javascript; charset=utf-8"),
            (
                "/assets/js/screens/login.js",
                "text/javascript; charset=utf-8",
            ),
            ("/assets/css/app.css", "text/css; charset=utf-8"),
            ("/assets/icons/icon.svg", "image/svg+xml"),
            ("/assets/icons/icon-192.png", "image/png"),
            ("/assets/icons/icon-512.png", "image/png"),
            ("/favicon.ico", "image/png"),
        ] {
            let response = get(path, &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&response, &header::CONTENT_TYPE), expected, "{path}");
            assert_eq!(
                header(&response, &header::X_CONTENT_TYPE_OPTIONS),
                "nosniff"
            );
        }
    }

    #[tokio::test]
    async fn every_file_is_revalidated_by_its_etag() {
        for path in ["/", "/sw.js", "/manifest.webmanifest", "/assets/js/api.js"] {
            let response = get(path, &[]).await;
            assert_eq!(
                header(&response, &header::CACHE_CONTROL),
                "no-cache",
                "{path}"
            );
            let etag = header(&response, &header::ETAG).to_owned();
            assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

            let again = get(path, &[("if-none-match", &etag)]).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            assert_eq!(header(&again, &header::ETAG), etag);
            assert!(text(again).await.is_empty());

            let weak = format!("\"other\", W/{etag}");
            let again = get(path, &[("if-none-match", &weak)]).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");

            let stale = get(path, &[("if-none-match", "\"stale\"")]).await;
            assert_eq!(stale.status(), StatusCode::OK, "{path}");
        }
    }

    #[tokio::test]
    async fn the_shell_allows_nothing_from_other_origins() {
        let response = get("/", &[]).await;
        let policy = header(&response, &header::CONTENT_SECURITY_POLICY).to_owned();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(
                policy.contains(directive),
                "{directive} missing in {policy}"
            );
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        let html = text(response).await;
        assert!(html.contains("<html lang=\"ru\">"), "{html}");
        assert!(html.contains("type=\"module\" src=\"/assets/js/app.js\""));
        assert!(html.contains("rel=\"manifest\" href=\"/manifest.webmanifest\""));
        // No inline script or style: the policy would block them.
        assert!(!html.contains("<script>") && !html.contains("<style") && !html.contains("style="));
    }

    #[test]
    fn the_workers_placeholders_appear_once_each() {
        let source = source::<Root>("sw.js");
        for placeholder in [VERSION_PLACEHOLDER, SHELL_PLACEHOLDER] {
            assert_eq!(source.matches(placeholder).count(), 1, "{placeholder}");
        }
    }

    #[tokio::test]
    async fn the_worker_carries_the_version_of_the_files() {
        let worker = text(get("/sw.js", &[]).await).await;
        assert!(!worker.contains(VERSION_PLACEHOLDER));
        assert!(worker.contains(VERSION.as_str()));
        assert_eq!(VERSION.len(), 16);
    }

    /// The paths of the served worker's `SHELL` array.
    async fn served_shell() -> Vec<String> {
        let worker = text(get("/sw.js", &[]).await).await;
        assert!(!worker.contains("__SHELL__"), "{worker}");
        let list = worker
            .split_once("const SHELL = [")
            .and_then(|(_, rest)| rest.split_once("];"))
            .map(|(list, _)| list)
            .expect("a SHELL array in sw.js");
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                let path = item.strip_prefix('"').and_then(|i| i.strip_suffix('"'));
                path.unwrap_or_else(|| panic!("not a plain string: {item}"))
                    .to_owned()
            })
            .collect()
    }

    #[tokio::test]
    async fn the_worker_caches_every_embedded_file_and_nothing_else() {
        let listed = served_shell().await;
        let mut expected = vec!["/".to_owned(), "/manifest.webmanifest".to_owned()];
        let mut assets: Vec<String> = Assets::iter().map(|p| format!("/assets/{p}")).collect();
        assets.sort();
        expected.extend(assets);
        assert_eq!(listed, expected);
        for path in &listed {
            let response = get(path, &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "sw.js caches {path}");
        }
    }

    /// Every path that the page, the manifest, the style sheet and the modules name: `/...` in
    /// the page's `href` and `src`, `"/assets/..."` literals, `url(/...)`, and the modules'
    /// relative imports resolved.
    fn named_by_the_client() -> Vec<String> {
        let mut texts: Vec<(String, String)> = ["index.html", "manifest.webmanifest"]
            .into_iter()
            .map(|path| (format!("/{path}"), source::<Root>(path)))
            .collect();
        texts.extend(
            Assets::iter()
                .filter(|path| content_type(path).is_some_and(|kind| kind.starts_with("text/")))
                .map(|path| (format!("/assets/{path}"), source::<Assets>(&path))),
        );
        let mut named = Vec::new();
        for (path, text) in texts {
            // Each opening, and how much of it comes before the path.
            for (opening, skip) in [
                ("href=\"", 6),
                ("src=\"", 5),
                ("\"/assets/", 1),
                ("url(/", 4),
            ] {
                for (at, _) in text.match_indices(opening) {
                    let rest = &text[at + skip..];
                    let end = rest.find(['"', ')']).unwrap_or(rest.len());
                    if rest.starts_with('/') {
                        named.push(rest[..end].to_owned());
                    }
                }
            }
            for opening in ["from \"", "import(\""] {
                for (at, _) in text.match_indices(opening) {
                    let rest = &text[at + opening.len()..];
                    let specifier = &rest[..rest.find('"').unwrap_or(rest.len())];
                    if specifier.starts_with('.') {
                        named.push(resolve(&path, specifier));
                    }
                }
            }
        }
        named.sort();
        named.dedup();
        named
    }

    fn source<E: RustEmbed>(path: &str) -> String {
        String::from_utf8(E::get(path).unwrap().data.to_vec()).unwrap()
    }

    /// A relative import of the module at `from`, as an absolute path.
    fn resolve(from: &str, specifier: &str) -> String {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for part in specifier.split('/') {
            match part {
                "." => {}
                ".." => {
                    parts.pop();
                }
                _ => parts.push(part),
            }
        }
        parts.join("/")
    }

    #[tokio::test]
    async fn every_file_the_client_names_is_cached_by_the_worker() {
        let listed = served_shell().await;
        let named = named_by_the_client();
        assert!(named.contains(&"/assets/js/app.js".to_owned()), "{named:?}");
        assert!(
            named.contains(&"/assets/js/screens/login.js".to_owned()),
            "{named:?}"
        );
        assert!(
            named.contains(&"/assets/icons/eye-off.svg".to_owned()),
            "{named:?}"
        );
        assert!(
            named.contains(&"/assets/icons/icon-512.png".to_owned()),
            "{named:?}"
        );
        for path in &named {
            assert!(
                listed.contains(path),
                "{path} is named by the client but not cached by sw.js"
            );
        }
    }

    #[tokio::test]
    async fn the_manifest_names_the_app_in_russian() {
        let manifest = text(get("/manifest.webmanifest", &[]).await).await;
        for field in [
            "\"name\": \"Водоканал: личный кабинет\"",
            "\"start_url\": \"/\"",
            "\"display\": \"standalone\"",
            "\"lang\": \"ru\"",
            "/assets/icons/icon-192.png",
            "/assets/icons/icon-512.png",
        ] {
            assert!(manifest.contains(field), "{field} missing in {manifest}");
        }
    }

    #[tokio::test]
    async fn an_unknown_file_is_a_404() {
        for path in [
            "/assets/js/nope.js",
            "/assets/../Cargo.toml",
            "/assets/",
            "/assets/js",
        ] {
            let response = get(path, &[]).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[tokio::test]
    async fn a_payment_return_goes_to_the_clients_payment_screen() {
        let id = "1add085e-dec5-4565-888d-68c7403ddf58";
        let response = get(&format!("/payments/{id}"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            header(&response, &header::LOCATION),
            format!("/#/payments/{id}")
        );
        for bad in [
            "x",
            "1add085e-dec5-4565-888d-68c7403ddf5/",
            "%2F%2Fevil.example",
        ] {
            let response = get(&format!("/payments/{bad}"), &[]).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad}");
        }
    }

    #[tokio::test]
    async fn other_paths_fall_through_to_the_next_router() {
        let app = router().fallback(|| async { StatusCode::IM_A_TEAPOT });
        let response = app
            .oneshot(Request::get("/api/v1/nope").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    }
}
