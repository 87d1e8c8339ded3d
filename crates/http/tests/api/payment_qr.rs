//! Paying by QR code (issue 18): the code's PNG decoded with a real decoder (rqrr), the SVG
//! read as XML, and every refusal.

use axum::http::{Method, StatusCode, header};
use vodokanal_app::Settings;
use vodokanal_domain::{Payee, PayeeDetails};
use vodokanal_http::HttpConfig;

use crate::harness::{ACCOUNT, App, settings};

/// Made-up details with valid keys (the same as the README's example).
pub fn payee() -> Payee {
    Payee::new(PayeeDetails {
        name: "МУП «Водоканал»".parse().unwrap(),
        account: "40702810600000012345".parse().unwrap(),
        bank: "ПАО «Банк Пример»".parse().unwrap(),
        bic: "042406999".parse().unwrap(),
        correspondent_account: "30101810900000000999".parse().unwrap(),
        inn: "3702012348".parse().unwrap(),
        kpp: "370201001".parse().unwrap(),
    })
    .unwrap()
}

async fn app_with_payee() -> App {
    let settings = Settings {
        payee: Some(payee()),
        ..settings()
    };
    App::with(settings, HttpConfig::default(), |_| {}).await
}

/// The text of the first QR code in a PNG, as raw bytes, and its error correction level.
fn decode_png(bytes: &[u8]) -> (Vec<u8>, u16) {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one code in the image");
    let mut text = Vec::new();
    let meta = grids[0].decode_to(&mut text).unwrap();
    (text, meta.ecc_level)
}

const EXPECTED: &str = "ST00012|Name=МУП «Водоканал»|PersonalAcc=40702810600000012345\
    |BankName=ПАО «Банк Пример»|BIC=042406999|CorrespAcc=30101810900000000999\
    |PayeeINN=3702012348|KPP=370201001|PersAcc=123456|Sum=123450\
    |Purpose=Вода, лицевой счет 123456|TechCode=02";

/// Checks every field of a decoded text, Cyrillic included.
fn assert_fields(bytes: Vec<u8>, account: &str, sum: &str, purpose: &str) {
    // The code's bytes are UTF-8, as ST00012's charset digit says.
    let text = String::from_utf8(bytes).unwrap();
    let (header, rest) = text.split_once('|').unwrap();
    assert_eq!(header, "ST00012", "format ST0001, charset 2 = UTF-8");
    let fields: Vec<(&str, &str)> = rest
        .split('|')
        .map(|pair| pair.split_once('=').unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            ("Name", "МУП «Водоканал»"),
            ("PersonalAcc", "40702810600000012345"),
            ("BankName", "ПАО «Банк Пример»"),
            ("BIC", "042406999"),
            ("CorrespAcc", "30101810900000000999"),
            ("PayeeINN", "3702012348"),
            ("KPP", "370201001"),
            ("PersAcc", account),
            ("Sum", sum),
            ("Purpose", purpose),
            ("TechCode", "02"),
        ]
    );
}

#[tokio::test]
async fn the_cabinet_png_decodes_to_every_field() {
    let app = app_with_payee().await;
    let token = app.with_account().await;
    let answer = app
        .get(
            &format!(
                "/api/v1/accounts/{ACCOUNT}/payment-qr?purpose=water&amount=1234.50&format=png"
            ),
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "image/png");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let (bytes, ecc_level) = decode_png(&answer.bytes);
    // rqrr reports the format bits' level: 0 is M.
    assert_eq!(ecc_level, 0, "error correction M");
    assert_eq!(String::from_utf8(bytes.clone()).unwrap(), EXPECTED);
    assert_fields(bytes, ACCOUNT, "123450", "Вода, лицевой счет 123456");
}

#[tokio::test]
async fn the_anonymous_png_decodes_to_every_field_and_accept_picks_png() {
    let app = app_with_payee().await;
    let answer = app
        .call_raw(
            Method::GET,
            "/api/v1/public/payment-qr?account_number=12-34-56&purpose=heating&amount=0,5",
            None,
            None,
            &[("accept", "image/png")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "image/png");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let (bytes, _) = decode_png(&answer.bytes);
    assert_fields(bytes, ACCOUNT, "50", "Отопление, лицевой счет 123456");
}

#[tokio::test]
async fn the_svg_is_the_default_and_well_formed() {
    let app = app_with_payee().await;
    let token = app.with_account().await;
    let answer = app
        .get(
            &format!("/api/v1/accounts/{ACCOUNT}/payment-qr?purpose=court&amount=10"),
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "image/svg+xml");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let text = String::from_utf8(answer.bytes).unwrap();
    let document = roxmltree::Document::parse(&text).unwrap();
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert!(root.attribute("viewBox").is_some());
    assert!(
        root.descendants()
            .any(|node| node.tag_name().name() == "path")
    );
}

#[tokio::test]
async fn an_account_not_linked_or_unknown_is_404() {
    let app = app_with_payee().await;
    let token = app.register().await;
    let query = "purpose=water&amount=1";
    app.get(
        &format!("/api/v1/accounts/{ACCOUNT}/payment-qr?{query}"),
        Some(&token),
    )
    .await
    .problem(404, "not_found");
    app.get(
        &format!("/api/v1/accounts/12ab/payment-qr?{query}"),
        Some(&token),
    )
    .await
    .problem(404, "not_found");
    app.get(
        &format!("/api/v1/public/payment-qr?account_number=999999&{query}"),
        None,
    )
    .await
    .problem(404, "not_found");
    app.get(
        &format!("/api/v1/accounts/{ACCOUNT}/payment-qr?{query}"),
        None,
    )
    .await
    .problem(401, "unauthorized");
}

#[tokio::test]
async fn a_bad_amount_purpose_or_format_is_422_naming_each() {
    let app = app_with_payee().await;
    let token = app.with_account().await;
    let cases = [
        ("purpose=gas&amount=0", vec!["purpose", "amount"]),
        (
            "amount=1.234&format=gif",
            vec!["purpose", "amount", "format"],
        ),
        ("purpose=water&amount=", vec!["amount"]),
        ("purpose=water&amount=1000000.01", vec!["amount"]),
    ];
    for (query, fields) in cases {
        let answer = app
            .get(
                &format!("/api/v1/accounts/{ACCOUNT}/payment-qr?{query}"),
                Some(&token),
            )
            .await;
        assert_eq!(answer.bad_fields(), fields, "{query}");
    }
    // The payment endpoints' own messages.
    let body = app
        .get(
            &format!("/api/v1/accounts/{ACCOUNT}/payment-qr?purpose=water&amount=12abc"),
            Some(&token),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        body["errors"][0]["message"],
        "Укажите сумму в рублях, не более двух знаков после точки, например 1234.50"
    );
    let answer = app
        .get(
            "/api/v1/public/payment-qr?account_number=12&purpose=water",
            None,
        )
        .await;
    assert_eq!(answer.bad_fields(), ["account_number", "amount"]);
}

#[tokio::test]
async fn without_bank_details_it_is_409_and_info_says_null() {
    let app = App::new().await;
    let token = app.with_account().await;
    let body = app
        .get(
            &format!("/api/v1/accounts/{ACCOUNT}/payment-qr?purpose=water&amount=1"),
            Some(&token),
        )
        .await
        .problem(409, "payment_qr_not_configured");
    assert_eq!(body["title"], "Оплата по QR-коду не настроена");
    app.get(
        "/api/v1/public/payment-qr?account_number=123456&purpose=water&amount=1",
        None,
    )
    .await
    .problem(409, "payment_qr_not_configured");
    assert!(app.get("/api/v1/info", None).await.json()["payment_qr"].is_null());
}

#[tokio::test]
async fn info_shows_the_bank_details_when_on() {
    let app = app_with_payee().await;
    let info = app.get("/api/v1/info", None).await.json();
    assert_eq!(
        info["payment_qr"],
        serde_json::json!({
            "name": "МУП «Водоканал»",
            "account": "40702810600000012345",
            "bank": "ПАО «Банк Пример»",
            "bic": "042406999",
            "correspondent_account": "30101810900000000999",
            "inn": "3702012348",
            "kpp": "370201001",
        })
    );
}

#[tokio::test]
async fn a_network_gets_20_anonymous_codes_an_hour_unknown_accounts_counted() {
    let app = app_with_payee().await;
    for i in 0..20 {
        let account = if i % 2 == 0 { ACCOUNT } else { "999999" };
        let answer = app
            .get(
                &format!(
                    "/api/v1/public/payment-qr?account_number={account}&purpose=water&amount=1"
                ),
                None,
            )
            .await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS, "code {i}");
    }
    let answer = app
        .get(
            &format!("/api/v1/public/payment-qr?account_number={ACCOUNT}&purpose=water&amount=1"),
            None,
        )
        .await;
    answer.problem(429, "too_many_requests");
    assert!(answer.headers.contains_key(header::RETRY_AFTER));
    // The cabinet is not counted, and payments keep their own limit.
    let token = app.with_account().await;
    let answer = app
        .get(
            &format!("/api/v1/accounts/{ACCOUNT}/payment-qr?purpose=water&amount=1"),
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}
