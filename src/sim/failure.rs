//! What a simulation can find wrong, typed: a check returns one of these,
//! and the run reports it with the step and the line that reproduces it.

/// A failed check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// An answer, or the events a request appended, are not what the oracle
    /// predicted.
    #[error("mismatch: expected {expected}, got {got} for {request}")]
    Mismatch {
        /// The oracle's prediction.
        expected: String,
        /// What the ledger answered or appended.
        got: String,
        /// The request (action first), as sent.
        request: String,
    },
    /// A property that holds after every step does not (the log's chain,
    /// the fold, the inventory, the lifecycle of ids).
    #[error("invariant: {0}")]
    Invariant(String),
    /// A crash lost or changed what had been acknowledged.
    #[error("lost: {0}")]
    Lost(String),
    /// The ledger failed where it must not (an error, or a stop without a
    /// fault to cause it).
    #[error("ledger: {0}")]
    Ledger(String),
    /// Running the same seed again did not fail the same way.
    #[error("nondeterministic: {0}")]
    Nondeterministic(String),
}

impl Failure {
    /// A mismatch.
    pub fn mismatch(
        expected: impl Into<String>,
        got: impl Into<String>,
        request: impl Into<String>,
    ) -> Self {
        Self::Mismatch {
            expected: expected.into(),
            got: got.into(),
            request: request.into(),
        }
    }

    /// A broken invariant.
    pub fn invariant(what: impl Into<String>) -> Self {
        Self::Invariant(what.into())
    }

    /// The kind of failure, as its message starts.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Mismatch { .. } => "mismatch",
            Self::Invariant(_) => "invariant",
            Self::Lost(_) => "lost",
            Self::Ledger(_) => "ledger",
            Self::Nondeterministic(_) => "nondeterministic",
        }
    }

    /// What a shrunk trace must keep failing with to be the same bug: the
    /// kind and, for a mismatch, the action, the prediction and the code
    /// answered (not the ids or times, which shrinking changes).
    pub fn signature(&self) -> String {
        let first = |s: &str| s.split([':', ' ']).next().unwrap_or_default().to_owned();
        match self {
            Self::Mismatch {
                expected,
                got,
                request,
            } => format!(
                "mismatch: {} expected {}, got {}",
                first(request),
                first(expected),
                first(got)
            ),
            other => other.kind().to_owned(),
        }
    }
}
