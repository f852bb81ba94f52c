//! The HTTP status of every error code (the wire's business, not the
//! model's: the model knows codes and messages).

use crate::model::error::Code;

/// The HTTP status that goes with `code` (SPEC's rule table, and ECS's own
/// for the supporting actions).
///
/// ```
/// use ecs_ledger::api::status;
/// use ecs_ledger::model::Code;
/// assert_eq!(status::of(Code::InstanceNotFound), 404);
/// assert_eq!(status::of(Code::DeletionProtection), 400);
/// ```
pub fn of(code: Code) -> u16 {
    code.http_status()
}
