//! `GET /health` and `GET /metrics` over real HTTP: no signature needed, the
//! metrics parse as Prometheus text and move as requests arrive, and neither
//! names an account, a key or a resource.

mod common;

use common::http::{Server, get, nonce, now_iso, post_form, v1_query};
use common::prometheus::{self, Sample, value};
use serde_json::Value;

/// A v1-signed GET as `key`; returns (status, body).
fn v1(server: &Server, key: &str, secret: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let mut p = params.to_vec();
    p.push(("Format", "JSON"));
    let q = v1_query("GET", key, secret, &p, &now_iso(), &nonce());
    let (status, _, body) = get(&format!("http://{}/?{q}", server.addr), &[]);
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    (status, json)
}

fn alice(server: &Server, params: &[(&str, &str)]) -> (u16, Value) {
    v1(server, "alice-key", "alice-secret", params)
}

fn health(server: &Server) -> (u16, String, Value) {
    let (status, ct, body) = get(&format!("http://{}/health", server.addr), &[]);
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    (status, ct, json)
}

/// The raw text and its samples (the test fails if it does not parse).
fn metrics(server: &Server) -> (String, Vec<Sample>) {
    let (status, ct, body) = get(&format!("http://{}/metrics", server.addr), &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    let samples = prometheus::parse(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    (body, samples)
}

fn requests(samples: &[Sample], action: &str, code: &str) -> f64 {
    value(
        samples,
        "ecs_ledger_requests_total",
        &[("action", action), ("code", code)],
    )
    .unwrap_or(0.0)
}

#[test]
fn health_answers_ok_with_the_head_seq_and_needs_no_signature() {
    let server = Server::start(&["--clock", "manual"]);
    let (status, ct, body) = health(&server);
    assert_eq!(status, 200);
    assert_eq!(ct, "application/json;charset=utf-8");
    assert_eq!(body, serde_json::json!({"Status": "ok", "HeadSeq": 0}));
    assert_eq!(
        alice(&server, &[("Action", "CreateDisk"), ("Size", "20")]).0,
        200
    );
    let (_, _, body) = health(&server);
    assert_eq!(body["Status"], "ok");
    assert!(body["HeadSeq"].as_u64().unwrap() > 0, "{body}");
}

#[test]
fn metrics_parse_as_prometheus_text_and_count_requests_by_action_and_code() {
    let server = Server::start(&["--clock", "manual"]);
    let (_, before) = metrics(&server);
    assert_eq!(requests(&before, "CreateInstance", "Success"), 0.0);
    assert_eq!(value(&before, "ecs_ledger_head_seq", &[]), Some(0.0));

    let (status, created) = alice(
        &server,
        &[
            ("Action", "CreateInstance"),
            ("InstanceType", "ecs.g6.large"),
        ],
    );
    assert_eq!(status, 200, "{created}");
    let id = created["InstanceId"].as_str().unwrap().to_owned();
    // Still Pending: refused with a code of its own.
    let (status, _) = alice(
        &server,
        &[("Action", "DeleteInstance"), ("InstanceId", &id)],
    );
    assert_eq!(status, 403);
    // A name the server does not know, and a bad signature.
    assert_eq!(alice(&server, &[("Action", "NoSuchAction")]).0, 404);
    assert_eq!(
        v1(
            &server,
            "alice-key",
            "wrong",
            &[("Action", "DescribeInstances")]
        )
        .0,
        400
    );

    let (_, after) = metrics(&server);
    assert_eq!(requests(&after, "CreateInstance", "Success"), 1.0);
    assert_eq!(
        requests(
            &after,
            "DeleteInstance",
            "IncorrectInstanceStatus.Initializing"
        ),
        1.0
    );
    assert_eq!(requests(&after, "Unknown", "InvalidAction.NotFound"), 1.0);
    // Refused before its action was read.
    assert!(
        after.iter().any(|s| s.name == "ecs_ledger_requests_total"
            && s.labels["action"] == "Unknown"
            && s.labels["code"] != "InvalidAction.NotFound"),
        "{after:?}"
    );
    let (_, _, health) = health(&server);
    assert_eq!(
        value(&after, "ecs_ledger_head_seq", &[]),
        health["HeadSeq"].as_f64()
    );
    let commits = value(&after, "ecs_ledger_commit_seconds_count", &[]).unwrap();
    assert!(commits >= 1.0, "{commits}");
    let batches = value(&after, "ecs_ledger_batch_requests_count", &[]).unwrap();
    assert!(batches >= 1.0, "{batches}");
    assert_eq!(
        value(
            &after,
            "ecs_ledger_batch_requests_bucket",
            &[("le", "+Inf")]
        ),
        Some(batches)
    );
    let events = value(&after, "ecs_ledger_events_appended_total", &[]).unwrap();
    assert!(events >= 1.0, "{events}");
}

#[test]
fn due_transitions_applied_are_counted() {
    let server = Server::start(&["--clock", "manual"]);
    let (status, _) = alice(
        &server,
        &[
            ("Action", "CreateInstance"),
            ("InstanceType", "ecs.g6.large"),
        ],
    );
    assert_eq!(status, 200);
    let (_, before) = metrics(&server);
    assert_eq!(
        value(&before, "ecs_ledger_transitions_applied_total", &[]),
        Some(0.0)
    );
    let (status, _) = v1(
        &server,
        "ops-key",
        "ops-secret",
        &[("Action", "AdvanceClock"), ("Seconds", "10")],
    );
    assert_eq!(status, 200);
    let (_, after) = metrics(&server);
    let applied = value(&after, "ecs_ledger_transitions_applied_total", &[]).unwrap();
    assert!(applied >= 1.0, "{applied}");
    assert_eq!(requests(&after, "AdvanceClock", "Success"), 1.0);
}

#[test]
fn neither_endpoint_names_an_account_a_key_or_a_resource() {
    let server = Server::start(&["--clock", "manual"]);
    let (_, created) = alice(
        &server,
        &[
            ("Action", "CreateInstance"),
            ("InstanceType", "ecs.g6.large"),
        ],
    );
    let id = created["InstanceId"].as_str().unwrap().to_owned();
    let (_, bob) = v1(
        &server,
        "bob-key",
        "bob-secret",
        &[("Action", "DeleteInstance"), ("InstanceId", &id)],
    );
    assert!(bob["Code"].is_string(), "{bob}");
    let (text, _) = metrics(&server);
    let (_, _, health) = health(&server);
    for secret in ["alice", "bob", "ops", "-key", &id, "i-"] {
        assert!(!text.contains(secret), "{secret:?} in /metrics:\n{text}");
        assert!(
            !health.to_string().contains(secret),
            "{secret:?} in /health: {health}"
        );
    }
}

#[test]
fn other_methods_on_health_and_metrics_get_the_ecs_not_found() {
    let server = Server::start(&[]);
    for path in ["health", "metrics"] {
        let (status, _, body) = post_form(
            &format!("http://{}/{path}?Format=JSON", server.addr),
            "",
            &[],
        );
        assert_eq!(status, 404, "{body}");
        assert!(body.contains("InvalidAction.NotFound"), "{body}");
    }
}
