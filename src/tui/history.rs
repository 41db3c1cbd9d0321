//! The History tab: every entry, newest first by its own time (ties by log order), built only for the rows on screen (so a
//! million-entry log draws as fast as a short one), a `/` filter, and a bar chart of the
//! money spent per month in each currency.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Cell, Row, Table, TableState};

use crate::engine::calendar::YearMonth;
use crate::engine::{Entry, EntryStatus};
use crate::i18n::T;
use crate::model::{Currency, Money};
use crate::text::labels::{entry_detail, entry_status_label, flag_label, kind_label, status_label};
use crate::tr;
use crate::tui::app::{App, Tab};
use crate::tui::widgets::{clip_line, when};

fn status_style(app: &App, s: Option<EntryStatus>) -> Style {
    let t = app.theme;
    match s {
        Some(EntryStatus::Succeeded) => t.ok(),
        Some(EntryStatus::Failed) | Some(EntryStatus::InDoubt) | Some(EntryStatus::Missed) => {
            t.bad()
        }
        Some(EntryStatus::Reminder) | Some(EntryStatus::Expected) => t.warn(),
        Some(EntryStatus::Refunded) => t.dim(),
        None => Style::new(),
    }
}

fn amount(e: &Entry) -> String {
    match (e.amount_minor, e.currency) {
        (Some(a), Some(c)) => Money::new(a, c).display(),
        _ => String::new(),
    }
}

/// One entry as a line (the Numbers tab's "last entries").
pub fn entry_line(app: &App, e: &Entry) -> Line<'static> {
    let mut spans = vec![
        Span::styled(
            format!(
                "  {} ",
                e.at.with_timezone(&app.session.config.timezone)
                    .format("%m-%d")
            ),
            app.theme.dim(),
        ),
        Span::raw(format!("{} {}", kind_label(e.kind), amount(e))),
    ];
    if let Some(s) = e.status {
        spans.push(Span::styled(
            format!(" {}", entry_status_label(e)),
            status_style(app, Some(s)),
        ));
    }
    for f in &e.flags {
        spans.push(Span::styled(
            format!(" · {}", flag_label(*f)),
            app.theme.warn(),
        ));
    }
    Line::from(spans)
}

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let chart_h = if area.height >= 18 { 7 } else { 0 };
    let [title, body, chart] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(chart_h),
    ])
    .areas(area);
    let total = app.session.history.rows_by_time();
    let shown = app.rows(Tab::History);
    app.history_shown.set(app.history_percent());
    let head = if let Some(p) = app.history_percent() {
        tr!(T::TuiReadingHistory, p)
    } else if app.tabs.history.filtered.is_some() {
        let head = tr!(
            T::TuiFilterShown,
            app.tabs.history.filter.value(),
            shown,
            total
        );
        // Still looking through older rows: the count will grow.
        if app.filter_pending() {
            format!("{head} …")
        } else {
            head
        }
    } else {
        tr!(T::TuiEntries, total)
    };
    f.render_widget(Line::styled(format!(" {head}"), app.theme.dim()), title);
    table(app, f, body);
    if chart_h > 0 {
        spend_chart(app, f, chart);
    }
}

/// A table's header, column widths and rows (each row its cells' lines, cut to their
/// columns when the widths are known).
type Columns = (Vec<String>, Vec<Constraint>, Vec<Vec<Line<'static>>>);

/// Under 60 columns: date, number, amount, and the status (or the kind when there is
/// none).
fn narrow_table(
    app: &App,
    entries: &[Entry],
    amounts: &[String],
    amount_w: u16,
    h_amount: String,
) -> Columns {
    let t = app.theme;
    let whats: Vec<String> = entries
        .iter()
        .map(|e| {
            e.status
                .map(status_label)
                .unwrap_or_else(|| kind_label(e.kind))
        })
        .collect();
    let h_status = tr!(T::ColStatus);
    let what_w = crate::tui::widgets::fit(&h_status, whats.iter().map(String::as_str), 6, 12);
    let header = vec![tr!(T::ColDate), tr!(T::ColNumber), h_amount, h_status];
    let widths = vec![
        Constraint::Length(5),
        Constraint::Fill(1),
        Constraint::Length(amount_w),
        Constraint::Length(what_w),
    ];
    let rows = entries
        .iter()
        .zip(amounts)
        .map(|(e, a)| {
            let what = match e.status {
                Some(st) => Span::styled(entry_status_label(e), status_style(app, Some(st))),
                None => Span::styled(kind_label(e.kind), t.dim()),
            };
            vec![
                Line::from(
                    when(app.session.config.timezone, e.at, true)
                        .get(..5)
                        .unwrap_or("")
                        .to_string(),
                ),
                Line::from(e.number.clone()),
                Line::from(a.clone()).right_aligned(),
                Line::from(what),
            ]
        })
        .collect();
    (header, widths, rows)
}

/// Time, number, kind, amount and status, then the rule, tries, reference and flags as
/// `w` makes room for them (the label for the number from 110 columns).
fn full_table(
    app: &App,
    entries: &[Entry],
    amounts: &[String],
    amount_w: u16,
    h_amount: String,
    w: u16,
) -> Columns {
    let t = app.theme;
    let wide = w >= 110;
    let mut header = vec![
        tr!(T::ColTime),
        tr!(T::ColNumber),
        tr!(T::ColKind),
        h_amount,
        tr!(T::ColStatus),
    ];
    let mut widths = vec![
        Constraint::Length(if wide { 16 } else { 11 }),
        Constraint::Length(if wide { 14 } else { 9 }),
        // "statement", the longest kind, whole.
        Constraint::Length(9),
        Constraint::Length(amount_w),
        Constraint::Length(9),
    ];
    if w >= 72 {
        header.push(tr!(T::ColRule));
        widths.push(Constraint::Length(10));
    }
    if wide {
        header.push(tr!(T::ColTries));
        widths.push(Constraint::Length(5));
    }
    if w >= 84 {
        header.push(tr!(T::ColReference));
        widths.push(Constraint::Fill(1));
    }
    header.push(tr!(T::ColFlags));
    widths.push(if w >= 84 {
        Constraint::Length(if wide { 22 } else { 12 })
    } else {
        Constraint::Fill(1)
    });
    let rows = entries
        .iter()
        .zip(amounts)
        .map(|(e, a)| {
            let label = app
                .session
                .config
                .number(&e.number)
                .map_or(e.number.clone(), |n| {
                    if wide { n.label.clone() } else { n.id.clone() }
                });
            let mut cells = vec![
                Line::from(when(app.session.config.timezone, e.at, !wide)),
                Line::from(label),
                Line::from(kind_label(e.kind)),
                Line::from(a.clone()).right_aligned(),
                Line::from(Span::styled(
                    entry_status_label(e),
                    status_style(app, e.status),
                )),
            ];
            if w >= 72 {
                cells.push(Line::from(e.rule.clone().unwrap_or_default()));
            }
            if wide {
                cells.push(Line::from(
                    e.attempts.map(|a| a.to_string()).unwrap_or_default(),
                ));
            }
            if w >= 84 {
                cells.push(Line::from(entry_detail(e).unwrap_or_default()));
            }
            let flags: Vec<String> = e.flags.iter().map(|f| flag_label(*f)).collect();
            cells.push(Line::from(Span::styled(
                flags.join(","),
                if e.flags.iter().any(|f| *f != crate::engine::Flag::Verified) {
                    t.warn()
                } else {
                    t.dim()
                },
            )));
            cells
        })
        .collect();
    (header, widths, rows)
}

fn table(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    let list = &app.tabs.history.list;
    let height = area.height.saturating_sub(1) as usize;
    let n = app.rows(Tab::History);
    let sel = list.sel.min(n.saturating_sub(1));
    // Keep the selection on screen, moving the window as little as possible.
    let mut offset = list.offset.get().min(n.saturating_sub(1));
    if sel < offset {
        offset = sel;
    } else if height > 0 && sel >= offset + height {
        offset = sel + 1 - height;
    }
    list.offset.set(offset);
    list.page.set(height.max(1));
    let w = area.width;
    let narrow = w < 60;
    let entries: Vec<Entry> = (offset..(offset + height).min(n))
        .filter_map(|r| app.history_row(r))
        .filter_map(|row| {
            app.session
                .history
                .entry(&row, &app.session.config, app.now)
        })
        .collect();
    let amounts: Vec<String> = entries.iter().map(amount).collect();
    let h_amount = tr!(T::ColAmount);
    let amount_w = crate::tui::widgets::fit(&h_amount, amounts.iter().map(String::as_str), 6, 14);
    let (header, widths, rows) = if narrow {
        narrow_table(app, &entries, &amounts, amount_w, h_amount)
    } else {
        full_table(app, &entries, &amounts, amount_w, h_amount, w)
    };
    // The widths the table will give each column (its layout: spacing 1, from the left):
    // a cell wider than its column is cut with `…`, never clipped without a sign.
    let cols = Layout::horizontal(widths.clone())
        .flex(ratatui::layout::Flex::Start)
        .spacing(1)
        .split(Rect {
            x: 0,
            y: 0,
            width: w,
            height: 1,
        });
    let cut = |cells: Vec<Line<'static>>| {
        Row::new(
            cells
                .into_iter()
                .zip(cols.iter())
                .map(|(l, c)| Cell::from(clip_line(l, c.width as usize)))
                .collect::<Vec<_>>(),
        )
    };
    let header = cut(header.into_iter().map(Line::from).collect()).style(t.header());
    let rows: Vec<Row<'static>> = rows.into_iter().map(cut).collect();
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(t.selected())
        .column_spacing(1);
    let mut state =
        TableState::default().with_selected(if n == 0 { None } else { Some(sel - offset) });
    f.render_stateful_widget(table, area, &mut state);
}

/// Money in per month for the last six months, one small chart per currency.
fn spend_chart(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    let this = YearMonth::of(crate::engine::calendar::local_date(
        app.session.config.timezone,
        app.now,
    ));
    let mut months = vec![this];
    for _ in 0..5 {
        let m = *months.last().unwrap_or(&this);
        months.push(if m.month == 1 {
            YearMonth {
                year: m.year - 1,
                month: 12,
            }
        } else {
            YearMonth {
                year: m.year,
                month: m.month - 1,
            }
        });
    }
    months.reverse();
    let mut per: BTreeMap<Currency, BTreeMap<YearMonth, i64>> = BTreeMap::new();
    for ns in app.session.state().numbers.values() {
        for ((m, c), v) in ns.spend() {
            if months.contains(&m) {
                *per.entry(c).or_default().entry(m).or_insert(0) += v;
            }
        }
    }
    if per.is_empty() {
        return;
    }
    let fit = (area.width / 22).max(1) as usize;
    let n = per.len().min(fit);
    let cols = Layout::horizontal(vec![Constraint::Fill(1); n]).split(area);
    for ((currency, by_month), col) in per.iter().zip(cols.iter()) {
        let bars: Vec<Bar> = months
            .iter()
            .map(|m| {
                let v = by_month.get(m).copied().unwrap_or(0).max(0);
                Bar::default()
                    .value(v as u64)
                    .label(Line::from(format!("{:02}", m.month)))
                    .text_value(String::new())
            })
            .collect();
        let total: i64 = by_month.values().sum();
        let title = format!(
            " {} {} ",
            tr!(T::TuiSpend6m),
            Money::new(total, *currency).display()
        );
        let chart = BarChart::default()
            .block(Block::new().title(Span::styled(title, t.dim())))
            .data(BarGroup::default().bars(&bars))
            .bar_width(2)
            .bar_gap(1)
            .bar_style(t.accent());
        f.render_widget(chart, *col);
    }
}
