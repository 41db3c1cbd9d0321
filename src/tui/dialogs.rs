//! Overlays: the help (generated from the binding tables) and y/n questions; forms draw
//! themselves (`tui/forms/draw.rs`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::i18n::T;
use crate::tr;
use crate::tui::app::{App, Confirm, ImportPreview};
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
    let w = 64.min(area.width);
    // What a key does wraps under itself, past the key's column, rather than being cut.
    let text_w = (w as usize).saturating_sub(2);
    let keyed = |lines: &mut Vec<Line<'static>>, key: String, help: &str| {
        let pad = key.width();
        let mut parts = crate::tui::widgets::wrap(help, text_w.saturating_sub(pad)).into_iter();
        lines.push(Line::from(vec![
            Span::styled(key, t.key()),
            Span::raw(parts.next().unwrap_or_default()),
        ]));
        lines.extend(parts.map(|p| Line::raw(format!("{}{p}", " ".repeat(pad)))));
    };
    let mut lines = Vec::new();
    let section = |lines: &mut Vec<Line<'static>>, title: String, table: &[bindings::Binding]| {
        if table.is_empty() {
            return;
        }
        lines.push(Line::styled(title, t.header()));
        for b in table {
            keyed(lines, format!("  {:<10}", b.shown), b.help.s());
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
        keyed(&mut lines, format!("  {k:<12}"), h.s());
    }
    lines.push(Line::raw(""));
    let h = (lines.len() as u16 + 3).min(area.height);
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
        Confirm::DismissReminder { text, .. } => text.clone(),
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

pub fn resolve(app: &App, f: &mut Frame, area: Rect, text: &str, external: bool) {
    let (title, keys) = if external {
        (tr!(T::ResolveExternalTitle), tr!(T::ResolveExternalKeys))
    } else {
        (tr!(T::ResolveTitle), tr!(T::ResolveKeys))
    };
    question(app, f, area, &title, text, &keys);
}

/// What an import would add, and what it set aside, before anything is written.
pub fn import(app: &App, f: &mut Frame, area: Rect, p: &ImportPreview) {
    let t = app.theme;
    let mut lines = vec![Line::raw(tr!(
        T::ImportPreviewSummary,
        p.name,
        p.added,
        p.already,
        p.unmatched.len(),
        p.skipped.len()
    ))];
    let w = 72.min(area.width);
    // Room for the lists: the screen less the border, summary, keys and headings.
    let room = area.height.saturating_sub(10) as usize;
    let mut listed = 0;
    for (head, list) in [
        (
            tr!(T::ImportUnmatchedHead, tr!(T::ImportUnmatchedHintTui)),
            &p.unmatched,
        ),
        (tr!(T::ImportSkippedHead), &p.skipped),
    ] {
        if list.is_empty() {
            continue;
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(head, t.header()));
        let take = room.saturating_sub(listed).max(1).min(list.kept().len());
        for l in &list.kept()[..take] {
            lines.push(Line::raw(format!("  {}", crate::text::clean::value(l))));
        }
        if take < list.len() {
            lines.push(Line::styled(
                format!("  {}", tr!(T::ImportMore, list.len() - take)),
                t.dim(),
            ));
        }
        listed += take;
    }
    // A recharge that would look charged twice: said before the rows go in, in warning.
    for d in &p.duplicates {
        lines.push(Line::raw(""));
        lines.push(Line::styled(crate::text::clean::value(d), t.warn()));
    }
    lines.push(Line::raw(""));
    let keys = if p.added > 0 {
        tr!(T::ImportKeys)
    } else {
        tr!(T::ImportKeysNothing)
    };
    lines.push(Line::styled(keys, t.key()));
    let body_w = w.saturating_sub(2).max(1) as usize;
    let height: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(body_w))
        .sum();
    let inner = popup(
        app.theme,
        f,
        centered(area, w, (height as u16 + 2).min(area.height)),
        &tr!(T::ImportTitle),
    );
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn question(app: &App, f: &mut Frame, area: Rect, title: &str, text: &str, keys: &str) {
    let w = 60.min(area.width);
    let body_w = w.saturating_sub(2).max(1) as usize;
    // The text, a blank line and the keys, each as many rows as it wraps to.
    let lines_needed = text.width().div_ceil(body_w) + 1 + keys.width().div_ceil(body_w);
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

/// One history entry in full: what it is, then every attempt with its status and error.
pub fn details(app: &App, f: &mut Frame, area: Rect, title: &str, lines: &[String]) {
    let w = 76.min(area.width);
    let body_w = w.saturating_sub(2).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(body_w))
        .sum();
    let h = (rows as u16 + 4).min(area.height);
    let inner = popup(app.theme, f, centered(area, w, h), title);
    let mut text: Vec<Line> = lines.iter().map(|l| Line::raw(l.clone())).collect();
    text.push(Line::raw(""));
    text.push(Line::styled(tr!(T::HelpClose), app.theme.dim()));
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
}
