//! Money: an integer count of a currency's minor unit plus its ISO 4217 code.
//! There is no float anywhere here: parsing and formatting work on decimal digits.

use std::fmt;

use crate::i18n::T;
use crate::tr;

/// The largest amount a person may type: 100 000 major units.
pub(crate) const MAX_MAJOR: i64 = 100_000;

/// (code, minor-unit exponent, symbol) from ISO 4217 for the currencies people top up in.
const CURRENCIES: &[(&str, u32, &str)] = &[
    ("CNY", 2, "¥"),
    ("GBP", 2, "£"),
    ("USD", 2, "$"),
    ("HKD", 2, "HK$"),
    ("EUR", 2, "€"),
    ("JPY", 0, "JP¥"),
    ("KRW", 0, "₩"),
    ("TWD", 2, "NT$"),
    ("MOP", 2, "MOP$"),
    ("SGD", 2, "S$"),
    ("AUD", 2, "A$"),
    ("CAD", 2, "C$"),
    ("NZD", 2, "NZ$"),
    ("CHF", 2, ""),
    ("INR", 2, "₹"),
    ("THB", 2, "฿"),
    ("MYR", 2, "RM"),
    ("PHP", 2, "₱"),
    ("IDR", 2, "Rp"),
    ("VND", 0, "₫"),
    ("RUB", 2, "₽"),
    ("BRL", 2, "R$"),
    ("MXN", 2, "MX$"),
    ("ZAR", 2, ""),
    ("AED", 2, ""),
    ("SAR", 2, ""),
    ("TRY", 2, "₺"),
    ("PLN", 2, ""),
    ("SEK", 2, ""),
    ("NOK", 2, ""),
    ("DKK", 2, ""),
    ("CZK", 2, ""),
    ("HUF", 2, ""),
    ("ILS", 2, "₪"),
    ("EGP", 2, ""),
    ("NGN", 2, "₦"),
    ("KES", 2, ""),
    ("PKR", 2, ""),
    ("BDT", 2, "৳"),
    ("ISK", 0, ""),
    ("CLP", 0, ""),
    ("UGX", 0, ""),
    ("KWD", 3, ""),
    ("BHD", 3, ""),
    ("OMR", 3, ""),
    ("JOD", 3, ""),
    ("TND", 3, ""),
    ("IQD", 3, ""),
    ("LYD", 3, ""),
];

/// An ISO 4217 currency code that baohao knows the exponent of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(u8);

impl Currency {
    pub fn new(code: &str) -> Result<Currency, MoneyError> {
        let code = code.trim();
        CURRENCIES
            .iter()
            .position(|(c, _, _)| c.eq_ignore_ascii_case(code))
            .map(|i| Currency(i as u8))
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    /// Its place in the known currencies (for compact storage; see `from_index`).
    pub fn index(self) -> u8 {
        self.0
    }

    pub(crate) fn from_index(i: u8) -> Option<Currency> {
        ((i as usize) < CURRENCIES.len()).then_some(Currency(i))
    }

    pub fn code(self) -> &'static str {
        CURRENCIES[self.0 as usize].0
    }

    pub fn exponent(self) -> u32 {
        CURRENCIES[self.0 as usize].1
    }

    /// The symbol shown before amounts, or `None` where the code is clearer.
    pub fn symbol(self) -> Option<&'static str> {
        let s = CURRENCIES[self.0 as usize].2;
        (!s.is_empty()).then_some(s)
    }

    pub fn all() -> impl Iterator<Item = Currency> {
        (0..CURRENCIES.len()).map(|i| Currency(i as u8))
    }

    fn scale(self) -> i64 {
        10i64.pow(self.exponent())
    }

    /// Whether `sym` (as typed before an amount) may stand for this currency.
    fn accepts_symbol(self, sym: &str) -> bool {
        if self.symbol() == Some(sym) {
            return true;
        }
        match sym {
            "¥" | "￥" => matches!(self.code(), "CNY" | "JPY"),
            "$" => self.code().ends_with('D') || self.code() == "MOP",
            "US$" => self.code() == "USD",
            "RMB" => self.code() == "CNY",
            _ => false,
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::new(&s).map_err(serde::de::Error::custom)
    }
}

/// An amount of money: minor units of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    NotANumber(String),
    Negative(String),
    TooManyDecimals { input: String, currency: Currency },
    TooLarge(String),
    UnknownCurrency(String),
    WrongCurrency { input: String, expected: Currency },
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            MoneyError::Empty => tr!(T::MoneyEmpty),
            MoneyError::NotANumber(i) => tr!(T::MoneyNotANumber, i),
            MoneyError::Negative(i) => tr!(T::MoneyNegative, i),
            MoneyError::TooManyDecimals { input, currency } => {
                tr!(
                    T::MoneyTooManyDecimals,
                    input,
                    currency,
                    currency.exponent()
                )
            }
            MoneyError::TooLarge(i) => tr!(T::MoneyTooLarge, i, MAX_MAJOR),
            MoneyError::UnknownCurrency(c) => tr!(T::MoneyUnknownCurrency, c),
            MoneyError::WrongCurrency { input, expected } => {
                tr!(T::MoneyWrongCurrency, input, expected)
            }
        };
        f.write_str(&s)
    }
}

impl std::error::Error for MoneyError {}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Parses an amount a person typed for `currency`: `10`, `10.5`, `¥10`, `10 CNY`.
    /// Refuses negatives, more decimals than the currency has, and over 100 000 major units.
    pub fn parse(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let m = Self::parse_signed(input, currency)?;
        if m.minor < 0 {
            return Err(MoneyError::Negative(input.trim().to_string()));
        }
        Ok(m)
    }

    /// Like [`Money::parse`] but a leading `-` is allowed: balances may be overdrawn.
    pub fn parse_signed(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, body) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, raw),
        };
        let digits = strip_currency(body, currency, raw)?;
        let (negative, digits) = match digits.strip_prefix('-') {
            Some(rest) if !negative => (true, rest.trim_start()),
            _ => (negative, digits),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return Err(MoneyError::NotANumber(raw.to_string()));
        }
        let exp = currency.exponent() as usize;
        let frac_trimmed = frac_part.trim_end_matches('0');
        if frac_trimmed.len() > exp {
            return Err(MoneyError::TooManyDecimals {
                input: raw.to_string(),
                currency,
            });
        }
        let int_trimmed = int_part.trim_start_matches('0');
        if int_trimmed.len() > 7 {
            return Err(MoneyError::TooLarge(raw.to_string()));
        }
        let major: i64 = if int_trimmed.is_empty() {
            0
        } else {
            int_trimmed
                .parse()
                .map_err(|_| MoneyError::NotANumber(raw.to_string()))?
        };
        if major > MAX_MAJOR {
            return Err(MoneyError::TooLarge(raw.to_string()));
        }
        let mut frac: i64 = 0;
        for i in 0..exp {
            let d = frac_trimmed
                .as_bytes()
                .get(i)
                .map_or(0, |b| (b - b'0') as i64);
            frac = frac * 10 + d;
        }
        let minor = major * currency.scale() + frac;
        if minor > MAX_MAJOR * currency.scale() {
            return Err(MoneyError::TooLarge(raw.to_string()));
        }
        if negative && minor == 0 && raw.starts_with('-') {
            return Ok(Money::zero(currency));
        }
        Ok(Money {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// The bare decimal (`10.50`, `-3`, `1.500`) as config files and CSV hold it.
    pub fn decimal(self) -> String {
        format_decimal(self.minor, self.currency)
    }

    /// For people: `¥10.50`, `-£1.20`, `1.500 KWD`.
    pub fn display(self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = format_decimal(self.minor.unsigned_abs() as i64, self.currency);
        match self.currency.symbol() {
            Some(sym) => format!("{sign}{sym}{abs}"),
            None => format!("{sign}{abs} {}", self.currency.code()),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.display())
    }
}

/// Formats `minor` units of `currency` as a plain decimal, with exactly its exponent's digits.
pub(crate) fn format_decimal(minor: i64, currency: Currency) -> String {
    let exp = currency.exponent();
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if exp == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10u64.pow(exp);
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = exp as usize
    )
}

/// Removes one currency marker (symbol before, code before or after) that matches `currency`.
fn strip_currency<'a>(body: &'a str, currency: Currency, raw: &str) -> Result<&'a str, MoneyError> {
    let body = body.trim();
    // A code or word after the digits: `10 CNY`, `10CNY`.
    let alpha_tail = body
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphabetic())
        .last()
        .map(|(i, _)| i);
    if let Some(i) = alpha_tail {
        let code = &body[i..];
        let rest = body[..i].trim_end();
        if rest.is_empty() {
            return Err(MoneyError::NotANumber(raw.to_string()));
        }
        return if code.eq_ignore_ascii_case(currency.code())
            || (code.eq_ignore_ascii_case("RMB") && currency.code() == "CNY")
        {
            Ok(rest)
        } else if Currency::new(code).is_ok() {
            Err(MoneyError::WrongCurrency {
                input: raw.to_string(),
                expected: currency,
            })
        } else {
            Err(MoneyError::NotANumber(raw.to_string()))
        };
    }
    // A symbol or code before the digits: `¥10`, `HK$ 10`, `GBP 10`.
    let lead_end = body
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit() || *c == '.' || *c == '-')
        .map_or(body.len(), |(i, _)| i);
    if lead_end == 0 {
        return Ok(body);
    }
    let lead = body[..lead_end].trim();
    let rest = &body[lead_end..];
    if lead.eq_ignore_ascii_case(currency.code()) || currency.accepts_symbol(lead) {
        return Ok(rest);
    }
    let known_elsewhere = Currency::all().any(|c| c.symbol() == Some(lead))
        || Currency::new(lead).is_ok()
        || matches!(lead, "$" | "¥" | "￥" | "US$");
    if known_elsewhere {
        Err(MoneyError::WrongCurrency {
            input: raw.to_string(),
            expected: currency,
        })
    } else {
        Err(MoneyError::NotANumber(raw.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::new(code).unwrap()
    }

    #[test]
    fn parses_the_shapes_people_type() {
        let cny = c("CNY");
        for (input, minor) in [
            ("10", 1000),
            ("10.5", 1050),
            ("10.50", 1050),
            ("¥10", 1000),
            ("￥10", 1000),
            ("10 CNY", 1000),
            ("10cny", 1000),
            ("CNY 10", 1000),
            ("0.01", 1),
            (".5", 50),
            ("10.500", 1050),
            ("  8.00 ", 800),
            ("100000", 10_000_000),
        ] {
            assert_eq!(Money::parse(input, cny).unwrap().minor, minor, "{input}");
        }
        assert_eq!(Money::parse("HK$20", c("HKD")).unwrap().minor, 2000);
        assert_eq!(Money::parse("$20", c("HKD")).unwrap().minor, 2000);
        assert_eq!(Money::parse("£5", c("GBP")).unwrap().minor, 500);
        assert_eq!(Money::parse("1000", c("JPY")).unwrap().minor, 1000);
        assert_eq!(Money::parse("1.234", c("KWD")).unwrap().minor, 1234);
    }

    #[test]
    fn refuses_what_it_must() {
        let cny = c("CNY");
        assert!(matches!(
            Money::parse("10.005", cny),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            Money::parse("-5", cny),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            Money::parse("abc", cny),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(Money::parse("", cny), Err(MoneyError::Empty)));
        assert!(matches!(
            Money::parse("100000.01", cny),
            Err(MoneyError::TooLarge(_))
        ));
        assert!(matches!(
            Money::parse("99999999999999999999", cny),
            Err(MoneyError::TooLarge(_))
        ));
        assert!(matches!(
            Money::parse("£5", cny),
            Err(MoneyError::WrongCurrency { .. })
        ));
        assert!(matches!(
            Money::parse("5 GBP", cny),
            Err(MoneyError::WrongCurrency { .. })
        ));
        assert!(matches!(
            Money::parse("1.5", c("JPY")),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            Money::parse("1e3", cny),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("1,000", cny),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse(".", cny),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("10 . 5", cny),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(Currency::new("XYZ").is_err());
    }

    #[test]
    fn signed_allows_overdrawn_balances() {
        assert_eq!(Money::parse_signed("-1.20", c("GBP")).unwrap().minor, -120);
        assert_eq!(Money::parse_signed("-£1.20", c("GBP")).unwrap().minor, -120);
        assert_eq!(Money::parse_signed("£-1.20", c("GBP")).unwrap().minor, -120);
    }

    #[test]
    fn formats_with_the_exponent() {
        assert_eq!(Money::new(1050, c("CNY")).display(), "¥10.50");
        assert_eq!(Money::new(-120, c("GBP")).display(), "-£1.20");
        assert_eq!(Money::new(5, c("USD")).display(), "$0.05");
        assert_eq!(Money::new(1500, c("KWD")).display(), "1.500 KWD");
        assert_eq!(Money::new(1000, c("JPY")).decimal(), "1000");
        assert_eq!(Money::new(2000, c("HKD")).display(), "HK$20.00");
    }

    proptest::proptest! {
        #[test]
        fn decimal_round_trips(minor in 0i64..=10_000_000, idx in 0usize..49) {
            let cur = Currency::all().nth(idx % CURRENCIES.len()).unwrap();
            let max = MAX_MAJOR * cur.scale();
            let m = Money::new(minor.min(max), cur);
            proptest::prop_assert_eq!(Money::parse(&m.decimal(), cur).unwrap(), m);
            proptest::prop_assert_eq!(Money::parse(&m.display(), cur).unwrap(), m);
        }
    }
}
