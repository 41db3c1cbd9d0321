//! Phone numbers as people write them (`138 0013 8000`, `07700 900123`, `0044…`) made into
//! E.164 (`+8613800138000`). The country of a local number is the one its currency names;
//! a currency many countries share (EUR) gives none, and such numbers need their `+`.

use crate::model::money::Currency;

/// The calling code of the country a currency belongs to, when there is exactly one.
pub(crate) fn country_code(currency: Currency) -> Option<&'static str> {
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

/// The country calling code an E.164 number starts with (`+85251234567` → `852`), from
/// the ITU table: 1 and 7 are one digit, the two-digit codes are listed, every other
/// code is three digits.
pub(crate) fn calling_code(msisdn: &str) -> Option<&str> {
    let d = msisdn.strip_prefix('+')?;
    if !d.bytes().all(|b| b.is_ascii_digit()) || d.len() < 4 {
        return None;
    }
    const TWO: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    let n = match &d[..1] {
        "1" | "7" => 1,
        _ if TWO.contains(&&d[..2]) => 2,
        _ => 3,
    };
    Some(&d[..n])
}

/// A phone number masked after its real country code, in the way the country groups it:
/// `+852 •••• 4567`, `+1 •••-•••-0123`, `+86 139 •••• 5678`, else `+44 •••••• 0123`.
/// The last four digits stay (what a person tells their numbers apart by).
pub fn mask(msisdn: &str) -> String {
    let Some(cc) = calling_code(msisdn) else {
        return msisdn.to_string();
    };
    let national = &msisdn[1 + cc.len()..];
    let n = national.len();
    if n <= 4 {
        return msisdn.to_string();
    }
    let last4 = &national[n - 4..];
    match (cc, n) {
        ("1", 10) => format!("+1 •••-•••-{last4}"),
        ("86", 11) => format!("+86 {} •••• {last4}", &national[..3]),
        _ => format!("+{cc} {} {last4}", "•".repeat(n - 4)),
    }
}

/// How many digits follow the calling code in `msisdn`'s country, where every number there
/// has one length (China: its mobiles, 1[3-9]…; its fixed lines vary).
pub(crate) fn national_length(msisdn: &str) -> Option<(&str, usize)> {
    let cc = calling_code(msisdn)?;
    let national = &msisdn[1 + cc.len()..];
    let len = match cc {
        "1" | "91" => 10,
        "86" if national.len() > 1
            && national.starts_with('1')
            && (b'3'..=b'9').contains(&national.as_bytes()[1]) =>
        {
            11
        }
        "852" | "853" | "65" => 8,
        "61" | "33" | "34" => 9,
        _ => return None,
    };
    Some((cc, len))
}

/// `Some((calling code, digits wanted, digits given))` when `msisdn` is E.164 but not the
/// length its country uses (`+86 139-1234-567`: one digit short).
pub fn wrong_length(msisdn: &str) -> Option<(String, usize, usize)> {
    let (cc, want) = national_length(msisdn)?;
    let have = msisdn.len() - 1 - cc.len();
    (have != want).then(|| (cc.to_string(), want, have))
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

    #[test]
    fn a_number_is_masked_after_its_real_country_code() {
        for (msisdn, want) in [
            ("+85251234567", "+852 •••• 4567"),
            ("+12025550123", "+1 •••-•••-0123"),
            ("+8613912345678", "+86 139 •••• 5678"),
            ("+447700900123", "+44 •••••• 0123"),
            ("+35312345678", "+353 •••• 5678"),
            ("+79161234567", "+7 •••••• 4567"),
        ] {
            assert_eq!(mask(msisdn), want, "{msisdn}");
        }
    }

    #[test]
    fn a_number_one_digit_short_for_its_country_is_told() {
        assert_eq!(
            wrong_length("+861391234567"),
            Some(("86".to_string(), 11, 10))
        );
        assert_eq!(wrong_length("+8613912345678"), None);
        assert_eq!(wrong_length("+861065529988"), None, "a Beijing fixed line");
        assert_eq!(wrong_length("+1202555012"), Some(("1".to_string(), 10, 9)));
        assert_eq!(wrong_length("+447700900123"), None);
    }

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
