//! #[pg_test]s: the functions called through SQL inside a real backend.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn one<T: pgrx::IntoDatum + pgrx::FromDatum>(sql: &str) -> Option<T> {
        Spi::get_one::<T>(sql).expect("query runs")
    }

    #[pg_test]
    fn steps_of_27() {
        assert_eq!(one::<i64>("SELECT collatz.collatz_steps(27)"), Some(111));
    }
}
