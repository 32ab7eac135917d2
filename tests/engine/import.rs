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

/// 1,980,976,057,694,848,447 < 2^63 has 1,475 steps and a 38-digit peak (a published path
/// record), computed here by the reference loop.
const HIGH_PEAK_NUMBER: u64 = 1_980_976_057_694_848_447;

#[test]
fn fields_are_refused_by_their_length_before_parsing() {
    let f = csv("number,sequence_length,steps_to_one,max_value");
    let long = "9".repeat(1_600_000);
    let cases = [
        (
            format!("{long},,,"),
            "number has 1600000 digits; a bigint has at most 19",
        ),
        (
            format!("27,{long},,"),
            "sequence_length has 1600000 digits; a count of terms has at most 20",
        ),
        (
            format!("27,,{long},"),
            "steps_to_one has 1600000 digits; a count of steps has at most 20",
        ),
        (
            format!("27,,,{long}"),
            "max_value has 1600000 digits; a peak of a bigint number has at most 39",
        ),
        (
            format!("27,,,-{long}.000"),
            "max_value has 1600000 digits; a peak of a bigint number has at most 39",
        ),
    ];
    for (line, want) in &cases {
        let started = std::time::Instant::now();
        assert_eq!(reason(&f, line), *want);
        // Parsing 1.6 million digits took 1.9 s (release build); measuring them is linear.
        let took = started.elapsed();
        assert!(took.as_millis() < 500, "{want}: {took:?}");
    }
    let j = Format::JsonLines;
    let started = std::time::Instant::now();
    assert_eq!(
        reason(&j, &format!(r#"{{"number": 27, "max_value": {long}}}"#)),
        "max_value has 1600000 digits; a peak of a bigint number has at most 39"
    );
    assert!(started.elapsed().as_millis() < 500);
    let s = csv("number,steps");
    assert_eq!(
        reason(&s, &format!("27,\"{{27,82,{long}}}\"")),
        "steps[2] has 1600000 digits; a term of a bigint number's sequence has at most 39"
    );
    assert_eq!(
        reason(&j, &format!(r#"{{"number": 27, "steps": [27, {long}]}}"#)),
        "steps[1] has 1600000 digits; a term of a bigint number's sequence has at most 39"
    );
}

#[test]
fn the_longest_true_values_still_pass_the_length_check() {
    let (steps, peak, terms) = reference(HIGH_PEAK_NUMBER);
    assert_eq!((steps, peak.to_string().len()), (1475, 38));
    let terms: Vec<String> = terms.iter().map(u128::to_string).collect();
    let line = format!(
        r#"{{"number": {HIGH_PEAK_NUMBER}, "sequence_length": {}, "steps_to_one": {steps}, "max_value": {peak}, "steps": [{}]}}"#,
        steps + 1,
        terms.join(", ")
    );
    let row = taken(&Format::JsonLines, &line);
    assert_eq!(row.max_value, Value::Small(peak));
    assert_eq!(row.terms.map(|t| t.len()), Some(1476));
    // 39 digits (2^128 - 1) are read and compared; 40 are refused unread.
    let f = csv("number,max_value");
    assert_eq!(
        reason(&f, &format!("27,{}", u128::MAX)),
        format!(
            "max_value: {} is wrong, the sequence of 27 peaks at 9232",
            u128::MAX
        )
    );
    assert_eq!(
        reason(&f, &format!("27,{}0", u128::MAX)),
        "max_value has 40 digits; a peak of a bigint number has at most 39"
    );
    // Leading zeros do not count, and the largest bigint is a number like any other.
    taken(&f, &format!("27,{}9232", "0".repeat(100)));
    let max = taken(&csv("number"), &i64::MAX.to_string());
    assert_eq!(max.number, i64::MAX as u64);
    assert_eq!(
        reason(&csv("number"), "12345678901234567890"),
        "number has 20 digits; a bigint has at most 19"
    );
}

#[test]
fn steps_stop_at_max_terms() {
    use collatz_engine::MAX_TERMS;
    // Exactly MAX_TERMS terms are read, then checked against the sequence.
    let ones = vec!["1"; MAX_TERMS].join(",");
    assert_eq!(
        reason(&csv("number,steps"), &format!("1,\"{{{ones}}}\"")),
        format!("steps: {MAX_TERMS} terms given, the sequence of 1 has 1")
    );
    // One more is refused as it is met: a million terms cost no more than the first 10,001.
    let many = vec!["1"; 1_000_000].join(",");
    let want =
        format!("steps: more than {MAX_TERMS} terms; no bigint number's sequence has that many");
    let started = std::time::Instant::now();
    assert_eq!(
        reason(&csv("number,steps"), &format!("1,\"{{{many}}}\"")),
        want
    );
    assert_eq!(
        reason(
            &Format::JsonLines,
            &format!(r#"{{"number": 1, "steps": [{many}]}}"#)
        ),
        want
    );
    assert!(started.elapsed().as_millis() < 500);
    // JSON stops in the same pass: what follows the 10,001st term is never read.
    assert_eq!(
        reason(
            &Format::JsonLines,
            &format!(r#"{{"number": 1, "steps": [{ones}, 1, not json"#)
        ),
        want
    );
}

#[test]
fn a_json_key_may_appear_once() {
    let j = Format::JsonLines;
    assert_eq!(
        reason(&j, r#"{"number": 27, "max_value": 9232, "number": 28}"#),
        "key \"number\" appears twice"
    );
    assert_eq!(
        reason(&j, r#"{"number": 27, "steps": [27], "steps": [27, 82]}"#),
        "key \"steps\" appears twice"
    );
    // Ignored keys too: which of two ids is meant is as unclear.
    assert_eq!(
        reason(&j, r#"{"id": 1, "number": 27, "id": 2}"#),
        "key \"id\" appears twice"
    );
    // The same key written with an escape is the same key.
    assert_eq!(
        reason(&j, r#"{"number": 27, "numb\u0065r": 28}"#),
        "key \"number\" appears twice"
    );
    taken(
        &j,
        r#"{"id": 1, "number": 27, "created_at": "x", "max_value": 9232}"#,
    );
}

#[test]
fn u0000_in_a_key_or_a_string_is_refused_and_no_reason_holds_a_nul() {
    let j = Format::JsonLines;
    let cases = [
        (
            r#"{"\u0000": 1, "number": 27}"#,
            r#"key "\u0000" contains U+0000, which PostgreSQL text cannot hold"#,
        ),
        (
            r#"{"number": 27, "num\u0000ber": 1}"#,
            r#"key "num\u0000ber" contains U+0000, which PostgreSQL text cannot hold"#,
        ),
        (
            r#"{"number": "\u0000"}"#,
            "number: a string holds U+0000, which PostgreSQL text cannot hold",
        ),
        (
            r#"{"number": 27, "created_at": "2026\u0000"}"#,
            "created_at: a string holds U+0000, which PostgreSQL text cannot hold",
        ),
        (
            r#"{"number": 27, "id": {"a": ["\u0000"]}}"#,
            "id: a string holds U+0000, which PostgreSQL text cannot hold",
        ),
        (
            r#"{"number": 27, "steps": [27, "\u0000"]}"#,
            "steps[1]: a string holds U+0000, which PostgreSQL text cannot hold",
        ),
        (
            r#"{"number": 27, "steps": "\u0000"}"#,
            "steps: a string holds U+0000, which PostgreSQL text cannot hold",
        ),
        // Other control characters are shown escaped.
        (
            r#"{"number": 27, "col\u0001our": 1}"#,
            r#"unknown field "col\u0001our""#,
        ),
    ];
    for (line, want) in cases {
        assert_eq!(reason(&j, line), want, "line {line}");
    }
    // An escaped backslash before u0000 is no U+0000.
    assert_eq!(
        reason(
            &j,
            r#"{"number": 27, "created_at": "\\u0000", "max_value": 1}"#
        ),
        "max_value: 1 is wrong, the sequence of 27 peaks at 9232"
    );
    // A NUL from a caller other than PostgreSQL, in CSV or JSON, is shown escaped.
    let f = csv("number,steps");
    for (format, line) in [
        (&f, "2\u{0}7,"),
        (&f, "27,\"{27,8\u{0}2}\""),
        (&f, "27,\"\u{0}\""),
        (&j, "{\"number\": 27\u{0}}"),
        (&j, "{\"number\u{0}\": 27}"),
        (&j, "\u{0}"),
    ] {
        let r = reason(format, line);
        assert!(!r.contains('\0'), "{line:?} gave {r:?}");
    }
    assert_eq!(
        reason(&f, "2\u{0}7,"),
        r#"number: "2\u00007" is not an integer"#
    );
}

#[test]
fn reasons_quote_at_most_40_characters_of_the_line() {
    let f = csv("number");
    let junk = "x".repeat(1_600_000);
    let r = reason(&f, &junk);
    assert_eq!(
        r,
        format!("number: \"{}...\" is not an integer", "x".repeat(40))
    );
    let r = reason(&Format::JsonLines, &format!(r#"{{"{junk}": 1}}"#));
    assert_eq!(r, format!("unknown field \"{}...\"", "x".repeat(40)));
    let r = reason(&Format::JsonLines, &format!(r#"{{"number": "{junk}"}}"#));
    assert_eq!(
        r,
        format!("number: \"{}... is not a number", "x".repeat(39))
    );
}

#[test]
fn json_values_of_every_kind_get_a_reason() {
    let j = Format::JsonLines;
    let cases = [
        (r#"{"number": true}"#, "number: true is not a number"),
        (r#"{"number": [27]}"#, "number: [27] is not a number"),
        (
            r#"{"number": 27, "steps": true}"#,
            "steps: not a JSON array",
        ),
        (
            r#"{"number": 27, "steps": {"a": 1}}"#,
            "steps: not a JSON array",
        ),
        (
            r#"{"number": 27, "steps": "27"}"#,
            "steps: not a JSON array",
        ),
        (
            r#"{"number": 27, "steps": [27, null]}"#,
            "steps[1]: null is not a number",
        ),
        (
            r#"{"number": 27, "steps": [27, "82"]}"#,
            "steps[1]: \"82\" is not a number",
        ),
        (
            r#"{"number": 27, "steps": [27, 1e3]}"#,
            "steps[1]: \"1e3\" is not an integer",
        ),
        ("27", "not a JSON object"),
        (r#""number""#, "not a JSON object"),
    ];
    for (line, want) in cases {
        assert_eq!(reason(&j, line), want, "line {line}");
    }
    for line in [
        r#"{"number": 27} x"#,
        r#"{"number": 27,}"#,
        "[27",
        "{\"number\": 27, \"steps\": [27,]}",
    ] {
        assert!(reason(&j, line).starts_with("invalid JSON: "), "{line}");
    }
    // Null is a value not given; steps may be null or empty.
    assert_eq!(
        taken(&j, r#"{"number": 27, "max_value": null, "steps": null}"#).terms,
        None
    );
    assert_eq!(
        taken(&j, r#"{"number": 27, "steps": []}"#).terms,
        Some(vec![])
    );
    assert_eq!(taken(&j, r#"  {"number": 27.000}  "#).number, 27);
}

proptest! {
    #[test]
    fn no_reason_holds_a_nul_or_more_than_a_few_hundred_bytes(line in "[\\PC\u{0}-\u{1f}]{0,400}", json in any::<bool>()) {
        let format = if json { Format::JsonLines } else { csv("number,sequence_length,steps_to_one,max_value,steps") };
        if let Some(Err(r)) = check_line(&format, &line) {
            prop_assert!(!r.0.contains('\0'), "{:?} gave {:?}", line, r.0);
            prop_assert!(r.0.len() < 400, "{:?} gave {:?}", line, r.0);
        }
    }

    #[test]
    fn objects_with_a_repeated_key_are_refused(n in 1u64..100_000, which in 0usize..5) {
        let keys = ["number", "sequence_length", "steps_to_one", "max_value", "steps"];
        let (steps, peak, _) = reference(n);
        let values = [n.to_string(), (steps + 1).to_string(), steps.to_string(), peak.to_string(), format!("[{n}]")];
        let mut fields: Vec<String> = keys.iter().zip(&values).map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let line = format!("{{{}}}", fields.join(", "));
        prop_assert_eq!(taken(&Format::JsonLines, &line).steps_to_one, steps);
        fields.push(format!("\"{}\": {}", keys[which], values[which]));
        let line = format!("{{{}}}", fields.join(", "));
        prop_assert_eq!(reason(&Format::JsonLines, &line), format!("key \"{}\" appears twice", keys[which]));
    }
}
