//! Is a statement row a phone top-up, and for which number? Keywords in the row's text, and
//! the number's digits: in full, with or without the country code, or masked as exports
//! mask them (`138****8000`: the first three and the last four).

const KEYWORDS: &[&str] = &[
    "话费",
    "充值",
    "缴费",
    "手机充值",
    "話費",
    "增值",
    "top-up",
    "top up",
    "topup",
    "recharge",
    "refill",
];

/// Whether `text` names a phone top-up.
pub fn is_top_up(text: &str) -> bool {
    let t = text.to_lowercase();
    KEYWORDS.iter().any(|k| t.contains(k))
}

/// Runs of digits in `text`, spaces and dashes inside a number joined; `*` kept as a mask.
fn runs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_digit() || c == '*' {
            cur.push(c);
        } else if matches!(c, ' ' | '-')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
            && cur.chars().last().is_some_and(|l| l.is_ascii_digit())
        {
            continue;
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `text` names the number `msisdn` (E.164, like `+8613800138000`).
pub fn match_number(text: &str, msisdn: &str) -> bool {
    let full: String = msisdn.chars().filter(char::is_ascii_digit).collect();
    if full.len() < 7 {
        return false;
    }
    // The national number after a country code of one to three digits, and with a trunk 0.
    let mut forms = vec![full.clone()];
    for cc in 1..=3 {
        if full.len() - cc >= 7 {
            let national = full[cc..].to_string();
            forms.push(format!("0{national}"));
            forms.push(national);
        }
    }
    runs(text).iter().any(|run| {
        if run.contains('*') {
            masked(run, &forms)
        } else {
            forms.iter().any(|f| f == run)
        }
    })
}

/// `138****8000` against the forms: same length, first three and last four equal.
fn masked(run: &str, forms: &[String]) -> bool {
    let head: String = run.chars().take_while(char::is_ascii_digit).collect();
    let tail: String = {
        let mut t: Vec<char> = run.chars().rev().take_while(char::is_ascii_digit).collect();
        t.reverse();
        t.into_iter().collect()
    };
    if head.len() < 3
        || tail.len() < 4
        || !run[head.len()..run.len() - tail.len()]
            .chars()
            .all(|c| c == '*')
    {
        return false;
    }
    forms
        .iter()
        .any(|f| f.len() == run.len() && f.starts_with(&head) && f.ends_with(&tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_the_forms_exports_write() {
        let n = "+8613800138000";
        assert!(match_number("手机充值 13800138000", n));
        assert!(match_number("话费充值-8613800138000", n));
        assert!(match_number("+86 138-0013-8000 充值", n));
        assert!(match_number("话费充值 138****8000", n));
        assert!(!match_number("话费充值 139****8000", n));
        assert!(!match_number("话费充值 13800138001", n));
        assert!(!match_number("订单 213800138000", n));
        assert!(match_number("Top up 07700 900123", "+447700900123"));
        assert!(match_number("recharge 077****0123", "+447700900123"));
    }

    #[test]
    fn top_up_words() {
        assert!(is_top_up("中国移动话费充值"));
        assert!(is_top_up("Mobile Top-Up"));
        assert!(!is_top_up("超市购物"));
    }
}
