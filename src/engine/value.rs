//! Exact positive integers of any size: a machine word while it fits, a big integer after.

use num_bigint::BigUint;
use std::fmt;

/// An exact non-negative integer. `Small` covers every value below 2^128, which is every
/// term of every trajectory started below 2^64 that anyone has found; `Big` covers the rest.
/// The two never overlap: a value that fits in `u128` is always `Small`, so derived
/// equality and ordering within a variant are the mathematical ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Small(u128),
    Big(BigUint),
}

/// Why a piece of text or a float is not a positive integer. The glue turns each kind into
/// its own SQLSTATE and hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputError {
    /// Zero or negative: the Collatz map is defined on positive integers.
    NotPositive,
    /// A value with a non-zero fractional part, such as 12.5.
    Fractional,
    /// NaN.
    NotANumber,
    /// +/- Infinity.
    Infinite,
    /// A float of 2^53 or more, where it no longer stands for one integer: 2^53 itself is
    /// also what 2^53 + 1 rounds to.
    InexactFloat,
    /// Text that is not a decimal number at all.
    Malformed,
}

impl Value {
    /// Normalises a big integer so that values below 2^128 are always `Small`.
    pub fn from_big(big: BigUint) -> Value {
        match u128::try_from(&big) {
            Ok(small) => Value::Small(small),
            Err(_) => Value::Big(big),
        }
    }

    /// The value as a `u64`, when it fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Small(v) => u64::try_from(*v).ok(),
            Value::Big(_) => None,
        }
    }

    /// The value, or u128::MAX when it is larger: a lower bound that fits a machine word.
    pub fn saturating_u128(&self) -> u128 {
        match self {
            Value::Small(v) => *v,
            Value::Big(_) => u128::MAX,
        }
    }

    pub fn to_big(&self) -> BigUint {
        match self {
            Value::Small(v) => BigUint::from(*v),
            Value::Big(b) => b.clone(),
        }
    }

    /// Number of significant bits (0 for zero).
    pub fn bits(&self) -> u64 {
        match self {
            Value::Small(v) => u64::from(128 - v.leading_zeros()),
            Value::Big(b) => b.bits(),
        }
    }

    /// `self - other` when `self >= other` and the difference fits in `u128`.
    pub fn distance(&self, other: &Value) -> Option<u128> {
        match (self, other) {
            (Value::Small(a), Value::Small(b)) => a.checked_sub(*b),
            _ => {
                let (a, b) = (self.to_big(), other.to_big());
                (a >= b).then(|| u128::try_from(a - b).ok()).flatten()
            }
        }
    }

    /// `self + 1`.
    pub fn successor(&self) -> Value {
        match self {
            Value::Small(v) => v
                .checked_add(1)
                .map_or_else(|| Value::Big(BigUint::from(*v) + 1u8), Value::Small),
            Value::Big(b) => Value::Big(b + 1u8),
        }
    }

    pub fn is_one(&self) -> bool {
        matches!(self, Value::Small(1))
    }

    /// Parses a positive integer written in decimal, as PostgreSQL prints a numeric:
    /// optional sign, digits, and an optional fractional part that must be all zeros
    /// (`27.000` is the integer 27; `12.5` is refused). Also recognises `NaN` and
    /// `Infinity` so that the caller can tell the user exactly what was wrong.
    pub fn parse_positive(text: &str) -> Result<Value, InputError> {
        let text = text.trim();
        match text {
            "NaN" => return Err(InputError::NotANumber),
            "Infinity" | "-Infinity" => return Err(InputError::Infinite),
            _ => {}
        }
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let all_digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
            return Err(InputError::Malformed);
        }
        let fractional = frac_part.bytes().any(|c| c != b'0');
        let zero = int_part.bytes().all(|c| c == b'0');
        if fractional {
            return Err(InputError::Fractional);
        }
        if negative || zero {
            return Err(InputError::NotPositive);
        }
        Ok(match int_part.parse::<u128>() {
            Ok(small) => Value::Small(small),
            Err(_) => Value::Big(
                BigUint::parse_bytes(int_part.as_bytes(), 10).ok_or(InputError::Malformed)?,
            ),
        })
    }

    /// Accepts a float only where it stands for one integer exactly: finite, integral,
    /// positive and below 2^53. From 2^53 on a float may have rounded whatever expression
    /// produced it (`2^100 + 1` arrives as 2^100, and `2^53 + 1` as 2^53), so taking it would
    /// answer for a different number than the one the user wrote. Below 2^53 every integer
    /// is a float of its own, and so is its neighbour: nothing else rounds to it.
    pub fn from_f64(x: f64) -> Result<Value, InputError> {
        const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53, the first integer shared
        if x.is_nan() {
            Err(InputError::NotANumber)
        } else if x.is_infinite() {
            Err(InputError::Infinite)
        } else if x.fract() != 0.0 {
            Err(InputError::Fractional)
        } else if x < 1.0 {
            Err(InputError::NotPositive)
        } else if x >= EXACT_LIMIT {
            Err(InputError::InexactFloat)
        } else {
            Ok(Value::Small(x as u128))
        }
    }

    /// Accepts a signed integer, refusing zero and negatives.
    pub fn from_i64(n: i64) -> Result<Value, InputError> {
        if n >= 1 {
            Ok(Value::Small(n as u128))
        } else {
            Err(InputError::NotPositive)
        }
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Small(u128::from(v))
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (Value::Small(a), Value::Small(b)) => a.cmp(b),
            (Value::Big(a), Value::Big(b)) => a.cmp(b),
            // Normalised: every Big is above every Small.
            (Value::Small(_), Value::Big(_)) => Ordering::Less,
            (Value::Big(_), Value::Small(_)) => Ordering::Greater,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Small(v) => write!(f, "{v}"),
            Value::Big(b) => write!(f, "{b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_postgres_prints_for_numeric() {
        assert_eq!(Value::parse_positive("27"), Ok(Value::Small(27)));
        assert_eq!(Value::parse_positive("27.000"), Ok(Value::Small(27)));
        assert_eq!(Value::parse_positive("12.5"), Err(InputError::Fractional));
        assert_eq!(Value::parse_positive("0"), Err(InputError::NotPositive));
        assert_eq!(Value::parse_positive("0.000"), Err(InputError::NotPositive));
        assert_eq!(Value::parse_positive("-5"), Err(InputError::NotPositive));
        assert_eq!(Value::parse_positive("-0.5"), Err(InputError::Fractional));
        assert_eq!(Value::parse_positive("NaN"), Err(InputError::NotANumber));
        assert_eq!(
            Value::parse_positive("-Infinity"),
            Err(InputError::Infinite)
        );
        assert_eq!(Value::parse_positive("1e5"), Err(InputError::Malformed));
        assert_eq!(Value::parse_positive(""), Err(InputError::Malformed));
    }

    #[test]
    fn normalises_at_the_u128_boundary() {
        let max = u128::MAX.to_string();
        assert_eq!(Value::parse_positive(&max), Ok(Value::Small(u128::MAX)));
        let above = "340282366920938463463374607431768211456"; // 2^128
        let v = Value::parse_positive(above).unwrap();
        assert!(matches!(v, Value::Big(_)));
        assert_eq!(v.to_string(), above);
        assert_eq!(v.bits(), 129);
        assert_eq!(Value::from_big(BigUint::from(5u8)), Value::Small(5));
        assert!(Value::Small(u128::MAX) < v);
    }

    #[test]
    fn distance_and_successor_cross_u128() {
        let top = Value::Small(u128::MAX);
        let above = top.successor();
        assert_eq!(above.to_string(), "340282366920938463463374607431768211456");
        assert_eq!(above.distance(&top), Some(1));
        assert_eq!(top.distance(&above), None);
        assert_eq!(
            above.distance(&Value::Small(0)),
            None,
            "2^128 does not fit in u128"
        );
        assert_eq!(Value::Small(7).distance(&Value::Small(7)), Some(0));
    }

    #[test]
    fn floats_only_where_exact() {
        assert_eq!(Value::from_f64(27.0), Ok(Value::Small(27)));
        assert_eq!(Value::from_f64(1e11), Ok(Value::Small(100_000_000_000)));
        // 2^53 - 1 is the largest float below 2^53, and exact.
        assert_eq!(
            Value::from_f64(2f64.powi(53) - 1.0),
            Ok(Value::Small((1 << 53) - 1))
        );
        // 2^53 is refused: 2^53 + 1 rounds to it.
        assert_eq!(2f64.powi(53) + 1.0, 2f64.powi(53));
        assert_eq!(
            Value::from_f64(2f64.powi(53)),
            Err(InputError::InexactFloat)
        );
        assert_eq!(
            Value::from_f64(2f64.powi(53) + 2.0),
            Err(InputError::InexactFloat)
        );
        assert_eq!(
            Value::from_f64(2f64.powi(54)),
            Err(InputError::InexactFloat)
        );
        assert_eq!(Value::from_f64(2.5), Err(InputError::Fractional));
        assert_eq!(Value::from_f64(0.0), Err(InputError::NotPositive));
        assert_eq!(Value::from_f64(-3.0), Err(InputError::NotPositive));
        assert_eq!(Value::from_f64(f64::NAN), Err(InputError::NotANumber));
        assert_eq!(Value::from_f64(f64::INFINITY), Err(InputError::Infinite));
    }

    proptest::proptest! {
        #[test]
        fn every_integer_below_2_53_is_taken_exactly(k in 1u64..1 << 53) {
            proptest::prop_assert_eq!(Value::from_f64(k as f64), Ok(Value::Small(u128::from(k))));
        }

        #[test]
        fn every_float_from_2_53_on_is_refused(x in 9_007_199_254_740_992.0f64..1e300) {
            proptest::prop_assert_eq!(Value::from_f64(x.trunc()), Err(InputError::InexactFloat));
        }
    }
}
