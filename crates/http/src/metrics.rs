//! The HTTP front's metrics (ADR 0015): one count and one latency per request, by method,
//! route template and status. Labels take bounded values only: a method outside the usual
//! ones is `other`, a path that matches no route is `<unmatched>`; never the raw path.

use std::time::Instant;

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, describe_counter, describe_histogram, histogram};

use crate::router::RouteTemplate;

/// Requests answered, by `method`, `route` and `status`.
pub const HTTP_REQUESTS: &str = "vodokanal_http_requests_total";
/// Seconds from the request to its answer's head, by `method` and `route`.
pub const HTTP_REQUEST_DURATION: &str = "vodokanal_http_request_duration_seconds";
/// The buckets of [`HTTP_REQUEST_DURATION`]: from a cached answer to the request timeout.
pub const HTTP_REQUEST_DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// The route of a request that matches none.
pub const UNMATCHED: &str = "<unmatched>";

/// Describes the metrics of this module to the installed recorder.
pub fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency to the answer's head, by method and route template."
    );
}

/// The `method` label: one of the methods the contract knows, else `other`.
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts and times each request, after every other layer had its say (the status is the
/// one sent).
pub(crate) async fn count_requests(request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or_else(|| UNMATCHED.to_owned(), |route| route.0.clone());
    let status = response.status().as_u16().to_string();
    histogram!(HTTP_REQUEST_DURATION, "method" => method, "route" => route.clone())
        .record(started.elapsed());
    counter!(HTTP_REQUESTS, "method" => method, "route" => route, "status" => status).increment(1);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_usual_methods_are_labels_of_their_own() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(method_label(&Method::TRACE), "other");
    }
}
