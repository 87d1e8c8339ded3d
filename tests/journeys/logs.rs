//! `VODOKANAL_LOG_FORMAT=json`: every line a server and a one-shot command write is one JSON
//! object with the time, level and target at the top, and a request's line carries its
//! request id, method, route template, status and latency; the personal data stays masked (the
//! deployment's log scan, as for the text format).

use chrono::DateTime;
use serde_json::{Value, json};
use vodokanal_e2e::demo::{ACCOUNT, COLD};
use vodokanal_e2e::{Backend, Deployment};

use crate::moscow_today;

const JSON: (&str, &str) = ("VODOKANAL_LOG_FORMAT", "json");

async fn a_journey_s_log_is_one_json_object_a_line(backend: Backend) {
    let deployment = Deployment::new(backend).await;
    let server = deployment.start_with(&[JSON]).await;
    let token = server.linked_subscriber().await;
    let readings = format!("/accounts/{ACCOUNT}/readings");
    let submitted = server
        .api(
            "POST",
            &readings,
            Some(&token),
            &json!({"readings": [{"meter_number": COLD, "value": "130.456"}]}),
        )
        .await
        .expect(201);
    let request_id = submitted.header("x-request-id").unwrap().to_owned();
    server
        .api("GET", "/no/such/page", None, &Value::Null)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(server.terminate().await, Some(0));
    let period = moscow_today().format("%Y-%m").to_string();
    deployment
        .run_args(&["export", "readings", "--period", &period], &[JSON])
        .await;
    let failed = deployment
        .try_run(&["export", "readings", "--period", "2026-13"], &[JSON])
        .await;
    assert_eq!(failed.code, Some(1));
    // The refused command's error is a JSON line too.
    let errors: Vec<Value> = parse(&failed.stderr)
        .into_iter()
        .filter(|line| line["level"] == "ERROR")
        .collect();
    assert_eq!(errors.len(), 1, "{}", failed.stderr);
    assert_eq!(errors[0]["message"], "the command failed");
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("--period: "),
        "{}",
        errors[0]
    );

    let lines = parse(&std::fs::read_to_string(deployment.log()).unwrap());
    assert!(lines.len() > 20, "{} lines", lines.len());

    let requests: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"] == "request")
        .collect();
    let reading = requests
        .iter()
        .find(|line| line["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no request line with the request id {request_id}"));
    assert_eq!(reading["method"], "POST");
    assert_eq!(reading["route"], "/api/v1/accounts/{number}/readings");
    assert_eq!(reading["status"], 201);
    assert!(reading["latency_ms"].is_u64(), "{reading}");
    assert_eq!(reading["level"], "INFO");
    let unknown = requests
        .iter()
        .find(|line| line["status"] == 404)
        .expect("the unknown page's request line");
    assert_eq!(unknown["route"], "<unmatched>");
    // Every request line of the journey has its own request id.
    let mut ids: Vec<&str> = requests
        .iter()
        .map(|line| line["request_id"].as_str().unwrap())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count);
    assert!(deployment.check_logs() > 20);
}

/// Each line of `log` as JSON; fails the test on a line that is not an object with an RFC 3339
/// `time`, a `level` and a `target`.
fn parse(log: &str) -> Vec<Value> {
    log.lines()
        .enumerate()
        .map(|(number, line)| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("log line {} is not JSON ({e}): {line}", number + 1));
            assert!(
                value.is_object(),
                "log line {} is not an object",
                number + 1
            );
            for key in ["time", "level", "target"] {
                assert!(
                    value[key].is_string(),
                    "log line {} has no {key}",
                    number + 1
                );
            }
            DateTime::parse_from_rfc3339(value["time"].as_str().unwrap())
                .unwrap_or_else(|e| panic!("log line {}: time {e}", number + 1));
            assert!(
                ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
                    .contains(&value["level"].as_str().unwrap()),
                "log line {}: level {}",
                number + 1,
                value["level"]
            );
            value
        })
        .collect()
}

vodokanal_e2e::journeys!(a_journey_s_log_is_one_json_object_a_line);
