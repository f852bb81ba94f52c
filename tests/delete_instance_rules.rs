//! docs/BEHAVIOUR.md §3: the DeleteInstance rule table, one test per row, and for
//! every pair of rows that can both apply, a test that the earlier row wins.

use ecs_ledger::core::testing::Scenario;
use ecs_ledger::model::Code;
use ecs_ledger::model::values::{InstanceStatus, LockReason};

/// A condition of one row of the table, as a scenario can set it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    /// Row 1: InstanceId absent or empty.
    Missing,
    /// Row 2: InstanceId malformed.
    Malformed,
    /// Row 3: the instance belongs to another account.
    OtherAccount,
    /// Row 4: the instance is still Pending.
    Pending,
    /// Row 5: deletion protection on.
    Protected,
    /// Row 6: PrePaid, not expired.
    Subscription,
    /// Row 7: security lock, Force=true, not Stopped.
    ForcedWhileSecurityLocked,
    /// Row 8: not Stopped (Running without Force; Starting when combined with row 7).
    NotStopped,
    /// Row 9: a route entry points at it.
    Route,
    /// Row 10: a load balancer backend.
    Backend,
    /// Row 11: DryRun=true.
    DryRun,
}
use Cond::*;

/// Builds a world where every condition in `conds` holds, runs DeleteInstance,
/// and returns the error code (or None on success).
fn delete_with(conds: &[Cond]) -> (Option<Code>, usize, Scenario) {
    let has = |c: Cond| conds.contains(&c);
    let mut s = Scenario::new();
    let mut create = vec![("DataDisk.1.Size", "40")];
    if has(Protected) {
        create.push(("DeletionProtection", "true"));
    }
    if has(Subscription) {
        create.push(("InstanceChargeType", "PrePaid"));
        create.push(("Period", "1"));
    }
    if has(OtherAccount) {
        s.as_account("someone-else");
    }
    // The world is given as events: no command but DeleteInstance runs.
    let id = if has(Pending) {
        s.given_pending_instance(&create)
    } else {
        s.given_stopped_instance(&create)
    };
    let id_str = id.as_str().to_owned();
    if has(Pending) {
        // Still being created: no status change.
    } else if has(ForcedWhileSecurityLocked) && has(NotStopped) {
        // Rows 7 and 8 together: a forced release of a security-locked
        // instance that is Starting (neither Stopped nor Running).
        s.given_status(&id, InstanceStatus::Starting);
    } else if has(NotStopped) || has(ForcedWhileSecurityLocked) {
        s.given_status(&id, InstanceStatus::Starting);
        s.given_status(&id, InstanceStatus::Running);
    }
    if has(Route) {
        s.given_route("vtb-routes0001", "10.0.0.0/24", &id);
    }
    if has(Backend) {
        s.given_backend("lb-balance0001", &id);
    }
    if has(ForcedWhileSecurityLocked) {
        s.given_lock(&id, LockReason::Security);
    }
    s.as_account("default");
    let instance_param = if has(Missing) {
        ""
    } else if has(Malformed) {
        "i-NOT_VALID"
    } else {
        &id_str
    };
    let mut params = vec![("InstanceId", instance_param)];
    if has(ForcedWhileSecurityLocked) {
        params.push(("Force", "true"));
    }
    if has(DryRun) {
        params.push(("DryRun", "true"));
    }
    let before = s.log.len();
    let result = s.run("DeleteInstance", &params);
    let code = result.as_ref().err().map(|e| e.code());
    // A refused request appends nothing (transitions aside, none are due here).
    if code.is_some() {
        assert_eq!(
            s.log.len(),
            before,
            "a refused DeleteInstance appended events"
        );
    }
    (code, before, s)
}

fn expect(conds: &[Cond], code: Code) {
    let (got, _, _) = delete_with(conds);
    assert_eq!(got, Some(code), "conditions {conds:?}");
}

// ---------------------------------------------------------------- one per row

#[test]
fn row_01_missing_instance_id_is_missing_parameter() {
    let mut s = Scenario::new();
    for params in [vec![], vec![("InstanceId", "")]] {
        let e = s
            .when("DeleteInstance", &params)
            .then_error(Code::MissingParameter);
        assert_eq!(ecs_ledger::api::status::of(e.code()), 400);
        assert_eq!(
            e.message(),
            "The input parameter \"InstanceId\" that is mandatory for processing this request is not supplied."
        );
    }
}

#[test]
fn row_02_malformed_instance_id_is_invalid_parameter() {
    let mut s = Scenario::new();
    for bad in [
        "x",
        "i-short",
        "i-UPPERCASE1",
        "d-12345678",
        "i-123456789012345678901234567890123",
        " i-12345678",
    ] {
        let e = s
            .when("DeleteInstance", &[("InstanceId", bad)])
            .then_error(Code::InvalidParameter);
        assert_eq!(ecs_ledger::api::status::of(e.code()), 400);
        assert_eq!(e.message(), "The input parameter InstanceId is invalid.");
    }
}

#[test]
fn row_03_unknown_or_released_instance_is_not_found() {
    let mut s = Scenario::new();
    let e = s
        .when("DeleteInstance", &[("InstanceId", "i-doesnotexist1")])
        .then_error(Code::InstanceNotFound);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 404);
    assert_eq!(e.code().as_str(), "InvalidInstanceId.NotFound");
    assert_eq!(e.message(), "The specified InstanceId does not exist.");
    let i = s.given_stopped_instance(&[]);
    s.given_released(&i);
    s.when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::InstanceNotFound);
}

#[test]
fn row_03_another_accounts_instance_is_not_found() {
    let e = delete_with(&[OtherAccount]).0;
    assert_eq!(e, Some(Code::InstanceNotFound));
}

#[test]
fn row_04_pending_instance_is_initializing_even_with_force() {
    expect(&[Pending], Code::InstanceInitializing);
    let mut s = Scenario::new();
    let id = s.given_pending_instance(&[]).to_string();
    let e = s
        .when("DeleteInstance", &[("InstanceId", &id), ("Force", "true")])
        .then_error(Code::InstanceInitializing);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 403);
    assert_eq!(e.code().as_str(), "IncorrectInstanceStatus.Initializing");
    assert_eq!(
        e.message(),
        "The specified instance status does not support this operation."
    );
}

#[test]
fn row_05_deletion_protection_names_the_instance() {
    let (code, _, s) = delete_with(&[Protected]);
    assert_eq!(code, Some(Code::DeletionProtection));
    let id = s.state().instances.keys().next().unwrap().clone();
    let mut s = s;
    let e = s
        .when("DeleteInstance", &[("InstanceId", id.as_str())])
        .then_error(Code::DeletionProtection);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 400);
    assert_eq!(e.code().as_str(), "InvalidOperation.DeletionProtection");
    assert_eq!(
        e.message(),
        format!(
            "The operation is not allowed due to \u{201c}{id}\u{201d} is protected by deletion protection."
        )
    );
}

#[test]
fn row_06_unexpired_subscription_is_charge_type_violation() {
    let (code, _, mut s) = delete_with(&[Subscription]);
    assert_eq!(code, Some(Code::ChargeTypeViolation));
    let id = s.state().instances.keys().next().unwrap().clone();
    let e = s
        .when("DeleteInstance", &[("InstanceId", id.as_str())])
        .then_error(Code::ChargeTypeViolation);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 403);
    assert_eq!(
        e.message(),
        "The operation is not permitted due to charge type of the instance."
    );
}

#[test]
fn row_06_expired_subscription_can_be_released() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[
        ("InstanceChargeType", "PrePaid"),
        ("Period", "1"),
        ("PeriodUnit", "Week"),
    ]);
    s.advance(7 * 24 * 3600);
    s.when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_types(&["InstanceReleased", "DiskReleased"]);
}

#[test]
fn row_07_forced_release_of_security_locked_instance_not_stopped_is_refused() {
    let (code, _, mut s) = delete_with(&[ForcedWhileSecurityLocked]);
    assert_eq!(code, Some(Code::InstanceLockedForSecurity));
    let id = s.state().instances.keys().next().unwrap().clone();
    let e = s
        .when(
            "DeleteInstance",
            &[("InstanceId", id.as_str()), ("Force", "true")],
        )
        .then_error(Code::InstanceLockedForSecurity);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 403);
    assert_eq!(
        e.message(),
        "The specified operation is denied as your instance is locked for security reasons."
    );
}

#[test]
fn row_07_security_locked_instance_can_be_stopped_then_released() {
    let mut s = Scenario::new();
    let i = s.given_running_instance(&[
        ("DataDisk.1.Size", "40"),
        ("DataDisk.1.DeleteWithInstance", "false"),
    ]);
    s.given_lock(&i, LockReason::Security);
    // Without Force, a Running locked instance falls to row 8, not row 7.
    s.when("DeleteInstance", &[("InstanceId", i.as_str())])
        .then_error(Code::IncorrectInstanceStatus);
    s.given_status(&i, InstanceStatus::Stopping);
    s.given_status(&i, InstanceStatus::Stopped);
    // Stopped: even Force is allowed, and every disk goes (SecurityLock).
    let events = s
        .when(
            "DeleteInstance",
            &[("InstanceId", i.as_str()), ("Force", "true")],
        )
        .then_types(&["InstanceReleased", "DiskReleased", "DiskReleased"]);
    assert_eq!(events[2].to_json()["Reason"], "SecurityLock");
}

#[test]
fn row_08_not_stopped_is_incorrect_instance_status() {
    let (code, _, mut s) = delete_with(&[NotStopped]);
    assert_eq!(code, Some(Code::IncorrectInstanceStatus));
    let id = s.state().instances.keys().next().unwrap().clone();
    let e = s
        .when("DeleteInstance", &[("InstanceId", id.as_str())])
        .then_error(Code::IncorrectInstanceStatus);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 403);
    assert_eq!(
        e.message(),
        "The current status of the resource does not support this operation."
    );
}

#[test]
fn row_08_starting_and_stopping_are_refused_even_with_force() {
    let mut s = Scenario::new();
    let i = s.given_stopped_instance(&[]);
    s.given_status(&i, InstanceStatus::Starting);
    s.when(
        "DeleteInstance",
        &[("InstanceId", i.as_str()), ("Force", "true")],
    )
    .then_error(Code::IncorrectInstanceStatus);
    s.given_status(&i, InstanceStatus::Running);
    s.given_status(&i, InstanceStatus::Stopping);
    s.when(
        "DeleteInstance",
        &[("InstanceId", i.as_str()), ("Force", "true")],
    )
    .then_error(Code::IncorrectInstanceStatus);
}

#[test]
fn row_08_running_with_force_is_released() {
    let mut s = Scenario::new();
    let i = s.given_running_instance(&[]);
    let events = s
        .when(
            "DeleteInstance",
            &[("InstanceId", i.as_str()), ("Force", "true")],
        )
        .then_types(&["InstanceReleased", "DiskReleased"]);
    let released = events[0].to_json();
    assert_eq!(released["PreviousStatus"], "Running");
    assert_eq!(released["Forced"], true);
    assert_eq!(released["SecurityLocked"], false);
}

#[test]
fn row_09_route_entry_next_hop_is_dependency_violation() {
    let (code, _, mut s) = delete_with(&[Route]);
    assert_eq!(code, Some(Code::DependencyRouteEntry));
    let id = s.state().instances.keys().next().unwrap().clone();
    let e = s
        .when("DeleteInstance", &[("InstanceId", id.as_str())])
        .then_error(Code::DependencyRouteEntry);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 400);
    assert_eq!(e.code().as_str(), "DependencyViolation.RouteEntry");
    assert_eq!(e.message(), "Specified instance is used by route entry.");
    // Once the route entry is gone, the release goes through.
    s.given_route_removed("vtb-routes0001", "10.0.0.0/24");
    s.when("DeleteInstance", &[("InstanceId", id.as_str())])
        .then_ok();
}

#[test]
fn row_10_load_balancer_backend_is_dependency_violation() {
    let (code, _, mut s) = delete_with(&[Backend]);
    assert_eq!(code, Some(Code::DependencySlb));
    let id = s.state().instances.keys().next().unwrap().clone();
    let e = s
        .when("DeleteInstance", &[("InstanceId", id.as_str())])
        .then_error(Code::DependencySlb);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 400);
    assert_eq!(e.code().as_str(), "DependencyViolation.SLBConfiguring");
    assert_eq!(
        e.message(),
        "Specified operation is denied as your instance is using by another product."
    );
    s.given_backend_removed("lb-balance0001", &id);
    s.when("DeleteInstance", &[("InstanceId", id.as_str())])
        .then_ok();
}

#[test]
fn row_11_dry_run_passes_and_appends_nothing() {
    let (code, before, s) = delete_with(&[DryRun]);
    assert_eq!(code, Some(Code::DryRunOperation));
    assert_eq!(s.log.len(), before);
    let mut s = s;
    let id = s.state().instances.keys().next().unwrap().clone();
    let e = s
        .when(
            "DeleteInstance",
            &[("InstanceId", id.as_str()), ("DryRun", "TRUE")],
        )
        .then_error(Code::DryRunOperation);
    assert_eq!(ecs_ledger::api::status::of(e.code()), 400);
    assert_eq!(
        e.message(),
        "Request validation has been passed with DryRun flag set."
    );
    assert!(
        s.state().instances.contains_key(&id),
        "DryRun released the instance"
    );
}

#[test]
fn no_row_applies_the_instance_is_released() {
    let (code, _, s) = delete_with(&[]);
    assert_eq!(code, None);
    assert!(s.state().instances.is_empty());
}

// ------------------------------------------- pairs: the earlier row wins

macro_rules! earlier_row_wins {
    ($($name:ident: [$a:ident, $b:ident] => $code:ident;)*) => {
        $(
            #[test]
            fn $name() {
                expect(&[$a, $b], Code::$code);
            }
        )*
    };
}

earlier_row_wins! {
    row_01_missing_beats_row_11_dry_run: [Missing, DryRun] => MissingParameter;
    row_01_missing_beats_row_03_other_account: [Missing, OtherAccount] => MissingParameter;
    row_02_malformed_beats_row_11_dry_run: [Malformed, DryRun] => InvalidParameter;
    row_02_malformed_beats_row_04_pending: [Malformed, Pending] => InvalidParameter;
    row_03_other_account_beats_row_04_pending: [OtherAccount, Pending] => InstanceNotFound;
    row_03_other_account_beats_row_05_protected: [OtherAccount, Protected] => InstanceNotFound;
    row_03_other_account_beats_row_06_subscription: [OtherAccount, Subscription] => InstanceNotFound;
    row_03_other_account_beats_row_08_not_stopped: [OtherAccount, NotStopped] => InstanceNotFound;
    row_03_other_account_beats_row_09_route: [OtherAccount, Route] => InstanceNotFound;
    row_03_other_account_beats_row_11_dry_run: [OtherAccount, DryRun] => InstanceNotFound;
    row_04_pending_beats_row_05_protected: [Pending, Protected] => InstanceInitializing;
    row_04_pending_beats_row_06_subscription: [Pending, Subscription] => InstanceInitializing;
    row_04_pending_beats_row_07_security_lock: [Pending, ForcedWhileSecurityLocked] => InstanceInitializing;
    row_04_pending_beats_row_09_route: [Pending, Route] => InstanceInitializing;
    row_04_pending_beats_row_10_backend: [Pending, Backend] => InstanceInitializing;
    row_04_pending_beats_row_11_dry_run: [Pending, DryRun] => InstanceInitializing;
    row_05_protected_beats_row_07_security_lock: [Protected, ForcedWhileSecurityLocked] => DeletionProtection;
    row_05_protected_beats_row_08_not_stopped: [Protected, NotStopped] => DeletionProtection;
    row_05_protected_beats_row_09_route: [Protected, Route] => DeletionProtection;
    row_05_protected_beats_row_10_backend: [Protected, Backend] => DeletionProtection;
    row_05_protected_beats_row_11_dry_run: [Protected, DryRun] => DeletionProtection;
    row_06_subscription_beats_row_07_security_lock: [Subscription, ForcedWhileSecurityLocked] => ChargeTypeViolation;
    row_06_subscription_beats_row_08_not_stopped: [Subscription, NotStopped] => ChargeTypeViolation;
    row_06_subscription_beats_row_09_route: [Subscription, Route] => ChargeTypeViolation;
    row_06_subscription_beats_row_10_backend: [Subscription, Backend] => ChargeTypeViolation;
    row_06_subscription_beats_row_11_dry_run: [Subscription, DryRun] => ChargeTypeViolation;
    row_07_security_lock_beats_row_08_not_stopped: [ForcedWhileSecurityLocked, NotStopped] => InstanceLockedForSecurity;
    row_07_security_lock_beats_row_09_route: [ForcedWhileSecurityLocked, Route] => InstanceLockedForSecurity;
    row_07_security_lock_beats_row_10_backend: [ForcedWhileSecurityLocked, Backend] => InstanceLockedForSecurity;
    row_07_security_lock_beats_row_11_dry_run: [ForcedWhileSecurityLocked, DryRun] => InstanceLockedForSecurity;
    row_08_not_stopped_beats_row_09_route: [NotStopped, Route] => IncorrectInstanceStatus;
    row_08_not_stopped_beats_row_10_backend: [NotStopped, Backend] => IncorrectInstanceStatus;
    row_08_not_stopped_beats_row_11_dry_run: [NotStopped, DryRun] => IncorrectInstanceStatus;
    row_09_route_beats_row_10_backend: [Route, Backend] => DependencyRouteEntry;
    row_09_route_beats_row_11_dry_run: [Route, DryRun] => DependencyRouteEntry;
    row_10_backend_beats_row_11_dry_run: [Backend, DryRun] => DependencySlb;
}

/// Rows 5 and 6 can never both apply: deletion protection is refused for
/// PrePaid instances, at creation and by ModifyInstanceAttribute.
#[test]
fn row_05_and_row_06_cannot_both_apply() {
    let mut s = Scenario::new();
    s.when(
        "CreateInstance",
        &[
            ("InstanceChargeType", "PrePaid"),
            ("Period", "1"),
            ("DeletionProtection", "true"),
        ],
    )
    .then_error(Code::InvalidParameter);
    let i = s.given_stopped_instance(&[("InstanceChargeType", "PrePaid"), ("Period", "1")]);
    s.when(
        "ModifyInstanceAttribute",
        &[("InstanceId", i.as_str()), ("DeletionProtection", "true")],
    )
    .then_error(Code::InvalidParameter);
}

/// All the conditions at once: row 1 still wins; drop rows one by one from the
/// front and the next one answers (the whole order, in one sweep).
#[test]
fn the_table_order_holds_across_all_combinable_rows() {
    let chain = [
        (Pending, Code::InstanceInitializing),
        (Protected, Code::DeletionProtection),
        (ForcedWhileSecurityLocked, Code::InstanceLockedForSecurity),
        (Route, Code::DependencyRouteEntry),
        (Backend, Code::DependencySlb),
        (DryRun, Code::DryRunOperation),
    ];
    for start in 0..chain.len() {
        let conds: Vec<Cond> = chain[start..].iter().map(|(c, _)| *c).collect();
        expect(&conds, chain[start].1);
    }
}
