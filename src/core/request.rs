//! Requests: as they arrive (an action name and its ECS parameters, whatever
//! the wire), and parsed into what they ask for.

use crate::core::idempotency;
use crate::core::nonce::Nonce;
use crate::core::query::Query;
use crate::model::Command;
use crate::model::error::EcsError;
use crate::model::id::Account;
use crate::model::params::{self, Params};
use crate::model::time::Timestamp;

/// The ledger-level action that moves a manual clock.
pub const ADVANCE_CLOCK: &str = "AdvanceClock";

/// A request as it arrives: an action, its parameters in ECS flat form, the
/// account it runs as, and optionally the ledger time to run it at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The action name.
    pub action: String,
    /// Its parameters, ECS flat form.
    pub params: Params,
    /// The account it runs as.
    pub account: Account,
    /// Move the ledger clock to this time first (exec's `At`).
    pub at: Option<Timestamp>,
    /// The signature nonce it came with (HTTP): refused if seen before,
    /// remembered durably with the request otherwise.
    pub nonce: Option<Nonce>,
}

impl Request {
    /// A request as account `default`, at the current time.
    pub fn new<K: Into<String>, V: Into<String>>(
        action: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            action: action.to_owned(),
            params: Params::from_pairs(params),
            account: Account::default(),
            at: None,
            nonce: None,
        }
    }

    /// The same request as `account`.
    pub fn as_account(mut self, account: Account) -> Self {
        self.account = account;
        self
    }

    /// The same request at ledger time `at`.
    pub fn at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }

    /// The same request carrying a signature nonce.
    pub fn with_nonce(mut self, nonce: Nonce) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// What the request asks for. Parameter errors are kept, to be answered
    /// in their turn (after the clock has moved, as for any request).
    pub fn parse(&self) -> Parsed {
        let kind = if self.action == ADVANCE_CLOCK {
            Kind::AdvanceClock(Advance::parse(&self.params))
        } else if let Some(query) = Query::parse(&self.action, &self.params) {
            match query.and_then(|q| Ok((q, Command::dry_run(&self.params)?))) {
                Ok((query, dry_run)) => Kind::Query { query, dry_run },
                Err(e) => Kind::Refuse(e),
            }
        } else {
            match self.command() {
                Ok(kind) => kind,
                Err(e) => Kind::Refuse(e),
            }
        };
        Parsed {
            account: self.account.clone(),
            at: self.at,
            kind,
        }
    }

    fn command(&self) -> Result<Kind, EcsError> {
        let command = Command::parse(&self.action, &self.params)?;
        let token = self.params.client_token()?.map(|value| Token {
            value,
            action: self.action.clone(),
            fingerprint: idempotency::fingerprint(&self.params),
        });
        let dry_run = Command::dry_run(&self.params)?;
        Ok(Kind::Command {
            command: Box::new(command),
            dry_run,
            token,
        })
    }
}

/// A request parsed into what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The account it runs as.
    pub account: Account,
    /// The ledger time to run it at, if given.
    pub at: Option<Timestamp>,
    /// What it asks for.
    pub kind: Kind,
}

impl Parsed {
    /// A request refused before it reached the ledger (a line that is not
    /// JSON, no Action): it only draws a RequestId; the clock stays.
    pub fn rejected(error: EcsError) -> Self {
        Self {
            account: Account::default(),
            at: None,
            kind: Kind::Reject(error),
        }
    }

    /// The platform's own request to apply what fell due (a server ticks).
    pub fn tick() -> Self {
        Self {
            account: Account::default(),
            at: None,
            kind: Kind::Tick,
        }
    }

    /// A typed command, the library's typed entry beside [`Request`]'s
    /// parameter map: as account `default`, at the current time, without a
    /// `ClientToken` (idempotency keys on the parameters as sent, so it
    /// belongs to [`Request`]).
    ///
    /// ```
    /// use ecs_ledger::core::request::Parsed;
    /// use ecs_ledger::ledger::{Config, Ledger};
    /// use ecs_ledger::model::action::CreateDisk;
    /// use ecs_ledger::storage::memory::MemoryStorage;
    /// let ledger = Ledger::with_storage(MemoryStorage::new(), Config::seeded(1)).unwrap();
    /// let disk = CreateDisk { size: 20, category: "cloud_essd".into(), disk_name: "scratch".into() };
    /// let reply = ledger.execute_parsed(Parsed::command(disk)).unwrap();
    /// assert_eq!(reply.events()[0].event.type_name(), "DiskCreated");
    /// ```
    pub fn command(command: impl Into<Command>) -> Self {
        Self {
            account: Account::default(),
            at: None,
            kind: Kind::Command {
                command: Box::new(command.into()),
                dry_run: false,
                token: None,
            },
        }
    }

    /// The same request as `account`.
    pub fn as_account(mut self, account: Account) -> Self {
        self.account = account;
        self
    }

    /// The same request at ledger time `at`.
    pub fn at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }

    /// The same command, checked only (`DryRun`).
    pub fn dry_run(mut self) -> Self {
        if let Kind::Command { dry_run, .. } = &mut self.kind {
            *dry_run = true;
        }
        self
    }

    /// The ClientToken it carries, if any.
    pub fn token(&self) -> Option<&str> {
        match &self.kind {
            Kind::Command {
                token: Some(token), ..
            } => Some(&token.value),
            _ => None,
        }
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A state-changing action.
    Command {
        /// The command (boxed: commands are large, most requests small).
        command: Box<Command>,
        /// Check only: every action takes `DryRun`.
        dry_run: bool,
        /// Its `ClientToken`.
        token: Option<Token>,
    },
    /// A Describe*.
    Query {
        /// The query.
        query: Query,
        /// Check only.
        dry_run: bool,
    },
    /// `AdvanceClock`, or why its parameters are bad (answered after the
    /// check that the clock is manual).
    AdvanceClock(Result<Advance, EcsError>),
    /// Apply what fell due; nothing else.
    Tick,
    /// A request whose action or parameters are wrong: answered after the
    /// clock moves, like any request.
    Refuse(EcsError),
    /// A request refused before it reached the ledger: no clock, no transitions.
    Reject(EcsError),
}

/// A request's `ClientToken`, with what it must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub value: String,
    /// The action it came with.
    pub action: String,
    /// SHA-256 of the request's parameters.
    pub fingerprint: [u8; 32],
}

/// Where `AdvanceClock` moves the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advance {
    /// By some seconds, or to a time.
    pub target: Target,
    /// Check only.
    pub dry_run: bool,
}

/// `Seconds` or `To`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `Seconds`.
    By(u32),
    /// `To`.
    To(Timestamp),
}

impl Advance {
    /// `Seconds` or `To` (not both), and `DryRun`.
    pub fn parse(p: &Params) -> Result<Advance, EcsError> {
        let target = match (p.optional("Seconds"), p.optional("To")) {
            (Some(_), Some(_)) => {
                return Err(params::conflict(
                    "To",
                    "Give either Seconds or To, not both.",
                ));
            }
            (None, None) => return Err(EcsError::missing("Seconds")),
            (Some(_), None) => Target::By(p.u32_in("Seconds", 0..=u32::MAX)?.unwrap_or(0)),
            (None, Some(to)) => Target::To(
                Timestamp::parse_rfc3339(to).map_err(|e| EcsError::invalid_because("To", e))?,
            ),
        };
        Ok(Advance {
            target,
            dry_run: Command::dry_run(p)?,
        })
    }
}
