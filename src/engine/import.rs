//! Imported rows: one line of a CSV file (under its header) or of a JSON Lines file, parsed
//! and checked against the values computed here. A line is either a row whose every given
//! value is the true one, or a rejection with the reason a person can act on. Parsing and
//! checking use no PostgreSQL, so a batch of lines can be checked on the worker pool.

use crate::trajectory::{sequence, trajectory};
use crate::value::{InputError, Value};
use rayon::prelude::*;
use rayon::ThreadPool;

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
            let field = Field::named(name).ok_or_else(|| format!("unknown column \"{name}\""))?;
            if field != Field::Ignored && fields.contains(&field) {
                return Err(format!("column \"{name}\" appears twice"));
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
pub fn check_line(format: &Format, line: &str) -> Checked {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.trim().is_empty() {
        return None;
    }
    let given = match format {
        Format::Csv(fields) => from_csv(fields, line),
        Format::JsonLines => from_json(line),
    };
    Some(given.and_then(|g| g.check()).map_err(Rejection))
}

/// Checks a batch of lines on the pool, in order.
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
        let number = match value("number", &text)? {
            Value::Small(n) if n <= i64::MAX as u128 => n as u64,
            _ => return Err(format!("number: {text} is out of range for bigint")),
        };
        let truth = trajectory(&Value::from(number), &mut || {});
        if let Some(text) = self.sequence_length {
            if integer("sequence_length", &text)? != u128::from(truth.length()) {
                return Err(format!(
                    "sequence_length: {text} is wrong, the sequence of {number} has {} terms",
                    truth.length()
                ));
            }
        }
        if let Some(text) = self.steps_to_one {
            if integer("steps_to_one", &text)? != u128::from(truth.steps) {
                return Err(format!(
                    "steps_to_one: {text} is wrong, {number} reaches 1 in {} steps",
                    truth.steps
                ));
            }
        }
        if let Some(text) = self.max_value {
            if value("max_value", &text)? != truth.peak {
                return Err(format!(
                    "max_value: {text} is wrong, the sequence of {number} peaks at {}",
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
        let term = value(&format!("steps[{step}]"), text)?;
        if term != truth {
            return Err(format!(
                "steps: term {step} is {text}, the sequence of {number} has {truth} there"
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
        Value::Big(_) => Err(format!("{field}: {text} is out of range")),
    }
}

/// A positive integer field of any size.
fn value(field: &str, text: &str) -> Result<Value, String> {
    Value::parse_positive(text).map_err(|e| {
        let what = match e {
            InputError::NotPositive => "is not positive",
            InputError::Fractional => "is not a whole number",
            _ => "is not an integer",
        };
        format!("{field}: \"{text}\" {what}")
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
        .ok_or_else(|| format!("steps: \"{}\" is not an array", abbreviate(text)))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    Ok(inner.split(',').map(|t| t.trim().to_string()).collect())
}

fn from_json(line: &str) -> Result<Given, String> {
    let object = match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(object)) => object,
        Ok(_) => return Err("not a JSON object".into()),
        Err(e) => return Err(format!("invalid JSON: {e}")),
    };
    let mut given = Given::default();
    for (key, item) in object {
        let field = Field::named(&key).ok_or_else(|| format!("unknown field \"{key}\""))?;
        match (field, item) {
            (Field::Ignored, _) | (_, serde_json::Value::Null) => {}
            (Field::Steps, serde_json::Value::Array(items)) => {
                given.steps = Some(
                    items
                        .iter()
                        .enumerate()
                        .map(|(k, item)| json_integer(&format!("steps[{k}]"), item))
                        .collect::<Result<_, _>>()?,
                );
            }
            (Field::Steps, _) => return Err("steps: not a JSON array".into()),
            (field, item) => given.set(field, json_integer(&key, &item)?)?,
        }
    }
    Ok(given)
}

/// A JSON number as its exact text (serde_json keeps every digit with arbitrary_precision).
fn json_integer(field: &str, item: &serde_json::Value) -> Result<String, String> {
    match item {
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "{field}: {} is not a number",
            abbreviate(&other.to_string())
        )),
    }
}

/// At most 40 characters of a piece of text, for a reason that stays one line.
fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}
