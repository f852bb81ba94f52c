//! ECS response bodies: JSON or XML, success or error.
//!
//! Success XML has the root `<{Action}Response>`; a JSON list under a key
//! becomes that element repeated (`"Instance":[a,b]` is
//! `<Instance>a</Instance><Instance>b</Instance>`), as ECS renders it.
//! Errors are `{"RequestId","HostId","Code","Message","Recommend"}` or
//! `<Error>` with the same children.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Map, Value};

use crate::model::error::EcsError;

/// The response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json;charset=utf-8`.
    Json,
    /// `text/xml;charset=utf-8`.
    Xml,
}

impl Format {
    /// The `Format` parameter (any letter case), else the default.
    pub fn choose(param: Option<&str>, default: Format) -> Format {
        match param {
            Some(f) if f.eq_ignore_ascii_case("json") => Format::Json,
            Some(f) if f.eq_ignore_ascii_case("xml") => Format::Xml,
            _ => default,
        }
    }

    /// The Content-Type header value.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json;charset=utf-8",
            Format::Xml => "text/xml;charset=utf-8",
        }
    }
}

/// The body of a successful response.
pub fn success(format: Format, action: &str, body: &Value) -> String {
    match format {
        Format::Json => body.to_string(),
        Format::Xml => xml(&format!("{action}Response"), body),
    }
}

/// The error body: RequestId, HostId, Code, Message, Recommend.
pub fn error(format: Format, request_id: &str, host: &str, e: &EcsError) -> String {
    let mut map = Map::new();
    map.insert("RequestId".into(), Value::from(request_id));
    map.insert("HostId".into(), Value::from(host));
    map.insert("Code".into(), Value::from(e.code().as_str()));
    map.insert("Message".into(), Value::from(e.message()));
    map.insert(
        "Recommend".into(),
        Value::from(format!(
            "https://api.aliyun.com/troubleshoot?q={}&product=Ecs",
            e.code().as_str()
        )),
    );
    let body = Value::Object(map);
    match format {
        Format::Json => body.to_string(),
        Format::Xml => xml("Error", &body),
    }
}

fn xml(root: &str, body: &Value) -> String {
    let mut w = Writer::new(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    write_value(&mut w, root, body);
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn write_value(w: &mut Writer<Vec<u8>>, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                write_value(w, name, item);
            }
        }
        Value::Null => {
            let _ = w.write_event(Event::Empty(BytesStart::new(name)));
        }
        Value::Object(map) => {
            let _ = w.write_event(Event::Start(BytesStart::new(name)));
            for (k, v) in map {
                write_value(w, k, v);
            }
            let _ = w.write_event(Event::End(BytesEnd::new(name)));
        }
        scalar => {
            let text = match scalar {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = w.write_event(Event::Start(BytesStart::new(name)));
            let _ = w.write_event(Event::Text(BytesText::new(&text)));
            let _ = w.write_event(Event::End(BytesEnd::new(name)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::error::Code;
    use serde_json::json;

    #[test]
    fn lists_repeat_their_element_and_text_is_escaped() {
        let body = json!({"RequestId": "R", "Instances": {"Instance": [{"InstanceId": "i-1", "Name": "a<b&c"}, {"InstanceId": "i-2", "Name": ""}]}, "TotalCount": 2, "Ok": true, "X": null});
        let x = success(Format::Xml, "DescribeInstances", &body);
        assert!(x.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
        assert!(x.contains("<DescribeInstancesResponse><RequestId>R</RequestId><Instances><Instance><InstanceId>i-1</InstanceId><Name>a&lt;b&amp;c</Name></Instance><Instance><InstanceId>i-2</InstanceId><Name></Name></Instance></Instances><TotalCount>2</TotalCount><Ok>true</Ok><X/></DescribeInstancesResponse>"), "{x}");
    }

    #[test]
    fn error_bodies_carry_the_five_fields() {
        let e = EcsError::new(Code::InstanceNotFound);
        let j: Value = serde_json::from_str(&error(Format::Json, "R", "h", &e)).unwrap();
        assert_eq!(j["Code"], "InvalidInstanceId.NotFound");
        assert_eq!(j["HostId"], "h");
        assert!(
            j["Recommend"]
                .as_str()
                .unwrap()
                .contains("InvalidInstanceId.NotFound")
        );
        let x = error(Format::Xml, "R", "h", &e);
        assert!(x.contains("<Error><RequestId>R</RequestId><HostId>h</HostId><Code>InvalidInstanceId.NotFound</Code>"), "{x}");
    }

    #[test]
    fn the_format_parameter_is_case_insensitive() {
        assert_eq!(Format::choose(Some("xml"), Format::Json), Format::Xml);
        assert_eq!(Format::choose(Some("JSON"), Format::Xml), Format::Json);
        assert_eq!(Format::choose(None, Format::Xml), Format::Xml);
    }
}
