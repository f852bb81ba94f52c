//! `ecs-ledger serve`: the ECS RPC API over HTTP, for the official SDKs.
//!
//! `GET` or `POST` on `/`, parameters from the query string and an
//! `application/x-www-form-urlencoded` body, merged. v1 (HMAC-SHA1) and v3
//! (ACS3-HMAC-SHA256) signatures, timestamp skew and nonce replay checks, ECS
//! error bodies and content types, `Format` JSON/XML (default: JSON under v3,
//! XML otherwise). Requests go through the ledger's group commit as futures
//! ([`AsyncLedger`]: no runtime thread waits on it); due transitions are
//! applied in the background every second.
//!
//! `GET /health` and `GET /metrics` need no signature and name no account or
//! resource. `/health` answers `200 {"Status":"ok","HeadSeq":12}` while the
//! ledger takes requests (the server listens only once the ledger is open, so
//! an answer means ready), `503 {"Status":"stopped","HeadSeq":12}` once its
//! writer stopped after a failure; `/metrics` is described in [`metrics`].

mod health;
pub mod keys;
pub mod metrics;
pub mod render;
pub mod signature;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request as HttpRequest, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;

use crate::ledger::{AsyncLedger, Ledger, Request};
use crate::model::Command;
use crate::model::error::{Code, EcsError};
use crate::model::id::{Account, RequestId};
use crate::model::params::Params;
use crate::model::time::Timestamp;
use crate::storage::Storage;
use keys::AccessKeys;
use metrics::Metrics;
use render::Format;
use signature::{Parts, Verifier, Version};

/// Largest request body accepted (ECS RPC bodies are small forms).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Parameters that belong to the transport and the signature, not the action.
const TRANSPORT: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Timestamp",
    "SecurityToken",
];

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Access keys; without them the server runs open as account `default`,
    /// loopback only.
    pub access_keys: Option<AccessKeys>,
    /// How often due transitions are applied in the background.
    pub tick: Duration,
    /// Limits on connections (timeouts, how many at once).
    pub limits: ConnectionLimits,
}

/// What the server allows a connection, so that idle or half-sent
/// connections cannot pile up (docs/BEHAVIOUR.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A request's headers must arrive within this time of the connection
    /// becoming ready for them; an idle keep-alive connection is closed after it.
    pub header_timeout: Duration,
    /// A request's body must arrive within this time once its headers have.
    pub body_timeout: Duration,
    /// Most connections open at once; further ones wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

struct App<S: Storage + Clone> {
    ledger: AsyncLedger<S>,
    metrics: Arc<Metrics>,
    verifier: Option<Verifier>,
    body_timeout: Duration,
}

/// Serves until SIGINT or SIGTERM: stops accepting, finishes the requests in
/// flight, then returns (the caller closes the ledger, which flushes it).
/// `ready` is called with the bound address once listening.
pub fn serve<S: Storage + Clone>(
    ledger: Arc<Ledger<S>>,
    config: ServeConfig,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    if config.access_keys.is_none() && !config.listen.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {} without --access-keys: an open server only listens on loopback",
            config.listen
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ecs-ledger-http")
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        match &config.access_keys {
            Some(keys) => tracing::info!(%addr, keys = keys.len(), "listening"),
            None => tracing::warn!(%addr, "listening OPEN: no access keys, every request acts as account `default` with admin rights"),
        }
        let ticker = tokio::spawn(tick(AsyncLedger::new(ledger.clone()), config.tick));
        let router = router(ledger, config.access_keys, config.limits);
        // Before anyone is told the server listens: a signal sent at once
        // must stop it cleanly, not kill it.
        let shutdown = shutdown_signal();
        ready(addr);
        accept(listener, router, config.limits, shutdown).await;
        ticker.abort();
        tracing::info!("stopped accepting; in-flight requests finished");
        Ok(())
    })
}

/// The ECS API over `ledger` as a router: what [`serve`] runs on each
/// connection, and what tests call in-process. Without `access_keys` every
/// request acts as account `default` with admin rights. Its [`Metrics`]
/// become the ledger's observer.
pub fn router<S: Storage + Clone>(
    ledger: Arc<Ledger<S>>,
    access_keys: Option<AccessKeys>,
    limits: ConnectionLimits,
) -> Router {
    let metrics = Arc::new(Metrics::new());
    ledger.observe(metrics.clone());
    let app = Arc::new(App {
        ledger: AsyncLedger::new(ledger),
        metrics,
        verifier: access_keys.map(Verifier::new),
        body_timeout: limits.body_timeout,
    });
    // Any other method on these paths is the ECS API's 404, like any path.
    Router::new()
        .route("/health", get(health::health::<S>).fallback(handle::<S>))
        .route(
            "/metrics",
            get(metrics::endpoint::<S>).fallback(handle::<S>),
        )
        .fallback(handle::<S>)
        .with_state(app)
}

/// Applies due transitions every `every`, so queries see them without a command.
async fn tick<S: Storage + Clone>(ledger: AsyncLedger<S>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        match ledger.tick().await {
            Ok(events) if !events.is_empty() => {
                tracing::debug!(events = events.len(), "applied due transitions")
            }
            Err(e) => {
                tracing::error!(error = %e, "background transitions stopped");
                break;
            }
            _ => {}
        }
    }
}

/// Accepts connections until a shutdown signal, each served by hyper with the
/// header timeout, at most `max_connections` at once; then waits for the
/// requests in flight (at most one header timeout longer than the slowest).
async fn accept(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let grace = limits.header_timeout + limits.body_timeout + Duration::from_secs(30);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the grace period; closing them");
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed by this call,
/// not when the future is first polled: a signal sent as soon as the server
/// says it listens is not lost (nor, SIGTERM's default, fatal).
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        match (terminate, interrupt) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {},
                    _ = interrupt.recv() => {},
                }
            }
            (Ok(mut only), Err(_)) | (Err(_), Ok(mut only)) => {
                only.recv().await;
            }
            (Err(_), Err(_)) => std::future::pending::<()>().await,
        }
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn respond(status: u16, format: Format, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}

fn fail(format: Format, host: &str, request_id: RequestId, error: &EcsError) -> Response {
    let mut response = respond(
        crate::api::status::of(error.code()),
        format,
        render::error(format, &request_id.to_string(), host, error),
    );
    // For the metrics, read back by `handle`.
    response.extensions_mut().insert(error.code());
    response
}

fn pairs(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text).into_owned().collect()
}

/// Answers an ECS API request and counts it (by action and code).
async fn handle<S: Storage + Clone>(
    State(app): State<Arc<App<S>>>,
    request: HttpRequest,
) -> Response {
    let mut action = metrics::UNKNOWN_ACTION;
    let response = answer(&app, request, &mut action).await;
    app.metrics
        .answered(action, response.extensions().get::<Code>().copied());
    response
}

/// How a request arrived: its host, whether it is signed with v3, and the
/// response format (`Format`, else JSON under v3 and XML otherwise).
struct Arrival {
    host: String,
    is_v3: bool,
    default_format: Format,
    format: Format,
}

impl Arrival {
    fn of(head: &axum::http::request::Parts, query: &[(String, String)]) -> Self {
        let host = head
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("ecs.aliyuncs.com")
            .to_owned();
        let is_v3 = head
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|a| a.starts_with(signature::ACS3));
        let default_format = if is_v3 { Format::Json } else { Format::Xml };
        let format_param = query.iter().find(|(k, _)| k == "Format").map(|(_, v)| v);
        Self {
            host,
            is_v3,
            default_format,
            format: Format::choose(format_param.map(String::as_str), default_format),
        }
    }

    /// An answer refused before the ledger, with a fresh RequestId.
    fn refuse(&self, error: &EcsError) -> Response {
        let id = RequestId::from_uuid(uuid::Uuid::new_v4());
        fail(self.format, &self.host, id, error)
    }
}

/// Who is asking: the account, whether the key is an admin's, the signature
/// version and the nonce to admit.
struct Caller {
    account: Account,
    admin: bool,
    version: Version,
    nonce: Option<crate::core::nonce::Nonce>,
}

/// The answer to an ECS API request; sets `label` to its action once known.
async fn answer<S: Storage + Clone>(
    app: &App<S>,
    request: HttpRequest,
    label: &mut &'static str,
) -> Response {
    let (head, body) = request.into_parts();
    let query = pairs(head.uri.query().unwrap_or_default().as_bytes());
    let mut arrival = Arrival::of(&head, &query);
    let bytes = match read_body(app, &head, body).await {
        Ok(bytes) => bytes,
        Err(e) => return arrival.refuse(&e),
    };
    if head.uri.path() != "/" || !matches!(head.method.as_str(), "GET" | "POST") {
        return arrival.refuse(&EcsError::new(Code::InvalidActionNotFound));
    }
    let parts = parts_of(&head, query, bytes);
    let merged = parts.params();
    if let Some(f) = merged.get("Format") {
        arrival.format = Format::choose(Some(f), arrival.default_format);
    }
    let caller = match identify(app, &parts, arrival.is_v3) {
        Ok(caller) => caller,
        Err(e) => return arrival.refuse(&e),
    };
    let action = match action_of(&caller, &parts, &merged) {
        Ok(action) => action,
        Err(e) => return arrival.refuse(&e),
    };
    *label = metrics::action_label(&action);
    if let Err(e) = allowed(&caller, &action) {
        return arrival.refuse(&e);
    }
    let mut params = Params::new();
    for (k, v) in merged {
        if !TRANSPORT.contains(&k.as_str()) {
            params.insert(k, v);
        }
    }
    let request = Request {
        action: action.clone(),
        params,
        account: caller.account,
        at: None,
        nonce: caller.nonce,
    };
    let reply = match app.ledger.execute(request).await {
        Ok(reply) => reply,
        Err(e) => return arrival.refuse(&e.to_ecs()),
    };
    match reply.error() {
        Some(e) => fail(arrival.format, &arrival.host, reply.request_id, e),
        None => {
            let body: Value = reply.body();
            respond(
                200,
                arrival.format,
                render::success(arrival.format, &action, &body),
            )
        }
    }
}

/// The body, refusing a declared oversized one before reading any of it, a
/// larger one as it arrives, and one that does not arrive in time.
async fn read_body<S: Storage + Clone>(
    app: &App<S>,
    head: &axum::http::request::Parts,
    body: Body,
) -> Result<axum::body::Bytes, EcsError> {
    let declared = head
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(EcsError::new(Code::RequestTooLarge));
    }
    let read = tokio::time::timeout(app.body_timeout, axum::body::to_bytes(body, BODY_LIMIT));
    match read.await {
        Ok(Ok(b)) => Ok(b),
        Err(_) => Err(EcsError::with_message(
            Code::RequestTimeout,
            Code::RequestTimeout.template(),
        )),
        Ok(Err(_)) => Err(EcsError::new(Code::RequestTooLarge)),
    }
}

/// What the signature checks see: method, path, query, form body, headers.
fn parts_of(
    head: &axum::http::request::Parts,
    query: Vec<(String, String)>,
    bytes: axum::body::Bytes,
) -> Parts {
    let is_form = head
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    Parts {
        method: head.method.as_str().to_owned(),
        path: head.uri.path().to_owned(),
        query,
        form: if is_form { pairs(&bytes) } else { Vec::new() },
        headers: head
            .headers
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
            })
            .collect(),
        body: bytes.to_vec(),
    }
}

/// The caller, from the signature (an open server: the default account, as admin).
fn identify<S: Storage + Clone>(
    app: &App<S>,
    parts: &Parts,
    is_v3: bool,
) -> Result<Caller, EcsError> {
    let Some(verifier) = &app.verifier else {
        return Ok(Caller {
            account: Account::default(),
            admin: true,
            version: if is_v3 { Version::V3 } else { Version::V1 },
            nonce: None,
        });
    };
    let now = Timestamp::from_unix(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    )
    .unwrap_or(Timestamp::EPOCH);
    let identity = verifier.verify(parts, now)?;
    Ok(Caller {
        account: identity.key.account.clone(),
        admin: identity.key.admin,
        version: identity.version,
        nonce: Some(identity.nonce),
    })
}

/// The action: `x-acs-action` under v3, else the `Action` parameter.
fn action_of(
    caller: &Caller,
    parts: &Parts,
    merged: &std::collections::BTreeMap<String, String>,
) -> Result<String, EcsError> {
    let action = match caller.version {
        Version::V3 => parts.header("x-acs-action").map(str::to_owned),
        Version::V1 => merged.get("Action").cloned(),
    }
    .or_else(|| merged.get("Action").cloned())
    .unwrap_or_default();
    if action.is_empty() {
        return Err(EcsError::missing("Action"));
    }
    Ok(action)
}

/// Platform actions and AdvanceClock take an admin key.
fn allowed(caller: &Caller, action: &str) -> Result<(), EcsError> {
    if caller.admin || !(Command::is_platform_action(action) || action == "AdvanceClock") {
        return Ok(());
    }
    Err(EcsError::with_message(
        Code::Forbidden,
        format!(
            "{} {action} is a platform action: only an admin access key may call it.",
            Code::Forbidden.template()
        ),
    ))
}
