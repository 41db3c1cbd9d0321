//! Overlays: the help (generated from the binding tables) and y/n questions; forms draw
//! themselves (`tui/forms/draw.rs`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::i18n::T;
use crate::tr;
use crate::tui::app::{App, Confirm};
use crate::tui::bindings;
use crate::tui::theme::Theme;
use crate::tui::widgets::centered;

/// Clears `area` and draws a bordered box titled `title`; returns its inside.
pub fn popup(theme: Theme, f: &mut Frame, area: Rect, title: &str) -> Rect {
    // One more column each side: a wide character starting just outside would cover the border.
    let screen = f.area();
    let x = area.x.saturating_sub(1);
    let margin = Rect {
        x,
        width: (area.right() + 1).min(screen.right()) - x,
        ..area
    };
    f.render_widget(Clear, margin);
    let block = Block::bordered().title(Span::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

pub fn help(app: &App, f: &mut Frame, area: Rect, scroll: u16) {
    let t = app.theme;
    let mut lines = Vec::new();
    let section = |lines: &mut Vec<Line>, title: String, table: &[bindings::Binding]| {
        if table.is_empty() {
            return;
        }
        lines.push(Line::styled(title, t.header()));
        for b in table {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<10}", b.shown), t.key()),
                Span::raw(b.help.s()),
            ]));
        }
        lines.push(Line::raw(""));
    };
    section(
        &mut lines,
        tr!(T::HelpThisView, app.tab.title()),
        bindings::view(app.tab),
    );
    section(&mut lines, tr!(T::HelpMoving), bindings::MOVE);
    section(&mut lines, tr!(T::HelpEverywhere), bindings::GLOBAL);
    lines.push(Line::styled(tr!(T::HelpInForms), t.header()));
    for (k, h) in bindings::FORM {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<12}"), t.key()),
            Span::raw(h.s()),
        ]));
    }
    lines.push(Line::raw(""));
    let h = (lines.len() as u16 + 3).min(area.height);
    let w = 64.min(area.width);
    let inner = popup(app.theme, f, centered(area, w, h), &tr!(T::HelpTitle));
    // The last line always says how to leave (and to scroll, when the keys do not all fit).
    let room = inner.height.saturating_sub(1);
    let max = (lines.len() as u16).saturating_sub(room);
    let foot = if max > 0 {
        tr!(T::HelpScroll)
    } else {
        tr!(T::HelpClose)
    };
    let body = Rect {
        height: room,
        ..inner
    };
    f.render_widget(Paragraph::new(lines).scroll((scroll.min(max), 0)), body);
    let foot_area = Rect {
        y: inner.y + room,
        height: 1,
        ..inner
    };
    f.render_widget(Line::styled(foot, t.dim()), foot_area);
}

pub fn confirm(app: &App, f: &mut Frame, area: Rect, c: &Confirm) {
    let text = match c {
        Confirm::DeleteNumber(id) => {
            let label = app
                .session
                .config
                .number(id)
                .map_or(id.as_str(), |n| n.label.as_str());
            tr!(T::ConfirmDeleteNumber, label, id)
        }
        Confirm::DeleteRule { number, rule } => tr!(T::ConfirmDeleteRule, rule, number),
    };
    question(
        app,
        f,
        area,
        &tr!(T::ConfirmTitle),
        &text,
        &tr!(T::ConfirmKeys),
    );
}

pub fn resolve(app: &App, f: &mut Frame, area: Rect, text: &str) {
    question(
        app,
        f,
        area,
        &tr!(T::ResolveTitle),
        text,
        &tr!(T::ResolveKeys),
    );
}

fn question(app: &App, f: &mut Frame, area: Rect, title: &str, text: &str, keys: &str) {
    let w = 60.min(area.width);
    let body_w = w.saturating_sub(2).max(1) as usize;
    let lines_needed = text.width().div_ceil(body_w) + 2;
    let inner = popup(
        app.theme,
        f,
        centered(area, w, (lines_needed as u16 + 2).min(area.height)),
        title,
    );
    let p = Paragraph::new(vec![
        Line::raw(text.to_string()),
        Line::raw(""),
        Line::styled(keys.to_string(), app.theme.key()),
    ])
    .wrap(Wrap { trim: true });
    f.render_widget(p, inner);
}
