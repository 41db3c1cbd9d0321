//! Plain-text tables for the command line, aligned in terminal cells so CJK labels line up.

use unicode_width::UnicodeWidthStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Table {
    headers: Vec<String>,
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Pads `s` with spaces to `w` cells.
pub fn pad(s: &str, w: usize, align: Align) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    match align {
        Align::Left => format!("{s}{fill}"),
        Align::Right => format!("{fill}{s}"),
    }
}

/// Cuts `s` to at most `w` cells, ending in `…` when cut.
pub fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

impl Table {
    pub fn new(headers: &[(String, Align)]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.0.clone()).collect(),
            aligns: headers.iter().map(|h| h.1).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row. Each cell is one line with control and bidi characters shown escaped,
    /// at most `COLUMN_CELLS` wide: a note or id from the log can neither move the cursor
    /// nor make every row as wide as itself.
    pub fn row(&mut self, cells: Vec<String>) {
        let clean = |c: String| crate::text::clean::cell(&c, crate::text::clean::COLUMN_CELLS);
        self.rows.push(cells.into_iter().map(clean).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(c));
            }
        }
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let mut parts = Vec::with_capacity(n);
            for (i, (w, align)) in widths.iter().zip(&self.aligns).enumerate() {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                parts.push(pad(c, *w, *align));
            }
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        };
        line(&self.headers, &mut out);
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut t = Table::new(&[("note".into(), Align::Left)]);
        t.row(vec!["ok\u{1b}]0;pwned\u{7}\u{1b}[2Jdone\nnext".into()]);
        let out = t.render();
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
        assert!(out.contains("done\\nnext"), "{out}");
        let mut t = Table::new(&[("id".into(), Align::Left), ("n".into(), Align::Left)]);
        t.row(vec!["i".repeat(10_000_000), "1".into()]);
        t.row(vec!["\u{202E}evil".into(), "2".into()]);
        let out = t.render();
        assert!(
            out.len() < 1000 && !out.contains('\u{202E}'),
            "{}",
            out.len()
        );
    }

    #[test]
    fn cjk_cells_align() {
        let mut t = Table::new(&[("label".into(), Align::Left), ("n".into(), Align::Right)]);
        t.row(vec!["移动保号卡".into(), "1".into()]);
        t.row(vec!["UK".into(), "22".into()]);
        let out = t.render();
        let widths: Vec<usize> = out.lines().map(width).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{out}");
        assert_eq!(truncate("移动保号卡", 5), "移动…");
    }
}
