//! Percent-encoding as Alibaba Cloud's signatures use it: RFC 3986, every
//! byte except `A-Z a-z 0-9 - _ . ~` as `%XX` in upper-case hex (so a space is
//! `%20`, `*` is `%2A`, `~` stays).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the RFC 3986 unreserved characters.
pub const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `value`.
///
/// ```
/// use ecs_ledger::api::encoding::encode;
/// assert_eq!(encode("a b*c~d/e"), "a%20b%2Ac~d%2Fe");
/// ```
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, RESERVED).to_string()
}
