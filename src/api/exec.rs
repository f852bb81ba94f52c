//! `ecs-ledger exec`: one JSON object per input line, one JSON line out per
//! input line (docs/BEHAVIOUR.md §5).
//!
//! Input: an action's parameters in ECS flat form, values strings, numbers or
//! booleans, plus optional `Account` (default `default`) and `At` (RFC 3339).
//! Output: `{"Status":200,"Body":{...},"Events":[...]}`, or on error
//! `{"Status":4xx,"Body":{"RequestId":..,"Code":..,"Message":..},"Events":[]}`.

use serde_json::{Map, Value};

use crate::ledger::{Reply, Request};
use crate::model::error::{Code, EcsError};
use crate::model::id::Account;
use crate::model::params::Params;
use crate::model::time::Timestamp;

/// Parses one input line into a request, or the error that answers it.
///
/// ```
/// use ecs_ledger::api::exec::parse_line;
/// let r = parse_line(r#"{"Action":"CreateInstance","DataDisk.1.Size":40,"DryRun":true}"#).unwrap();
/// assert_eq!(r.action, "CreateInstance");
/// assert_eq!(r.params.get("DataDisk.1.Size"), Some("40"));
/// assert_eq!(r.params.get("DryRun"), Some("true"));
/// assert!(parse_line("[1,2]").is_err());
/// ```
pub fn parse_line(line: &str) -> Result<Request, EcsError> {
    let value: Value = serde_json::from_str(line).map_err(|e| {
        EcsError::with_message(
            Code::MalformedRequest,
            format!("{} ({e})", Code::MalformedRequest.template()),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(EcsError::new(Code::MalformedRequest));
    };
    from_map(map)
}

/// Parses one input line as read (its line ending included or not): a line
/// that is not UTF-8 is `InvalidRequest.Malformed`, like any other bad line.
///
/// ```
/// use ecs_ledger::api::exec::parse_line_bytes;
/// assert!(parse_line_bytes(b"{\"Action\":\"CreateDisk\",\"Size\":20}\r\n").is_ok());
/// let e = parse_line_bytes(b"\xff\n").unwrap_err();
/// assert_eq!(e.code().as_str(), "InvalidRequest.Malformed");
/// ```
pub fn parse_line_bytes(line: &[u8]) -> Result<Request, EcsError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = std::str::from_utf8(line).map_err(|e| {
        EcsError::with_message(
            Code::MalformedRequest,
            format!(
                "{} (the line is not valid UTF-8: {e})",
                Code::MalformedRequest.template()
            ),
        )
    })?;
    parse_line(text)
}

/// A request from a JSON object of parameters.
pub fn from_map(map: Map<String, Value>) -> Result<Request, EcsError> {
    let mut params = Params::new();
    for (name, value) in map {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null | Value::Array(_) | Value::Object(_) => {
                return Err(EcsError::with_message(
                    Code::MalformedRequest,
                    format!("The value of parameter {name} must be a string, number or boolean."),
                ));
            }
        };
        params.insert(name, text);
    }
    let action = params.remove("Action").unwrap_or_default();
    if action.is_empty() {
        return Err(EcsError::missing("Action"));
    }
    let account = match params.remove("Account") {
        None => Account::default(),
        Some(a) => Account::parse(&a).map_err(|e| EcsError::invalid_because("Account", e))?,
    };
    let at = match params.remove("At") {
        None => None,
        Some(t) => {
            Some(Timestamp::parse_rfc3339(&t).map_err(|e| EcsError::invalid_because("At", e))?)
        }
    };
    Ok(Request {
        action,
        params,
        account,
        at,
        nonce: None,
    })
}

/// The output line for a reply: `{"Status":..,"Body":..,"Events":[..]}`.
pub fn render(reply: &Reply) -> String {
    let mut out = String::with_capacity(256 + 400 * reply.events().len());
    out.push_str("{\"Status\":");
    out.push_str(&reply.status().to_string());
    out.push_str(",\"Body\":");
    out.push_str(&reply.body().to_string());
    out.push_str(",\"Events\":[");
    for (n, event) in reply.events().iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        event.write_json(&mut out);
    }
    out.push_str("]}");
    out
}
