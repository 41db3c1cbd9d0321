//! Is a statement row a phone top-up, and for which number? A phone top-up names the phone:
//! 话费, 手机充值, 流量, a carrier, or a phone number beside a top-up word. Wallet, fund and
//! credit-card movements (零钱充值, 理财通, 增值宝, 信用卡还款) are not. The number's
//! digits are found wherever they stand in the text: in full, with or without the country
//! code, with spaces or dashes inside, or masked as exports mask them (`138****8000`: the
//! first three and the last four), next to an amount, a date or another number.

/// Words that name a phone top-up on their own.
const PHONE_WORDS: &[&str] = &[
    "话费",
    "話費",
    "手机充值",
    "手機充值",
    "流量",
    "mobile top",
    "phone top",
    "airtime",
    "phone credit",
    "mobile recharge",
    "prepaid recharge",
];

/// Words that say money was put somewhere; a phone top-up when a carrier or a phone
/// number is named beside them.
const TOP_UP_WORDS: &[&str] = &[
    "充值", "缴费", "繳費", "交费", "top-up", "top up", "topup", "recharge", "refill", "credit",
];

/// Carriers whose names make a top-up word a phone top-up (the configured numbers'
/// carriers count too).
const CARRIERS: &[&str] = &[
    "中国移动",
    "中国联通",
    "中国电信",
    "中国广电",
    "中國移動",
    "中國聯通",
    "中國電信",
    "移动充值",
    "联通充值",
    "电信充值",
    "china mobile",
    "china unicom",
    "china telecom",
    "giffgaff",
    "vodafone",
    "lebara",
    "lycamobile",
    "smartone",
    "csl",
    "t-mobile",
];

/// Movements of a wallet, a fund or a card: never a phone top-up unless a phone word says so.
const NOT_PHONE: &[&str] = &[
    "零钱",
    "零錢",
    "理财",
    "理財",
    "基金",
    "增值宝",
    "余额宝",
    "信用卡",
    "还款",
    "提现",
    "转账",
    "红包",
    "银行卡",
    "wallet",
    "credit card",
];

/// Whether `text` names a phone top-up. `carriers` are the configured numbers' carriers.
pub fn is_top_up(text: &str, carriers: &[&str]) -> bool {
    let t = text.to_lowercase();
    if PHONE_WORDS.iter().any(|k| t.contains(k)) {
        return true;
    }
    if NOT_PHONE.iter().any(|k| t.contains(k)) {
        return false;
    }
    if !TOP_UP_WORDS.iter().any(|k| t.contains(k)) {
        return false;
    }
    let carrier = CARRIERS.iter().any(|c| t.contains(c))
        || carriers.iter().any(|c| {
            let c = c.trim().to_lowercase();
            c.chars().count() >= 3 && t.contains(&c)
        });
    carrier || names_phone(text)
}

fn digitish(c: char) -> bool {
    c.is_ascii_digit() || c == '*'
}

fn separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{a0}')
}

/// Starts of digit groups: a digit with no digit or mask just before it.
fn starts(chars: &[char]) -> impl Iterator<Item = usize> + '_ {
    (0..chars.len()).filter(|&i| chars[i].is_ascii_digit() && (i == 0 || !digitish(chars[i - 1])))
}

/// Reads `form` (digits) from `start`: each position a digit equal to the form's or a mask
/// star, one space or dash allowed between two of them. The masked part is one block with
/// at least three digits before it and four after. Returns where the number ends.
fn walk(chars: &[char], start: usize, form: &[u8]) -> Option<usize> {
    let (mut j, mut k) = (start, 0);
    let (mut head, mut stars, mut tail) = (0, 0, 0);
    while k < form.len() {
        let c = *chars.get(j)?;
        if c.is_ascii_digit() {
            if c as u32 != u32::from(form[k]) {
                return None;
            }
            if stars == 0 {
                head += 1;
            } else {
                tail += 1;
            }
            k += 1;
            j += 1;
        } else if c == '*' {
            if tail > 0 {
                return None;
            }
            stars += 1;
            k += 1;
            j += 1;
        } else if separator(c) && k > 0 && chars.get(j + 1).is_some_and(|&n| digitish(n)) {
            j += 1;
        } else {
            return None;
        }
    }
    if stars > 0 && (head < 3 || tail < 4) {
        return None;
    }
    // The number ends here: no digit or mask straight after it.
    if chars.get(j).is_some_and(|&c| digitish(c)) {
        return None;
    }
    Some(j)
}

/// The digit forms a text may write `msisdn` in: in full, national, national with a trunk 0.
fn forms(msisdn: &str) -> Vec<Vec<u8>> {
    let full: String = msisdn.chars().filter(char::is_ascii_digit).collect();
    if full.len() < 7 {
        return Vec::new();
    }
    let mut out = vec![full.clone().into_bytes()];
    for cc in 1..=3 {
        if full.len() - cc >= 7 {
            let national = &full[cc..];
            out.push(format!("0{national}").into_bytes());
            out.push(national.as_bytes().to_vec());
        }
    }
    out
}

/// Whether `text` names the number `msisdn` (E.164, like `+8613800138000`).
pub fn match_number(text: &str, msisdn: &str) -> bool {
    let forms = forms(msisdn);
    if forms.is_empty() {
        return false;
    }
    let chars: Vec<char> = text.chars().collect();
    starts(&chars).any(|i| forms.iter().any(|f| walk(&chars, i, f).is_some()))
}

/// Whether `text` names some phone number: masked (`139****5678`), a mainland mobile
/// (11 digits from 13 to 19), an international one (`+44 7700 900123`) or a national one
/// with its trunk 0 (`07700 900123`). Order numbers, amounts and dates are not.
pub fn names_phone(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    starts(&chars).any(|i| phone_at(&chars, i))
}

fn phone_at(chars: &[char], start: usize) -> bool {
    // The digits and stars from `start`, one separator allowed between two of them, as far
    // as they go; then the shapes a phone number has.
    let mut seq: Vec<char> = Vec::new();
    let mut j = start;
    while let Some(&c) = chars.get(j) {
        if digitish(c) {
            seq.push(c);
            j += 1;
        } else if separator(c) && chars.get(j + 1).is_some_and(|&n| digitish(n)) {
            // A separator may also end the number before an amount or another number:
            // every prefix that ends at a separator is tried below.
            seq.push(' ');
            j += 1;
        } else {
            break;
        }
    }
    let plus = start > 0 && chars[start - 1] == '+';
    // Every prefix that ends at a group end is a candidate.
    let mut ends: Vec<usize> = seq
        .iter()
        .enumerate()
        .filter(|&(_, c)| *c == ' ')
        .map(|(i, _)| i)
        .collect();
    ends.push(seq.len());
    ends.into_iter().any(|end| {
        let cand: String = seq[..end].iter().filter(|c| **c != ' ').collect();
        shaped_like_phone(&cand, plus)
    })
}

fn shaped_like_phone(cand: &str, plus: bool) -> bool {
    let b = cand.as_bytes();
    let n = b.len();
    if cand.contains('*') {
        let head = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let tail = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        let stars = n - head - tail;
        return head >= 3
            && tail >= 4
            && stars >= 3
            && b[head..n - tail].iter().all(|&c| c == b'*')
            && (10..=13).contains(&n);
    }
    if plus {
        return (8..=15).contains(&n);
    }
    let mainland = n == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    let trunk = (10..=11).contains(&n) && b[0] == b'0' && b[1] != b'0';
    mainland || trunk
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
    fn a_number_wherever_it_stands() {
        let n = "+8613912345678";
        for t in [
            "话费充值 139****5678 30元",
            "话费充值-139****5678-50元",
            "手机充值 13912345678 充值30元",
            "13912345678 话费",
            "话费 2026-11-01 13912345678 2026-11-01",
            "充值30元13912345678",
            "139 1234 5678 话费",
            "139-1234-5678",
            "13912345678 30",
        ] {
            assert!(match_number(t, n), "{t}");
        }
        for t in [
            "话费充值 1391234567830",
            "213912345678",
            "139****5679 30元",
            "139*****678",
        ] {
            assert!(!match_number(t, n), "{t}");
        }
    }

    #[test]
    fn phone_numbers_and_what_is_not_one() {
        for t in [
            "138****1234 50元",
            "话费充值-138****8000-50元",
            "13912345678 充值30元",
            "+44 7700 900123",
            "07700 900123",
        ] {
            assert!(names_phone(t), "{t}");
        }
        for t in [
            "订单 2026110122001400001",
            "鹏华增值宝(000569)",
            "2026-11-01 30.00",
            "¥10000.00",
        ] {
            assert!(!names_phone(t), "{t}");
        }
    }

    #[test]
    fn top_up_words() {
        assert!(is_top_up("中国移动话费充值", &[]));
        assert!(is_top_up("Mobile Top-Up", &[]));
        assert!(is_top_up("充值缴费 中国移动", &[]));
        assert!(is_top_up("top up 07700 900123", &[]));
        assert!(is_top_up("giffgaff top up", &["giffgaff"]));
        assert!(!is_top_up("超市购物", &[]));
        assert!(!is_top_up("购买理财通 鹏华增值宝(000569)", &[]));
        assert!(!is_top_up("零钱充值 充值完成", &[]));
        assert!(!is_top_up("充值缴费 国家电网 电费", &[]));
        assert!(!is_top_up("转账 138****1234", &[]));
    }
}
