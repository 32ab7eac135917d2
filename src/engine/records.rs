//! Delay records (a longer trajectory than every smaller number's) and path records (a
//! higher peak than every smaller number's), the tables Collatz researchers publish.

use crate::value::Value;

/// A number that set a record when the range was scanned upwards from its start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub number: Value,
    pub steps: u64,
    pub peak: Value,
    /// More steps than every number before it in the scan.
    pub delay: bool,
    /// A higher peak than every number before it in the scan.
    pub path: bool,
}

/// Running records of a scan. Ties never set a record, so a tie goes to the smaller number.
#[derive(Clone, Debug, Default)]
pub struct Records {
    best_steps: Option<u64>,
    best_peak: Option<Value>,
    pub found: Vec<Record>,
}

impl Records {
    /// Considers the next number of the scan (numbers must come in increasing order).
    pub fn offer(&mut self, number: Value, steps: u64, peak: &Value) {
        let delay = self.best_steps.is_none_or(|best| steps > best);
        let path = self.best_peak.as_ref().is_none_or(|best| peak > best);
        if delay {
            self.best_steps = Some(steps);
        }
        if path {
            self.best_peak = Some(peak.clone());
        }
        if delay || path {
            self.found.push(Record {
                number,
                steps,
                peak: peak.clone(),
                delay,
                path,
            });
        }
    }

    /// Continues this scan with a later part's records. Any record of the whole is a record
    /// of its part, so re-offering the part's records in order gives exactly the whole's.
    pub fn absorb(&mut self, later: Records) {
        for r in later.found {
            self.offer(r.number, r.steps, &r.peak);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_smaller_number() {
        let mut r = Records::default();
        r.offer(Value::Small(7), 16, &Value::Small(52));
        r.offer(Value::Small(9), 19, &Value::Small(52));
        assert_eq!(r.found.len(), 2);
        assert!(r.found[0].delay && r.found[0].path);
        assert!(
            r.found[1].delay && !r.found[1].path,
            "9 ties 7's peak of 52"
        );
    }

    #[test]
    fn absorbing_parts_equals_one_scan() {
        let data: Vec<(u128, u64, u128)> = vec![
            (1, 0, 1),
            (2, 1, 2),
            (3, 7, 16),
            (4, 2, 4),
            (5, 5, 16),
            (6, 8, 16),
            (7, 16, 52),
        ];
        let mut whole = Records::default();
        for (n, s, p) in &data {
            whole.offer(Value::Small(*n), *s, &Value::Small(*p));
        }
        let mut first = Records::default();
        let mut second = Records::default();
        for (i, (n, s, p)) in data.iter().enumerate() {
            let part = if i < 4 { &mut first } else { &mut second };
            part.offer(Value::Small(*n), *s, &Value::Small(*p));
        }
        first.absorb(second);
        assert_eq!(first.found, whole.found);
    }
}
