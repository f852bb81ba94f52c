//! Request signatures: v1 (`HMAC-SHA1` in the query string, the classic RPC
//! signature) and v3 (`ACS3-HMAC-SHA256` in the `Authorization` header), as
//! the official SDKs compute them; timestamp skew and nonce replay checks.
//!
//! v1: StringToSign = `METHOD&%2F&` + encode(sorted `k=v` of every parameter
//! but `Signature`, each encoded, joined by `&`); signature =
//! base64(HMAC-SHA1(secret + "&", StringToSign)).
//!
//! v3: CanonicalRequest = METHOD `\n` `/` `\n` sorted encoded query `\n`
//! `name:value\n` for each signed header `\n` signed header names `\n`
//! `x-acs-content-sha256`; StringToSign = `ACS3-HMAC-SHA256\n` +
//! hex(SHA-256(CanonicalRequest)); signature = hex(HMAC-SHA256(secret, StringToSign)).

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::keys::{AccessKey, AccessKeys};
use crate::api::encoding::encode;
use crate::core::nonce::Nonce;
use crate::model::error::{Code, EcsError};
use crate::model::time::Timestamp;

pub use crate::ledger::nonce::MAX_SKEW_SECS;

/// The v3 algorithm name.
pub const ACS3: &str = "ACS3-HMAC-SHA256";

/// What the server needs of an HTTP request to check its signature.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    /// `GET` or `POST`.
    pub method: String,
    /// The path (always `/` for RPC).
    pub path: String,
    /// Query string pairs, decoded.
    pub query: Vec<(String, String)>,
    /// Form body pairs, decoded.
    pub form: Vec<(String, String)>,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Parts {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Query and form parameters merged (form wins on a clash).
    pub fn params(&self) -> BTreeMap<String, String> {
        self.query
            .iter()
            .chain(self.form.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Which signature a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HMAC-SHA1 in the query string.
    V1,
    /// ACS3-HMAC-SHA256 in the Authorization header.
    V3,
}

/// v1 StringToSign over every parameter but `Signature`.
pub fn v1_string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    let canonical: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{method}&%2F&{}", encode(&canonical.join("&")))
}

/// v1 signature: base64(HMAC-SHA1(secret + "&", string_to_sign)).
pub fn v1_sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(), // HMAC takes keys of any length
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// v3 canonical request.
pub fn v3_canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, EcsError> {
    let sorted: BTreeMap<&str, &str> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let canonical_query: Vec<String> = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let mut values: Vec<&str> = headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect();
        if values.is_empty() {
            return Err(EcsError::with_message(
                Code::SignatureDoesNotMatch,
                format!(
                    "{} The signed header {name} is missing.",
                    Code::SignatureDoesNotMatch.template()
                ),
            ));
        }
        values.sort_unstable();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let path = if path.is_empty() { "/" } else { path };
    Ok(format!(
        "{method}\n{path}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        canonical_query.join("&"),
        signed_headers.join(";")
    ))
}

/// v3 signature: hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical)))).
pub fn v3_sign(secret: &str, canonical_request: &str) -> String {
    let string_to_sign = format!(
        "{ACS3}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// True for a header a v3 signature must cover: `host`, `content-type` and
/// every `x-acs-*` header (the action and version travel in `x-acs-action`
/// and `x-acs-version`: left unsigned, they could be changed in flight).
pub fn must_be_signed(name: &str) -> bool {
    name == "host" || name == "content-type" || name.starts_with("x-acs-")
}

/// `IncompleteSignature` naming every header that must be signed and is not.
fn unsigned_header(parts: &Parts, signed: &[String]) -> Result<(), EcsError> {
    let mut unsigned: Vec<&str> = parts
        .headers
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| must_be_signed(name) && !signed.iter().any(|s| s == name))
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    unsigned.sort_unstable();
    unsigned.dedup();
    Err(EcsError::with_message(
        Code::IncompleteSignature,
        format!(
            "{} SignedHeaders must cover host, content-type and every x-acs-* header; not signed: {}.",
            Code::IncompleteSignature.template(),
            unsigned.join(", ")
        ),
    ))
}

/// Constant-time comparison of two signatures.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The parsed `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The AccessKeyId.
    pub credential: String,
    /// Lower-case header names, as listed.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

impl Authorization {
    /// Parses the header value.
    pub fn parse(value: &str) -> Result<Self, EcsError> {
        let incomplete = |why: &str| {
            EcsError::with_message(
                Code::IncompleteSignature,
                format!("{} {why}", Code::IncompleteSignature.template()),
            )
        };
        let rest = value
            .strip_prefix(ACS3)
            .ok_or_else(|| incomplete("Unsupported Authorization algorithm."))?;
        let mut fields: HashMap<&str, &str> = HashMap::new();
        for part in rest.trim().split(',') {
            if let Some((k, v)) = part.trim().split_once('=') {
                fields.insert(k.trim(), v.trim());
            }
        }
        let get = |k: &str| {
            fields
                .get(k)
                .filter(|v| !v.is_empty())
                .map(|v| v.to_string())
                .ok_or_else(|| incomplete(&format!("Authorization lacks {k}.")))
        };
        Ok(Self {
            credential: get("Credential")?,
            signed_headers: get("SignedHeaders")?
                .split(';')
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            signature: get("Signature")?,
        })
    }
}

/// Who signed a request, and the nonce it must not reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The key.
    pub key: AccessKey,
    /// Which signature it used.
    pub version: Version,
    /// The signature nonce. The verifier checks the signature only; the
    /// ledger refuses a reused nonce, remembering each durably in the same
    /// atomic write as the request it came with (so a restart forgets none).
    pub nonce: Nonce,
}

/// Checks signatures against the configured keys.
#[derive(Debug)]
pub struct Verifier {
    keys: AccessKeys,
}

impl Verifier {
    /// A verifier for these keys.
    pub fn new(keys: AccessKeys) -> Self {
        Self { keys }
    }

    /// The request's date, if within the allowed skew of `now`.
    fn skew(timestamp: &str, now: Timestamp) -> Result<Timestamp, EcsError> {
        let t = Timestamp::parse_rfc3339(timestamp)
            .map_err(|_| EcsError::new(Code::TimestampFormat))?;
        if (t.unix() - now.unix()).abs() > MAX_SKEW_SECS {
            return Err(EcsError::new(Code::TimestampExpired));
        }
        Ok(t)
    }

    fn key(&self, id: &str) -> Result<&AccessKey, EcsError> {
        self.keys
            .get(id)
            .ok_or_else(|| EcsError::new(Code::AccessKeyNotFound))
    }

    /// Checks the request's signature at server time `now`.
    pub fn verify(&self, parts: &Parts, now: Timestamp) -> Result<Identity, EcsError> {
        match parts.header("authorization") {
            Some(auth) if auth.starts_with(ACS3) => self.verify_v3(parts, auth, now),
            Some(_) => Err(EcsError::with_message(
                Code::IncompleteSignature,
                format!(
                    "{} Unsupported Authorization algorithm.",
                    Code::IncompleteSignature.template()
                ),
            )),
            None => self.verify_v1(parts, now),
        }
    }

    fn verify_v1(&self, parts: &Parts, now: Timestamp) -> Result<Identity, EcsError> {
        let params = parts.params();
        let need = |k: &str| {
            params.get(k).filter(|v| !v.is_empty()).ok_or_else(|| {
                EcsError::with_message(
                    Code::IncompleteSignature,
                    format!(
                        "{} The parameter {k} is missing.",
                        Code::IncompleteSignature.template()
                    ),
                )
            })
        };
        let signature = need("Signature")?;
        let key_id = need("AccessKeyId")?;
        let method = need("SignatureMethod")?;
        let version = need("SignatureVersion")?;
        let nonce = need("SignatureNonce")?;
        let timestamp = need("Timestamp")?;
        if method != "HMAC-SHA1" || version != "1.0" {
            return Err(EcsError::with_message(
                Code::IncompleteSignature,
                format!(
                    "{} Only SignatureMethod HMAC-SHA1 with SignatureVersion 1.0 is supported.",
                    Code::IncompleteSignature.template()
                ),
            ));
        }
        let key = self.key(key_id)?;
        let signed = Self::skew(timestamp, now)?;
        let string_to_sign = v1_string_to_sign(&parts.method, &params);
        if !same(&v1_sign(&key.secret, &string_to_sign), signature) {
            return Err(EcsError::with_message(
                Code::SignatureDoesNotMatch,
                format!(
                    "{} server string to sign is:{string_to_sign}",
                    Code::SignatureDoesNotMatch.template()
                ),
            ));
        }
        Ok(Identity {
            key: key.clone(),
            version: Version::V1,
            nonce: Nonce::new(key_id, nonce, now).signed_at(signed),
        })
    }

    fn verify_v3(&self, parts: &Parts, auth: &str, now: Timestamp) -> Result<Identity, EcsError> {
        let auth = Authorization::parse(auth)?;
        for required in [
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        ] {
            if parts.header(required).is_none_or(str::is_empty)
                || !auth.signed_headers.iter().any(|h| h == required)
            {
                return Err(EcsError::with_message(
                    Code::IncompleteSignature,
                    format!(
                        "{} The header {required} is missing or not signed.",
                        Code::IncompleteSignature.template()
                    ),
                ));
            }
        }
        unsigned_header(parts, &auth.signed_headers)?;
        let key = self.key(&auth.credential)?;
        let signed = Self::skew(parts.header("x-acs-date").unwrap_or_default(), now)?;
        let payload_hash = parts.header("x-acs-content-sha256").unwrap_or_default();
        if !same(&hex::encode(Sha256::digest(&parts.body)), payload_hash) {
            return Err(EcsError::with_message(
                Code::SignatureDoesNotMatch,
                format!(
                    "{} x-acs-content-sha256 is not the hash of the body.",
                    Code::SignatureDoesNotMatch.template()
                ),
            ));
        }
        let canonical = v3_canonical_request(
            &parts.method,
            &parts.path,
            &parts.query,
            &parts.headers,
            &auth.signed_headers,
            payload_hash,
        )?;
        if !same(&v3_sign(&key.secret, &canonical), &auth.signature) {
            return Err(EcsError::with_message(
                Code::SignatureDoesNotMatch,
                format!(
                    "{} server canonical request is:{canonical}",
                    Code::SignatureDoesNotMatch.template()
                ),
            ));
        }
        Ok(Identity {
            key: key.clone(),
            version: Version::V3,
            nonce: Nonce::new(
                &auth.credential,
                parts.header("x-acs-signature-nonce").unwrap_or_default(),
                now,
            )
            .signed_at(signed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed by aliyun-python-sdk-core 2.16.1's own rpc_signature_composer.
    #[test]
    fn v1_matches_the_core_sdk_vector() {
        let params: BTreeMap<String, String> = [
            ("Action", "DeleteInstance"),
            ("InstanceId", "i-bp67acfmxazb4p1"),
            ("Force", "true"),
            ("Format", "JSON"),
            ("Version", "2014-05-26"),
            ("Timestamp", "2026-01-01T00:00:00Z"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureType", ""),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("AccessKeyId", "testid"),
            ("Note", "a b*c~d/e"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let sts = v1_string_to_sign("POST", &params);
        assert_eq!(
            sts,
            "POST&%2F&AccessKeyId%3Dtestid%26Action%3DDeleteInstance%26Force%3Dtrue%26Format%3DJSON%26InstanceId%3Di-bp67acfmxazb4p1%26Note%3Da%2520b%252Ac~d%252Fe%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2026-01-01T00%253A00%253A00Z%26Version%3D2014-05-26"
        );
        assert_eq!(v1_sign("testsecret", &sts), "LosDPRFUNKXsi9VJDcgVZkM3kp4=");
    }

    /// Computed by alibabacloud-tea-openapi 0.4.6's Utils.get_authorization.
    #[test]
    fn v3_matches_the_tea_openapi_vector() {
        let query: Vec<(String, String)> = [
            ("InstanceId", "i-bp67acfmxazb4p1"),
            ("Force", "true"),
            ("Note", "a b*c~d/e"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let headers: Vec<(String, String)> = [
            ("host", "127.0.0.1:8080"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-action", "DeleteInstance"),
            ("user-agent", "test-agent"),
            ("x-acs-date", "2026-01-01T00:00:00Z"),
            ("x-acs-signature-nonce", "abc123"),
            ("accept", "application/json"),
            (
                "x-acs-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let auth = Authorization::parse("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=623d402047befc8de534211c90e8daa6644ed03d61b7382c360698bc261cbe9a").unwrap();
        let canonical = v3_canonical_request(
            "POST",
            "/",
            &query,
            &headers,
            &auth.signed_headers,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )
        .unwrap();
        assert_eq!(v3_sign("testsecret", &canonical), auth.signature);
    }

    #[test]
    fn authorization_headers_missing_parts_are_incomplete() {
        for bad in [
            "ACS3-HMAC-SHA256",
            "ACS3-HMAC-SHA256 Credential=a",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
            "HMAC x",
        ] {
            assert_eq!(
                Authorization::parse(bad).unwrap_err().code(),
                Code::IncompleteSignature,
                "{bad}"
            );
        }
    }
}
