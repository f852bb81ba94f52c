//! The ledger for async code: [`AsyncLedger::execute`] returns a future
//! that never blocks the thread polling it.
//!
//! The request goes to the writer thread's queue at once (the call returns
//! after a non-blocking send); the writer answers through a
//! `tokio::sync::oneshot` channel, which wakes the task. No thread of the
//! runtime waits on the group commit, so a tokio service needs no
//! `spawn_blocking` around the ledger, and one runtime thread can keep many
//! requests in flight (they are committed together). The futures are
//! executor-agnostic (`Send + 'static`); only the oneshot channel comes from
//! tokio.
//!
//! ```
//! use std::sync::Arc;
//! use ecs_ledger::ledger::{AsyncLedger, Config, Ledger, LedgerError, Request};
//! use ecs_ledger::storage::memory::MemoryStorage;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ledger = Arc::new(Ledger::with_storage(MemoryStorage::new(), Config::seeded(7))?);
//! let handle = AsyncLedger::new(ledger.clone());
//! // One thread: a blocking call would deadlock it, futures do not.
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! runtime.block_on(async {
//!     let pending: Vec<_> = (0..8)
//!         .map(|_| handle.execute(Request::new("CreateDisk", [("Size", "20")])))
//!         .collect();
//!     for reply in pending {
//!         assert_eq!(reply.await?.status(), 200);
//!     }
//!     Ok::<_, LedgerError>(())
//! })?;
//! // Closing waits for the final checkpoint and flush: outside the runtime.
//! ledger.close()?;
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::{Ledger, LedgerError, Parsed, Reply, Request, Responder, Shared, writer};
use crate::model::error::EcsError;
use crate::model::event::Recorded;
use crate::storage::Storage;
use crate::storage::sled_store::SledStorage;

/// An async handle to a running [`Ledger`]: cheap to clone, one per task if
/// you like. Dropping the last handle (and the last `Arc<Ledger>`) closes the
/// ledger, which waits for its final flush: close it with
/// [`Ledger::close`] outside the runtime instead.
pub struct AsyncLedger<S: Storage + Clone = SledStorage> {
    ledger: Arc<Ledger<S>>,
}

impl<S: Storage + Clone> Clone for AsyncLedger<S> {
    fn clone(&self) -> Self {
        Self {
            ledger: self.ledger.clone(),
        }
    }
}

impl<S: Storage + Clone> std::fmt::Debug for AsyncLedger<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AsyncLedger").field(&self.ledger).finish()
    }
}

impl<S: Storage + Clone> From<Ledger<S>> for AsyncLedger<S> {
    fn from(ledger: Ledger<S>) -> Self {
        Self::new(Arc::new(ledger))
    }
}

impl<S: Storage + Clone> AsyncLedger<S> {
    /// An async handle on `ledger` (which stays usable from threads too).
    pub fn new(ledger: Arc<Ledger<S>>) -> Self {
        Self { ledger }
    }

    /// The ledger behind the handle: its head, clock and stats never block
    /// for long (a lock held only to copy them); `close` does.
    pub fn ledger(&self) -> &Arc<Ledger<S>> {
        &self.ledger
    }

    /// [`Ledger::execute`] as a future. The request is queued before this
    /// returns; dropping the future does not withdraw it (it is executed and
    /// made durable all the same; only its answer is dropped).
    pub fn execute(&self, request: Request) -> ReplyFuture {
        self.submit(writer::Job::execute(request))
    }

    /// [`Ledger::execute_parsed`] as a future.
    pub fn execute_parsed(&self, request: Parsed) -> ReplyFuture {
        self.submit(writer::Job::parsed(request))
    }

    /// [`Ledger::reject`] as a future.
    pub fn reject(&self, error: EcsError) -> ReplyFuture {
        self.submit(writer::Job::parsed(Parsed::rejected(error)))
    }

    /// [`Ledger::tick`] as a future: the transition events appended.
    pub fn tick(
        &self,
    ) -> impl Future<Output = Result<Vec<Recorded>, LedgerError>> + Send + 'static {
        let reply = self.submit(writer::Job::parsed(Parsed::tick()));
        async move { reply.await.map(|r| r.events().to_vec()) }
    }

    fn submit(&self, job: writer::Job) -> ReplyFuture {
        let (tx, rx) = oneshot::channel();
        let responder = Responder::Call(Box::new(move |answer| {
            // The task may be gone (its future dropped): nobody to tell.
            let _ = tx.send(answer);
        }));
        let state = match self.ledger.submit(job, responder) {
            Ok(()) => State::Waiting(rx),
            Err(e) => State::Failed(Some(e)),
        };
        ReplyFuture {
            state,
            shared: self.ledger.shared.clone(),
        }
    }
}

/// The answer to one request, once the writer has committed it: what
/// [`Ledger::execute`] returns, as a future (`Send + 'static`, so it can be
/// spawned or awaited anywhere).
pub struct ReplyFuture {
    state: State,
    shared: Arc<Shared>,
}

enum State {
    Waiting(oneshot::Receiver<Result<Reply, LedgerError>>),
    Failed(Option<LedgerError>),
}

impl std::fmt::Debug for ReplyFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Waiting(_) => "waiting",
            State::Failed(_) => "failed",
        };
        f.debug_struct("ReplyFuture")
            .field("state", &state)
            .finish()
    }
}

impl Future for ReplyFuture {
    type Output = Result<Reply, LedgerError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.state {
            State::Failed(e) => Poll::Ready(Err(e.take().unwrap_or(LedgerError::Closed))),
            State::Waiting(rx) => match Pin::new(rx).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(answer)) => Poll::Ready(answer),
                // The writer dropped the request unanswered: it stopped.
                Poll::Ready(Err(_)) => {
                    Poll::Ready(Err(this.shared.failure().unwrap_or(LedgerError::Closed)))
                }
            },
        }
    }
}
