//! The answer of a range analysis: the longest trajectory and the highest peak, ties to the
//! smaller number, and how many numbers were looked at.

use crate::memo::Memo;
use crate::range::trajectory_in;
use crate::value::Value;
use std::ops::RangeInclusive;

/// The analysis of a run of consecutive numbers. Parts merge in range order (`absorb`):
/// a later part replaces a record only by beating it, so ties stay with the smaller number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Numbers analysed.
    pub count: u64,
    /// (number, steps) of the longest trajectory.
    pub longest: Option<(u64, u64)>,
    /// (number, peak) of the highest peak.
    pub highest: Option<(u64, Value)>,
}

impl Summary {
    /// Considers the next number (numbers must come in increasing order).
    pub fn offer(&mut self, number: u64, steps: u64, peak: &Value) {
        self.count += 1;
        if self.longest.is_none_or(|(_, best)| steps > best) {
            self.longest = Some((number, steps));
        }
        if self.highest.as_ref().is_none_or(|(_, best)| peak > best) {
            self.highest = Some((number, peak.clone()));
        }
    }

    /// Continues with the summary of the numbers right after these.
    pub fn absorb(&mut self, later: Summary) {
        self.count += later.count;
        if let Some((n, steps)) = later.longest {
            if self.longest.is_none_or(|(_, best)| steps > best) {
                self.longest = Some((n, steps));
            }
        }
        if let Some((n, peak)) = later.highest {
            if self.highest.as_ref().is_none_or(|(_, best)| peak > *best) {
                self.highest = Some((n, peak));
            }
        }
    }
}

/// Per-chunk worker for `RangeScan::next_batch`.
pub fn chunk_summary(memo: &Memo, chunk: RangeInclusive<u64>) -> Summary {
    let mut summary = Summary::default();
    for n in chunk {
        let t = trajectory_in(memo, n);
        summary.offer(n, t.steps, &t.peak);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_stay_with_the_smaller_number_across_parts() {
        // 7 and 9 both peak at 52; 9 has more steps.
        let mut first = Summary::default();
        first.offer(7, 16, &Value::Small(52));
        let mut second = Summary::default();
        second.offer(9, 19, &Value::Small(52));
        first.absorb(second);
        assert_eq!(first.count, 2);
        assert_eq!(first.longest, Some((9, 19)));
        assert_eq!(first.highest, Some((7, Value::Small(52))));
    }

    #[test]
    fn an_empty_part_changes_nothing() {
        let mut s = Summary::default();
        s.offer(27, 111, &Value::Small(9232));
        let before = s.clone();
        s.absorb(Summary::default());
        assert_eq!(s, before);
    }
}
