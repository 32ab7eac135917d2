//! The Collatz engine of collatz_ext: all of the mathematics and all of the threads, with
//! no PostgreSQL in sight. The extension's glue converts SQL values to [`Value`], calls in
//! here on the backend thread, and converts the answers back.
//!
//! Conventions: T(n) = n/2 for even n, 3n+1 for odd n; `steps` counts applications of T
//! until 1; the peak includes the start; the stopping time counts applications of T until
//! the first term below the start (undefined for 1).

mod import;
mod jump;
mod memo;
mod pool;
mod range;
mod records;
mod sieve;
mod stretch;
mod summary;
mod trajectory;
mod value;
mod walk;

pub use import::{
    check_line, check_lines, split_csv, Checked, Field, Format, Rejection, Row, MAX_TERMS,
};
pub use jump::{peak, steps_to_one};
pub use memo::{Entry, Memo, MemoAllocError};
pub use pool::pool;
pub use range::{chunk_records, chunk_trajectories, memo_len_for, trajectory_in, RangeScan, CHUNK};
pub use rayon::ThreadPool;
pub use records::{Record, Records};
pub use summary::{analyze_scan, Summary, Walks};
pub use trajectory::{next, sequence, trajectory, Operation, Sequence, Trajectory};
pub use value::{InputError, Value};
