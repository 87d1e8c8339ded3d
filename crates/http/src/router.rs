//! The route list (one place: [`routes`]) and the layers around it.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_response_body::MapResponseBodyLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::payload_too_large;
use crate::handlers::{
    accounts, auth, health, notices, payments, profile, public, readings, visits,
};
use crate::openapi::ApiDoc;
use crate::problem::{PROBLEM_JSON, Problem, ProblemCode};
use crate::state::{AppState, HttpConfig};

/// The base path of the contract.
pub const BASE_PATH: &str = "/api/v1";

/// Every route, with its documentation: the router and the OpenAPI document are both built
/// from this list, so neither can hold a route the other lacks.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .routes(routes!(public::info::info))
        .routes(routes!(public::submit_reading::submit_anonymous_reading))
        .routes(routes!(public::start_payment::start_anonymous_payment))
        .routes(routes!(public::payment_status::payment_status))
        .routes(routes!(public::reading_window::reading_window_calendar))
        .routes(routes!(public::payment_qr::anonymous_payment_qr))
        .routes(routes!(auth::request_registration::request_registration))
        .routes(routes!(auth::confirm_registration::confirm_registration))
        .routes(routes!(auth::login::login))
        .routes(routes!(auth::logout::logout))
        .routes(routes!(auth::request_reset::request_password_reset))
        .routes(routes!(auth::confirm_reset::confirm_password_reset))
        .routes(routes!(
            profile::view::view_profile,
            profile::delete::delete_profile
        ))
        .routes(routes!(profile::change_password::change_password))
        .routes(routes!(profile::history::download_history))
        .routes(routes!(
            accounts::list::list_accounts,
            accounts::link::link_account
        ))
        .routes(routes!(
            accounts::view::view_account,
            accounts::relabel::relabel_account,
            accounts::unlink::unlink_account
        ))
        .routes(routes!(
            readings::history::reading_history,
            readings::submit::submit_readings
        ))
        .routes(routes!(readings::consumption::view_consumption))
        .routes(routes!(
            payments::history::payment_history,
            payments::start::start_cabinet_payment
        ))
        .routes(routes!(payments::qr::cabinet_payment_qr))
        .routes(routes!(payments::notification::payment_notification))
        .routes(routes!(visits::list::list_visits, visits::book::book_visit))
        .routes(routes!(visits::calendar::visit_calendar))
        .routes(routes!(
            notices::settings::get_notifications,
            notices::settings::put_notifications
        ))
        .routes(routes!(
            notices::push::add_push_subscription,
            notices::push::remove_push_subscription
        ))
        .routes(routes!(notices::email::request_email_link))
        .routes(routes!(notices::email::verify_email))
        .routes(routes!(notices::unsubscribe::unsubscribe))
        .routes(routes!(health::openapi::openapi_json));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(BASE_PATH, api)
        .routes(routes!(health::live::live))
        .routes(routes!(health::ready::ready))
}

/// The matched route template, carried on the response for the request log line and the
/// request metrics.
#[derive(Debug, Clone)]
pub(crate) struct RouteTemplate(pub(crate) String);

async fn remember_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| RouteTemplate(path.as_str().to_owned()));
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

async fn unknown_route() -> Problem {
    Problem::new(ProblemCode::NotFound, "Такого адреса нет.")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        ProblemCode::MethodNotAllowed,
        "Этот метод не поддерживается по этому адресу.",
    )
}

/// Turns the bare error answers of the layers (body limit, timeout, axum's own) into
/// problem+json.
async fn problems_only(response: Response) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem || !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    // The route stays known to the log line and the metrics.
    let route = response.extensions().get::<RouteTemplate>().cloned();
    let mut answer = problem_for(response.status()).await;
    if let Some(route) = route {
        answer.extensions_mut().insert(route);
    }
    answer
}

/// The problem+json answer standing for a bare error answer.
async fn problem_for(status: StatusCode) -> Response {
    let problem = match status {
        StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => {
            tracing::error!("the request timed out");
            Problem::unavailable()
        }
        StatusCode::NOT_FOUND => Problem::new(ProblemCode::NotFound, "Такого адреса нет."),
        StatusCode::METHOD_NOT_ALLOWED => {
            return method_not_allowed().await.into_response();
        }
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            Problem::validation(vec![crate::problem::FieldError::new(
                "body",
                "invalid",
                "Неверный запрос.",
            )])
        }
        // 2xx-less answers this code does not produce itself: keep them, but as a problem.
        _ => Problem::internal(),
    };
    problem.into_response()
}

fn cors(config: &HttpConfig) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                header::RETRY_AFTER,
                header::WWW_AUTHENTICATE,
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

fn request_span<B>(request: &Request<B>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("http", method = %request.method(), request_id = %request_id)
}

fn log_response<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or("<unmatched>", |route| route.0.as_str());
    tracing::info!(
        route,
        status = response.status().as_u16(),
        latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        "request"
    );
}

/// The whole HTTP front: every route of the contract under `/api/v1`, the probes, and the
/// layers (request id, the request metrics, one log line per request, CORS, compression,
/// timeout, body limit).
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let (routes, _) = routes().split_for_parts();
    let routes = routes
        .route_layer(middleware::from_fn(remember_route))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn(crate::metrics::count_requests))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .option_layer(cors(&config))
        .layer(CompressionLayer::new())
        .layer(middleware::map_response(problems_only))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(MapResponseBodyLayer::new(Body::new))
        .layer(RequestBodyLimitLayer::new(config.body_limit));
    routes.layer(layers)
}
