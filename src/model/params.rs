//! Request parameters in ECS's flat form, and typed getters over them.
//!
//! Both wire interfaces (exec lines and HTTP) reduce a request to [`Params`]:
//! names to string values, repeated parameters flattened (`DataDisk.1.Size`,
//! `InstanceId.2`). The getters here turn values into typed ones and produce
//! the errors docs/BEHAVIOUR.md §5 asks for: `MissingParameter` for an absent or
//! empty mandatory value, `InvalidParameter` naming the parameter for a bad one.
//! Parameters the model does not read are simply never looked at.

use std::collections::BTreeMap;

use crate::model::error::{Code, EcsError};
use crate::model::id::{DiskId, InstanceId, LoadBalancerId, RouteTableId, SnapshotId};
use crate::model::limits;

/// A request's parameters, by name.
///
/// ```
/// use ecs_ledger::model::params::Params;
/// let p = Params::from_pairs([("Force", "True"), ("Size", "40")]);
/// assert_eq!(p.bool_or("Force", false).unwrap(), true);
/// assert_eq!(p.u32_in("Size", 20..=100).unwrap(), Some(40));
/// assert!(p.bool_or("DryRun", false).is_ok());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// From name/value pairs; a later pair replaces an earlier one of the same name.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// Sets a parameter.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// Removes a parameter, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// The raw value, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// All parameters in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value, or `MissingParameter` when absent or empty.
    pub fn required(&self, name: &str) -> Result<&str, EcsError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(EcsError::missing(name)),
        }
    }

    /// The value if present and non-empty (an empty value counts as absent, as ECS does).
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A boolean (`true`/`false` in any letter case); `default` when absent.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, EcsError> {
        Ok(self.bool_opt(name)?.unwrap_or(default))
    }

    /// A boolean, `None` when absent.
    pub fn bool_opt(&self, name: &str) -> Result<Option<bool>, EcsError> {
        match self.optional(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(EcsError::invalid_because(name, "It must be true or false.")),
        }
    }

    /// An integer within `range`, `None` when absent.
    pub fn u32_in(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<Option<u32>, EcsError> {
        let Some(v) = self.optional(name) else {
            return Ok(None);
        };
        match v.trim().parse::<u32>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(EcsError::invalid_because(
                name,
                format!(
                    "It must be an integer from {} to {}.",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// One of `choices` (exact match), `None` when absent.
    pub fn choice<'a>(&self, name: &str, choices: &[&'a str]) -> Result<Option<&'a str>, EcsError> {
        let Some(v) = self.optional(name) else {
            return Ok(None);
        };
        choices
            .iter()
            .copied()
            .find(|c| *c == v)
            .map(Some)
            .ok_or_else(|| {
                EcsError::invalid_because(name, format!("Valid values: {}.", choices.join(", ")))
            })
    }

    /// Free text up to [`limits::TEXT_MAX`] characters, `None` when absent.
    pub fn text(&self, name: &str) -> Result<Option<String>, EcsError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.chars().count() > limits::TEXT_MAX => Err(EcsError::invalid_because(
                name,
                format!("It must be at most {} characters.", limits::TEXT_MAX),
            )),
            Some(v) => Ok(Some(v.to_owned())),
        }
    }

    /// The `ClientToken`: at most 64 ASCII characters (docs/BEHAVIOUR.md §3).
    pub fn client_token(&self) -> Result<Option<String>, EcsError> {
        match self.optional("ClientToken") {
            None => Ok(None),
            Some(v)
                if v.len() <= limits::CLIENT_TOKEN_MAX
                    && v.bytes().all(|b| b.is_ascii() && !b.is_ascii_control()) =>
            {
                Ok(Some(v.to_owned()))
            }
            Some(_) => Err(EcsError::invalid_because(
                "ClientToken",
                "It must be at most 64 printable ASCII characters.",
            )),
        }
    }

    /// The indices `N` of parameters named `{prefix}.N` or `{prefix}.N.{...}`, sorted.
    ///
    /// A name with the prefix whose `N` is not a positive integer is
    /// `InvalidParameter` naming it.
    pub fn indices(&self, prefix: &str) -> Result<Vec<u32>, EcsError> {
        let mut found = std::collections::BTreeSet::new();
        let dotted = format!("{prefix}.");
        for (name, _) in self.0.range(dotted.clone()..) {
            let Some(rest) = name.strip_prefix(&dotted) else {
                break;
            };
            let n_str = rest.split('.').next().unwrap_or_default();
            match n_str.parse::<u32>() {
                Ok(n) if n >= 1 && !n_str.starts_with('0') => {
                    found.insert(n);
                }
                _ => return Err(EcsError::invalid(name)),
            }
        }
        Ok(found.into_iter().collect())
    }
}

macro_rules! id_getters {
    ($( $req:ident, $opt:ident, $ty:ty; )*) => {
        impl Params {
            $(
                #[doc = concat!("A mandatory [`", stringify!($ty), "`]: `MissingParameter` when absent or empty, `InvalidParameter` when malformed.")]
                pub fn $req(&self, name: &str) -> Result<$ty, EcsError> {
                    <$ty>::parse(self.required(name)?).map_err(|_| EcsError::invalid(name))
                }

                #[doc = concat!("An optional [`", stringify!($ty), "`]: `InvalidParameter` when malformed.")]
                pub fn $opt(&self, name: &str) -> Result<Option<$ty>, EcsError> {
                    self.optional(name)
                        .map(|v| <$ty>::parse(v).map_err(|_| EcsError::invalid(name)))
                        .transpose()
                }
            )*
        }
    };
}

id_getters! {
    instance_id, instance_id_opt, InstanceId;
    disk_id, disk_id_opt, DiskId;
    snapshot_id, snapshot_id_opt, SnapshotId;
    route_table_id, route_table_id_opt, RouteTableId;
    load_balancer_id, load_balancer_id_opt, LoadBalancerId;
}

/// A JSON array of ids in a string parameter (`InstanceIds=["i-…","i-…"]`), as
/// the Describe filters take them.
pub fn json_id_list<T>(
    params: &Params,
    name: &str,
    parse: impl Fn(&str) -> Result<T, crate::model::id::IdError>,
) -> Result<Option<Vec<T>>, EcsError> {
    let Some(raw) = params.optional(name) else {
        return Ok(None);
    };
    let values: Vec<String> = serde_json::from_str(raw)
        .map_err(|_| EcsError::invalid_because(name, "It must be a JSON array of strings."))?;
    if values.len() > limits::DESCRIBE_IDS_MAX {
        return Err(EcsError::invalid_because(
            name,
            format!("It may hold at most {} ids.", limits::DESCRIBE_IDS_MAX),
        ));
    }
    values
        .iter()
        .map(|v| parse(v).map_err(|_| EcsError::invalid(name)))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Error for a parameter that is well formed but not allowed in combination
/// with another one.
pub fn conflict(param: &str, why: &str) -> EcsError {
    EcsError::with_message(
        Code::InvalidParameter,
        format!("The input parameter {param} is invalid. {why}"),
    )
}
