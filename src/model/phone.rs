//! Phone numbers as people write them (`138 0013 8000`, `07700 900123`, `0044…`) made into
//! E.164 (`+8613800138000`). The country of a local number is the one its currency names;
//! a currency many countries share (EUR) gives none, and such numbers need their `+`.

use crate::model::money::Currency;

/// The calling code of the country a currency belongs to, when there is exactly one.
pub fn country_code(currency: Currency) -> Option<&'static str> {
    Some(match currency.code() {
        "CNY" => "86",
        "GBP" => "44",
        "HKD" => "852",
        "MOP" => "853",
        "TWD" => "886",
        "USD" => "1",
        "CAD" => "1",
        "JPY" => "81",
        "KRW" => "82",
        "SGD" => "65",
        "AUD" => "61",
        "NZD" => "64",
        "INR" => "91",
        "MYR" => "60",
        "THB" => "66",
        "PHP" => "63",
        "IDR" => "62",
        "VND" => "84",
        "CHF" => "41",
        "SEK" => "46",
        "NOK" => "47",
        "DKK" => "45",
        "PLN" => "48",
        "AED" => "971",
        "KWD" => "965",
        "BHD" => "973",
        _ => return None,
    })
}

/// E.164: `+`, a non-zero country digit, 7 to 15 digits in all.
pub fn is_e164(s: &str) -> bool {
    let Some(d) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
}

/// The E.164 form of `input`, or `None` when it cannot be told. Spaces, dashes, dots and
/// brackets go; `00` becomes `+`; a local number gets the country of `currency` (its trunk
/// `0`, or NANP's leading `1`, dropped).
pub fn normalise(input: &str, currency: Option<Currency>) -> Option<String> {
    let mut s = String::with_capacity(input.len());
    for (i, c) in input.trim().chars().enumerate() {
        match c {
            '+' if i == 0 => s.push('+'),
            '0'..='9' => s.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    let out = if s.starts_with('+') {
        s
    } else if let Some(rest) = s.strip_prefix("00") {
        format!("+{rest}")
    } else {
        let cc = country_code(currency?)?;
        let national = match cc {
            "1" if s.len() == 11 => s.strip_prefix('1')?,
            "1" | "852" | "853" | "65" => s.as_str(),
            _ => s.strip_prefix('0').unwrap_or(&s),
        };
        format!("+{cc}{national}")
    };
    is_e164(&out).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Option<Currency> {
        Currency::new(code).ok()
    }

    #[test]
    fn the_forms_people_write_become_e164() {
        for (input, cur, want) in [
            ("13800138000", "CNY", Some("+8613800138000")),
            ("138 0013 8000", "CNY", Some("+8613800138000")),
            ("+86 138-0013-8000", "EUR", Some("+8613800138000")),
            ("0086 13800138000", "GBP", Some("+8613800138000")),
            ("07700 900123", "GBP", Some("+447700900123")),
            ("(202) 555-0123", "USD", Some("+12025550123")),
            ("1-202-555-0123", "USD", Some("+12025550123")),
            ("9123 4567", "HKD", Some("+85291234567")),
            ("0612345678", "EUR", None),
            ("138001380OO", "CNY", None),
            ("12", "CNY", None),
        ] {
            assert_eq!(normalise(input, c(cur)).as_deref(), want, "{input} {cur}");
        }
    }
}
