//! #[pg_test]s: the SQL functions called through SPI inside a real backend, checked against
//! a naive loop written here (one application of T per turn), not against the engine.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    /// (steps, odd steps, peak, stopping time) by the definition.
    fn naive(n: u64) -> (i64, i64, u128, Option<i64>) {
        let (mut x, mut steps, mut odd, mut peak, mut stop) =
            (u128::from(n), 0, 0, u128::from(n), None);
        while x != 1 {
            if x % 2 == 1 {
                x = 3 * x + 1;
                odd += 1;
            } else {
                x /= 2;
            }
            steps += 1;
            peak = peak.max(x);
            if stop.is_none() && x < u128::from(n) {
                stop = Some(steps);
            }
        }
        (steps, odd, peak, stop)
    }

    fn one<T: FromDatum + IntoDatum>(sql: &str) -> Option<T> {
        Spi::get_one::<T>(sql).expect("query runs")
    }

    fn text(sql: &str) -> String {
        one::<String>(sql).expect("not null")
    }

    /// The numerics src/numeric.rs builds are the bytes numeric_in makes of the same digits,
    /// varlena and numeric headers included: one digit, trailing and interior zero digits in
    /// base 10000, the top of u64 and of u128.
    #[pg_test]
    fn built_numerics_are_numeric_in_byte_for_byte() {
        let values = [
            1u128,
            9999,
            10_000,
            100_000_000,
            1_234_000_056_780_000,
            u128::from(u64::MAX),
            10u128.pow(38),
            u128::MAX,
        ];
        for v in values {
            let text = std::ffi::CString::new(v.to_string()).expect("digits");
            // SAFETY: numeric_in(cstring, oid, int4) on a backend thread; both results are
            // palloc'd numerics with 4-byte varlena headers, read within their length.
            unsafe {
                let theirs = pgrx::direct_function_call_as_datum(
                    pg_sys::numeric_in,
                    &[
                        Some(pg_sys::Datum::from(text.as_ptr())),
                        Some(pg_sys::Datum::from(pg_sys::InvalidOid)),
                        Some(pg_sys::Datum::from(-1i32)),
                    ],
                )
                .expect("a numeric");
                let ours = crate::numeric::word_datum(v);
                let bytes = |d: pg_sys::Datum| {
                    let p = d.cast_mut_ptr::<u8>();
                    let len = (p.cast::<u32>().read_unaligned() >> 2) as usize;
                    std::slice::from_raw_parts(p, len).to_vec()
                };
                assert_eq!(bytes(ours), bytes(theirs), "{v}");
            }
        }
    }

    #[pg_test]
    fn scalar_functions_match_the_definition() {
        let n_max = 3000u64;
        let sum = |f: fn(&(i64, i64, u128, Option<i64>)) -> i128| -> String {
            (1..=n_max).map(|n| f(&naive(n))).sum::<i128>().to_string()
        };
        let sql = |expr: &str| {
            text(&format!(
                "SELECT sum({expr})::text FROM generate_series(1, {n_max}) AS n"
            ))
        };
        assert_eq!(sql("collatz.collatz_steps(n)"), sum(|t| t.0.into()));
        assert_eq!(sql("collatz.collatz_length(n)"), sum(|t| (t.0 + 1).into()));
        assert_eq!(sql("collatz.collatz_peak(n)"), sum(|t| t.2 as i128));
        assert_eq!(
            sql("collatz.collatz_stopping_time(n)"),
            sum(|t| t.3.unwrap_or(0).into())
        );
        assert_eq!(
            sql("(collatz.collatz_stats(n::numeric)).odd_steps"),
            sum(|t| t.1.into())
        );
        assert_eq!(
            sql("collatz.collatz_next(n)"),
            (1..=n_max)
                .map(|n| if n % 2 == 0 { n / 2 } else { 3 * n + 1 })
                .sum::<u64>()
                .to_string()
        );
    }

    #[pg_test]
    fn quoted_values_through_sql() {
        assert_eq!(one::<i64>("SELECT collatz.collatz_steps(27)"), Some(111));
        assert_eq!(one::<i64>("SELECT collatz.collatz_length(27)"), Some(112));
        assert_eq!(text("SELECT collatz.collatz_peak(27)::text"), "9232");
        assert_eq!(
            text("SELECT collatz.collatz_peak(8528817511)::text"),
            "18144594937356598024"
        );
        assert_eq!(
            one::<i64>("SELECT collatz.collatz_steps(837799)"),
            Some(524)
        );
        assert_eq!(one::<i64>("SELECT collatz.collatz_stopping_time(1)"), None);
        assert_eq!(
            one::<i64>("SELECT count(*) FROM collatz.collatz_sequence(27)"),
            Some(112)
        );
    }

    #[pg_test]
    fn range_and_records_match_the_definition() {
        let rows = text(
            "SELECT string_agg(format('%s:%s:%s:%s', number, steps_to_one, max_value, coalesce(stopping_time, -1)), ',' ORDER BY number)
             FROM collatz.collatz_range(1, 2000)",
        );
        let expected: Vec<String> = (1..=2000u64)
            .map(|n| {
                let (s, _, p, st) = naive(n);
                format!("{n}:{s}:{p}:{}", st.unwrap_or(-1))
            })
            .collect();
        assert_eq!(rows, expected.join(","));

        let delay = text("SELECT string_agg(number::text, ' ' ORDER BY number) FROM collatz.collatz_records(1, 10000) WHERE delay_record");
        let mut best = -1;
        let expected: Vec<String> = (1..=10000u64)
            .filter(|&n| {
                let s = naive(n).0;
                let record = s > best;
                best = best.max(s);
                record
            })
            .map(|n| n.to_string())
            .collect();
        assert_eq!(delay, expected.join(" "));
    }

    #[pg_test]
    fn json_document_is_exact() {
        assert_eq!(
            text("SELECT collatz.collatz_sequence_json(3)::text"),
            r#"{"number": 3, "sequence": [3, 10, 5, 16, 8, 4, 2, 1], "max_value": 16, "odd_steps": 2, "even_steps": 5, "steps_to_one": 7, "stopping_time": 6, "sequence_length": 8}"#
        );
    }

    #[pg_test(error = "collatz_steps: n must be a positive integer, got 0")]
    fn zero_is_refused() {
        Spi::run("SELECT collatz.collatz_steps(0)").unwrap();
    }

    #[pg_test(error = "collatz_range: the range is inverted: start 9 is above end 3")]
    fn inverted_range_is_refused() {
        Spi::run("SELECT count(*) FROM collatz.collatz_range(9, 3)").unwrap();
    }

    #[pg_test]
    fn analysis_matches_the_definition() {
        let (start, end) = (3000u64, 9000u64);
        let (mut longest, mut highest) = ((0, -1), (0, 0u128));
        for n in start..=end {
            let (steps, _, peak, _) = naive(n);
            if steps > longest.1 {
                longest = (n, steps);
            }
            if peak > highest.1 {
                highest = (n, peak);
            }
        }
        let row = text(&format!(
            "SELECT format('%s %s %s %s %s', numbers_analyzed, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value)
             FROM collatz.collatz_analyze({start}, {end})"
        ));
        let expected = format!(
            "{} {} {} {} {}",
            end - start + 1,
            longest.0,
            longest.1 + 1,
            highest.0,
            highest.1
        );
        assert_eq!(row, expected);
    }

    #[pg_test(error = "sp_analyze_range: the range bounds must not be NULL")]
    fn pipeline_ranges_refuse_null() {
        Spi::run("SELECT collatz_internal.collatz_check_range(NULL, 5, 10, 'sp_analyze_range')")
            .unwrap();
    }

    #[pg_test]
    fn first_wrong_step_finds_the_first_bad_row() {
        let check = |args: &str| {
            one::<i32>(&format!(
                "SELECT collatz_internal.collatz_first_wrong_step({args})"
            ))
        };
        // 6: 6 3 10 5 16 8 4 2 1 with rules start even odd even odd even even even even.
        assert_eq!(check("6, '{0,1,2}', '{6,3,10}', '{start,even,odd}'"), None);
        assert_eq!(
            check("6, '{2,5}', '{10,8}', '{odd,even}'"),
            None,
            "any subset of steps"
        );
        assert_eq!(
            check("6, '{1,2}', '{3,11}', '{even,odd}'"),
            Some(2),
            "a wrong term"
        );
        assert_eq!(check("6, '{1}', '{3}', '{odd}'"), Some(1), "a wrong rule");
        assert_eq!(
            check("6, '{8,9}', '{1,4}', '{even,odd}'"),
            Some(9),
            "past the end"
        );
    }

    #[pg_test]
    fn settings_are_registered() {
        assert_eq!(text("SELECT current_setting('collatz.memo_mb')"), "8MB");
        assert_eq!(text("SELECT current_setting('collatz.threads')"), "0");
    }

    /// Lines of true and of off-by-one values through collatz_import_check: every true line
    /// comes back with the naive loop's values, every wrong one with a reason.
    #[pg_test]
    fn import_check_takes_true_lines_and_refuses_wrong_ones() {
        let numbers: Vec<u64> = (1..=2000).collect();
        let lines: Vec<String> = numbers
            .iter()
            .map(|&n| {
                let (steps, _, peak, _) = naive(n);
                let wrong = i64::from(n % 7 == 0);
                format!("'{n},{},{}'", steps + wrong, peak)
            })
            .collect();
        let sql = format!(
            "SELECT count(*) FILTER (WHERE rejection IS NULL)::text || '/' ||
                    count(*) FILTER (WHERE rejection LIKE 'steps_to_one: % is wrong, % reaches 1 in % steps')
             FROM collatz_internal.collatz_import_check('csv', 'number,steps_to_one,max_value',
                  (SELECT array_agg(k) FROM generate_series(2, {}) k), ARRAY[{}])",
            numbers.len() + 1,
            lines.join(",")
        );
        let wrong = numbers.iter().filter(|&&n| n % 7 == 0).count();
        assert_eq!(text(&sql), format!("{}/{wrong}", numbers.len() - wrong));
    }

    /// A JSON page of stored rows against the naive loop, and the cursor to the next page.
    #[pg_test]
    fn json_pages_hold_the_stored_values() {
        Spi::run(
            "INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value)
             SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_range(1, 50)",
        )
        .unwrap();
        let page = "collatz.export_sequences_json(10, 50, page_size => 20)";
        assert_eq!(text(&format!("SELECT {page} ->> 'next_cursor'")), "29");
        let peaks = text(&format!(
            "SELECT string_agg(i ->> 'max_value', ',') FROM jsonb_array_elements({page} -> 'items') i"
        ));
        let want: Vec<String> = (10..30).map(|n| naive(n).2.to_string()).collect();
        assert_eq!(peaks, want.join(","));
    }

    /// sequence_steps_computed over stored rows against a naive walk: every term and rule of
    /// [1, 400] and of 12,327,829,503 (past 2^64), as text, in order.
    #[pg_test]
    fn computed_steps_are_the_terms() {
        Spi::run(
            "INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value)
             SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_range(1, 400)
             UNION ALL SELECT 12327829503, collatz.collatz_length(12327829503),
                              collatz.collatz_steps(12327829503), collatz.collatz_peak(12327829503)",
        )
        .unwrap();
        let mut want = Vec::new();
        for n in (1..=400u128).chain([12_327_829_503]) {
            let (mut x, mut rule) = (n, "start");
            loop {
                want.push(format!("{x} {rule}"));
                if x == 1 {
                    break;
                }
                (x, rule) = if x % 2 == 0 {
                    (x / 2, "even")
                } else {
                    (3 * x + 1, "odd")
                };
            }
        }
        let got = text(
            "SELECT string_agg(c.value::text || ' ' || c.operation_type, ',' ORDER BY s.number, c.step_number)
             FROM collatz.sequence_steps_computed c JOIN collatz.collatz_sequences s ON s.id = c.sequence_id",
        );
        assert_eq!(got, want.join(","));
    }
}
