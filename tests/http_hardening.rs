//! The server as an attacker meets it: a v3 request cannot be changed in
//! flight, a nonce is refused again after a restart, idle and half-sent
//! connections are closed, and there is a cap on connections (docs/BEHAVIOUR.md §5).

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::http::{Server, get, nonce, now_iso, unix_now, v1_query, v3_authorization, v3_headers};
use serde_json::Value;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn alice(server: &Server, params: &[(&str, &str)]) -> Value {
    let mut p = params.to_vec();
    p.push(("Format", "JSON"));
    let q = v1_query("GET", "alice-key", "alice-secret", &p, &now_iso(), &nonce());
    json(&get(&format!("http://{}/?{q}", server.addr), &[]).2)
}

/// A released-ready instance of alice's: created, past its 5 s creation.
fn stopped_instance(server: &Server) -> String {
    let created = alice(server, &[("Action", "CreateInstance")]);
    let id = created["InstanceId"].as_str().unwrap().to_owned();
    let ops = |params: &[(&str, &str)]| {
        let mut p = params.to_vec();
        p.push(("Format", "JSON"));
        let q = v1_query("GET", "ops-key", "ops-secret", &p, &now_iso(), &nonce());
        json(&get(&format!("http://{}/?{q}", server.addr), &[]).2)
    };
    ops(&[("Action", "AdvanceClock"), ("Seconds", "10")]);
    id
}

fn instance_count(server: &Server) -> u64 {
    alice(server, &[("Action", "DescribeInstances")])["TotalCount"]
        .as_u64()
        .unwrap()
}

#[test]
fn v3_signed_headers_must_cover_host_content_type_and_every_x_acs_header() {
    let server = Server::start(&["--clock", "manual"]);
    let instance = stopped_instance(&server);
    // Finding 1: sign a DescribeInstances covering only three headers, then
    // change the unsigned x-acs-action to DeleteInstance in flight.
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    headers.insert("host".into(), server.addr.clone());
    headers.insert("x-acs-action".into(), "DescribeInstances".into());
    headers.insert("x-acs-version".into(), "2014-05-26".into());
    headers.insert("x-acs-date".into(), now_iso());
    headers.insert("x-acs-signature-nonce".into(), nonce());
    headers.insert(
        "x-acs-content-sha256".into(),
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"")),
    );
    let query = [("InstanceId", instance.as_str()), ("Force", "true")];
    let auth = v3_authorization(
        "GET",
        "alice-key",
        "alice-secret",
        &headers,
        &[
            "x-acs-content-sha256",
            "x-acs-date",
            "x-acs-signature-nonce",
        ],
        &query,
        b"",
    );
    headers.insert("x-acs-action".into(), "DeleteInstance".into());
    headers.insert("authorization".into(), auth);
    headers.remove("host");
    let sent: Vec<(String, String)> = headers.into_iter().collect();
    let url = format!("http://{}/?InstanceId={instance}&Force=true", server.addr);
    let (status, _, body) = get(&url, &sent);
    assert_eq!(status, 400, "{body}");
    assert_eq!(json(&body)["Code"], "IncompleteSignature", "{body}");
    assert!(body.contains("x-acs-action"), "names the header: {body}");
    assert_eq!(instance_count(&server), 1, "the instance was not released");

    // Each header that must be signed, left out in turn, is refused.
    for left_out in ["host", "x-acs-action", "x-acs-version"] {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        headers.insert("host".into(), server.addr.clone());
        headers.insert("x-acs-action".into(), "DescribeInstances".into());
        headers.insert("x-acs-version".into(), "2014-05-26".into());
        headers.insert("x-acs-date".into(), now_iso());
        headers.insert("x-acs-signature-nonce".into(), nonce());
        headers.insert(
            "x-acs-content-sha256".into(),
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"")),
        );
        let signed: Vec<&str> = headers
            .keys()
            .map(String::as_str)
            .filter(|k| *k != left_out)
            .collect();
        let auth = v3_authorization(
            "GET",
            "alice-key",
            "alice-secret",
            &headers,
            &signed,
            &[],
            b"",
        );
        headers.insert("authorization".into(), auth);
        headers.remove("host");
        let sent: Vec<(String, String)> = headers.into_iter().collect();
        let (status, _, body) = get(&format!("http://{}/", server.addr), &sent);
        assert_eq!(
            (status, json(&body)["Code"].as_str().unwrap_or_default()),
            (400, "IncompleteSignature"),
            "{left_out} unsigned: {body}"
        );
    }
    // Signing everything still works.
    let headers = v3_headers(
        "GET",
        &server.addr,
        "alice-key",
        "alice-secret",
        "DescribeInstances",
        &[],
        b"",
        &now_iso(),
        &nonce(),
    );
    let (status, _, body) = get(&format!("http://{}/", server.addr), &headers);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_nonce_is_refused_after_a_restart_within_its_window() {
    let server = Server::start(&[]);
    // Finding 2: a signed v1 CreateDisk, replayed after a restart.
    let q = v1_query(
        "GET",
        "alice-key",
        "alice-secret",
        &[("Action", "CreateDisk"), ("Size", "20"), ("Format", "JSON")],
        &now_iso(),
        "nonce-kept-across-restarts",
    );
    let url = format!("http://{}/?{q}", server.addr);
    let (status, _, body) = get(&url, &[]);
    assert_eq!(status, 200, "{body}");
    let (code, dir) = server.stop();
    assert_eq!(code, 0);
    let server = Server::restart(dir);
    let url = format!("http://{}/?{q}", server.addr);
    let (status, _, body) = get(&url, &[]);
    assert_eq!(status, 400, "{body}");
    assert_eq!(json(&body)["Code"], "SignatureNonceUsed", "{body}");
    let disks = alice(&server, &[("Action", "DescribeDisks")]);
    assert_eq!(disks["TotalCount"], 1, "one disk, not two: {disks}");
    // A timestamp older than the window is refused on its own.
    let old = common::http::iso(unix_now() - 20 * 60);
    let q = v1_query(
        "GET",
        "alice-key",
        "alice-secret",
        &[("Action", "CreateDisk"), ("Size", "20"), ("Format", "JSON")],
        &old,
        "nonce-kept-across-restarts",
    );
    let (_, _, body) = get(&format!("http://{}/?{q}", server.addr), &[]);
    assert_eq!(json(&body)["Code"], "InvalidTimeStamp.Expired", "{body}");
}

/// True when the server closed the connection (EOF or reset) within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream
        .set_read_timeout(Some(within))
        .expect("set a read timeout");
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 or similar before closing
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true, // reset
        }
    }
}

#[test]
fn idle_and_half_sent_connections_are_closed_after_the_idle_timeout() {
    let server = Server::start(&["--idle-timeout-secs", "1"]);
    // Finding 3: idle connections and slowloris connections (half a request
    // line, then nothing) are held no longer than the timeout.
    let mut idle: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    let mut slow: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut s = TcpStream::connect(&server.addr).unwrap();
            s.write_all(b"GET /?Action=DescribeInstances HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    for s in idle.iter_mut().chain(slow.iter_mut()) {
        assert!(
            closed_within(s, Duration::from_secs(5)),
            "a connection is still open after {:?}",
            started.elapsed()
        );
    }
    // A half-sent body is answered (408) and closed too.
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=Cre",
    )
    .unwrap();
    let mut answer = String::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    // The server still answers.
    assert_eq!(instance_count(&server), 0);
}

#[test]
fn connections_beyond_the_cap_wait_until_a_slot_frees() {
    let server = Server::start(&["--idle-timeout-secs", "2", "--max-connections", "4"]);
    let held: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    // With every slot taken by an idle connection, a request waits for the
    // idle ones to time out, then is answered.
    let started = Instant::now();
    assert_eq!(instance_count(&server), 0);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "answered at once although every slot was taken ({:?})",
        started.elapsed()
    );
    drop(held);
}
