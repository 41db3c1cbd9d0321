//! The frame around every view:
//!
//! ```text
//! ┌ header: name · 1 Numbers 2 Rules 3 History 4 Forecast · worker · last refresh ┐
//! │ body: the current tab                                                         │
//! │ footer: key hints from the view's binding table                               │
//! └ message line (or the History filter being typed)                              ┘
//! ```
//!
//! While the clock is behind the log (nothing is charged), the header says so after the tabs.
//! Overlays (help, forms, dialogs) draw on top. Below 40×10 it only says it is too small.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::i18n::T;
use crate::tr;
use crate::tui::app::{App, Level, Overlay, Tab, WorkerMode};
use crate::tui::bindings;
use crate::tui::{dialogs, forecast, history, numbers, rules};

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn view(app: &App, f: &mut Frame) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = tr!(
            T::TuiTooSmall,
            area.width,
            area.height,
            MIN_WIDTH,
            MIN_HEIGHT
        );
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    // The hints, and under them the message wrapped whole (three lines at most).
    let footer_h = if area.height >= 14 {
        1 + message_lines(app, area.width as usize).len().clamp(1, 3) as u16
    } else {
        1
    };
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(footer_h),
    ])
    .areas(area);
    render_header(app, f, header);
    if let Some(total) = app.loading {
        render_loading(app, f, body, total);
        if let Some((m, _)) = &app.message {
            f.render_widget(Line::from(format!(" {m}")), footer);
        }
        return;
    }
    let body = match &app.session.config_problem {
        Some(p) => {
            let banner_h = banner_height(p, body.width, area.height);
            let [banner, rest] =
                Layout::vertical([Constraint::Length(banner_h), Constraint::Min(1)]).areas(body);
            render_banner(app, f, banner, p);
            rest
        }
        None => body,
    };
    match app.tab {
        Tab::Numbers => numbers::render(app, f, body),
        Tab::Rules => rules::render(app, f, body),
        Tab::History => history::render(app, f, body),
        Tab::Forecast => forecast::render(app, f, body),
    }
    render_footer(app, f, footer);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help(scroll) => dialogs::help(app, f, area, *scroll),
        Overlay::Form(of) => of.draw(f, area, app.theme),
        Overlay::Confirm(c) => dialogs::confirm(app, f, area, c),
        Overlay::Resolve { text, external, .. } => dialogs::resolve(app, f, area, text, *external),
        Overlay::Details(title, lines) => dialogs::details(app, f, area, title, lines),
        Overlay::Import(p) => dialogs::import(app, f, area, p),
    }
}

/// While the log is being read: how far, in the middle of the body.
fn render_loading(app: &App, f: &mut Frame, area: Rect, total: u64) {
    let mb = |bytes: u64| format!("{:.1}", bytes as f64 / 1e6);
    let done = app.session.cursor.offset.min(total);
    let text = tr!(
        T::TuiReadingLog,
        mb(done),
        mb(total),
        app.loading_percent(total)
    );
    // Wrapped, about this many rows (a word carried over may add one).
    let width = Line::from(text.as_str()).width();
    let height = (width.div_ceil(area.width.max(1) as usize) as u16 + 1).min(area.height);
    let p = Paragraph::new(text)
        .wrap(Wrap { trim: true })
        .alignment(ratatui::layout::Alignment::Center);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    f.render_widget(p, middle);
}

/// The banner's text: what is wrong and where (the problem names the file), and that
/// recharges wait for it.
fn banner_text(problem: &str) -> String {
    tr!(T::TuiConfigBanner, problem)
}

/// Up to three lines on a screen of 14 rows or more, one below: the tab must keep room.
fn banner_height(problem: &str, width: u16, screen_h: u16) -> u16 {
    let max = if screen_h >= 14 { 3 } else { 1 };
    let w = width.max(1) as usize;
    let need = unicode_width::UnicodeWidthStr::width(banner_text(problem).as_str()).div_ceil(w);
    (need as u16).clamp(1, max)
}

/// A broken config, said above the tab for as long as it lasts.
fn render_banner(app: &App, f: &mut Frame, area: Rect, problem: &str) {
    let text = banner_text(problem);
    let p = if area.height <= 1 {
        Paragraph::new(crate::text::table::truncate(&text, area.width as usize))
    } else {
        Paragraph::new(text).wrap(Wrap { trim: true })
    };
    f.render_widget(p.style(app.theme.bad()), area);
}

fn render_header(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    let mut spans = vec![Span::styled(" 保号 baohao ", t.title())];
    let wide = area.width >= 76;
    for tab in Tab::ALL {
        // Narrow: the other tabs keep their first character (`2 R`, `2 规`), never nothing.
        let label = if wide || tab == app.tab {
            format!(" {} {} ", tab.number(), tab.title())
        } else {
            let first: String = tab.title().chars().take(1).collect();
            format!(" {} {first} ", tab.number())
        };
        spans.push(Span::styled(
            label,
            if tab == app.tab {
                t.tab_active()
            } else {
                t.dim()
            },
        ));
    }
    // Nothing is charged while the clock is behind what baohao already wrote:
    // said before the zone and the worker, which give way to it.
    if app.derived.plan.clock_behind.is_some() {
        let label = format!(" {} ", tr!(T::AttClockBehind));
        let used: usize = spans.iter().map(|s| s.width()).sum();
        if used + unicode_width::UnicodeWidthStr::width(label.as_str()) <= area.width as usize {
            spans.push(Span::styled(label, t.bad()));
        }
    }
    let worker = match &app.worker {
        WorkerMode::Session if app.busy => tr!(T::WorkerBusy),
        WorkerMode::Session => match app.last_refresh {
            Some(at) => tr!(
                T::WorkerSessionAt,
                at.with_timezone(&app.session.config.timezone)
                    .format("%H:%M")
            ),
            None => tr!(T::WorkerSession),
        },
        WorkerMode::Other(Some(pid)) => tr!(T::WorkerOther, pid),
        WorkerMode::Other(None) => tr!(T::WorkerOtherUnknown),
        WorkerMode::None if app.loading.is_some() => tr!(T::WorkerAfterLoading),
        WorkerMode::None => tr!(T::WorkerNone),
    };
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let room = (area.width as usize).saturating_sub(used + 1);
    // Too tight for the sentence: the short one, then a symbol.
    let fits = |s: &str| unicode_width::UnicodeWidthStr::width(s) <= room;
    let short = match &app.worker {
        WorkerMode::Session if !app.busy => tr!(T::WorkerSession),
        _ => worker.clone(),
    };
    // The zone every time on screen is in ("09:00" means 09:00 there) comes before the
    // refresh time: the whole name, then its city (`London`), then its offset (`UTC+8`).
    let tz = app.session.config.timezone;
    let zone = tz.name().to_string();
    let city = zone.rsplit('/').next().unwrap_or(&zone).replace('_', " ");
    let offset = zone_offset(tz, app.now);
    let symbol = match &app.worker {
        WorkerMode::Session if app.busy => "⟳".to_string(),
        WorkerMode::Session => "●".to_string(),
        WorkerMode::Other(Some(pid)) => format!("pid {pid}"),
        WorkerMode::Other(None) => "○".to_string(),
        WorkerMode::None if app.loading.is_some() => "…".to_string(),
        WorkerMode::None => "–".to_string(),
    };
    let mut choices = vec![format!("{zone} · {worker}")];
    if app.loading.is_some() {
        // While the log is read, saying why nothing runs yet matters more than the zone.
        choices.push(worker.clone());
    }
    for z in [&zone, &city, &offset] {
        for w in [&worker, &short, &symbol] {
            choices.push(format!("{z} · {w}"));
        }
    }
    choices.extend([offset.clone(), symbol]);
    let worker = choices
        .iter()
        .find(|c| fits(c))
        .cloned()
        .unwrap_or_default();
    if room >= 1 {
        let w = crate::text::table::truncate(&worker, room);
        let pad = room.saturating_sub(unicode_width::UnicodeWidthStr::width(w.as_str()));
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(w, if app.busy { t.accent() } else { t.dim() }));
    }
    f.render_widget(Line::from(spans), area);
}

/// `UTC+8`, `UTC-3:30`, `UTC`: the zone's offset at `now`.
fn zone_offset(tz: chrono_tz::Tz, now: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Offset;
    let secs = now.with_timezone(&tz).offset().fix().local_minus_utc();
    if secs == 0 {
        return "UTC".into();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// Hints for the current view: its own bindings, then help and quit, as many as fit.
pub fn hints(app: &App, width: usize) -> Line<'static> {
    let t = app.theme;
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0;
    let tail: Vec<&bindings::Binding> = bindings::GLOBAL
        .iter()
        .filter(|b| b.hint.is_some())
        .collect();
    let tail_w: usize = tail
        .iter()
        .map(|b| {
            b.shown.chars().count()
                + b.hint
                    .map_or(0, |h| unicode_width::UnicodeWidthStr::width(h.s()))
                + 3
        })
        .sum();
    let push = |spans: &mut Vec<Span<'static>>, used: &mut usize, b: &bindings::Binding| {
        let hint = b.hint.map(|h| h.s()).unwrap_or_default();
        spans.push(Span::styled(format!(" {}", b.shown), t.key()));
        spans.push(Span::raw(format!(" {hint} ")));
        *used += b.shown.chars().count() + unicode_width::UnicodeWidthStr::width(hint) + 3;
    };
    for b in bindings::view(app.tab).iter().filter(|b| b.hint.is_some()) {
        let w = b.shown.chars().count()
            + b.hint
                .map_or(0, |h| unicode_width::UnicodeWidthStr::width(h.s()))
            + 3;
        if used + w + tail_w > width {
            break;
        }
        push(&mut spans, &mut used, b);
    }
    for b in tail {
        push(&mut spans, &mut used, b);
    }
    Line::from(spans)
}

/// The message line's text broken to `width` (empty when there is no message, and while
/// the History filter is typed: that line is the filter's).
fn message_lines(app: &App, width: usize) -> Vec<String> {
    match &app.message {
        Some((m, _)) if !app.tabs.history.editing => {
            crate::tui::widgets::wrap(m, width.saturating_sub(2).max(10))
        }
        _ => Vec::new(),
    }
}

fn render_footer(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    let width = area.width as usize;
    let rows = Layout::vertical(vec![Constraint::Length(1); area.height as usize]).split(area);
    let style = match app.message.as_ref().map(|(_, l)| *l) {
        Some(Level::Warn) => t.warn(),
        Some(Level::Error) => t.error(),
        _ => Style::new(),
    };
    let message: Vec<Line> = if app.tabs.history.editing {
        vec![Line::from(vec![
            Span::styled(" / ", t.key()),
            Span::raw(app.tabs.history.filter.value().to_string()),
        ])]
    } else {
        let lines = message_lines(app, width);
        let room = rows.len().saturating_sub(1).max(1);
        let n = lines.len();
        lines
            .into_iter()
            .take(room)
            .enumerate()
            .map(|(i, l)| {
                let l = format!(" {l}");
                // The last line that fits marks a cut with …
                if i + 1 == room && n > room {
                    let marked = format!("{l}…");
                    let text = if unicode_width::UnicodeWidthStr::width(marked.as_str()) <= width {
                        marked
                    } else {
                        crate::text::table::truncate(&l, width)
                    };
                    Line::styled(text, style)
                } else {
                    Line::styled(l, style)
                }
            })
            .collect()
    };
    if rows.len() >= 2 {
        f.render_widget(hints(app, width), rows[0]);
        for (row, m) in rows[1..].iter().zip(message) {
            f.render_widget(m, *row);
        }
    } else {
        match message.into_iter().next() {
            Some(m) => f.render_widget(m, rows[0]),
            None => f.render_widget(hints(app, width), rows[0]),
        }
    }
    if app.tabs.history.editing {
        let row = rows[rows.len() - 1];
        let x = row.x + 3 + app.tabs.history.filter.visual_cursor() as u16;
        f.set_cursor_position((x.min(row.right().saturating_sub(1)), row.y));
    }
}
