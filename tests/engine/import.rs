//! Imported lines against a plain reference loop: true rows are taken with the reference's
//! values, every kind of wrong or malformed line is refused with its reason, and CSV
//! splitting agrees with a writer that quotes every field.

use collatz_engine::{check_line, check_lines, pool, split_csv, Format, Row, Value};
use proptest::prelude::*;

/// (steps, peak, terms) by the definition, on u128 (enough below 2^40).
fn reference(n: u64) -> (u64, u128, Vec<u128>) {
    let mut x = u128::from(n);
    let mut terms = vec![x];
    while x != 1 {
        x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
        terms.push(x);
    }
    let peak = *terms.iter().max().unwrap();
    ((terms.len() - 1) as u64, peak, terms)
}

fn csv(header: &str) -> Format {
    Format::csv(header).expect("a valid header")
}

fn taken(format: &Format, line: &str) -> Row {
    match check_line(format, line) {
        Some(Ok(row)) => row,
        other => panic!("{line:?} was not taken: {other:?}"),
    }
}

fn reason(format: &Format, line: &str) -> String {
    match check_line(format, line) {
        Some(Err(r)) => r.0,
        other => panic!("{line:?} was not refused: {other:?}"),
    }
}

#[test]
fn a_true_csv_row_is_taken_with_its_values() {
    let f = csv("number,sequence_length,steps_to_one,max_value");
    let row = taken(&f, "27,112,111,9232");
    assert_eq!(
        (row.number, row.sequence_length(), row.steps_to_one),
        (27, 112, 111)
    );
    assert_eq!(row.max_value, Value::from(9232u64));
    assert_eq!(row.terms, None);
    // Only the number given: the rest is computed.
    let row = taken(&csv("number"), "8528817511");
    assert_eq!(row.max_value.to_string(), "18144594937356598024");
}

#[test]
fn header_columns_may_come_in_any_order_and_id_created_at_are_ignored() {
    let f = csv("id,max_value,number,created_at,steps_to_one");
    let row = taken(&f, "7,52,9,2026-01-01 00:00:00+00,19");
    assert_eq!(row.number, 9);
    assert!(Format::csv("number,foo")
        .unwrap_err()
        .contains("unknown column \"foo\""));
    assert!(Format::csv("number,number").unwrap_err().contains("twice"));
    assert!(Format::csv("steps_to_one")
        .unwrap_err()
        .contains("no \"number\""));
}

#[test]
fn steps_are_checked_term_by_term_as_an_array_literal_or_json() {
    let f = csv("number,steps");
    let row = taken(&f, "\"6\",\"{6,3,10,5,16,8,4,2,1}\"");
    assert_eq!(row.terms.as_ref().map(Vec::len), Some(9));
    // A prefix is what sequence_steps may hold.
    assert_eq!(taken(&f, "6,\"[6,3,10]\"").terms.unwrap().len(), 3);
    assert_eq!(
        reason(&f, "6,\"{6,3,11}\""),
        "steps: term 2 is 11, the sequence of 6 has 10 there"
    );
    assert_eq!(
        reason(&f, "1,\"{1,4}\""),
        "steps: 2 terms given, the sequence of 1 has 1"
    );
    assert_eq!(reason(&f, "6,6 3 10"), "steps: \"6 3 10\" is not an array");
    assert_eq!(
        reason(&f, "6,\"{6,x}\""),
        "steps[1]: \"x\" is not an integer"
    );
}

#[test]
fn every_rejection_reason() {
    let f = csv("number,sequence_length,steps_to_one,max_value");
    let cases = [
        (
            "27,113,111,9232",
            "sequence_length: 113 is wrong, the sequence of 27 has 112 terms",
        ),
        (
            "27,112,110,9232",
            "steps_to_one: 110 is wrong, 27 reaches 1 in 111 steps",
        ),
        (
            "27,112,111,9233",
            "max_value: 9233 is wrong, the sequence of 27 peaks at 9232",
        ),
        ("abc,112,111,9232", "number: \"abc\" is not an integer"),
        ("0,1,0,1", "number: \"0\" is not positive"),
        ("-5,1,0,1", "number: \"-5\" is not positive"),
        ("2.5,1,0,1", "number: \"2.5\" is not a whole number"),
        (
            "9223372036854775808,,,",
            "number: 9223372036854775808 is out of range for bigint",
        ),
        (",112,111,9232", "number is missing"),
        ("27,112,111", "3 fields, the header has 4"),
        ("27,\"112,111,9232", "a quoted field is not closed"),
        ("27,\"112\"x,111,9232", "text after a quoted field"),
        ("27,11\"2,111,9232", "a quote inside an unquoted field"),
        (
            "27,1e3,111,9232",
            "sequence_length: \"1e3\" is not an integer",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(reason(&f, line), want, "line {line:?}");
    }
    let j = Format::JsonLines;
    let cases = [
        (
            "{\"number\": 27, \"steps_to_one\": 112}",
            "steps_to_one: 112 is wrong, 27 reaches 1 in 111 steps",
        ),
        ("[27]", "not a JSON object"),
        ("{\"number\": \"27\"}", "number: \"27\" is not a number"),
        (
            "{\"number\": 27, \"colour\": 1}",
            "unknown field \"colour\"",
        ),
        ("{\"number\": 27, \"steps\": 27}", "steps: not a JSON array"),
        ("{\"sequence_length\": 1}", "number is missing"),
    ];
    for (line, want) in cases {
        assert_eq!(reason(&j, line), want, "line {line:?}");
    }
    assert!(reason(&j, "{\"number\": 27").starts_with("invalid JSON: "));
}

#[test]
fn blank_lines_are_no_rows_and_crlf_is_read() {
    let f = csv("number,steps_to_one");
    assert_eq!(check_line(&f, ""), None);
    assert_eq!(check_line(&f, "  \r"), None);
    assert_eq!(taken(&f, "27,111\r").number, 27);
    assert_eq!(check_line(&Format::JsonLines, ""), None);
}

#[test]
fn json_keeps_big_values_exact() {
    // The first peak past 2^64.
    let (_, peak, _) = reference(12327829503);
    let line = format!(
        r#"{{"id": 4, "number": 12327829503, "max_value": {peak}, "created_at": "x", "steps": [12327829503, 36983488510]}}"#
    );
    let row = taken(&Format::JsonLines, &line);
    assert!(peak > u128::from(u64::MAX));
    assert_eq!(row.max_value, Value::Small(peak));
    assert_eq!(row.terms.unwrap()[1], Value::from(36983488510u64));
}

#[test]
fn a_batch_is_checked_in_order_on_the_pool() {
    let pool = pool(2).unwrap();
    let f = csv("number,steps_to_one");
    let lines: Vec<Option<String>> = (1..=5000u64)
        .map(|n| Some(format!("{n},{}", reference(n).0 + u64::from(n % 1000 == 0))))
        .chain([None])
        .collect();
    let checked = check_lines(&pool, &f, &lines);
    assert_eq!(checked.len(), 5001);
    for (n, c) in (1..=5000u64).zip(&checked) {
        match c {
            Some(Ok(row)) => assert!(n % 1000 != 0 && row.number == n),
            Some(Err(_)) => assert_eq!(n % 1000, 0),
            None => panic!("line {n} vanished"),
        }
    }
    assert_eq!(checked[5000], None);
}

proptest! {
    #[test]
    fn true_lines_are_taken_and_one_wrong_value_is_refused(n in 1u64..1 << 40, which in 0usize..4, by in 1u64..3) {
        let (steps, peak, terms) = reference(n);
        let mut values = [steps + 1, steps, peak as u64, terms[terms.len().min(5) - 1] as u64];
        let f = csv("number,sequence_length,steps_to_one,max_value,steps");
        let prefix: Vec<String> = terms.iter().take(5).map(u128::to_string).collect();
        let line = |v: &[u64; 4], prefix: &[String]| format!("{n},{},{},{},\"{{{}}}\"", v[0], v[1], v[2], prefix.join(","));
        let row = taken(&f, &line(&values, &prefix));
        prop_assert_eq!(row.steps_to_one, steps);
        prop_assert_eq!(row.max_value, Value::Small(peak));
        prop_assert_eq!(row.terms.unwrap().len(), prefix.len());
        values[which] += by;
        let mut wrong_prefix = prefix.clone();
        if which == 3 {
            *wrong_prefix.last_mut().unwrap() = values[3].to_string();
        }
        prop_assert!(matches!(check_line(&f, &line(&values, &wrong_prefix)), Some(Err(_))));
    }

    #[test]
    fn csv_splitting_reads_what_a_quoting_writer_wrote(cells in prop::collection::vec("[a-z0-9,\" ]{1,8}", 1..6)) {
        let line = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(",");
        let read: Vec<String> = split_csv(&line).unwrap().into_iter().map(Option::unwrap).collect();
        prop_assert_eq!(read, cells);
    }
}
