//! Amounts as the bills write them, read exactly: yuan with a fixed number of decimals
//! (`0.01`, `-0.27000`) into an integer of the smallest unit written, with no float anywhere.

/// `text`, a decimal number of yuan with exactly `decimals` digits after the point (an optional
/// leading `-`), as an integer of 10^-`decimals` yuan: `"25.50"` with 2 is 2550 (fen),
/// `"-0.27000"` with 5 is -27000 (hundred-thousandths of a yuan). More or fewer decimals, or
/// anything else, is an error saying what was found, never a rounding.
pub fn parse_decimal(text: &str, decimals: u32) -> Result<i64, String> {
    exact(text.as_bytes(), decimals).ok_or_else(|| why_not(text, decimals))
}

/// [`parse_decimal`] in one pass over the bytes, `None` for anything but the column's form.
fn exact(text: &[u8], decimals: u32) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    let mut point = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?,
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    let point = point?;
    let fraction = digits.len() - point - 1;
    if point == 0 || fraction == 0 || fraction != decimals as usize {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// Why `text` is not an amount with `decimals` decimals (the slow path of [`parse_decimal`]).
fn why_not(text: &str, decimals: u32) -> String {
    match slow(text, decimals) {
        Err(why) => why,
        Ok(_) => format!("{text:?} is not an amount with {decimals} decimals"),
    }
}

fn slow(text: &str, decimals: u32) -> Result<i64, String> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits
        .split_once('.')
        .ok_or_else(|| format!("{text:?} is not an amount with {decimals} decimals"))?;
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits_only(whole) || !digits_only(fraction) {
        return Err(format!("{text:?} is not an amount with {decimals} decimals"));
    }
    if fraction.len() != decimals as usize {
        return Err(format!(
            "{text:?} has {} decimals where this column has {decimals}",
            fraction.len()
        ));
    }
    let scale = 10i64.pow(decimals);
    let value = whole
        .parse::<i64>()
        .ok()
        .and_then(|w| w.checked_mul(scale))
        .and_then(|w| w.checked_add(fraction.parse::<i64>().ok()?))
        .ok_or_else(|| format!("{text:?} is too large"))?;
    Ok(if negative { -value } else { value })
}

/// A count as the summaries write it: `3`, or `3.0` (seen in the platform's own examples).
pub fn parse_count(text: &str) -> Result<u64, String> {
    let whole = text.strip_suffix(".0").unwrap_or(text);
    whole.parse::<u64>().map_err(|_| format!("{text:?} is not a count"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_pass_reading_agrees_with_the_careful_one() {
        for text in [
            "0.01",
            "-0.27000",
            "00.10",
            "-0.00",
            "1.",
            ".01",
            "-.01",
            "-",
            "",
            "+1.00",
            "1.0.0",
            " 1.00",
            "1,00",
            "１.00",
            "92233720368547758.07",
            "92233720368547758.08",
            "-92233720368547758.07",
            "99999999999999999999.00",
            "12.3a",
            "0.015",
        ] {
            for decimals in [2, 5] {
                let one_pass = exact(text.as_bytes(), decimals);
                assert_eq!(one_pass, slow(text, decimals).ok(), "{text:?} with {decimals}");
            }
        }
    }

    #[test]
    fn amounts_are_integers_of_their_columns_unit() {
        assert_eq!(parse_decimal("0.01", 2), Ok(1));
        assert_eq!(parse_decimal("1300.00", 2), Ok(130_000));
        assert_eq!(parse_decimal("-0.27000", 5), Ok(-27_000));
        assert_eq!(parse_decimal("7.79000", 5), Ok(779_000));
        assert_eq!(parse_decimal("-0.00", 2), Ok(0));
    }

    #[test]
    fn anything_but_the_columns_form_is_refused_not_rounded() {
        for (text, decimals) in [
            ("0.015", 2),
            ("0.1", 2),
            ("1", 2),
            ("1.", 2),
            (".10", 2),
            ("1e3", 2),
            ("+1.00", 2),
            ("1,000.00", 2),
            (" 1.00", 2),
            ("0.060", 5),
            ("99999999999999999.00", 2),
        ] {
            assert!(parse_decimal(text, decimals).is_err(), "{text}");
        }
        assert!(parse_decimal("0.015", 2).unwrap_err().contains("3 decimals"));
    }

    #[test]
    fn counts_are_whole_numbers() {
        assert_eq!(parse_count("3"), Ok(3));
        assert_eq!(parse_count("20.0"), Ok(20));
        assert!(parse_count("2.5").is_err());
        assert!(parse_count("-1").is_err());
    }
}
