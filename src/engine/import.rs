//! Imported rows: one line of a CSV file (under its header) or of a JSON Lines file, parsed
//! and checked against the values computed here. A line is either a row whose every given
//! value is the true one, or a rejection with the reason a person can act on. Parsing and
//! checking use no PostgreSQL, so a batch of lines can be checked on the worker pool.

use crate::trajectory::{sequence, trajectory};
use crate::value::{InputError, Value};
use rayon::prelude::*;
use rayon::ThreadPool;
use serde::de::{self, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt::{self, Write as _};

/// Most terms a `steps` field may give; reading stops at the next one. A stored number is a
/// bigint, below 2^63. The engine's facts: 837,799 (20 bits) has 524 steps (the published
/// delay record below 10^6, tests/engine/reference.rs), nothing below 2^32 has 1,100
/// (memo.rs), and 1,980,976,057,694,848,447 (61 bits, the highest peak the import tests
/// load) has 1,475. Record step counts grow about linearly in the bits of n (26 a bit at 20
/// bits, 34 at 32), which puts the longest below 2^63 near 2,500 steps. 10,000 leaves four
/// times that, and bounds what one line's terms hold before they are checked (10,000
/// strings). A sequence that did have more would be refused with this reason, never stored
/// wrongly: every term is still checked against the walk.
pub const MAX_TERMS: usize = 10_000;

/// Most significant digits of each field, counted before parsing: a longer one is wrong
/// whatever it says, and a number of a million digits would take seconds to parse.
/// A number is a bigint: i64::MAX = 9,223,372,036,854,775,807 has 19 digits.
const NUMBER_DIGITS: usize = 19;
/// A count (sequence_length, steps_to_one) is a u64 here: u64::MAX has 20 digits.
const COUNT_DIGITS: usize = 20;
/// A bigint number's peak, and so each of its terms, is below 2^128 (39 digits).
const PEAK_DIGITS: usize = 39;

/// The keys a JSON object may have, in one list so that a repeat can be told by position.
const KEYS: [&str; 7] = [
    "number",
    "sequence_length",
    "steps_to_one",
    "max_value",
    "steps",
    "id",
    "created_at",
];

/// A column an import understands. `id` and `created_at` are accepted and ignored: the
/// target database assigns its own keys and stamps the rows it stores, and a file written by
/// `\copy (SELECT * FROM collatz_sequences)` carries both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Number,
    SequenceLength,
    StepsToOne,
    MaxValue,
    Steps,
    Ignored,
}

impl Field {
    /// The names a header or a JSON object may use, as the columns of collatz_sequences.
    pub const NAMES: &'static str =
        "number, sequence_length, steps_to_one, max_value, steps (id and created_at are ignored)";

    fn named(name: &str) -> Option<Field> {
        Some(match name {
            "number" => Field::Number,
            "sequence_length" => Field::SequenceLength,
            "steps_to_one" => Field::StepsToOne,
            "max_value" => Field::MaxValue,
            "steps" => Field::Steps,
            "id" | "created_at" => Field::Ignored,
            _ => return None,
        })
    }
}

/// How the lines of a file are read.
#[derive(Clone, Debug)]
pub enum Format {
    /// CSV (RFC 4180 quoting) under a header naming the columns in file order.
    Csv(Vec<Field>),
    /// One JSON object per line, keyed by field name.
    JsonLines,
}

impl Format {
    /// The CSV format of a header line: every name known, `number` present, none twice.
    pub fn csv(header: &str) -> Result<Format, String> {
        let names = split_csv(header)?;
        let mut fields = Vec::with_capacity(names.len());
        for name in &names {
            let name = name.as_deref().unwrap_or("").trim();
            let field =
                Field::named(name).ok_or_else(|| format!("unknown column {}", quote(name)))?;
            if field != Field::Ignored && fields.contains(&field) {
                return Err(format!("column {} appears twice", quote(name)));
            }
            fields.push(field);
        }
        if !fields.contains(&Field::Number) {
            return Err("no \"number\" column".into());
        }
        Ok(Format::Csv(fields))
    }
}

/// A checked row: the number and its true values, and the stored terms if the line gave any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub number: u64,
    pub steps_to_one: u64,
    pub max_value: Value,
    /// Terms from step 0, each checked; a prefix of the sequence (what sequence_steps holds).
    pub terms: Option<Vec<Value>>,
}

impl Row {
    pub fn sequence_length(&self) -> u64 {
        self.steps_to_one + 1
    }
}

/// Why a line was not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection(pub String);

/// The outcome of one line: `None` for a blank line, which is no row at all.
pub type Checked = Option<Result<Row, Rejection>>;

/// Checks one line. Numbers are limited to bigint, the type of collatz_sequences.number.
/// Takes time linear in the line, whatever it holds: each field is measured before it is
/// parsed. A reason quotes at most 40 characters of the line, with control characters
/// escaped, so it never holds a NUL (which PostgreSQL text cannot).
pub fn check_line(format: &Format, line: &str) -> Checked {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.trim().is_empty() {
        return None;
    }
    let given = match format {
        Format::Csv(fields) => from_csv(fields, line),
        Format::JsonLines => from_json(line),
    };
    // Every reason is built from escaped text already; this keeps that true by construction.
    Some(
        given
            .and_then(|g| g.check())
            .map_err(|reason| Rejection(reason.replace('\0', "\\u0000"))),
    )
}

/// Checks a batch of lines on the pool, in order. The result has one entry a line: its size
/// is bounded by the batch the caller already holds, and each row's terms by `MAX_TERMS`.
pub fn check_lines(pool: &ThreadPool, format: &Format, lines: &[Option<String>]) -> Vec<Checked> {
    pool.install(|| {
        lines
            .par_iter()
            .map(|line| check_line(format, line.as_deref().unwrap_or("")))
            .collect()
    })
}

/// The values a line claims, before checking. Text stays text until it is checked, so a
/// reason can quote it.
#[derive(Default)]
struct Given {
    number: Option<String>,
    sequence_length: Option<String>,
    steps_to_one: Option<String>,
    max_value: Option<String>,
    steps: Option<Vec<String>>,
}

impl Given {
    fn set(&mut self, field: Field, text: String) -> Result<(), String> {
        match field {
            Field::Number => self.number = Some(text),
            Field::SequenceLength => self.sequence_length = Some(text),
            Field::StepsToOne => self.steps_to_one = Some(text),
            Field::MaxValue => self.max_value = Some(text),
            Field::Steps => self.steps = Some(array_terms(&text)?),
            Field::Ignored => {}
        }
        Ok(())
    }

    fn check(self) -> Result<Row, String> {
        let text = self.number.ok_or("number is missing")?;
        digits("number", &text, NUMBER_DIGITS, "a bigint")?;
        let number = match value("number", &text)? {
            Value::Small(n) if n <= i64::MAX as u128 => n as u64,
            _ => {
                return Err(format!(
                    "number: {} is out of range for bigint",
                    shown(&text)
                ))
            }
        };
        let truth = trajectory(&Value::from(number), &mut || {});
        if let Some(text) = self.sequence_length {
            digits("sequence_length", &text, COUNT_DIGITS, "a count of terms")?;
            if integer("sequence_length", &text)? != u128::from(truth.length()) {
                return Err(format!(
                    "sequence_length: {} is wrong, the sequence of {number} has {} terms",
                    shown(&text),
                    truth.length()
                ));
            }
        }
        if let Some(text) = self.steps_to_one {
            digits("steps_to_one", &text, COUNT_DIGITS, "a count of steps")?;
            if integer("steps_to_one", &text)? != u128::from(truth.steps) {
                return Err(format!(
                    "steps_to_one: {} is wrong, {number} reaches 1 in {} steps",
                    shown(&text),
                    truth.steps
                ));
            }
        }
        if let Some(text) = self.max_value {
            digits("max_value", &text, PEAK_DIGITS, "a peak of a bigint number")?;
            if value("max_value", &text)? != truth.peak {
                return Err(format!(
                    "max_value: {} is wrong, the sequence of {number} peaks at {}",
                    shown(&text),
                    truth.peak
                ));
            }
        }
        let terms = match self.steps {
            None => None,
            Some(texts) => Some(check_terms(number, truth.length(), &texts)?),
        };
        Ok(Row {
            number,
            steps_to_one: truth.steps,
            max_value: truth.peak,
            terms,
        })
    }
}

/// The given terms, each the true one at its step; no more terms than the sequence has.
fn check_terms(number: u64, length: u64, texts: &[String]) -> Result<Vec<Value>, String> {
    if texts.len() as u64 > length {
        return Err(format!(
            "steps: {} terms given, the sequence of {number} has {length}",
            texts.len()
        ));
    }
    let mut terms = Vec::with_capacity(texts.len());
    for ((step, truth, _), text) in sequence(Value::from(number)).zip(texts) {
        let field = format!("steps[{step}]");
        digits(
            &field,
            text,
            PEAK_DIGITS,
            "a term of a bigint number's sequence",
        )?;
        let term = value(&field, text)?;
        if term != truth {
            return Err(format!(
                "steps: term {step} is {}, the sequence of {number} has {truth} there",
                shown(text)
            ));
        }
        terms.push(term);
    }
    Ok(terms)
}

/// A non-negative integer field (a count: 0 is one), quoted in the reason when it is not one.
fn integer(field: &str, text: &str) -> Result<u128, String> {
    if let Ok(count) = text.trim().parse::<u128>() {
        return Ok(count);
    }
    match value(field, text)? {
        Value::Small(v) => Ok(v),
        Value::Big(_) => Err(format!("{field}: {} is out of range", shown(text))),
    }
}

/// Significant decimal digits of a number written as `Value::parse_positive` reads it
/// (optional sign, digits, optional `.` and digits; leading zeros do not count), or `None`
/// for text of another shape, which the parser then refuses, also in linear time.
fn significant_digits(text: &str) -> Option<usize> {
    let t = text.trim();
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int_part, frac_part) = t.split_once('.').unwrap_or((t, ""));
    let all_digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    (!int_part.is_empty() && all_digits(int_part) && all_digits(frac_part))
        .then(|| int_part.trim_start_matches('0').len())
}

/// Refuses a field of more than `limit` significant digits before anything parses it.
fn digits(field: &str, text: &str, limit: usize, what: &str) -> Result<(), String> {
    match significant_digits(text) {
        Some(n) if n > limit => Err(format!(
            "{field} has {n} digits; {what} has at most {limit}"
        )),
        _ => Ok(()),
    }
}

/// A field that parsed as a number, for a reason: trimmed (so only sign, digits and a point
/// are left) and at most 40 characters (leading zeros do not count against the limits).
fn shown(text: &str) -> String {
    abbreviate(text.trim())
}

/// At most 40 characters of `text` with control characters escaped as JSON writes them
/// (`\u0000`), so that a reason is one line and holds no NUL.
fn escaped(text: &str, quotes: bool) -> String {
    let mut out = String::new();
    for c in abbreviate(text).chars() {
        match c {
            '"' | '\\' if quotes => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` in double quotes for a reason, escaped as a JSON string (see `escaped`).
fn quote(text: &str) -> String {
    format!("\"{}\"", escaped(text, true))
}

/// A positive integer field of any size.
fn value(field: &str, text: &str) -> Result<Value, String> {
    Value::parse_positive(text).map_err(|e| {
        let what = match e {
            InputError::NotPositive => "is not positive",
            InputError::Fractional => "is not a whole number",
            _ => "is not an integer",
        };
        format!("{field}: {} {what}", quote(text))
    })
}

fn from_csv(fields: &[Field], line: &str) -> Result<Given, String> {
    let cells = split_csv(line)?;
    if cells.len() != fields.len() {
        return Err(format!(
            "{} fields, the header has {}",
            cells.len(),
            fields.len()
        ));
    }
    let mut given = Given::default();
    for (&field, cell) in fields.iter().zip(cells) {
        // An empty cell is a value not given (COPY writes NULL that way).
        if let Some(text) = cell.filter(|t| !t.is_empty()) {
            given.set(field, text)?;
        }
    }
    Ok(given)
}

/// Splits one CSV line: comma-separated, fields optionally in double quotes with `""` for a
/// quote. An unquoted empty field is `None`, as COPY reads it.
pub fn split_csv(line: &str) -> Result<Vec<Option<String>>, String> {
    let mut cells = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let cell = if chars.peek() == Some(&'"') {
            chars.next();
            let mut text = String::new();
            loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        text.push('"');
                    }
                    Some('"') => break,
                    Some(c) => text.push(c),
                }
            }
            if !matches!(chars.peek(), None | Some(',')) {
                return Err("text after a quoted field".into());
            }
            Some(text)
        } else {
            let mut text = String::new();
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err("a quote inside an unquoted field".into());
                }
                text.push(c);
                chars.next();
            }
            (!text.is_empty()).then_some(text)
        };
        cells.push(cell);
        if chars.next().is_none() {
            return Ok(cells);
        }
    }
}

/// The terms of a `steps` cell: a PostgreSQL array literal (`{27,82,41}`, as `\copy` writes
/// a numeric[]) or a JSON array (`[27,82,41]`).
fn array_terms(text: &str) -> Result<Vec<String>, String> {
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .or_else(|| {
            text.trim()
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
        })
        .ok_or_else(|| format!("steps: {} is not an array", quote(text)))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut terms = Vec::new();
    for term in inner.split(',') {
        if terms.len() == MAX_TERMS {
            return Err(too_many_terms());
        }
        terms.push(term.trim().to_string());
    }
    Ok(terms)
}

fn too_many_terms() -> String {
    format!("steps: more than {MAX_TERMS} terms; no bigint number's sequence has that many")
}

/// One JSON object, read key by key: a key that is unknown, repeated or holds U+0000 stops
/// the line there, and so does a value that holds U+0000. Each value is taken as its JSON
/// text (`RawValue`, borrowed from the line), so a number keeps every digit and is measured
/// before it is parsed.
fn from_json(line: &str) -> Result<Given, String> {
    if !line.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<IgnoredAny>(line) {
            Ok(_) => "not a JSON object".into(),
            Err(e) => format!("invalid JSON: {e}"),
        });
    }
    let mut reason = None;
    let mut de = serde_json::Deserializer::from_str(line);
    let parsed = de
        .deserialize_map(ObjectVisitor {
            reason: &mut reason,
        })
        .and_then(|given| de.end().map(|()| given));
    match (parsed, reason) {
        (_, Some(reason)) => Err(reason),
        (Ok(given), None) => Ok(given),
        (Err(e), None) => Err(format!("invalid JSON: {e}")),
    }
}

/// Stops a JSON parse with a rejection: the reason goes to `slot`, and the error that
/// serde_json returns (with its position) is dropped for it.
fn reject<E: de::Error>(slot: &mut Option<String>, reason: String) -> E {
    *slot = Some(reason);
    E::custom("rejected")
}

struct ObjectVisitor<'r> {
    reason: &'r mut Option<String>,
}

impl<'de> Visitor<'de> for ObjectVisitor<'_> {
    type Value = Given;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Given, A::Error> {
        let mut given = Given::default();
        let mut seen = [false; KEYS.len()];
        while let Some(key) = map.next_key::<String>()? {
            if key.contains('\0') {
                let reason = format!(
                    "key {} contains U+0000, which PostgreSQL text cannot hold",
                    quote(&key)
                );
                return Err(reject(self.reason, reason));
            }
            let Some(slot) = KEYS.iter().position(|k| *k == key) else {
                return Err(reject(
                    self.reason,
                    format!("unknown field {}", quote(&key)),
                ));
            };
            if std::mem::replace(&mut seen[slot], true) {
                let reason = format!("key {} appears twice", quote(&key));
                return Err(reject(self.reason, reason));
            }
            let field = Field::named(&key);
            if field == Some(Field::Steps) {
                given.steps = map.next_value_seed(StepsSeed {
                    reason: &mut *self.reason,
                })?;
                continue;
            }
            let raw: &'de RawValue = map.next_value()?;
            let text = raw.get();
            // `key` is one of KEYS from here on: safe to show as it is.
            if has_nul(text) {
                let reason =
                    format!("{key}: a string holds U+0000, which PostgreSQL text cannot hold");
                return Err(reject(self.reason, reason));
            }
            let outcome = match field {
                None | Some(Field::Ignored | Field::Steps) => Ok(()),
                Some(field) => json_number(&key, text).and_then(|number| match number {
                    Some(number) => given.set(field, number),
                    None => Ok(()),
                }),
            };
            outcome.map_err(|reason| reject(self.reason, reason))?;
        }
        Ok(given)
    }
}

/// Reads the value of `steps` in the same pass as the object: `None` for null, else an
/// array of at most `MAX_TERMS` numbers, each kept as its JSON text. Reading stops at the
/// first term too many, so a huge array costs neither the time nor the memory of the rest.
struct StepsSeed<'r> {
    reason: &'r mut Option<String>,
}

impl<'de> de::DeserializeSeed<'de> for StepsSeed<'_> {
    type Value = Option<Vec<String>>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl StepsSeed<'_> {
    fn not_an_array<E: de::Error>(self) -> Result<Option<Vec<String>>, E> {
        Err(reject(self.reason, "steps: not a JSON array".into()))
    }
}

impl<'de> Visitor<'de> for StepsSeed<'_> {
    type Value = Option<Vec<String>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut terms = Vec::new();
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            if terms.len() == MAX_TERMS {
                return Err(reject(self.reason, too_many_terms()));
            }
            let field = format!("steps[{}]", terms.len());
            let text = raw.get();
            let term = if has_nul(text) {
                Err(format!(
                    "{field}: a string holds U+0000, which PostgreSQL text cannot hold"
                ))
            } else {
                json_number(&field, text)
                    .and_then(|term| term.ok_or_else(|| format!("{field}: null is not a number")))
            };
            match term {
                Ok(term) => terms.push(term),
                Err(reason) => return Err(reject(self.reason, reason)),
            }
        }
        Ok(Some(terms))
    }

    // Every other kind of value is refused as it is met.
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.contains('\0') {
            let reason = "steps: a string holds U+0000, which PostgreSQL text cannot hold";
            return Err(reject(self.reason, reason.into()));
        }
        self.not_an_array()
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.not_an_array()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.not_an_array()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.not_an_array()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.not_an_array()
    }
    /// An object, or a number when serde_json's arbitrary_precision is on (another crate of
    /// the build turns it on; it hands numbers to visitors as a one-entry map).
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.not_an_array()
    }
}

/// A JSON value (its text, valid JSON) as the text of a number: every digit as written, or
/// `None` for null, or why it is not a number.
fn json_number(field: &str, text: &str) -> Result<Option<String>, String> {
    match text.as_bytes().first() {
        // null is the only JSON value that starts with n.
        Some(b'n') => Ok(None),
        Some(b'-' | b'0'..=b'9') => Ok(Some(text.to_string())),
        _ => Err(format!("{field}: {} is not a number", escaped(text, false))),
    }
}

/// Whether JSON text writes U+0000: as the escape `\u0000` in a string or a key (text that
/// PostgreSQL hands over cannot hold the character itself, but another caller's could).
/// A backslash always starts a two-character escape or `\uXXXX`, so skipping the character
/// after it keeps `\\u0000` (a backslash, then "u0000") from counting.
fn has_nul(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            0 => return true,
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(&b"0000"[..])
                {
                    return true;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

/// At most 40 characters of a piece of text, for a reason that stays one line.
fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}
