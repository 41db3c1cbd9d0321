//! Amounts as carriers and wallets write them (`36.50元`, `人民币36.50元`, `¥36.50`,
//! `£6.45`, `HK$80.00`, `$5`, `12,34 EUR`), read exactly as digits, never through a float.
//! A bare number is never an amount here: phone numbers, dates and codes stay numbers.

use std::sync::OnceLock;

use regex::Regex;

use crate::model::{Currency, Money};

/// An amount as written: its digits, and the currency its marker names (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    /// Whole units, digits only.
    pub whole: String,
    /// Decimal digits, possibly empty.
    pub fraction: String,
    /// What the marker says; `None` for a plain `$` or a bare number from a pattern.
    pub currency: Option<Currency>,
    /// Written with a dollar sign that names no country.
    pub dollar: bool,
    /// A minus sign stood before it (an overdrawn balance).
    pub negative: bool,
}

impl Amount {
    /// The amount in the number's currency; `None` when the text names another currency
    /// or has more decimals than the currency allows.
    pub fn money(&self, currency: Currency) -> Option<Money> {
        if let Some(c) = self.currency
            && c != currency
        {
            return None;
        }
        if self.dollar
            && !matches!(
                currency.code(),
                "USD" | "HKD" | "CAD" | "AUD" | "SGD" | "NZD" | "TWD"
            )
        {
            return None;
        }
        let text = if self.fraction.is_empty() {
            self.whole.clone()
        } else {
            format!("{}.{}", self.whole, self.fraction)
        };
        Money::parse(&text, currency).ok()
    }

    /// [`Amount::money`] with its sign, in minor units (balances may be overdrawn).
    pub fn signed_minor(&self, currency: Currency) -> Option<i64> {
        let m = self.money(currency)?;
        Some(if self.negative { -m.minor } else { m.minor })
    }

    /// The decimal text, for messages.
    pub fn text(&self) -> String {
        if self.fraction.is_empty() {
            self.whole.clone()
        } else {
            format!("{}.{}", self.whole, self.fraction)
        }
    }
}

fn cur(code: &str) -> Option<Currency> {
    Currency::new(code).ok()
}

fn marker_currency(m: &str) -> (Option<Currency>, bool) {
    let m = m.trim();
    match m {
        "" => (None, false),
        "$" => (None, true),
        "¥" | "￥" | "元" | "块" | "圆" | "人民币" | "RMB" | "CNY" | "rmb" => {
            (cur("CNY"), false)
        }
        "£" | "GBP" | "英镑" => (cur("GBP"), false),
        "HK$" | "HKD" | "港元" | "港币" | "港幣" => (cur("HKD"), false),
        "US$" | "USD" | "美元" => (cur("USD"), false),
        "€" | "EUR" | "欧元" => (cur("EUR"), false),
        _ => (None, false),
    }
}

const PRE: &str = r"人民币|RMB|CNY|HK\$|US\$|HKD|USD|GBP|EUR|[¥￥£€$]";
const POST: &str = r"元|块|港元|港币|港幣|美元|英镑|欧元|EUR|GBP|USD|HKD|CNY|RMB|€";
// 1,234.56 · 1.234,56 · 12,34 · 36.50 · 5
const NUM: &str =
    r"\d{1,3}(?:,\d{3})+(?:\.\d{1,3})?|\d{1,3}(?:\.\d{3})+,\d{1,2}|\d{1,7}(?:[.,]\d{1,3})?";

fn token() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!(
            r"(?P<pre>{PRE})?\s?(?P<num>-?(?:{NUM}))\s?(?P<post>{POST})?"
        ))
        .expect("amount pattern compiles")
    })
}

/// Splits a written number into whole and fraction digits (thousands separators dropped).
fn split(num: &str) -> Option<(String, String)> {
    let num = num.trim_start_matches('-');
    let (whole, frac) = match (num.rfind('.'), num.rfind(',')) {
        // 1.234,56: dots group, the comma is the decimal point.
        (Some(d), Some(c)) if c > d => (num[..c].replace('.', ""), &num[c + 1..]),
        // 1,234.56
        (Some(d), _) => (num[..d].replace(',', ""), &num[d + 1..]),
        // 12,34 is a decimal comma; 1,234 groups thousands.
        (None, Some(c)) if num.len() - c - 1 <= 2 && num.matches(',').count() == 1 => {
            (num[..c].to_string(), &num[c + 1..])
        }
        (None, Some(_)) => (num.replace(',', ""), ""),
        (None, None) => (num.to_string(), ""),
    };
    if whole.is_empty() || whole.len() > 7 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((whole, frac.to_string()))
}

/// Every amount written with a currency marker in `text`, in order.
pub fn find_all(text: &str) -> Vec<Amount> {
    let mut out = Vec::new();
    for c in token().captures_iter(text) {
        let (Some(num), pre, post) = (c.name("num"), c.name("pre"), c.name("post")) else {
            continue;
        };
        if pre.is_none() && post.is_none() {
            continue;
        }
        // Glued to a letter or digit on either side: part of a word, a code or a number.
        let whole = c.get(0).map_or(0..0, |m| m.range());
        let before = text[..whole.start].chars().next_back();
        let after = text[whole.end..].chars().next();
        if before.is_some_and(|ch| ch.is_ascii_alphanumeric()) && pre.is_none() {
            continue;
        }
        if after.is_some_and(|ch| ch.is_ascii_digit()) {
            continue;
        }
        if num.as_str().starts_with('-') {
            continue;
        }
        let Some((w, f)) = split(num.as_str()) else {
            continue;
        };
        let (mut currency, mut dollar) = marker_currency(pre.map_or("", |m| m.as_str()));
        if currency.is_none() && !dollar {
            (currency, dollar) = marker_currency(post.map_or("", |m| m.as_str()));
        } else if let Some(p) = post
            && currency.is_none()
        {
            currency = marker_currency(p.as_str()).0;
        }
        out.push(Amount {
            whole: w,
            fraction: f,
            currency,
            dollar,
            negative: false,
        });
    }
    out
}

/// The amount in a pattern's captured group: markers optional there (the pattern gave the
/// context), but still digits only, never a float.
pub fn from_group(text: &str) -> Option<Amount> {
    let first_digit = text.find(|c: char| c.is_ascii_digit())?;
    let negative = text[..first_digit].contains('-');
    let unsigned = text.replacen('-', "", usize::from(negative));
    if let Some(mut a) = find_all(&unsigned).into_iter().next() {
        a.negative = negative;
        return Some(a);
    }
    let (w, f) = split(unsigned.trim())?;
    Some(Amount {
        whole: w,
        fraction: f,
        currency: None,
        dollar: false,
        negative,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str, cur: &str) -> Vec<String> {
        let c = Currency::new(cur).unwrap();
        find_all(text)
            .into_iter()
            .filter_map(|a| a.money(c))
            .map(|m| m.minor.to_string())
            .collect()
    }

    #[test]
    fn the_forms_carriers_write() {
        assert_eq!(m("余额36.50元", "CNY"), ["3650"]);
        assert_eq!(m("人民币36.50元", "CNY"), ["3650"]);
        assert_eq!(m("¥36.50", "CNY"), ["3650"]);
        assert_eq!(m("￥50", "CNY"), ["5000"]);
        assert_eq!(m("balance is £6.45.", "GBP"), ["645"]);
        assert_eq!(m("HK$80.00", "HKD"), ["8000"]);
        assert_eq!(m("$5 added", "USD"), ["500"]);
        assert_eq!(m("$5 added", "HKD"), ["500"]);
        assert_eq!(m("12,34 EUR", "EUR"), ["1234"]);
        assert_eq!(m("1.234,56 EUR", "EUR"), ["123456"]);
        assert_eq!(m("$1,234.50", "USD"), ["123450"]);
        assert_eq!(m("0.1 + 0.2 = 0.30元", "CNY"), ["30"]);
    }

    #[test]
    fn numbers_that_are_not_amounts() {
        assert!(m("验证码 123456，5分钟内有效", "CNY").is_empty());
        assert!(m("call 13800138000 today", "CNY").is_empty());
        assert!(m("on 2026-11-01 at 09:00", "CNY").is_empty());
        assert!(m("Your code is 4821", "GBP").is_empty());
        // Another currency is not this number's money.
        assert!(m("£6.45", "CNY").is_empty());
        assert!(m("$5", "GBP").is_empty());
        // Too many decimals for the currency.
        assert!(m("¥1.234", "CNY").is_empty());
    }
}
