//! `ecs-ledger serve` over real HTTP: signatures v1 and v3, JSON and XML,
//! every protocol error, accounts and admin rights, limits, shutdown.

mod common;

use common::http::{Server, enc, get, iso, nonce, now_iso, post_form, v1_query, v3_headers};
use serde_json::Value;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// (HTTP status, ECS error Code) of a JSON answer.
fn code((status, _, body): (u16, String, String)) -> (u16, String) {
    let code = json(&body)["Code"].as_str().unwrap_or_default().to_owned();
    (status, code)
}

/// A v1-signed GET as `key`; returns (status, content type, body).
fn v1(server: &Server, key: &str, secret: &str, params: &[(&str, &str)]) -> (u16, String, String) {
    let q = v1_query("GET", key, secret, params, &now_iso(), &nonce());
    get(&format!("http://{}/?{q}", server.addr), &[])
}

fn alice(server: &Server, params: &[(&str, &str)]) -> Value {
    let mut p = params.to_vec();
    p.push(("Format", "JSON"));
    json(&v1(server, "alice-key", "alice-secret", &p).2)
}

fn ops(server: &Server, params: &[(&str, &str)]) -> Value {
    let mut p = params.to_vec();
    p.push(("Format", "JSON"));
    json(&v1(server, "ops-key", "ops-secret", &p).2)
}

#[test]
fn a_v1_signed_request_is_answered_in_xml_by_default_and_json_on_request() {
    let server = Server::start(&[]);
    let (status, ct, body) = v1(
        &server,
        "alice-key",
        "alice-secret",
        &[("Action", "CreateDisk"), ("Size", "20")],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(ct, "text/xml;charset=utf-8");
    assert!(
        body.starts_with(
            r#"<?xml version="1.0" encoding="UTF-8"?><CreateDiskResponse><RequestId>"#
        ),
        "{body}"
    );
    assert!(body.contains("<DiskId>d-"));
    let (status, ct, body) = v1(
        &server,
        "alice-key",
        "alice-secret",
        &[("Action", "CreateDisk"), ("Size", "20"), ("Format", "json")],
    );
    assert_eq!(status, 200);
    assert_eq!(ct, "application/json;charset=utf-8");
    let v = json(&body);
    assert!(v["DiskId"].as_str().unwrap().starts_with("d-"));
    let rid = v["RequestId"].as_str().unwrap();
    assert_eq!(rid.len(), 36);
    assert_eq!(rid, rid.to_uppercase());
}

#[test]
fn a_v3_signed_request_is_answered_in_json_by_default() {
    let server = Server::start(&[]);
    let query = [("Size", "20")];
    let headers = v3_headers(
        "GET",
        &server.addr,
        "alice-key",
        "alice-secret",
        "CreateDisk",
        &query,
        b"",
        &now_iso(),
        &nonce(),
    );
    let (status, ct, body) = get(&format!("http://{}/?Size=20", server.addr), &headers);
    assert_eq!(status, 200, "{body}");
    assert_eq!(ct, "application/json;charset=utf-8");
    assert!(json(&body)["DiskId"].is_string());
    // Format=XML still wins.
    let query = [("Size", "20"), ("Format", "XML")];
    let headers = v3_headers(
        "GET",
        &server.addr,
        "alice-key",
        "alice-secret",
        "CreateDisk",
        &query,
        b"",
        &now_iso(),
        &nonce(),
    );
    let (_, ct, body) = get(
        &format!("http://{}/?Size=20&Format=XML", server.addr),
        &headers,
    );
    assert_eq!(ct, "text/xml;charset=utf-8");
    assert!(body.contains("<CreateDiskResponse>"));
}

#[test]
fn query_and_form_parameters_are_merged_and_signed_together() {
    let server = Server::start(&[]);
    // Signature parameters in the query, the action's own in a POST form body.
    let ts = now_iso();
    let n = nonce();
    let signed = v1_query(
        "POST",
        "alice-key",
        "alice-secret",
        &[("Action", "CreateDisk"), ("Size", "30"), ("Format", "JSON")],
        &ts,
        &n,
    );
    let (query, form): (Vec<&str>, Vec<&str>) =
        signed.split('&').partition(|kv| !kv.starts_with("Size="));
    let (status, _, body) = post_form(
        &format!("http://{}/?{}", server.addr, query.join("&")),
        &form.join("&"),
        &[],
    );
    assert_eq!(status, 200, "{body}");
    let disk = json(&body)["DiskId"].as_str().unwrap().to_owned();
    let described = alice(
        &server,
        &[
            ("Action", "DescribeDisks"),
            ("DiskIds", &format!(r#"["{disk}"]"#)),
        ],
    );
    assert_eq!(described["Disks"]["Disk"][0]["Size"], 30);
}

#[test]
fn every_signature_error_has_its_code_status_and_body() {
    let server = Server::start(&[]);
    let base = format!("http://{}/", server.addr);
    // No signature at all.
    let (status, ct, body) = get(&format!("{base}?Action=DescribeInstances&Format=JSON"), &[]);
    assert_eq!(
        (status, json(&body)["Code"].as_str().unwrap()),
        (400, "IncompleteSignature")
    );
    assert_eq!(ct, "application/json;charset=utf-8");
    let err = json(&body);
    for key in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
        assert!(err[key].is_string(), "{key} in {err}");
    }
    // Unknown key.
    assert_eq!(
        code(v1(
            &server,
            "nobody",
            "x",
            &[("Action", "DescribeInstances"), ("Format", "JSON")],
        )),
        (404, "InvalidAccessKeyId.NotFound".to_owned())
    );
    // Wrong secret.
    assert_eq!(
        code(v1(
            &server,
            "alice-key",
            "wrong",
            &[("Action", "DescribeInstances"), ("Format", "JSON")],
        )),
        (400, "SignatureDoesNotMatch".to_owned())
    );
    // A tampered parameter after signing.
    let q = v1_query(
        "GET",
        "alice-key",
        "alice-secret",
        &[("Action", "CreateDisk"), ("Size", "20"), ("Format", "JSON")],
        &now_iso(),
        &nonce(),
    );
    let tampered = q.replace("Size=20", "Size=2000");
    assert_eq!(
        code(get(&format!("{base}?{tampered}"), &[])),
        (400, "SignatureDoesNotMatch".to_owned())
    );
    // A timestamp 16 minutes old, and one badly formed.
    let old = iso(common::http::unix_now() - 16 * 60);
    let q = v1_query(
        "GET",
        "alice-key",
        "alice-secret",
        &[("Action", "DescribeInstances"), ("Format", "JSON")],
        &old,
        &nonce(),
    );
    assert_eq!(
        code(get(&format!("{base}?{q}"), &[])),
        (400, "InvalidTimeStamp.Expired".to_owned())
    );
    let q = v1_query(
        "GET",
        "alice-key",
        "alice-secret",
        &[("Action", "DescribeInstances"), ("Format", "JSON")],
        "yesterday",
        &nonce(),
    );
    assert_eq!(
        code(get(&format!("{base}?{q}"), &[])),
        (400, "InvalidTimeStamp.Format".to_owned())
    );
    // A nonce used twice: the same request replayed.
    let q = v1_query(
        "GET",
        "alice-key",
        "alice-secret",
        &[("Action", "CreateDisk"), ("Size", "20"), ("Format", "JSON")],
        &now_iso(),
        "replayed-nonce",
    );
    assert_eq!(get(&format!("{base}?{q}"), &[]).0, 200);
    assert_eq!(
        code(get(&format!("{base}?{q}"), &[])),
        (400, "SignatureNonceUsed".to_owned())
    );
    // An unknown action.
    assert_eq!(
        code(v1(
            &server,
            "alice-key",
            "alice-secret",
            &[("Action", "RebootTheWorld"), ("Format", "JSON")],
        )),
        (404, "InvalidAction.NotFound".to_owned())
    );
    // Unsupported signature method.
    let q = v1_query(
        "GET",
        "alice-key",
        "alice-secret",
        &[
            ("Action", "DescribeInstances"),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-MD5"),
        ],
        &now_iso(),
        &nonce(),
    );
    assert_eq!(
        code(get(&format!("{base}?{q}"), &[])),
        (400, "IncompleteSignature".to_owned())
    );
}

#[test]
fn v3_signature_errors() {
    let server = Server::start(&[]);
    let url = format!("http://{}/?Size=20", server.addr);
    let sign = |secret: &str, date: &str, n: &str| {
        v3_headers(
            "GET",
            &server.addr,
            "alice-key",
            secret,
            "CreateDisk",
            &[("Size", "20")],
            b"",
            date,
            n,
        )
    };
    assert_eq!(
        code(get(&url, &sign("wrong", &now_iso(), &nonce()))),
        (400, "SignatureDoesNotMatch".to_owned())
    );
    let old = iso(common::http::unix_now() - 3600);
    assert_eq!(
        code(get(&url, &sign("alice-secret", &old, &nonce()))),
        (400, "InvalidTimeStamp.Expired".to_owned())
    );
    let headers = sign("alice-secret", &now_iso(), "v3-replayed");
    assert_eq!(get(&url, &headers).0, 200);
    assert_eq!(
        code(get(&url, &headers)),
        (400, "SignatureNonceUsed".to_owned())
    );
    // A body that is not what x-acs-content-sha256 says.
    let mut headers = sign("alice-secret", &now_iso(), &nonce());
    headers.retain(|(k, _)| k != "x-acs-content-sha256");
    headers.push(("x-acs-content-sha256".into(), "00".repeat(32)));
    assert_eq!(
        code(get(&url, &headers)),
        (400, "SignatureDoesNotMatch".to_owned())
    );
    // An Authorization header without its parts.
    let headers = vec![(
        "authorization".to_owned(),
        "ACS3-HMAC-SHA256 Credential=alice-key".to_owned(),
    )];
    assert_eq!(
        code(get(&url, &headers)),
        (400, "IncompleteSignature".to_owned())
    );
}

#[test]
fn errors_render_in_xml_with_the_ecs_error_element() {
    let server = Server::start(&[]);
    let (status, ct, body) = v1(
        &server,
        "alice-key",
        "alice-secret",
        &[
            ("Action", "DeleteInstance"),
            ("InstanceId", "i-nothere00001"),
        ],
    );
    assert_eq!(status, 404);
    assert_eq!(ct, "text/xml;charset=utf-8");
    assert!(body.contains("<Error><RequestId>"), "{body}");
    assert!(body.contains("<Code>InvalidInstanceId.NotFound</Code>"));
    assert!(body.contains("<Message>The specified InstanceId does not exist.</Message>"));
    assert!(body.contains("<HostId>") && body.contains("<Recommend>"));
}

#[test]
fn another_accounts_instance_is_not_found_and_platform_actions_need_an_admin_key() {
    let server = Server::start(&[]);
    let created = alice(&server, &[("Action", "CreateInstance")]);
    let i = created["InstanceId"].as_str().unwrap();
    assert_eq!(
        code(v1(
            &server,
            "bob-key",
            "bob-secret",
            &[
                ("Action", "StopInstance"),
                ("InstanceId", i),
                ("Format", "JSON"),
            ],
        )),
        (404, "InvalidInstanceId.NotFound".to_owned())
    );
    let refused = alice(
        &server,
        &[
            ("Action", "LockInstance"),
            ("InstanceId", i),
            ("LockReason", "security"),
        ],
    );
    assert_eq!(refused["Code"], "Forbidden");
    assert!(refused["Message"].as_str().unwrap().contains("admin"));
    let (status, _, _) = v1(
        &server,
        "alice-key",
        "alice-secret",
        &[
            ("Action", "LockInstance"),
            ("InstanceId", i),
            ("LockReason", "security"),
            ("Format", "JSON"),
        ],
    );
    assert_eq!(status, 403);
    let locked = ops(
        &server,
        &[
            ("Action", "LockInstance"),
            ("InstanceId", i),
            ("LockReason", "security"),
        ],
    );
    assert!(locked["Code"].is_null(), "{locked}");
    let described = alice(&server, &[("Action", "DescribeInstances")]);
    assert_eq!(
        described["Instances"]["Instance"][0]["OperationLocks"]["LockReason"][0]["LockReason"],
        "security"
    );
}

#[test]
fn an_oversized_body_is_refused_with_413() {
    use std::io::{Read, Write};
    let server = Server::start(&[]);
    // Declared too large: refused from the headers alone, before any body is sent.
    let mut tcp = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(
        tcp,
        "POST /?Format=JSON HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        2 * 1024 * 1024
    )
    .unwrap();
    let mut response = Vec::new();
    let _ = tcp.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("RequestEntityTooLarge"), "{response}");
    // Not declared (chunked) and too large: cut off at the limit.
    let mut tcp = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(
        tcp,
        "POST /?Format=JSON HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    )
    .unwrap();
    let writer = {
        let mut tcp = tcp.try_clone().unwrap();
        std::thread::spawn(move || {
            let chunk = "x".repeat(64 * 1024);
            for _ in 0..40 {
                if write!(tcp, "{:x}\r\n{chunk}\r\n", chunk.len()).is_err() {
                    return;
                }
            }
            let _ = write!(tcp, "0\r\n\r\n");
        })
    };
    let mut response = Vec::new();
    let _ = tcp.read_to_end(&mut response);
    let _ = writer.join();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    // The server is still serving.
    assert_eq!(
        v1(
            &server,
            "alice-key",
            "alice-secret",
            &[("Action", "DescribeInstances")]
        )
        .0,
        200
    );
}

#[test]
fn wrong_paths_and_methods_are_not_found() {
    let server = Server::start(&[]);
    assert_eq!(
        code(get(
            &format!("http://{}/other?Format=JSON", server.addr),
            &[]
        )),
        (404, "InvalidAction.NotFound".to_owned())
    );
    let mut resp = common::http::agent()
        .put(&format!("http://{}/?Format=JSON", server.addr))
        .send("")
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert!(
        resp.body_mut()
            .read_to_string()
            .unwrap()
            .contains("InvalidAction.NotFound")
    );
}

#[test]
fn garbage_requests_never_crash_the_server() {
    let server = Server::start(&[]);
    let base = format!("http://{}", server.addr);
    for path in [
        "/?%ZZ=%",
        "/?Action",
        "/?Signature=&AccessKeyId=&Timestamp=",
        "/?Action=DescribeInstances&PageSize=999999999999999999999",
        &format!("/?{}", enc("\u{0}\u{ffff}")),
    ] {
        let (status, _, _) = get(&format!("{base}{path}"), &[]);
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    let weird = vec![(
        "authorization".to_owned(),
        "ACS3-HMAC-SHA256 ,,,==,".to_owned(),
    )];
    assert_eq!(get(&format!("{base}/"), &weird).0, 400);
    // Still serving.
    assert_eq!(
        v1(
            &server,
            "alice-key",
            "alice-secret",
            &[("Action", "DescribeInstances")]
        )
        .0,
        200
    );
}

#[test]
fn sigterm_finishes_flushes_and_exits_zero_and_the_log_verifies() {
    let server = Server::start(&["--clock", "manual"]);
    for _ in 0..5 {
        assert!(alice(&server, &[("Action", "CreateInstance")])["InstanceId"].is_string());
    }
    let advanced = ops(&server, &[("Action", "AdvanceClock"), ("Seconds", "10")]);
    assert!(advanced["Time"].is_string(), "{advanced}");
    let data = server.data();
    let (code, _dir) = server.stop();
    assert_eq!(code, 0);
    let verify = common::cli::run(&data, &["verify"], "");
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    let log = common::cli::run(&data, &["log", "--json"], "");
    assert_eq!(
        common::cli::json_lines(&log.stdout).len(),
        15,
        "5 x (InstanceCreated + DiskCreated + Pending->Stopped)"
    );
}

#[test]
fn background_transitions_show_in_describe_without_a_command() {
    let server = Server::start(&["--durations", "1,1,1"]);
    let i = alice(&server, &[("Action", "CreateInstance")])["InstanceId"]
        .as_str()
        .unwrap()
        .to_owned();
    std::thread::sleep(std::time::Duration::from_millis(4000));
    // The ticker (every second) applied the creation: the status is visible
    // to a query (which would also apply it itself; check the log to be sure
    // the background did it first).
    let data = server.data();
    let (code, _dir) = server.stop();
    assert_eq!(code, 0);
    let log = common::cli::json_lines(&common::cli::run(&data, &["log", "--json"], "").stdout);
    assert!(
        log.iter()
            .any(|e| e["Type"] == "InstanceStatusChanged" && e["InstanceId"] == i.as_str()),
        "{log:?}"
    );
}

#[test]
fn an_open_server_acts_as_default_and_only_listens_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::cli::run(
        &dir.path().join("d"),
        &["serve", "--listen", "0.0.0.0:0"],
        "",
    );
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("refusing"), "{}", out.stderr);
    let dir = tempfile::tempdir().unwrap();
    let args = vec![
        "--data".to_owned(),
        dir.path().join("d").display().to_string(),
        "serve".into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
    ];
    let server = Server::spawn(args, dir);
    let (status, _, body) = get(
        &format!(
            "http://{}/?Action=CreateDisk&Size=20&Format=JSON",
            server.addr
        ),
        &[],
    );
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = get(
        &format!(
            "http://{}/?Action=LockInstance&InstanceId=i-nothere00001&LockReason=security&Format=JSON",
            server.addr
        ),
        &[],
    );
    assert_eq!(
        json(&body)["Code"],
        "InvalidInstanceId.NotFound",
        "open mode may call platform actions"
    );
}
