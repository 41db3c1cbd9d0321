//! Carriers' texts and USSD replies: a balance notice, a top-up confirmation, or neither.
//! `parse_text` is pure and shared by `import --format sms` and the modem client; the
//! patterns live per carrier in `presets/presets.json` and per number in the config.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use regex::Regex;
use serde::Deserialize;

use crate::import::amount::{Amount, from_group};

/// What a text says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A balance notice (`valid_until` when the text gives the validity).
    Balance {
        balance: Amount,
        valid_until: Option<NaiveDate>,
    },
    /// A top-up confirmation, with the new balance when the text gives it.
    TopUp {
        amount: Amount,
        balance: Option<Amount>,
        valid_until: Option<NaiveDate>,
    },
    /// Neither (a verification code, a promotion, anything else): kept as a message.
    Other,
}

/// Which way round a carrier writes `01/02/2027`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    #[default]
    Dmy,
    Mdy,
    Ymd,
}

/// One carrier's patterns (regexes with named groups `balance`, `amount`, `valid_until`).
#[derive(Clone, Debug)]
pub struct CarrierPatterns {
    /// The carrier as numbers name it in the config; `*` for the generic fallback.
    pub carrier: String,
    /// Sender ids and short codes its texts come from.
    pub senders: Vec<String>,
    /// The signature its texts carry in 【】 (`中国移动`).
    pub signatures: Vec<String>,
    pub date_order: DateOrder,
    pub top_up: Vec<Regex>,
    pub balance: Vec<Regex>,
}

#[derive(Deserialize)]
struct FileFile {
    #[serde(default)]
    reply_patterns: Vec<FileCarrier>,
}

#[derive(Deserialize)]
struct FileCarrier {
    carrier: String,
    #[serde(default)]
    senders: Vec<String>,
    #[serde(default)]
    signatures: Vec<String>,
    #[serde(default)]
    date_order: DateOrder,
    #[serde(default)]
    top_up: Vec<String>,
    #[serde(default)]
    balance: Vec<String>,
}

/// Every carrier's patterns from the presets data file, the generic fallback (`*`) last.
/// A pattern that does not compile is left out (a test keeps the file whole).
pub fn carrier_patterns() -> &'static [CarrierPatterns] {
    static ALL: OnceLock<Vec<CarrierPatterns>> = OnceLock::new();
    ALL.get_or_init(|| {
        let file: FileFile = serde_json::from_str(include_str!("../../presets/presets.json"))
            .unwrap_or(FileFile {
                reply_patterns: Vec::new(),
            });
        let compile = |v: &[String]| v.iter().filter_map(|p| Regex::new(p).ok()).collect();
        let mut out: Vec<CarrierPatterns> = file
            .reply_patterns
            .iter()
            .map(|c| CarrierPatterns {
                carrier: c.carrier.clone(),
                senders: c.senders.clone(),
                signatures: c.signatures.clone(),
                date_order: c.date_order,
                top_up: compile(&c.top_up),
                balance: compile(&c.balance),
            })
            .collect();
        out.sort_by_key(|c| c.carrier == "*");
        out
    })
}

/// The other names a carrier of the presets goes by, as people write them in the config:
/// its short name, its code, and its Chinese names.
const CARRIER_NAMES: &[(&str, &[&str])] = &[
    ("china mobile", &["cmcc", "移动", "中国移动", "中國移動"]),
    ("china unicom", &["cucc", "联通", "中国联通", "中國聯通"]),
    ("china telecom", &["ctcc", "电信", "中国电信", "中國電信"]),
];

/// Whether a number's `carrier`, as the person wrote it (`CMCC`, `移动`, `china mobile`),
/// is `carrier` as the presets name it (`China Mobile`): the same name in any case, or one
/// of the names it goes by.
pub fn is_carrier(configured: &str, carrier: &str) -> bool {
    let (c, p) = (
        configured.trim().to_lowercase(),
        carrier.trim().to_lowercase(),
    );
    if c.is_empty() || p.is_empty() || p == "*" {
        return false;
    }
    c == p
        || CARRIER_NAMES
            .iter()
            .any(|(name, others)| *name == p && others.contains(&c.as_str()))
}

/// The patterns worth trying for a number of `carrier`: its own, then the generic ones.
pub fn patterns_for(carrier: &str) -> Vec<&'static CarrierPatterns> {
    let all = carrier_patterns();
    let own = all.iter().filter(|p| is_carrier(carrier, &p.carrier));
    own.chain(all.iter().filter(|p| p.carrier == "*")).collect()
}

/// The carrier whose sender list names `from`, if one does.
pub fn carrier_of_sender(from: &str) -> Option<&'static str> {
    let f = from.trim().trim_start_matches('+').to_lowercase();
    carrier_patterns()
        .iter()
        .find(|p| p.senders.iter().any(|s| f == s.to_lowercase()))
        .map(|p| p.carrier.as_str())
}

/// The carrier whose signature a text carries (`【中国移动】` at its start or end), if one
/// does.
pub fn carrier_of_signature(text: &str) -> Option<&'static str> {
    let t = text.trim();
    let inner = |s: &str| -> Option<String> {
        let open = s.find('【')?;
        let close = open + s[open..].find('】')?;
        Some(s[open + '【'.len_utf8()..close].trim().to_string())
    };
    let head = t.starts_with('【').then(|| inner(t)).flatten();
    let tail = t
        .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '】')
        .ends_with('】')
        .then(|| t.rfind('【').and_then(|i| inner(&t[i..])))
        .flatten();
    [head, tail].into_iter().flatten().find_map(|sig| {
        carrier_patterns()
            .iter()
            .find_map(|p| p.signatures.contains(&sig).then_some(p.carrier.as_str()))
    })
}

/// Compiles a number's `reply_patterns` (they were checked when the config loaded).
pub fn number_patterns(patterns: &[String]) -> Vec<Regex> {
    patterns.iter().filter_map(|p| Regex::new(p).ok()).collect()
}

fn otp() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)验证码|校验码|动态码|动态密码|驗證碼|認證碼|verification code|security code|one[- ]time (?:pass|code)|\bOTP\b|passcode|\bPIN\b|código de verificación|bestätigungscode|\bcode is\b",
        )
        .expect("otp pattern compiles")
    })
}

fn validity() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)(?:有效期至|有效期到|有效期為|valid (?:until|till|to)|expires(?: on)?|gültig bis|válido hasta)\s?[：:]?\s?(?P<d>\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?|\d{1,2}[/.]\d{1,2}[/.]\d{4})",
        )
        .expect("validity pattern compiles")
    })
}

/// A date as carriers write it: `2027-01-31`, `2027年1月31日`, `31/01/2027` (or `01/31/2027`
/// for a carrier that writes month first).
pub fn parse_date(s: &str, order: DateOrder) -> Option<NaiveDate> {
    let parts: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    let [a, b, c] = parts[..] else { return None };
    if a > 999 {
        return NaiveDate::from_ymd_opt(a as i32, b, c);
    }
    match order {
        DateOrder::Mdy => NaiveDate::from_ymd_opt(c as i32, a, b),
        _ => NaiveDate::from_ymd_opt(c as i32, b, a),
    }
}

fn named() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?P<y>(?:19|20)\d{2})(?:年|-|/)(?P<m>\d{1,2})(?:月|-|/)(?P<d>\d{1,2})日?(?:\s?(?P<h>\d{1,2})[:：时點点](?P<mi>\d{2})?)?",
        )
        .expect("date pattern compiles")
    })
}

/// When a text says it happened (`您于2026年11月01日成功充值…`, `截至2026年11月05日09时`,
/// `2026-11-20交费…`), for a text whose source gives no date: in China time for a text in
/// Chinese (the carriers writing so are all at UTC+8), otherwise at `now`'s offset; at noon
/// when it names no time, and never later than `now`. A validity or due date
/// (`有效期至…`, `…到期`, `valid until …`) is not when it happened.
pub fn named_date(text: &str, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    let han = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let offset = if han {
        FixedOffset::east_opt(8 * 3600)?
    } else {
        *now.offset()
    };
    named().captures_iter(text).find_map(|c| {
        let whole = c.get(0)?;
        let before: String = text[..whole.start()]
            .chars()
            .rev()
            .take(12)
            .collect::<Vec<char>>()
            .into_iter()
            .rev()
            .collect();
        let before_l = before.to_lowercase();
        let after = &text[whole.end()..];
        let ends = |w: &str| before.trim_end().ends_with(w);
        let validity = [
            "有效", "到期", "截止", "失效", "until", "till", "expire", "valid", "renew",
        ]
        .iter()
        .any(|w| before_l.contains(w))
            || ((ends("至") || ends("到")) && !ends("截至"))
            || ["到期", "前", "止", "失效", "过期", "生效", "起"]
                .iter()
                .any(|w| after.trim_start().starts_with(w));
        if validity {
            return None;
        }
        let n = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
        let day = NaiveDate::from_ymd_opt(n("y")? as i32, n("m")?, n("d")?)?;
        let time = match n("h") {
            Some(h) => chrono::NaiveTime::from_hms_opt(h, n("mi").unwrap_or(0), 0),
            None => chrono::NaiveTime::from_hms_opt(12, 0, 0),
        }?;
        let at = offset.from_local_datetime(&day.and_time(time)).single()?;
        Some(at.min(now))
    })
}

/// Removes control and bidirectional-override characters, folds runs of white space, and
/// caps the text at `max` bytes (on a character boundary).
pub fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    let mut space = false;
    for ch in text.chars() {
        let bidi = matches!(ch, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}' | '\u{feff}');
        if bidi {
            continue;
        }
        if ch.is_whitespace() || ch.is_control() {
            space = !out.is_empty();
            continue;
        }
        let extra = if space { 1 } else { 0 };
        if out.len() + extra + ch.len_utf8() > max {
            break;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(ch);
    }
    out
}

/// What a text says, trying the number's own patterns first, then the carriers' in the
/// order given (pass [`patterns_for`]). A verification code is never a balance.
pub fn parse_text(
    text: &str,
    carrier_patterns: &[&CarrierPatterns],
    number_patterns: &[Regex],
) -> Parsed {
    let text = clean(text, 4096);
    if otp().is_match(&text) {
        return Parsed::Other;
    }
    let order = carrier_patterns
        .first()
        .map_or(DateOrder::Dmy, |c| c.date_order);
    // The number's own patterns, then every carrier's top-up wording before any balance
    // wording: a confirmation usually states the new balance too (`成功充值30.00元，当前余额
    // 为38.50元`), and read as a balance notice it would lose the top-up.
    let top_ups = carrier_patterns
        .iter()
        .flat_map(|c| c.top_up.iter().map(move |re| (re, c.date_order)));
    let balances = carrier_patterns
        .iter()
        .flat_map(|c| c.balance.iter().map(move |re| (re, c.date_order)));
    let own_balances = carrier_patterns
        .iter()
        .filter(|c| c.carrier != "*")
        .flat_map(|c| c.balance.iter().map(move |re| (re, c.date_order)));
    let generic_balances = carrier_patterns
        .iter()
        .filter(|c| c.carrier == "*")
        .flat_map(|c| c.balance.iter().map(move |re| (re, c.date_order)));
    // After the carrier's own patterns, the general reader (a balance word and the money
    // beside it): first when it adds up parts a generic pattern would read one of, last
    // otherwise.
    let general = || crate::import::balance::read(&text);
    let general_balance = |(balance, _)| Parsed::Balance {
        balance,
        valid_until: None,
    };
    let found = number_patterns
        .iter()
        .find_map(|re| judge(re, &text, order))
        .or_else(|| top_ups.clone().find_map(|(re, o)| judge(re, &text, o)))
        .or_else(|| own_balances.clone().find_map(|(re, o)| judge(re, &text, o)))
        .or_else(|| {
            general()
                .filter(|(_, parts)| *parts > 1)
                .map(general_balance)
        })
        .or_else(|| {
            generic_balances
                .clone()
                .find_map(|(re, o)| judge(re, &text, o))
        })
        .or_else(|| general().map(general_balance));
    match found {
        Some(Parsed::TopUp {
            amount,
            balance,
            valid_until,
        }) => {
            // The new balance, when the top-up's own pattern did not capture it.
            let balance = balance.or_else(|| {
                balances
                    .clone()
                    .find_map(|(re, o)| match judge(re, &text, o) {
                        Some(Parsed::Balance { balance, .. }) => Some(balance),
                        _ => None,
                    })
            });
            Parsed::TopUp {
                amount,
                balance,
                valid_until: valid_until.or_else(|| any_validity(&text, order)),
            }
        }
        Some(Parsed::Balance {
            balance,
            valid_until: None,
        }) => Parsed::Balance {
            balance,
            valid_until: any_validity(&text, order),
        },
        Some(p) => p,
        None => Parsed::Other,
    }
}

fn any_validity(text: &str, order: DateOrder) -> Option<NaiveDate> {
    validity()
        .captures(text)
        .and_then(|c| parse_date(c.name("d")?.as_str(), order))
}

/// One pattern's reading of `text`: a top-up when it captured `amount`, a balance when it
/// captured `balance`.
fn judge(re: &Regex, text: &str, order: DateOrder) -> Option<Parsed> {
    let c = re.captures(text)?;
    let valid_until = c
        .name("valid_until")
        .and_then(|d| parse_date(d.as_str(), order));
    let balance = c.name("balance").and_then(|m| from_group(m.as_str()));
    if let Some(a) = c.name("amount") {
        return Some(Parsed::TopUp {
            amount: from_group(a.as_str())?,
            balance,
            valid_until,
        });
    }
    Some(Parsed::Balance {
        balance: balance?,
        valid_until,
    })
}

#[cfg(test)]
mod carrier_tests {
    use super::*;

    #[test]
    fn a_carrier_is_known_by_the_names_people_write_for_it() {
        for name in [
            "China Mobile",
            "china mobile",
            "CMCC",
            "cmcc",
            "移动",
            "中国移动",
        ] {
            assert!(is_carrier(name, "China Mobile"), "{name}");
            assert!(!is_carrier(name, "China Unicom"), "{name}");
            // Its own patterns come first, before the generic ones.
            assert_eq!(patterns_for(name)[0].carrier, "China Mobile", "{name}");
        }
        for name in ["China Unicom", "联通", "CUCC", "cucc", "中国联通"] {
            assert!(is_carrier(name, "China Unicom"), "{name}");
        }
        for name in ["China Telecom", "电信", "CTCC", "Ctcc", "中国电信"] {
            assert!(is_carrier(name, "China Telecom"), "{name}");
        }
        assert!(is_carrier("GIFFGAFF", "giffgaff"));
        assert!(!is_carrier("", "China Mobile"));
        assert!(!is_carrier("Mobile", "China Mobile"));
        assert!(!is_carrier("*", "*"));
        assert_eq!(
            patterns_for("CMCC").last().map(|p| p.carrier.as_str()),
            Some("*")
        );
    }
}
