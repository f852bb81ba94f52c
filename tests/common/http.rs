//! A server process and a test-side request signer written independently of
//! the server's own code (so a signing bug cannot cancel itself out).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::cli::BIN;

pub const KEYS: &str = r#"[
 {"AccessKeyId":"alice-key","AccessKeySecret":"alice-secret","Account":"alice","Admin":false},
 {"AccessKeyId":"bob-key","AccessKeySecret":"bob-secret","Account":"bob","Admin":false},
 {"AccessKeyId":"ops-key","AccessKeySecret":"ops-secret","Account":"alice","Admin":true}
]"#;

pub struct Server {
    pub child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
}

impl Server {
    /// `serve` with the test keys on a free port (extra args appended).
    pub fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys.json");
        std::fs::write(&keys, KEYS).unwrap();
        let mut args: Vec<String> = vec![
            "--data".into(),
            dir.path().join("data").display().to_string(),
            "serve".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--access-keys".into(),
            keys.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::spawn(args, dir)
    }

    /// `serve` again on a directory a stopped server left (same keys and data).
    pub fn restart(dir: tempfile::TempDir) -> Server {
        let args: Vec<String> = vec![
            "--data".into(),
            dir.path().join("data").display().to_string(),
            "serve".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--access-keys".into(),
            dir.path().join("keys.json").display().to_string(),
        ];
        Self::spawn(args, dir)
    }

    pub fn spawn(args: Vec<String>, dir: tempfile::TempDir) -> Server {
        let mut child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("server did not start: {line:?}"))
            .to_owned();
        Server { child, addr, dir }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// SIGTERM; the exit code and the directory (kept alive for checks).
    pub fn stop(mut self) -> (i32, tempfile::TempDir) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let code = self
            .child
            .wait()
            .map(|s| s.code().unwrap_or(-1))
            .unwrap_or(-1);
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (code, dir)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// RFC 3986 percent-encoding, written out.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn now_iso() -> String {
    iso(unix_now())
}

pub fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn nonce() -> String {
    format!(
        "nonce-{}-{}",
        std::process::id(),
        NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// The query string of a v1-signed request.
pub fn v1_query(
    method: &str,
    key: &str,
    secret: &str,
    params: &[(&str, &str)],
    timestamp: &str,
    nonce: &str,
) -> String {
    let mut all: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in [
        ("AccessKeyId", key),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", timestamp),
        ("Version", "2014-05-26"),
    ] {
        all.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    let canonical: Vec<String> = all
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let canonical = canonical.join("&");
    let sts = format!("{method}&%2F&{}", enc(&canonical));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("{canonical}&Signature={}", enc(&sig))
}

/// The v3 `Authorization` value over `headers`, signing only the names in
/// `signed` (lower case, any order): for requests that leave headers unsigned.
pub fn v3_authorization(
    method: &str,
    key: &str,
    secret: &str,
    headers: &BTreeMap<String, String>,
    signed: &[&str],
    query: &[(&str, &str)],
    body: &[u8],
) -> String {
    let hash = hex::encode(Sha256::digest(body));
    let q: BTreeMap<&str, &str> = query.iter().copied().collect();
    let canonical_query: Vec<String> = q
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let mut names: Vec<&str> = signed.to_vec();
    names.sort_unstable();
    let canonical_headers: String = names
        .iter()
        .map(|k| {
            format!(
                "{k}:{}\n",
                headers.get(*k).map(String::as_str).unwrap_or("")
            )
        })
        .collect();
    let request = format!(
        "{method}\n/\n{}\n{canonical_headers}\n{}\n{hash}",
        canonical_query.join("&"),
        names.join(";")
    );
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(request.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    format!(
        "ACS3-HMAC-SHA256 Credential={key},SignedHeaders={},Signature={sig}",
        names.join(";")
    )
}

/// Headers (including Authorization) of a v3-signed request.
#[allow(clippy::too_many_arguments)]
pub fn v3_headers(
    method: &str,
    host: &str,
    key: &str,
    secret: &str,
    action: &str,
    query: &[(&str, &str)],
    body: &[u8],
    date: &str,
    nonce: &str,
) -> Vec<(String, String)> {
    let hash = hex::encode(Sha256::digest(body));
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    headers.insert("host".into(), host.into());
    headers.insert("x-acs-action".into(), action.into());
    headers.insert("x-acs-version".into(), "2014-05-26".into());
    headers.insert("x-acs-date".into(), date.into());
    headers.insert("x-acs-signature-nonce".into(), nonce.into());
    headers.insert("x-acs-content-sha256".into(), hash.clone());
    let q: BTreeMap<&str, &str> = query.iter().copied().collect();
    let canonical_query: Vec<String> = q
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<String> = headers.keys().cloned().collect();
    let request = format!(
        "{method}\n/\n{}\n{canonical_headers}\n{}\n{hash}",
        canonical_query.join("&"),
        signed.join(";")
    );
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(request.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let mut out: Vec<(String, String)> = headers.into_iter().filter(|(k, _)| k != "host").collect();
    out.push((
        "authorization".into(),
        format!(
            "ACS3-HMAC-SHA256 Credential={key},SignedHeaders={},Signature={sig}",
            signed.join(";")
        ),
    ));
    out
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// (status, content type, body) of a response.
fn unpack(mut resp: ureq::http::Response<ureq::Body>) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        ct,
        resp.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// (status, content type, body) of a GET.
pub fn get(url: &str, headers: &[(String, String)]) -> (u16, String, String) {
    let mut req = agent().get(url);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    unpack(req.call().unwrap())
}

/// (status, content type, body) of a POST with a form body.
pub fn post_form(url: &str, body: &str, headers: &[(String, String)]) -> (u16, String, String) {
    let mut req = agent()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    unpack(req.send(body).unwrap())
}

/// [`get`], or `None` when the server did not answer (gone, or the
/// connection broke).
pub fn try_get(url: &str) -> Option<(u16, String, String)> {
    agent().get(url).call().ok().map(unpack)
}
