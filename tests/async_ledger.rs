//! The async handle: futures answered by the writer thread, never a runtime
//! thread blocked on the group commit.

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ecs_ledger::ledger::{
    AsyncLedger, ClockMode, Commit, Config, Ledger, LedgerError, Observer, Request,
};
use ecs_ledger::storage::memory::MemoryStorage;

fn ledger(config: Config) -> Arc<Ledger<MemoryStorage>> {
    Arc::new(Ledger::with_storage(MemoryStorage::new(), config).unwrap())
}

fn single_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Runs `f` on another thread; fails the test if it takes longer than 30 s
/// (a blocked runtime would hang instead of failing).
fn within_30s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("timed out: the runtime thread was blocked")
}

/// Holds the writer in its observer until opened.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

impl Observer for Gate {
    fn committed(&self, _: &Commit) {
        let open = self.open.lock().unwrap();
        drop(self.opened.wait_while(open, |open| !*open).unwrap());
    }
}

#[test]
fn a_pending_reply_leaves_the_runtime_thread_free_for_other_tasks() {
    within_30s(|| {
        let ledger = ledger(Config::seeded(1));
        let gate = Arc::new(Gate::default());
        ledger.observe(gate.clone());
        let handle = AsyncLedger::new(ledger.clone());
        // The writer cannot answer until a task on the same (only) runtime
        // thread opens the gate: that task must run while the reply is pending.
        let status = single_thread().block_on(async {
            let reply = handle.execute(Request::new("CreateDisk", [("Size", "20")]));
            let opener = async {
                tokio::task::yield_now().await;
                gate.open();
            };
            let (reply, ()) = tokio::join!(reply, opener);
            reply.map(|r| r.status())
        });
        assert_eq!(status.unwrap(), 200);
        ledger.close().unwrap();
    });
}

#[test]
fn many_requests_in_flight_on_one_thread_are_answered_and_committed_together() {
    let ledger = ledger(Config::seeded(2));
    let handle = AsyncLedger::new(ledger.clone());
    let replies = within_30s(move || {
        single_thread().block_on(async move {
            let pending: Vec<_> = (0..200)
                .map(|_| handle.execute(Request::new("CreateDisk", [("Size", "20")])))
                .collect();
            let mut statuses = Vec::new();
            for reply in pending {
                statuses.push(reply.await.unwrap().status());
            }
            statuses
        })
    });
    assert!(replies.iter().all(|s| *s == 200), "{replies:?}");
    let stats = ledger.stats();
    assert_eq!(stats.requests, 200);
    assert!(stats.batches < 200, "no batching: {stats:?}");
    ledger.close().unwrap();
}

#[test]
fn the_async_handle_answers_exactly_as_the_blocking_one() {
    let config = Config {
        clock: ClockMode::Manual,
        ..Config::seeded(3)
    };
    let (sync, asynchronous) = (ledger(config.clone()), ledger(config));
    let handle = AsyncLedger::new(asynchronous.clone());
    let requests = || {
        vec![
            Request::new("CreateInstance", [("InstanceType", "ecs.g6.large")]),
            Request::new("DeleteInstance", [("InstanceId", "i-none")]),
            Request::new("AdvanceClock", [("Seconds", "10")]),
            Request::new("DescribeInstances", [("PageSize", "10")]),
        ]
    };
    let expected: Vec<_> = requests()
        .into_iter()
        .map(|r| sync.execute(r).unwrap().body())
        .collect();
    let got: Vec<_> = single_thread().block_on(async {
        let mut out = Vec::new();
        for r in requests() {
            out.push(handle.execute(r).await.unwrap().body());
        }
        out
    });
    // Ids are seeded and clocks manual: the same requests, the same answers,
    // except the clock the manual clock started at (the system time).
    assert!(expected[0]["InstanceId"].is_string(), "{expected:?}");
    assert!(expected[1]["Code"].is_string(), "{expected:?}");
    assert_eq!(got.len(), expected.len());
    for (got, expected) in got.iter().zip(&expected) {
        assert_eq!(got["RequestId"], expected["RequestId"]);
        assert_eq!(got.get("Code"), expected.get("Code"));
        assert_eq!(got.get("InstanceId"), expected.get("InstanceId"));
    }
}

#[test]
fn a_dropped_future_does_not_withdraw_its_request() {
    let ledger = ledger(Config::seeded(4));
    let handle = AsyncLedger::new(ledger.clone());
    drop(handle.execute(Request::new("CreateDisk", [("Size", "20")])));
    // The next request is answered after the first (one queue, in order).
    let reply = single_thread()
        .block_on(handle.execute(Request::new("DescribeDisks", [("PageSize", "10")])))
        .unwrap();
    assert_eq!(reply.body()["TotalCount"], 1);
}

#[test]
fn a_closed_ledger_answers_closed_at_once() {
    let ledger = ledger(Config::seeded(5));
    let handle = AsyncLedger::new(ledger.clone());
    ledger.close().unwrap();
    let answer =
        single_thread().block_on(handle.execute(Request::new("CreateDisk", [("Size", "20")])));
    assert!(matches!(answer, Err(LedgerError::Closed)), "{answer:?}");
    assert!(matches!(ledger.failure(), Some(LedgerError::Closed)));
}

#[test]
fn tick_applies_due_transitions_through_the_future() {
    let config = Config {
        clock: ClockMode::Manual,
        ..Config::seeded(6)
    };
    let ledger = ledger(config);
    let handle = AsyncLedger::new(ledger.clone());
    let events = single_thread().block_on(async {
        handle
            .execute(Request::new(
                "CreateInstance",
                [("InstanceType", "ecs.g6.large")],
            ))
            .await
            .unwrap();
        // AdvanceClock applies what is due itself; a tick after it has nothing.
        let advanced = handle
            .execute(Request::new("AdvanceClock", [("Seconds", "10")]))
            .await
            .unwrap();
        assert!(!advanced.events().is_empty());
        handle.tick().await.unwrap()
    });
    assert!(events.is_empty(), "{events:?}");
}
