//! Access keys: which key signs for which account, and who is an admin.
//!
//! The file is a JSON list:
//!
//! ```json
//! [
//!   {"AccessKeyId": "LTAI-alice", "AccessKeySecret": "s3cret", "Account": "alice", "Admin": false},
//!   {"AccessKeyId": "LTAI-ops", "AccessKeySecret": "0ps", "Account": "platform", "Admin": true}
//! ]
//! ```
//!
//! Only admin keys may call the platform actions (route entries, backend
//! servers, locks, automatic snapshots).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::model::id::Account;

/// One access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The id clients send.
    pub id: String,
    /// The shared secret.
    pub secret: String,
    /// The account it acts as.
    pub account: Account,
    /// May call platform actions.
    pub admin: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Entry {
    access_key_id: String,
    access_key_secret: String,
    account: String,
    #[serde(default)]
    admin: bool,
}

/// The configured keys, by id.
#[derive(Debug, Clone, Default)]
pub struct AccessKeys {
    by_id: HashMap<String, AccessKey>,
}

impl AccessKeys {
    /// Parses the JSON list; duplicate ids, empty secrets and bad accounts are errors.
    pub fn parse(json: &str) -> Result<Self, String> {
        let entries: Vec<Entry> =
            serde_json::from_str(json).map_err(|e| format!("access keys: {e}"))?;
        let mut by_id = HashMap::new();
        for e in entries {
            if e.access_key_id.is_empty() || e.access_key_secret.is_empty() {
                return Err(
                    "access keys: AccessKeyId and AccessKeySecret must not be empty".into(),
                );
            }
            let account = Account::parse(&e.account)
                .map_err(|err| format!("access keys: account {:?}: {err}", e.account))?;
            let key = AccessKey {
                id: e.access_key_id.clone(),
                secret: e.access_key_secret,
                account,
                admin: e.admin,
            };
            if by_id.insert(e.access_key_id.clone(), key).is_some() {
                return Err(format!(
                    "access keys: {:?} is listed twice",
                    e.access_key_id
                ));
            }
        }
        if by_id.is_empty() {
            return Err("access keys: the list is empty".into());
        }
        Ok(Self { by_id })
    }

    /// Reads and parses a key file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<&AccessKey> {
        self.by_id.get(id)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_bad_files_are_refused() {
        let k = AccessKeys::parse(
            r#"[{"AccessKeyId":"a","AccessKeySecret":"s","Account":"alice"},{"AccessKeyId":"b","AccessKeySecret":"t","Account":"ops","Admin":true}]"#,
        )
        .unwrap();
        assert!(!k.get("a").unwrap().admin);
        assert!(k.get("b").unwrap().admin);
        for bad in [
            "[]",
            "{}",
            r#"[{"AccessKeyId":"a","AccessKeySecret":"","Account":"x"}]"#,
            r#"[{"AccessKeyId":"a","AccessKeySecret":"s","Account":"bad account"}]"#,
            r#"[{"AccessKeyId":"a","AccessKeySecret":"s","Account":"x"},{"AccessKeyId":"a","AccessKeySecret":"s","Account":"y"}]"#,
            r#"[{"AccessKeyId":"a","AccessKeySecret":"s","Account":"x","Extra":1}]"#,
        ] {
            assert!(AccessKeys::parse(bad).is_err(), "{bad}");
        }
    }
}
