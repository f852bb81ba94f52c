//! Typed, validated identifiers: resources, accounts, requests and events.
//!
//! Every identifier that crosses the boundary of the model is parsed here, so a
//! value of one of these types is always well formed (docs/BEHAVIOUR.md §1). Parsing
//! errors carry no parameter name: the parameter layer ([`crate::model::params`])
//! knows which parameter it was reading and turns an [`IdError`] into
//! `InvalidParameter` naming it.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::model::ctx::IdSource;
use crate::model::limits;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The value does not start with the prefix the resource kind requires.
    #[error("expected the prefix {expected:?}")]
    Prefix {
        /// The prefix this kind of id must start with.
        expected: &'static str,
    },
    /// The part after the prefix is too short or too long.
    #[error("expected {min}-{max} characters after the prefix, got {got}")]
    Length {
        /// Minimum number of characters after the prefix.
        min: usize,
        /// Maximum number of characters after the prefix.
        max: usize,
        /// Number of characters found.
        got: usize,
    },
    /// A character outside the allowed alphabet.
    #[error("character {0:?} is not allowed")]
    Character(char),
}

/// Checks `^{prefix}[0-9a-z]{8,32}$` (docs/BEHAVIOUR.md §1).
fn check_resource_id(value: &str, prefix: &'static str) -> Result<(), IdError> {
    let rest = value
        .strip_prefix(prefix)
        .ok_or(IdError::Prefix { expected: prefix })?;
    if let Some(&bad) = rest
        .as_bytes()
        .iter()
        .find(|b| !(b.is_ascii_digit() || b.is_ascii_lowercase()))
    {
        // Report the whole character, not a byte of it.
        let c = rest[rest.as_bytes().iter().position(|b| *b == bad).unwrap_or(0)..]
            .chars()
            .next()
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        return Err(IdError::Character(c));
    }
    let got = rest.len();
    if !(limits::ID_BODY_MIN..=limits::ID_BODY_MAX).contains(&got) {
        return Err(IdError::Length {
            min: limits::ID_BODY_MIN,
            max: limits::ID_BODY_MAX,
            got,
        });
    }
    Ok(())
}

/// A string visitor shared by the identifier deserializers: it validates while
/// decoding, so a log record whose checksum is right but whose content is not a
/// valid id is an error, never a panic.
struct ParseVisitor<T>(fn(&str) -> Result<T, IdError>, &'static str);

impl<T> Visitor<'_> for ParseVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(|e| E::custom(format!("invalid {}: {e}", self.1)))
    }
}

macro_rules! resource_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal, generated: $gen:literal) => {
        $(#[$doc])*
        /// (Shared, immutable text: clones are a reference count.)
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// Parses and validates an id (`^prefix[0-9a-z]{8,32}$`).
            pub fn parse(value: &str) -> Result<Self, IdError> {
                check_resource_id(value, $prefix)?;
                Ok(Self(Arc::from(value)))
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A fresh id drawn from `ids`: the prefix plus
            /// [`limits::GENERATED_ID_BODY`] characters of `[0-9a-z]`.
            #[allow(dead_code)]
            pub(crate) fn generate(ids: &IdSource) -> Self {
                debug_assert!($gen, "this kind of id is given by the caller");
                Self(Arc::from(format!("{}{}", $prefix, ids.next_base36(limits::GENERATED_ID_BODY))))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // Hash, Eq and Ord are the inner text's, so maps keyed by ids can be
        // looked up by `&str` without parsing.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(ParseVisitor(Self::parse, $what))
            }
        }
    };
}

resource_id!(
    /// An ECS instance id, `i-` followed by 8-32 characters of `[0-9a-z]`.
    ///
    /// ```
    /// use ecs_ledger::model::id::InstanceId;
    /// assert!(InstanceId::parse("i-bp67acfmxazb4p").is_ok());
    /// assert!(InstanceId::parse("i-SHORT").is_err());
    /// ```
    InstanceId, "i-", "instance id", generated: true
);
resource_id!(
    /// A disk id, `d-` followed by 8-32 characters of `[0-9a-z]`.
    DiskId, "d-", "disk id", generated: true
);
resource_id!(
    /// A snapshot id, `s-` followed by 8-32 characters of `[0-9a-z]`.
    SnapshotId, "s-", "snapshot id", generated: true
);
resource_id!(
    /// A VPC route table id, `vtb-` followed by 8-32 characters; given by the caller.
    RouteTableId, "vtb-", "route table id", generated: false
);
resource_id!(
    /// A load balancer id, `lb-` followed by 8-32 characters; given by the caller.
    LoadBalancerId, "lb-", "load balancer id", generated: false
);

/// The account a command runs as and a resource belongs to.
///
/// 1-64 characters of `[A-Za-z0-9_.@-]`, starting with a letter or digit.
/// Resources of another account are reported as not found (docs/BEHAVIOUR.md §1).
///
/// ```
/// use ecs_ledger::model::id::Account;
/// assert_eq!(Account::default().as_str(), "default");
/// assert!(Account::parse("team-a@example").is_ok());
/// assert!(Account::parse("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Account(Arc<str>);

impl Account {
    /// The account used when a command names none.
    pub const DEFAULT: &'static str = "default";

    /// Parses and validates an account name.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let mut chars = value.chars();
        match chars.next() {
            None => {
                return Err(IdError::Length {
                    min: 1,
                    max: limits::ACCOUNT_MAX,
                    got: 0,
                });
            }
            Some(c) if !c.is_ascii_alphanumeric() => return Err(IdError::Character(c)),
            Some(_) => {}
        }
        if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || "_.@-".contains(*c))) {
            return Err(IdError::Character(bad));
        }
        if value.len() > limits::ACCOUNT_MAX {
            return Err(IdError::Length {
                min: 1,
                max: limits::ACCOUNT_MAX,
                got: value.len(),
            });
        }
        Ok(Self(Arc::from(value)))
    }

    /// The account name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Account {
    fn default() -> Self {
        Self(Arc::from(Self::DEFAULT))
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Account {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(ParseVisitor(Self::parse, "account"))
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// Wraps a UUID.
            pub fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }

            /// The UUID inside.
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }

            /// Parses a hyphenated UUID in either letter case.
            pub fn parse(value: &str) -> Result<Self, uuid::Error> {
                uuid::Uuid::parse_str(value).map(Self)
            }
        }

        /// Upper-case hyphenated, like `928E2273-5715-46B9-A730-238DC996A533`.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = uuid::Uuid::encode_buffer();
                f.write_str(self.0.hyphenated().encode_upper(&mut buf))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        /// A string in human-readable formats (JSON), 16 bytes in bincode.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.collect_str(self)
                } else {
                    s.serialize_bytes(self.0.as_bytes())
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(E::custom)
                    }
                    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<$name, E> {
                        uuid::Uuid::from_slice(v).map($name).map_err(E::custom)
                    }
                }
                if d.is_human_readable() {
                    d.deserialize_str(V)
                } else {
                    d.deserialize_bytes(V)
                }
            }
        }
    };
}

uuid_id!(
    /// The id of one request, shown to clients upper-case and hyphenated.
    ///
    /// ```
    /// use ecs_ledger::model::id::RequestId;
    /// let id = RequestId::parse("928e2273-5715-46b9-a730-238dc996a533").unwrap();
    /// assert_eq!(id.to_string(), "928E2273-5715-46B9-A730-238DC996A533");
    /// ```
    RequestId, "request id"
);
uuid_id!(
    /// The id of one recorded event.
    EventId, "event id"
);

impl EventId {
    /// The id of the event at `seq` caused by request `request`: a function
    /// of the two (version-4 shaped), so the log need not store it.
    ///
    /// ```
    /// use ecs_ledger::model::id::{EventId, RequestId};
    /// let r = RequestId::from_uuid(uuid::Uuid::nil());
    /// assert_eq!(EventId::derived(&r, 7), EventId::derived(&r, 7));
    /// assert_ne!(EventId::derived(&r, 7), EventId::derived(&r, 8));
    /// ```
    pub fn derived(request: &RequestId, seq: u64) -> EventId {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"ecs-ledger/event-id/v1");
        h.update(request.as_uuid().as_bytes());
        h.update(seq.to_le_bytes());
        let full: [u8; 32] = h.finalize().into();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&full[..16]);
        EventId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }
}
