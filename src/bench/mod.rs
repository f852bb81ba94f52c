//! Benchmarks: each figure measured beside the raw sled baseline it is held
//! to, so ratios stay meaningful on any machine. Shared by the criterion
//! benches (`cargo bench`) and `ecs-ledger bench`.

pub mod fixture;
pub mod measure;
pub mod recording;

pub use measure::Figure;
