//! Fuzzing on stable Rust (proptest, run by `cargo test`): the exec line
//! parser and every action's parameters, the HTTP request path with and
//! without valid signatures, and the decoders of everything read from disk.
//! Whatever the input: no panic, one answer per request, never a 500, and
//! the log still verifies with its projections agreeing.
//!
//! `PROPTEST_CASES=N` runs more cases.

use std::sync::Arc;

use ecs_ledger::api::exec::parse_line_bytes;
use ecs_ledger::api::server::keys::AccessKeys;
use ecs_ledger::api::server::signature::{Authorization, Parts, Verifier};
use ecs_ledger::api::server::{ConnectionLimits, router};
use ecs_ledger::ledger::inline::Inline;
use ecs_ledger::ledger::{ClockMode, Config, Ledger, Request};
use ecs_ledger::log::{EventLog, keys, record, verify::verify, witness};
use ecs_ledger::model::time::Timestamp;
use ecs_ledger::projection::Checkpoint;
use ecs_ledger::projection::check;
use ecs_ledger::storage::Storage;
use ecs_ledger::storage::memory::MemoryStorage;
use proptest::prelude::*;
use tower::ServiceExt;

const ACTIONS: &[&str] = &[
    "DeleteInstance",
    "DeleteInstances",
    "CreateInstance",
    "StartInstance",
    "StopInstance",
    "ModifyInstanceAttribute",
    "RenewInstance",
    "CreateDisk",
    "AttachDisk",
    "DetachDisk",
    "ModifyDiskAttribute",
    "CreateSnapshot",
    "DeleteSnapshot",
    "DeleteDisk",
    "CreateRouteEntry",
    "DeleteRouteEntry",
    "AddBackendServers",
    "RemoveBackendServers",
    "LockInstance",
    "UnlockInstance",
    "CreateAutoSnapshot",
    "DescribeInstances",
    "DescribeDisks",
    "DescribeSnapshots",
    "AdvanceClock",
    "NoSuchAction",
    "",
];

const NAMES: &[&str] = &[
    "InstanceId",
    "InstanceId.1",
    "InstanceId.2",
    "InstanceId.101",
    "InstanceId.0",
    "DiskId",
    "SnapshotId",
    "Force",
    "DryRun",
    "ClientToken",
    "DataDisk.1.Size",
    "DataDisk.1.DeleteWithInstance",
    "DataDisk.2.DeleteAutoSnapshot",
    "DataDisk.17.Size",
    "SystemDisk.Size",
    "InstanceChargeType",
    "Period",
    "PeriodUnit",
    "DeletionProtection",
    "Size",
    "DeleteWithInstance",
    "DeleteAutoSnapshot",
    "RouteTableId",
    "DestinationCidrBlock",
    "NextHopId",
    "NextHopType",
    "LoadBalancerId",
    "BackendServers",
    "LockReason",
    "LockMsg",
    "Seconds",
    "To",
    "InstanceIds",
    "DiskIds",
    "SnapshotIds",
    "Status",
    "DiskType",
    "SnapshotType",
    "PageNumber",
    "PageSize",
    "Account",
    "At",
    "InstanceName",
    "Description",
];

/// A parameter value: fixed tricky text, a known id (resolved at run time),
/// or random text.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Known(usize),
    Number(i64),
    Bool(bool),
}

fn tricky() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "true",
        "False",
        "-1",
        "0",
        "1",
        "60",
        "99999999999999999999",
        "i-12345678",
        "d-12345678",
        "s-12345678",
        "vtb-12345678",
        "lb-12345678",
        "i-",
        "I-ABCDEFGH",
        "[\"i-12345678\"]",
        "[{\"ServerId\":\"i-12345678\",\"Weight\":\"100\"}]",
        "[{\"ServerId\":1}]",
        "[",
        "{}",
        "10.0.0.0/16",
        "10.0.0.0/33",
        "2026-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1969-12-31T23:59:59Z",
        "Week",
        "Month",
        "PrePaid",
        "PostPaid",
        "security",
        "financial",
        "Running",
        "All",
        "auto",
        "\u{0}",
        "\u{1f600}",
        "a\nb",
    ])
    .prop_map(str::to_owned)
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => tricky().prop_map(Value::Text),
        4 => (0usize..64).prop_map(Value::Known),
        1 => any::<i64>().prop_map(Value::Number),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => "\\PC{0,40}".prop_map(Value::Text),
    ]
}

/// One exec line: raw bytes, or an action with parameters.
#[derive(Debug, Clone)]
enum Line {
    Raw(Vec<u8>),
    Action(String, Vec<(String, Value)>),
}

fn line() -> impl Strategy<Value = Line> {
    let name = prop_oneof![
        9 => prop::sample::select(NAMES).prop_map(str::to_owned),
        1 => "[A-Za-z.0-9]{0,12}",
    ];
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..80).prop_map(Line::Raw),
        9 => (
            prop::sample::select(ACTIONS).prop_map(str::to_owned),
            prop::collection::vec((name, value()), 0..7),
        )
            .prop_map(|(a, p)| Line::Action(a, p)),
    ]
}

/// The JSON text of a line, ids resolved against those the run has seen.
fn render(line: &Line, known: &[String]) -> Vec<u8> {
    match line {
        Line::Raw(bytes) => bytes.clone(),
        Line::Action(action, params) => {
            let mut map = serde_json::Map::new();
            map.insert("Action".into(), action.clone().into());
            for (name, value) in params {
                let v: serde_json::Value = match value {
                    Value::Text(t) => t.clone().into(),
                    Value::Known(n) if known.is_empty() => "i-nothingyet0".into(),
                    Value::Known(n) => known[n % known.len()].clone().into(),
                    Value::Number(n) => (*n).into(),
                    Value::Bool(b) => (*b).into(),
                };
                map.insert(name.clone(), v);
            }
            serde_json::Value::Object(map).to_string().into_bytes()
        }
    }
}

/// A fresh in-memory ledger on a manual clock, with a few resources.
fn seeded_ledger() -> (Inline<MemoryStorage>, Vec<String>) {
    let config = Config {
        seed: Some(9),
        clock: ClockMode::Manual,
        start_clock: Timestamp::from_unix(1_767_225_600),
        ..Config::default()
    };
    let storage = MemoryStorage::new();
    let mut ledger = Inline::open(storage, config).unwrap();
    let mut known = Vec::new();
    for (action, params) in [
        ("CreateInstance", vec![("DataDisk.1.Size", "40")]),
        ("CreateInstance", vec![]),
        ("CreateDisk", vec![("Size", "20")]),
        ("AdvanceClock", vec![("Seconds", "10")]),
    ] {
        let reply = ledger.execute(Request::new(action, params)).unwrap();
        remember(&reply, &mut known);
    }
    (ledger, known)
}

/// Adds every id a reply names to `known`.
fn remember(reply: &ecs_ledger::ledger::Reply, known: &mut Vec<String>) {
    for event in reply.events() {
        for tag in event.event.tags().into_iter().flatten() {
            if !known.iter().any(|k| k == tag) {
                known.push(tag.to_owned());
            }
        }
    }
}

/// The log verifies, and the state checkpoint (written when the ledger
/// closed) equals a fold of it.
fn assert_consistent(storage: &MemoryStorage) {
    let log = EventLog::inspect(storage.clone()).unwrap().log;
    verify(&log, |_| {}).unwrap();
    check::check_state(&log).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn exec_lines_of_any_shape_get_one_answer_each_and_never_break_the_log(
        lines in prop::collection::vec(line(), 1..24)
    ) {
        let (mut ledger, mut known) = seeded_ledger();
        for line in &lines {
            let bytes = render(line, &known);
            let reply = match parse_line_bytes(&bytes) {
                Ok(request) => ledger.execute(request),
                Err(error) => ledger.reject(error),
            }
            .expect("the ledger itself never fails on bad input");
            prop_assert!(reply.status() < 500, "{}", reply.body());
            let rendered = ecs_ledger::api::exec::render(&reply);
            prop_assert!(!rendered.contains('\n'), "one line out");
            remember(&reply, &mut known);
        }
        let storage = ledger.storage().clone();
        ledger.close().unwrap();
        assert_consistent(&storage);
    }
}

const KEYS: &str = r#"[
 {"AccessKeyId":"k","AccessKeySecret":"s","Account":"alice","Admin":true}
]"#;

/// An HTTP request to throw at the router.
#[derive(Debug, Clone)]
struct HttpCase {
    method: String,
    path: String,
    params: Vec<(String, Value)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    sign: bool,
    form: bool,
}

fn http_case() -> impl Strategy<Value = HttpCase> {
    let header = (
        prop::sample::select(vec![
            "authorization",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
            "content-type",
            "content-length",
            "host",
            "x-other",
        ])
        .prop_map(str::to_owned),
        prop_oneof![
            tricky(),
            Just("ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host,Signature=00".to_owned()),
            Just("application/x-www-form-urlencoded".to_owned()),
            "[ -~]{0,30}",
        ],
    );
    let name = prop_oneof![
        8 => prop::sample::select(NAMES).prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "Action", "Format", "Version", "AccessKeyId", "Signature", "SignatureMethod",
            "SignatureVersion", "SignatureNonce", "Timestamp",
        ]).prop_map(str::to_owned),
    ];
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]).prop_map(str::to_owned),
        prop::sample::select(vec!["/", "/x", "//", "/?"]).prop_map(str::to_owned),
        (
            prop::sample::select(ACTIONS)
                .prop_map(|a| ("Action".to_owned(), Value::Text(a.to_owned()))),
            prop::collection::vec((name, value()), 0..6),
        )
            .prop_map(|(a, mut rest)| {
                rest.insert(0, a);
                rest
            }),
        prop::collection::vec(header, 0..4),
        prop::collection::vec(any::<u8>(), 0..64),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(method, path, params, headers, body, sign, form)| HttpCase {
                method,
                path,
                params,
                headers,
                body,
                sign,
                form,
            },
        )
}

fn text_of(value: &Value, known: &[String]) -> String {
    match value {
        Value::Text(t) => t.clone(),
        Value::Known(_) if known.is_empty() => "i-nothingyet0".into(),
        Value::Known(n) => known[n % known.len()].clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

fn enc(s: &str) -> String {
    ecs_ledger::api::encoding::encode(s)
}

/// The query string of `params`, v1-signed with the test key when `sign`.
fn query(params: &[(String, String)], sign: bool, nonce: u64) -> String {
    let mut all: std::collections::BTreeMap<String, String> = params.iter().cloned().collect();
    if sign {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        for (k, v) in [
            ("AccessKeyId", "k".to_owned()),
            ("SignatureMethod", "HMAC-SHA1".to_owned()),
            ("SignatureVersion", "1.0".to_owned()),
            ("SignatureNonce", format!("fuzz-{nonce}")),
            ("Timestamp", Timestamp::from_unix(now).unwrap().to_string()),
            ("Format", "JSON".to_owned()),
        ] {
            all.insert(k.to_owned(), v);
        }
        all.remove("Signature");
        let sts = ecs_ledger::api::server::signature::v1_string_to_sign("GET", &all);
        let sig = ecs_ledger::api::server::signature::v1_sign("s", &sts);
        all.insert("Signature".into(), sig);
    }
    all.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn http_requests_of_any_shape_never_panic_or_answer_500(
        cases in prop::collection::vec(http_case(), 1..12)
    ) {
        let storage = MemoryStorage::new();
        let config = Config { seed: Some(4), ..Config::default() };
        let ledger = Arc::new(Ledger::with_storage(storage.clone(), config).unwrap());
        let keys = AccessKeys::parse(KEYS).unwrap();
        let app = router(ledger.clone(), Some(keys), ConnectionLimits::default());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut known: Vec<String> = Vec::new();
        for (n, case) in cases.iter().enumerate() {
            let params: Vec<(String, String)> = case
                .params
                .iter()
                .map(|(k, v)| (k.clone(), text_of(v, &known)))
                .collect();
            let signed = case.sign;
            let q = query(&params, signed, n as u64);
            let method = if signed { "GET" } else { case.method.as_str() };
            let path = if signed { "/" } else { case.path.as_str() };
            let mut builder = axum::http::Request::builder()
                .method(method)
                .uri(format!("{path}?{q}"));
            if !signed {
                for (k, v) in &case.headers {
                    builder = builder.header(k.as_str(), v.as_str());
                }
                if case.form {
                    builder = builder.header("content-type", "application/x-www-form-urlencoded");
                }
            }
            let body = if signed { Vec::new() } else { case.body.clone() };
            let Ok(request) = builder.body(axum::body::Body::from(body)) else {
                continue; // a header value http itself refuses
            };
            let response = runtime
                .block_on(app.clone().oneshot(request))
                .expect("the router is infallible");
            let status = response.status().as_u16();
            let bytes = runtime
                .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
                .unwrap();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert!(status < 500, "{status}: {text}");
            prop_assert!(!text.is_empty());
            if signed && status == 200 {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    for field in ["InstanceId", "DiskId", "SnapshotId"] {
                        if let Some(id) = v[field].as_str() {
                            known.push(id.to_owned());
                        }
                    }
                }
            }
        }
        ledger.close().unwrap();
        assert_consistent(&storage);
    }

    #[test]
    fn signature_checks_of_any_parts_never_panic(
        method in "[A-Z]{0,6}",
        query in prop::collection::vec(("[ -~]{0,12}", "[ -~]{0,12}"), 0..6),
        headers in prop::collection::vec((
            prop::sample::select(vec!["authorization", "x-acs-date", "x-acs-signature-nonce",
                "x-acs-content-sha256", "host", "x-acs-action", "content-type"]).prop_map(str::to_owned),
            "[ -~]{0,60}",
        ), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let verifier = Verifier::new(AccessKeys::parse(KEYS).unwrap());
        let parts = Parts {
            method,
            path: "/".into(),
            query: query.clone(),
            form: query,
            headers,
            body,
        };
        let now = Timestamp::from_unix(1_767_225_600).unwrap();
        let _ = verifier.verify(&parts, now);
        if let Some(auth) = parts.header("authorization") {
            let _ = Authorization::parse(auth);
        }
    }

    #[test]
    fn stored_bytes_of_any_shape_decode_to_an_error_never_a_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        seq in any::<u64>(),
    ) {
        let _ = record::decode(seq, &bytes);
        let _ = record::split(&bytes);
        let _ = record::check_chain(&[0; 32], &bytes);
        let _ = witness::read(&bytes);
        let _ = witness::damage(&bytes);
        let _ = witness::Mark::decode(&bytes);
        let _ = keys::event_seq(&bytes);
        let _ = keys::chunk_seq(&bytes);
        if let Ok(h) = ecs_ledger::log::chunk::header(&bytes, seq)
            && let Ok(body) = ecs_ledger::log::chunk::body(&bytes, h)
        {
            let _ = ecs_ledger::log::chunk::records(&body, h).count();
        }
        let _ = keys::tag_entry(&bytes);
        let _ = keys::timer_entry(&bytes);
        let _ = keys::nonce_entry(&bytes);
        let _ = Checkpoint::decode(&bytes);
        let _ = ecs_ledger::log::Head::decode(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = Timestamp::parse_rfc3339(&text);
        let _ = ecs_ledger::api::exec::parse_line(&text);
        // A state checkpoint or a chunk of garbage is an error to its reader.
        let storage = MemoryStorage::new();
        storage.corrupt(keys::META_STATE, &bytes);
        storage.corrupt(&keys::chunk(1), &bytes);
        if let Ok(inspected) = EventLog::inspect(storage) {
            let _ = ecs_ledger::ledger::checkpoint::read(&inspected.log);
            let _ = verify(&inspected.log, |_| {});
        }
    }

    #[test]
    fn a_changed_record_never_decodes_as_valid(
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        // A real record from a real ledger.
        let (ledger, _) = seeded_ledger();
        let storage = ledger.storage().clone();
        let chunk = storage.get(&keys::chunk(1)).unwrap().unwrap().to_vec();
        let header = ecs_ledger::log::chunk::header(&chunk, 1).unwrap();
        let body = ecs_ledger::log::chunk::body(&chunk, header).unwrap();
        let original = ecs_ledger::log::chunk::records(&body, header)
            .next()
            .unwrap()
            .unwrap()
            .1
            .to_vec();
        let mut bytes = original.clone();
        for (at, x) in &flips {
            let i = at.index(bytes.len());
            bytes[i] ^= x;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        prop_assume!(bytes != original);
        let decoded = record::decode(1, &bytes);
        let chained = record::check_chain(&record::GENESIS, &bytes);
        prop_assert!(decoded.is_err() || chained.is_err(), "a changed record passed");
    }
}

/// The fuzzer's signed requests really reach the ledger (else it would only
/// ever exercise signature errors).
#[test]
fn the_fuzzers_signed_requests_reach_the_ledger() {
    let ledger = Arc::new(Ledger::with_storage(MemoryStorage::new(), Config::seeded(4)).unwrap());
    let app = router(
        ledger.clone(),
        Some(AccessKeys::parse(KEYS).unwrap()),
        ConnectionLimits::default(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let params = vec![
        ("Action".to_owned(), "CreateDisk".to_owned()),
        ("Size".to_owned(), "20".to_owned()),
    ];
    let request = axum::http::Request::builder()
        .uri(format!("/?{}", query(&params, true, u64::MAX)))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = runtime.block_on(app.oneshot(request)).unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(ledger.head().seq, 1);
    ledger.close().unwrap();
}
