//! The general balance reader: for a carrier's text that no pattern of its own matched, a
//! balance word (余额, balance, Guthaben, saldo, stan konta, solde, credito…) and the amount
//! beside it with a currency word or symbol (`zł`, `Rp`, `CHF`, `€`), the parts added up when
//! one sentence lists several. Pure; a price, a date or a phone number is never a balance.

use std::sync::OnceLock;

use regex::Regex;

use crate::import::amount::Amount;
use crate::model::Currency;

/// A balance word. `open_start`: it may end a longer word (`Startguthaben`, `beltegoed`);
/// `open_end`: endings may follow (`egyenlege`, `bakiyeniz`, `баланса`). Words in scripts
/// without spaces match anywhere.
struct Word {
    text: &'static str,
    open_start: bool,
    open_end: bool,
}

const fn w(text: &'static str) -> Word {
    Word {
        text,
        open_start: false,
        open_end: false,
    }
}

const fn compound(text: &'static str) -> Word {
    Word {
        text,
        open_start: true,
        open_end: true,
    }
}

const fn inflected(text: &'static str) -> Word {
    Word {
        text,
        open_start: false,
        open_end: true,
    }
}

/// The balance words of the presets' languages and of Europe's (and a few more where
/// prepaid numbers are common).
const WORDS: &[Word] = &[
    // Chinese, Japanese, Korean, Thai
    w("余额"),
    w("餘額"),
    w("结余"),
    w("残高"),
    w("残額"),
    w("잔액"),
    w("잔여"),
    w("ยอดเงินคงเหลือ"),
    w("คงเหลือ"),
    // English
    w("balance"),
    w("balances"),
    w("bal"),
    w("credit"),
    w("airtime"),
    // German (Swiss too), Dutch
    compound("guthaben"),
    w("kontostand"),
    compound("tegoed"),
    // Romance
    inflected("saldo"),
    w("solde"),
    w("crédit"),
    inflected("credito"),
    inflected("crédito"),
    inflected("sold"),
    // Polish, Czech, Slovak, Hungarian, Croatian
    w("stan konta"),
    w("środki"),
    w("srodki"),
    w("zůstatek"),
    w("zustatek"),
    w("zostatok"),
    w("kredit"),
    inflected("egyenleg"),
    w("stanje"),
    // Turkish, Greek, Russian, Ukrainian
    inflected("bakiye"),
    inflected("υπόλοιπ"),
    inflected("баланс"),
    inflected("остаток"),
    inflected("залишок"),
    // Indonesian, Malay, Vietnamese, Tagalog
    w("pulsa"),
    w("baki"),
    w("số dư"),
    w("so du"),
    w("tkc"),
    // Arabic, Hebrew
    w("رصيد"),
    w("יתרה"),
];

/// Words that make the money after them something other than the balance: a price, a
/// renewal, an offer, a top-up being sold.
const NOT_BALANCE: &[&str] = &[
    "for",
    "renew",
    "renews",
    "cost",
    "costs",
    "price",
    "fee",
    "charge",
    "pay",
    "per",
    "top up",
    "top-up",
    "topup",
    "add",
    "buy",
    "get",
    "recharge",
    "bundle",
    "plan",
    "offer",
    "only",
    "save",
    "spend",
    "für",
    "kostet",
    "preis",
    "gebühr",
    "aufladen",
    "pour",
    "prix",
    "frais",
    "por",
    "para",
    "precio",
    "recarga",
    "costo",
    "prezzo",
    "ricarica",
    "za",
    "koszt",
    "cena",
    "doładuj",
    "untuk",
    "harga",
    "beli",
    "isi",
    "voor",
    "prijs",
    "kosten",
    "fiyat",
    "ücret",
    "цена",
    "стоимость",
    "за",
    "费",
    "价",
    "购买",
    "办理",
    "套餐",
    "送",
    "需",
    "扣",
];

/// Words that make a sentence a top-up confirmation, whose first amount is what was paid:
/// its balance, if it gives one, is in a sentence of its own.
const TOPPED_UP: &[&str] = &[
    "aufgeladen",
    "gutgeschrieben",
    "hinzugefügt",
    "added",
    "ajouté",
    "topped up",
    "recharged",
    "rechargé",
    "recargad",
    "ricaricat",
    "doładowan",
    "doladowan",
    "isi ulang",
    "充值成功",
    "成功充值",
    "已到账",
];

fn words() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let mut alts: Vec<&str> = WORDS.iter().map(|w| w.text).collect();
        alts.sort_by_key(|a| std::cmp::Reverse(a.len()));
        let alts: Vec<String> = alts.iter().map(|a| regex::escape(a)).collect();
        Regex::new(&format!("(?i)(?:{})", alts.join("|"))).expect("balance words compile")
    })
}

/// Currency words and symbols, before or after the digits (the longest first).
const MARKERS: &[(&str, &str)] = &[
    ("MOP$", "MOP"),
    ("US$", "USD"),
    ("HK$", "HKD"),
    ("NZ$", "NZD"),
    ("NT$", "TWD"),
    ("MX$", "MXN"),
    ("JP¥", "JPY"),
    ("S$", "SGD"),
    ("A$", "AUD"),
    ("C$", "CAD"),
    ("R$", "BRL"),
    ("人民币", "CNY"),
    ("澳门元", "MOP"),
    ("澳門元", "MOP"),
    ("港元", "HKD"),
    ("港币", "HKD"),
    ("港幣", "HKD"),
    ("美元", "USD"),
    ("英镑", "GBP"),
    ("欧元", "EUR"),
    ("歐元", "EUR"),
    ("元", "CNY"),
    ("円", "JPY"),
    ("원", "KRW"),
    ("บาท", "THB"),
    ("¥", "CNY"),
    ("￥", "CNY"),
    ("£", "GBP"),
    ("€", "EUR"),
    ("₩", "KRW"),
    ("₹", "INR"),
    ("₽", "RUB"),
    ("₺", "TRY"),
    ("₫", "VND"),
    ("฿", "THB"),
    ("₱", "PHP"),
    ("₪", "ILS"),
    ("₦", "NGN"),
    ("৳", "BDT"),
    ("zł", "PLN"),
    ("zl", "PLN"),
    ("Kč", "CZK"),
    ("Kc", "CZK"),
    ("Ft", "HUF"),
    ("lei", "RON"),
    ("руб.", "RUB"),
    ("руб", "RUB"),
    ("р.", "RUB"),
    ("грн", "UAH"),
    ("Rp.", "IDR"),
    ("Rp", "IDR"),
    ("RM", "MYR"),
    ("Fr.", "CHF"),
    ("TL", "TRY"),
    ("đ", "VND"),
    ("EURO", "EUR"),
    ("euros", "EUR"),
    ("euro", "EUR"),
    ("Euro", "EUR"),
    ("pounds", "GBP"),
    ("yuan", "CNY"),
    ("rupiah", "IDR"),
    // Several countries' crowns, rupees and dollars: the number's own currency.
    ("kronor", ""),
    ("kroner", ""),
    ("kr.", ""),
    ("kr", ""),
    ("Rs.", ""),
    ("Rs", ""),
    ("dollars", "$"),
    ("$", "$"),
];

fn amounts() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let mut marks: Vec<String> = MARKERS.iter().map(|(m, _)| regex::escape(m)).collect();
        // Any ISO code baohao knows, in capitals.
        marks.push("[A-Z]{3}".into());
        let marks = marks.join("|");
        // 1,234.56 · 1.234,56 · 1'234.50 · 1 234,56 (no-break space) · 12,34 · 5 · 10.-
        let num = r"\d{1,3}(?:[.,' \u{a0}\u{202f}]\d{3})+(?:[.,]\d{1,3})?|\d{1,9}(?:[.,]\d{1,3})?(?:\.[-–]{1,2})?";
        Regex::new(&format!(
            r"(?P<neg>-)?(?P<pre>{marks})?\s?(?P<neg2>-)?(?P<num>{num})\s?(?P<post>{marks})?"
        ))
        .expect("amount pattern compiles")
    })
}

/// One amount with a currency marker, where it stands in the text.
#[derive(Clone, Debug)]
struct Found {
    start: usize,
    end: usize,
    /// Minor units at `scale` decimals (a value, not yet a currency's).
    value: i128,
    scale: u32,
    currency: Option<Currency>,
    dollar: bool,
    negative: bool,
}

fn marker(m: &str) -> Option<(Option<Currency>, bool)> {
    if let Some((_, code)) = MARKERS.iter().find(|(k, _)| *k == m) {
        return Some(match *code {
            "" => (None, false),
            "$" => (None, true),
            c => (Currency::new(c).ok(), false),
        });
    }
    let c = Currency::new(m).ok()?;
    (m.len() == 3 && m.bytes().all(|b| b.is_ascii_uppercase())).then_some((Some(c), false))
}

/// The digits of `num` as a value and its decimals; a single `.` or `,` before exactly
/// three digits groups thousands unless the currency has three decimals.
fn value_of(num: &str, currency: Option<Currency>) -> Option<(i128, u32)> {
    let num = num.trim_end_matches(['-', '–']).trim_end_matches('.');
    let seps: Vec<(usize, char)> = num
        .char_indices()
        .filter(|(_, c)| !c.is_ascii_digit())
        .collect();
    let decimal_at = match seps.as_slice() {
        [] => None,
        [.., (i, last)] => {
            let after = num.len() - i - last.len_utf8();
            let same = seps.iter().filter(|(_, c)| c == last).count();
            let three = currency.is_some_and(|c| c.exponent() == 3);
            if !matches!(last, '.' | ',') {
                None
            } else if seps.iter().any(|(_, c)| c != last) {
                Some(*i)
            } else if same > 1 || (after == 3 && !three) {
                None
            } else {
                Some(*i)
            }
        }
    };
    let (whole, fraction) = match decimal_at {
        Some(i) => (&num[..i], &num[i + 1..]),
        None => (num, ""),
    };
    let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    let (whole, fraction) = (digits(whole), digits(fraction));
    if whole.is_empty() || whole.len() > 12 {
        return None;
    }
    let scale = fraction.len() as u32;
    format!("{whole}{fraction}")
        .parse::<i128>()
        .ok()
        .map(|v| (v, scale))
}

/// Every amount written with a currency marker in `text`, not glued to a word or a number.
fn find_amounts(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for c in amounts().captures_iter(text) {
        let (Some(num), pre, post) = (c.name("num"), c.name("pre"), c.name("post")) else {
            continue;
        };
        let pre_m = pre.and_then(|m| marker(m.as_str()));
        let post_m = post.and_then(|m| marker(m.as_str()));
        // `$150.00 MXN`: the code says which dollar (or peso) the sign meant.
        let (currency, dollar) = match (pre_m, post_m) {
            (Some((None, true)), Some((Some(c), _))) => (Some(c), false),
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => continue,
        };
        let whole = c.get(0).map_or(0..0, |m| m.range());
        // The marker used must stand apart from the words around it.
        let start = if pre_m.is_some() {
            whole.start
        } else {
            num.start()
        };
        let end = if pre_m.is_some() && post_m.is_none() {
            num.end()
        } else {
            whole.end
        };
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if before.is_some_and(|ch| ch.is_alphanumeric() && ch.is_ascii()) {
            continue;
        }
        if after.is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '%' || ch == '/') {
            continue;
        }
        let Some((value, scale)) = value_of(num.as_str(), currency) else {
            continue;
        };
        out.push(Found {
            start: whole.start,
            end,
            value,
            scale,
            currency,
            dollar,
            negative: c.name("neg").is_some() || c.name("neg2").is_some(),
        });
    }
    out
}

/// Where each sentence of `text` starts (byte offsets; the first at 0). A sentence ends
/// at `!`, `?`, `;`, their CJK forms, `。`, or a `.` before white space or the end.
fn sentence_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    for (j, ch) in text.char_indices() {
        let end = match ch {
            '!' | '?' | '。' | '！' | '？' | '；' | ';' => true,
            '.' => text[j + 1..].chars().next().is_none_or(char::is_whitespace),
            _ => false,
        };
        if end {
            starts.push(j + ch.len_utf8());
        }
    }
    starts
}

/// Whether `s` holds the end of a sentence.
fn breaks(s: &str) -> bool {
    sentence_starts(s).len() > 1
}

/// Whether `s` holds one of `list`: a word written with spaces around it stands apart
/// from letters before it (and, if shorter than five letters, after it: `recharge` also
/// finds `recharged`); a word of a script without spaces matches anywhere.
fn has_any(s: &str, list: &[&str]) -> bool {
    let l = s.to_lowercase();
    list.iter().any(|w| {
        l.match_indices(w).any(|(i, _)| {
            if w.chars().any(is_cjk) {
                return true;
            }
            let before = l[..i].chars().next_back();
            let after = l[i + w.len()..].chars().next();
            let letter = |c: Option<char>| c.is_some_and(char::is_alphabetic);
            !letter(before) && (w.chars().count() >= 5 || !letter(after))
        })
    })
}

/// The balance words in `text`: (start, end) byte ranges.
fn find_words(text: &str) -> Vec<(usize, usize)> {
    let letter = |c: Option<char>| c.is_some_and(char::is_alphabetic);
    words()
        .find_iter(text)
        .filter(|m| {
            let Some(word) = WORDS
                .iter()
                .find(|w| w.text.to_lowercase() == m.as_str().to_lowercase())
            else {
                return false;
            };
            let spaced = m.as_str().chars().all(|c| c.is_ascii() || !is_cjk(c));
            if !spaced {
                return true;
            }
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            (word.open_start || !letter(before)) && (word.open_end || !letter(after))
        })
        // "credit card" is how one pays, not what is left.
        .filter(|m| {
            !text[m.end()..]
                .trim_start()
                .to_lowercase()
                .starts_with("card")
        })
        // A compound starts where its word does (`Startguthaben`).
        .map(|m| {
            let head = text[..m.start()]
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_alphabetic())
                .last()
                .map_or(m.start(), |(i, _)| i);
            (head, m.end())
        })
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{9fff}' | '\u{ac00}'..='\u{d7af}' | '\u{0e00}'..='\u{0e7f}')
}

/// The balance a text states, if it states one: the amount beside a balance word (after
/// it, or right before it as in `10,00 EUR Startguthaben`), the parts of the first sentence
/// that has any added up, and how many parts there were. Amounts with no currency marker
/// never count.
pub fn read(text: &str) -> Option<(Amount, usize)> {
    let found = find_amounts(text);
    let words = find_words(text);
    if found.is_empty() || words.is_empty() {
        return None;
    }
    let mut parts: Vec<usize> = Vec::new();
    for (i, a) in found.iter().enumerate() {
        let prev_end = i.checked_sub(1).map_or(0, |p| found[p].end);
        // A balance word before it, with nothing but a few linking words between: no
        // other amount, no sentence end, no price word.
        let after_word = words
            .iter()
            .rev()
            .find(|(_, e)| *e <= a.start)
            .is_some_and(|&(_, e)| {
                let gap = &text[e..a.start];
                e >= prev_end
                    && gap.chars().count() <= 40
                    && !breaks(gap)
                    && !has_any(gap, NOT_BALANCE)
            });
        // A balance word right after it (`10,00 EUR Startguthaben`, `£5 credit`), and no
        // price word before it in its clause.
        let before_word = words
            .iter()
            .find(|(s, _)| *s >= a.end)
            .is_some_and(|&(s, _)| {
                let gap = &text[a.end..s];
                let clause = &text[prev_end..a.start];
                gap.chars().count() <= 2
                    && gap.chars().all(|c| c.is_whitespace() || c == ':')
                    && !has_any(clause, NOT_BALANCE)
            });
        if after_word || before_word {
            parts.push(i);
        }
    }
    // The first sentence with a balance in it that is not a top-up confirmation.
    let starts = sentence_starts(text);
    let sentence = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);
    let text_of = |n: usize| {
        let from = starts.get(n).copied().unwrap_or(text.len());
        let to = starts.get(n + 1).copied().unwrap_or(text.len());
        &text[from..to]
    };
    let chosen = parts
        .iter()
        .map(|&i| sentence(found[i].start))
        .find(|&n| !has_any(text_of(n), TOPPED_UP))?;
    let chosen: Vec<&Found> = parts
        .iter()
        .map(|&i| &found[i])
        .filter(|a| sentence(a.start) == chosen)
        .collect();
    Some((sum(&chosen)?, chosen.len()))
}

/// The parts as one amount: all in one currency (or none named), added at the finest
/// decimals any of them has.
fn sum(parts: &[&Found]) -> Option<Amount> {
    let first = parts.first()?;
    if parts
        .iter()
        .any(|p| p.currency != first.currency || p.dollar != first.dollar)
    {
        return None;
    }
    let scale = parts.iter().map(|p| p.scale).max()?;
    let mut total: i128 = 0;
    for p in parts {
        let v = p.value.checked_mul(10i128.checked_pow(scale - p.scale)?)?;
        total = total.checked_add(if p.negative { -v } else { v })?;
    }
    let negative = total < 0;
    let digits = format!(
        "{:0>width$}",
        total.unsigned_abs(),
        width = scale as usize + 1
    );
    let (whole, fraction) = digits.split_at(digits.len() - scale as usize);
    if whole.len() > 7 {
        return None;
    }
    Some(Amount {
        whole: whole.to_string(),
        fraction: fraction.to_string(),
        currency: first.currency,
        dollar: first.dollar,
        negative,
    })
}

#[cfg(test)]
mod tests {
    use crate::import::sms::{Parsed, parse_text, patterns_for};
    use crate::model::{Currency, Money};

    /// What a number in `currency` reads from `text` when its carrier has no pattern of
    /// its own: the balance in minor units, or `None`.
    fn balance(text: &str, currency: &str) -> Option<i64> {
        let c = Currency::new(currency).ok()?;
        match parse_text(text, &patterns_for(""), &[]) {
            Parsed::Balance { balance, .. } => balance.signed_minor(c),
            _ => None,
        }
    }

    /// Replies as carriers send them, hand-written: (language, text, currency, balance in
    /// minor units or none).
    const CORPUS: &[(&str, &str, &str, Option<i64>)] = &[
        // English
        (
            "en",
            "Current plan active until 08/10/2022 and will renew for $12.34. Account Balance $56.78.",
            "USD",
            Some(5678),
        ),
        (
            "en",
            "Your current balance is: £5.00. Thank you for using giffgaff.",
            "GBP",
            Some(500),
        ),
        ("en", "You have £3.20 credit remaining.", "GBP", Some(320)),
        ("en", "Bal: $5.00 Exp: 12/31/2026", "USD", Some(500)),
        (
            "en",
            "Main balance HK$120.50, valid till 31/12/2026.",
            "HKD",
            Some(12050),
        ),
        (
            "en",
            "Your plan renews on 01/12 for £10. Balance £2.50.",
            "GBP",
            Some(250),
        ),
        (
            "en",
            "Your account balance is USD 12.34 and expires on 2026-12-31",
            "USD",
            Some(1234),
        ),
        (
            "en",
            "Your balance is low. Top up £10 now to keep your number.",
            "GBP",
            None,
        ),
        ("en", "please call 888 for more details", "USD", None),
        (
            "en",
            "Top up £10 and get £5 credit free this weekend!",
            "GBP",
            None,
        ),
        (
            "en",
            "Dear customer, your balance is insufficient for this call.",
            "GBP",
            None,
        ),
        (
            "en",
            "Main balance S$4.00, bonus balance S$1.50.",
            "SGD",
            Some(550),
        ),
        ("en", "Airtime: 25.00 ZAR. Data: 1.2GB", "ZAR", Some(2500)),
        (
            "en",
            "Your balance is -£1.20. Please top up.",
            "GBP",
            Some(-120),
        ),
        (
            "en",
            "Pay your bill of £12.00 by card. Call 0800 123 456.",
            "GBP",
            None,
        ),
        // German, Swiss German
        (
            "de",
            "Dein Guthaben betraegt: 10,00 EUR Startguthaben, 20,00 EUR Kaufguthaben und 40,00 EUR Geschenkguthaben.",
            "EUR",
            Some(7000),
        ),
        ("de", "Ihr aktuelles Guthaben: 4,56 €", "EUR", Some(456)),
        ("de", "Ihr Guthaben beträgt CHF 12.50.", "CHF", Some(1250)),
        (
            "de",
            "Kontostand: 7,89 Euro. Gültig bis 31.12.2026",
            "EUR",
            Some(789),
        ),
        (
            "de",
            "Ihr Restguthaben beträgt 1.234,50 EUR",
            "EUR",
            Some(123450),
        ),
        (
            "de",
            "Sie haben 10 EUR aufgeladen. Neues Guthaben: 15,00 EUR",
            "EUR",
            Some(1500),
        ),
        (
            "de",
            "Guthaben reicht nicht für die Option für 9,99 EUR",
            "EUR",
            None,
        ),
        ("de", "Ihr Guthaben: CHF 1'234.50", "CHF", Some(123450)),
        // French, Swiss French
        ("fr", "Votre solde est de 5,00 €.", "EUR", Some(500)),
        (
            "fr",
            "Votre crédit est de CHF 5.00. Merci.",
            "CHF",
            Some(500),
        ),
        (
            "fr",
            "Solde principal : 12,30 EUR, valable jusqu'au 12/01/2027",
            "EUR",
            Some(1230),
        ),
        ("fr", "Rechargez 10 € pour seulement 9 €", "EUR", None),
        (
            "fr",
            "Votre forfait est renouvelé pour 19,99 €",
            "EUR",
            None,
        ),
        // Italian, Swiss Italian
        (
            "it",
            "Il tuo credito residuo è di 3,20 euro.",
            "EUR",
            Some(320),
        ),
        ("it", "Il suo credito è di Fr. 10.-", "CHF", Some(1000)),
        ("it", "Credito: 8,75€. Offerta attiva.", "EUR", Some(875)),
        // Spanish
        ("es", "Tu saldo es de 5,50 €", "EUR", Some(550)),
        (
            "es",
            "Saldo actual: 12,00 EUR. Consulta tu consumo en la app.",
            "EUR",
            Some(1200),
        ),
        (
            "es",
            "Tu crédito disponible: $150.00 MXN",
            "MXN",
            Some(15000),
        ),
        ("es", "Recarga 10 € y llévate 5 GB", "EUR", None),
        // Portuguese
        ("pt", "O seu saldo é de 7,30 EUR.", "EUR", Some(730)),
        (
            "pt",
            "Seu saldo: R$ 15,90. Válido até 10/12/2026.",
            "BRL",
            Some(1590),
        ),
        // Dutch
        ("nl", "Je beltegoed is € 4,50", "EUR", Some(450)),
        ("nl", "Uw saldo bedraagt 12,00 euro", "EUR", Some(1200)),
        // Polish
        (
            "pl",
            "Stan konta: 12,34 zł. Ważne do 31.12.2026 r.",
            "PLN",
            Some(1234),
        ),
        ("pl", "Stan konta glownego wynosi 5,00 zl", "PLN", Some(500)),
        ("pl", "Twoje saldo: 20,00 PLN", "PLN", Some(2000)),
        ("pl", "Doładuj konto za 25 zł i odbierz bonus", "PLN", None),
        // Czech, Hungarian, Romanian, Croatian
        ("cs", "Váš kredit je 120 Kč.", "CZK", Some(12000)),
        ("cs", "Zůstatek kreditu: 250,50 Kč", "CZK", Some(25050)),
        ("hu", "Egyenleged: 1 500 Ft", "HUF", Some(150000)),
        ("ro", "Soldul tau este de 5,00 euro.", "EUR", Some(500)),
        ("hr", "Stanje računa: 5,00 EUR", "EUR", Some(500)),
        // Swedish, Danish, Norwegian
        ("sv", "Ditt saldo är 45,50 kr", "SEK", Some(4550)),
        ("da", "Din saldo er 100,00 kr.", "DKK", Some(10000)),
        ("no", "Saldo: 75 kr", "NOK", Some(7500)),
        // Turkish, Greek, Russian, Ukrainian
        ("tr", "Bakiyeniz 25,50 TL'dir.", "TRY", Some(2550)),
        ("el", "Το υπόλοιπό σας είναι 5,00€", "EUR", Some(500)),
        ("ru", "Баланс: 150,50 руб.", "RUB", Some(15050)),
        (
            "ru",
            "Ваш баланс 100 р. Пополните счёт.",
            "RUB",
            Some(10000),
        ),
        ("ru", "Остаток на счете: 50,00 ₽", "RUB", Some(5000)),
        // Indonesian, Malay, Vietnamese, Thai
        (
            "id",
            "Sisa pulsa Anda Rp 10.000. Masa aktif s.d 31-12-2026.",
            "IDR",
            Some(1_000_000),
        ),
        (
            "id",
            "Pulsa anda Rp5.000, aktif s/d 12/12/2026.",
            "IDR",
            Some(500_000),
        ),
        (
            "id",
            "Beli paket 10GB harga Rp50.000 ketik *123#",
            "IDR",
            None,
        ),
        (
            "ms",
            "Baki kredit anda RM5.00. Sah sehingga 01/01/2027.",
            "MYR",
            Some(500),
        ),
        ("vi", "Số dư tài khoản chính: 15.000đ", "VND", Some(15000)),
        ("th", "ยอดเงินคงเหลือ 50.00 บาท", "THB", Some(5000)),
        // Chinese, Japanese, Korean
        (
            "zh",
            "尊敬的客户，您的话费余额为12.50元。",
            "CNY",
            Some(1250),
        ),
        (
            "zh",
            "本月已用话费38.00元，可用余额：人民币12.00元",
            "CNY",
            Some(1200),
        ),
        ("zh", "余额不足，请及时充值。", "CNY", None),
        (
            "zh",
            "【中国移动】您本月套餐费38元已扣除，详询10086。",
            "CNY",
            None,
        ),
        (
            "zh-hk",
            "您的儲值卡餘額為HK$80.00，有效期至2027年1月31日。",
            "HKD",
            Some(8000),
        ),
        ("ja", "残高は1,234円です。", "JPY", Some(1234)),
        ("ko", "잔액은 5,000원입니다.", "KRW", Some(5000)),
        // A balance in another currency is not this number's.
        ("en", "Your balance is €5.00", "GBP", None),
        // Dates and phone numbers are never money.
        (
            "en",
            "Balance checked on 2026-11-01 from +44 7700 900123.",
            "GBP",
            None,
        ),
    ];

    #[test]
    fn the_corpus_reads_as_written() {
        let langs: std::collections::BTreeSet<&str> = CORPUS
            .iter()
            .map(|(l, ..)| l.split('-').next().unwrap_or(l))
            .collect();
        assert!(CORPUS.len() >= 60, "{} replies", CORPUS.len());
        assert!(langs.len() >= 8, "{langs:?}");
        let mut wrong = Vec::new();
        for (lang, text, currency, want) in CORPUS {
            let got = balance(text, currency);
            if got != *want {
                wrong.push(format!("{lang}: {text:?} → {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn parts_add_up_at_the_finest_decimals() {
        let (a, parts) = super::read("Guthaben: 1,5 EUR Start, 2,25 EUR Bonusguthaben")
            .unwrap_or_else(|| panic!("read"));
        let eur = Currency::new("EUR").unwrap();
        assert_eq!(parts, 2);
        assert_eq!(a.money(eur), Some(Money::new(375, eur)));
    }
}
