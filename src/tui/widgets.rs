//! Small pieces several views share: the status badge, popups, masked numbers, dates.

use std::cell::Cell;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::engine::{Attention, NumberStatus};
use crate::i18n::T;
use crate::model::Config;
use crate::model::number::mask_msisdn;
use crate::tr;
use crate::tui::theme::Theme;

/// The one word that matters most about a number, and its style.
pub fn badge(s: &NumberStatus, theme: Theme) -> Span<'static> {
    let order = [
        (Attention::ClockBehind, T::AttClockBehind, theme.bad()),
        (Attention::Missed, T::AttMissed, theme.bad()),
        (Attention::InDoubt, T::AttInDoubt, theme.bad()),
        (Attention::Failed, T::AttFailed, theme.bad()),
        (Attention::Duplicate, T::AttDuplicate, theme.bad()),
        (
            Attention::ForwarderSilent,
            T::AttForwarderSilent,
            theme.bad(),
        ),
        (Attention::Due, T::AttDue, theme.warn()),
        (Attention::Low, T::AttLow, theme.warn()),
        (Attention::Expiring, T::AttExpiring, theme.warn()),
        (Attention::Inactive, T::AttInactive, theme.warn()),
        (Attention::Unverified, T::AttUnverified, theme.warn()),
        (Attention::OverBudget, T::AttOverBudget, theme.warn()),
        (Attention::NotifyFailed, T::AttNotifyFailed, theme.warn()),
    ];
    for (a, t, style) in order {
        if s.has(a) {
            return Span::styled(tr!(t), style);
        }
    }
    Span::styled(tr!(T::AttentionOk), theme.ok())
}

/// A phone number as shown: masked unless the person asked to see them (`m`).
pub fn msisdn(masked: bool, m: &str) -> String {
    if masked {
        mask_msisdn(m)
    } else {
        m.to_string()
    }
}

/// `2026-12-05 09:00`, or `12-05 09:00` when `short`.
pub fn when(tz: Tz, t: DateTime<Utc>, short: bool) -> String {
    let local = t.with_timezone(&tz);
    if short {
        local.format("%m-%d %H:%M").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// A rectangle of `w`×`h` centred in `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

pub fn days_left(d: Option<i64>) -> String {
    match d {
        Some(d) if d < 0 => tr!(T::DaysAgo, -d),
        Some(d) => tr!(T::DaysShort, d),
        None => "—".to_string(),
    }
}

/// Amber or red by how near a deadline is, by the config's deadline windows.
pub fn style_for_days(d: Option<i64>, config: &Config, theme: Theme) -> Style {
    theme.urgency(NumberStatus::urgency(d, config))
}

/// A column width that fits its widest cell (and header), within `min..=max`.
pub fn fit<'a>(header: &str, cells: impl IntoIterator<Item = &'a str>, min: u16, max: u16) -> u16 {
    let w = cells
        .into_iter()
        .map(UnicodeWidthStr::width)
        .chain(std::iter::once(header.width()))
        .max()
        .unwrap_or(0);
    (w as u16).clamp(min, max)
}

/// `line` cut to `width` cells, the cut marked with `…` (a line that fits is unchanged).
pub fn clip_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut room = width;
    let mut spans = Vec::new();
    for span in line.spans {
        let w = span.width();
        if w < room {
            room -= w;
            spans.push(span);
            continue;
        }
        // This span reaches the edge: it keeps what fits with the mark.
        let mut cut = String::new();
        let mut used = 0;
        for c in span.content.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if used + cw + 1 > room {
                break;
            }
            cut.push(c);
            used += cw;
        }
        cut.push('…');
        spans.push(Span::styled(cut, span.style));
        break;
    }
    Line { spans, ..line }
}

/// Breaks `text` into lines of at most `width` cells, at spaces where it can.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(4);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let add = if line.is_empty() {
            word.width()
        } else {
            line.width() + 1 + word.width()
        };
        if add > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.width() > width {
            let cut = crate::text::table::truncate(&line, width);
            let kept = cut.trim_end_matches('…').to_string();
            lines.push(kept.clone());
            line = line[kept.len()..].to_string();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A list's selection and scroll: the selected row (in the tab's row order), and what the
/// last frame showed (kept by the views, like a `TableState`) for PgUp/PgDn.
#[derive(Debug)]
pub struct ListState {
    pub sel: usize,
    pub offset: Cell<usize>,
    pub page: Cell<usize>,
}

impl Default for ListState {
    fn default() -> Self {
        ListState {
            sel: 0,
            offset: Cell::new(0),
            page: Cell::new(10),
        }
    }
}

/// Renders a table with `state`, and remembers in the tab's `list` its scroll offset and
/// page height for the next frame and for PgUp/PgDn.
pub fn render_table(
    list: &ListState,
    f: &mut ratatui::Frame,
    area: Rect,
    table: ratatui::widgets::Table,
    mut state: ratatui::widgets::TableState,
) {
    state = state.with_offset(list.offset.get());
    f.render_stateful_widget(table, area, &mut state);
    list.offset.set(state.offset());
    list.page.set(area.height.saturating_sub(1) as usize);
}
