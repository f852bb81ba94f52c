//! `GET /metrics`: the server's figures in the Prometheus text format
//! (version 0.0.4), through `prometheus-client`.
//!
//! | metric | type | what |
//! |---|---|---|
//! | `ecs_ledger_requests_total{action,code}` | counter | ECS API requests answered, by action and ECS code (`Success` when answered 200) |
//! | `ecs_ledger_commit_seconds` | histogram | a group commit's duration (batches that wrote something): deciding its requests, writing them, the flush or sync |
//! | `ecs_ledger_batch_requests` | histogram | requests per group commit |
//! | `ecs_ledger_transitions_applied_total` | counter | due transitions applied (creations finished, expiries released, ...) |
//! | `ecs_ledger_events_appended_total` | counter | records appended to the log |
//! | `ecs_ledger_head_seq` | gauge | the log's head `Seq` |
//!
//! Labels never carry account data: `action` is one of the actions the
//! server knows (`Unknown` for any other name, so a client cannot grow the
//! label set), `code` one of the ECS codes the server answers with.
//!
//! ```
//! use ecs_ledger::api::server::metrics::Metrics;
//! use ecs_ledger::model::error::Code;
//!
//! let metrics = Metrics::new();
//! metrics.answered("DeleteInstance", Some(Code::IncorrectInstanceStatus));
//! metrics.answered("CreateInstance", None);
//! let text = metrics.render(7);
//! assert!(text.contains(r#"ecs_ledger_requests_total{action="DeleteInstance",code="IncorrectInstanceStatus"} 1"#));
//! assert!(text.contains(r#"ecs_ledger_requests_total{action="CreateInstance",code="Success"} 1"#));
//! assert!(text.contains("ecs_ledger_head_seq 7"));
//! ```

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::core::query::Query;
use crate::core::request::ADVANCE_CLOCK;
use crate::ledger::observer::{Commit, Observer};
use crate::model::Command;
use crate::model::error::Code;
use crate::storage::Storage;

use super::App;

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The `action` label of a request whose action the server does not know
/// (or that was refused before its action was read).
pub const UNKNOWN_ACTION: &str = "Unknown";

type RequestLabels = [(&'static str, &'static str); 2];

/// The server's metrics; also the ledger's [`Observer`] (group commits).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    commit_seconds: Histogram,
    batch_requests: Histogram,
    transitions: Counter,
    events: Counter,
    head_seq: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("ecs_ledger");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "ECS API requests answered, by action and ECS code (Success when answered 200)",
            requests.clone(),
        );
        // 50 µs to about 1.6 s.
        let commit_seconds = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        registry.register_with_unit(
            "commit",
            "Duration of a group commit that wrote something: deciding its requests, writing them, the flush or sync",
            Unit::Seconds,
            commit_seconds.clone(),
        );
        // 1 to 1024 requests.
        let batch_requests = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        registry.register(
            "batch_requests",
            "Requests per group commit",
            batch_requests.clone(),
        );
        let transitions = Counter::default();
        registry.register(
            "transitions_applied",
            "Due transitions applied (creations finished, expiries released, ...)",
            transitions.clone(),
        );
        let events = Counter::default();
        registry.register(
            "events_appended",
            "Records appended to the log",
            events.clone(),
        );
        let head_seq = Gauge::default();
        registry.register("head_seq", "The log's head Seq", head_seq.clone());
        Self {
            registry,
            requests,
            commit_seconds,
            batch_requests,
            transitions,
            events,
            head_seq,
        }
    }

    /// Counts one answered request: `error` is `None` for a success.
    pub fn answered(&self, action: &str, error: Option<Code>) {
        let code = error.map_or("Success", Code::as_str);
        self.requests
            .get_or_create(&[("action", action_label(action)), ("code", code)])
            .inc();
    }

    /// The text of `GET /metrics`, with the head `Seq` as of now.
    pub fn render(&self, head_seq: u64) -> String {
        self.head_seq
            .set(i64::try_from(head_seq).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing to a String cannot fail; an encoder error would leave a
        // partial text, which a scraper reports: nothing to add here.
        let _ = prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

impl Observer for Metrics {
    fn committed(&self, commit: &Commit) {
        if commit.wrote {
            self.commit_seconds.observe(commit.duration.as_secs_f64());
        }
        self.batch_requests.observe(commit.requests as f64);
        self.transitions.inc_by(commit.transitions as u64);
        self.events.inc_by(commit.records as u64);
    }
}

/// `action` when the server knows it, [`UNKNOWN_ACTION`] otherwise: the
/// label set stays bounded whatever clients send.
pub fn action_label(action: &str) -> &'static str {
    Command::ACTIONS
        .iter()
        .chain(Query::ACTIONS)
        .chain(&[ADVANCE_CLOCK])
        .find(|known| **known == action)
        .copied()
        .unwrap_or(UNKNOWN_ACTION)
}

/// `GET /metrics`.
pub(super) async fn endpoint<S: Storage + Clone>(State(app): State<Arc<App<S>>>) -> Response {
    let text = app.metrics.render(app.ledger.ledger().head().seq);
    let mut response = Response::new(text.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}
