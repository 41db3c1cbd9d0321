//! What is wrong with a config ([`Problem`]), and the field checks that both the numbers'
//! validation (`validate.rs`) and the forwarders' (`forwarders.rs`) use. Below both, so
//! neither file needs the other for them.

use std::path::Path;

use crate::i18n::T;
use crate::tr;

use super::FileSms;

/// One thing wrong with a config: where (a JSON path, and a line when known) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub(super) fn at(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    /// "config.json:12: numbers[0].rules[1].amount: ..." — one sentence naming where and what.
    pub fn render(&self, file: &Path) -> String {
        let mut s = file.display().to_string();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
        }
        s.push_str(": ");
        if !self.path.is_empty() {
            s.push_str(&self.path);
            s.push_str(": ");
        }
        s.push_str(&self.message);
        if !s.ends_with('.') && !s.ends_with('。') {
            s.push('.');
        }
        // One line, a quoted value cut short and escaped: it may be 10 MB of anything.
        crate::text::clean::message(&s)
    }
}

/// A slug: 1–32 of ASCII letters, digits, `-` and `_`.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An SMS action's `to` (digits, after any leading `+`) and `text` (1–160 characters).
pub(super) fn sms_fields(path: &str, sms: &FileSms, problems: &mut Vec<Problem>) {
    if sms.to.trim().is_empty()
        || !sms
            .to
            .trim()
            .trim_start_matches('+')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        problems.push(Problem::at(format!("{path}.to"), tr!(T::CfgSmsTo, sms.to)));
    }
    if sms.text.trim().is_empty() || sms.text.chars().count() > 160 {
        problems.push(Problem::at(format!("{path}.text"), tr!(T::CfgSmsText)));
    }
}
