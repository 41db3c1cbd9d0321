//! Cleaning text that came from outside (the log, the config, an executor) before it leaves
//! baohao: control, bidi and line-break characters shown escaped, long values cut, CSV
//! formulas defused. Pure functions; it never drops information silently except by cutting.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// How many characters of a quoted value an error message keeps.
pub(crate) const MESSAGE_VALUE_CHARS: usize = 80;
/// The longest an error message gets, whatever it quotes.
pub const MESSAGE_CHARS: usize = 600;
/// The widest a table column gets, in terminal cells.
pub const COLUMN_CELLS: usize = 60;

/// True for what must never reach a terminal raw: C0/C1 controls and DEL, the bidi
/// embeddings, overrides, isolates and marks, and the Unicode line/paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// The escaped form of an unsafe character: `\n`, `\r`, `\t`, else `\uXXXX` (valid inside
/// a JSON string too, where it means the same character).
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => out.push_str(&format!("\\u{:04X}", c as u32)),
    }
}

/// One line: every unsafe character (line breaks included) shown escaped.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A block of output (many lines): line feeds, tabs and CRLF line ends stay, every other
/// unsafe character is shown escaped. The last guard before stdout or stderr.
pub fn block(s: &str) -> Cow<'_, str> {
    let bad = |i: usize, c: char| {
        is_unsafe(c) && c != '\n' && c != '\t' && !(c == '\r' && s[i + 1..].starts_with('\n'))
    };
    if !s.char_indices().any(|(i, c)| bad(i, c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        if bad(i, c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `s`, with `…` in place of the rest.
pub fn cut_chars(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let end = s
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(s.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// A value to quote in a message: one line, at most about 80 characters.
pub fn value(s: &str) -> String {
    line(&cut_chars(s, MESSAGE_VALUE_CHARS)).into_owned()
}

/// An error message as a person sees it: one line, each quoted value (“…”, "…", 「…」)
/// cut to about 80 characters, unsafe characters escaped, the whole at most 600 characters.
pub fn message(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MESSAGE_CHARS * 4));
    let mut rest = s;
    while let Some((open, close, at)) = next_quote(rest) {
        out.push_str(&line(&rest[..at]));
        let inner_start = at + open.len_utf8();
        let inner_end = rest[inner_start..]
            .find(close)
            .map_or(rest.len(), |i| inner_start + i);
        out.push(open);
        out.push_str(&value(&rest[inner_start..inner_end]));
        if inner_end < rest.len() {
            out.push(close);
            rest = &rest[inner_end + close.len_utf8()..];
        } else {
            rest = "";
        }
        if out.len() > MESSAGE_CHARS * 4 {
            break;
        }
    }
    out.push_str(&line(&cut_chars(rest, MESSAGE_CHARS)));
    cut_chars(&out, MESSAGE_CHARS).into_owned()
}

fn next_quote(s: &str) -> Option<(char, char, usize)> {
    s.char_indices().find_map(|(i, c)| match c {
        '“' => Some(('“', '”', i)),
        '"' => Some(('"', '"', i)),
        '「' => Some(('「', '」', i)),
        _ => None,
    })
}

/// A table cell: one line, at most `cells` terminal cells wide (cut with `…`).
pub fn cell(s: &str, cells: usize) -> String {
    // Only a bounded prefix is looked at: a 10 MB value costs no more than a short one.
    let head = cut_chars(s, cells.saturating_mul(2).max(8) + 8);
    let clean = line(&head);
    let mut out = String::new();
    let mut used = 0;
    let total: usize = clean.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= cells && matches!(head, Cow::Borrowed(_)) {
        return clean.into_owned();
    }
    for c in clean.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > cells {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A CSV field's text with formulas defused: a cell a spreadsheet would read as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`; unsafe characters
/// other than line breaks inside are escaped. Quoting is the CSV writer's job.
pub fn csv_text(s: &str) -> Cow<'_, str> {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let escaped = if s
        .chars()
        .any(|c| is_unsafe(c) && c != '\n' && c != '\r' && c != '\t')
    {
        let mut out = String::with_capacity(s.len() + 8);
        for c in s.chars() {
            if is_unsafe(c) && c != '\n' && c != '\r' && c != '\t' {
                push_escaped(&mut out, c);
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    };
    if formula {
        Cow::Owned(format!("'{escaped}"))
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_show_every_unsafe_character_escaped() {
        assert_eq!(line("plain 移动"), "plain 移动");
        assert_eq!(
            line("a\nb\r\u{1b}[2J\u{202E}x\u{2066}\u{7f}\u{9b}"),
            "a\\nb\\r\\u001B[2J\\u202Ex\\u2066\\u007F\\u009B"
        );
        let json: String = serde_json::from_str(&format!("\"{}\"", line("\u{202E}"))).unwrap();
        assert_eq!(json, "\u{202E}", "the escape means the same in JSON");
    }

    #[test]
    fn blocks_keep_their_line_ends_only() {
        assert_eq!(block("a\nb\r\nc\t"), "a\nb\r\nc\t");
        assert_eq!(block("a\rb\u{202E}"), "a\\rb\\u202E");
    }

    #[test]
    fn messages_are_one_short_line() {
        let huge = "x".repeat(10_000_000);
        let m = message(&format!("bad value “{huge}\n” at numbers[0].id"));
        assert!(m.chars().count() < 200, "{}", m.len());
        assert!(m.contains("…”") && m.ends_with("at numbers[0].id"), "{m}");
        let m = message("bad \"a\u{202E}b\nc\" then\nmore");
        assert_eq!(m, "bad \"a\\u202Eb\\nc\" then\\nmore");
        let m = message(&format!("unquoted {huge}"));
        assert_eq!(m.chars().count(), MESSAGE_CHARS);
        assert_eq!(message("an “open quote"), "an “open quote");
    }

    #[test]
    fn cells_are_capped_in_width() {
        assert_eq!(cell("short", 10), "short");
        assert_eq!(cell("移动保号卡", 5), "移动…");
        assert_eq!(
            cell(&"y".repeat(10_000_000), 10),
            format!("{}…", "y".repeat(9))
        );
        assert_eq!(cell("a\u{202E}", 10), "a\\u202E");
    }

    #[test]
    fn csv_formulas_are_defused() {
        for f in ["=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_text(f).starts_with('\''), "{f}");
        }
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_text("a\u{1b}b"), "a\\u001Bb");
    }
}
