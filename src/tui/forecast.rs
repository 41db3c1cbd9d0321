//! The Forecast tab: the next twelve months — cost per month and per year in each currency,
//! every planned recharge (`~` when it depends on a projected balance or validity), and the
//! projected balance of the selected recharge's number.

use std::collections::BTreeSet;

use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Sparkline, Table, TableState};

use crate::engine::calendar::{YearMonth, local_date};
use crate::i18n::T;
use crate::model::{Currency, Money};
use crate::tr;
use crate::tui::app::App;
use crate::tui::widgets::when;

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let f12 = &app.derived.forecast;
    if f12.items.is_empty() {
        f.render_widget(Line::raw(format!("  {}", tr!(T::PlanEmpty, 366))), area);
        return;
    }
    let spark_h = if area.height >= 16 { 4 } else { 0 };
    let [top, bottom] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(spark_h)]).areas(area);
    let side = top.width >= 76;
    let [left, right] = if side {
        Layout::horizontal([Constraint::Percentage(48), Constraint::Percentage(52)]).areas(top)
    } else {
        let h = (top.height / 2).max(3);
        Layout::vertical([Constraint::Length(h), Constraint::Min(1)]).areas(top)
    };
    totals(app, f, left);
    items(app, f, right);
    if spark_h > 0 {
        projection(app, f, bottom);
    }
}

fn totals(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    let tz = app.session.config.timezone;
    let by_month = app.derived.forecast.by_month(tz);
    let currencies: Vec<Currency> = by_month
        .keys()
        .map(|(_, c)| *c)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let first = YearMonth::of(local_date(tz, app.now));
    let mut months = vec![first];
    for _ in 0..11 {
        let next = months.last().map_or(first, |m| m.next());
        months.push(next);
    }
    let mut rows: Vec<Row> = months
        .iter()
        .map(|m| {
            let mut cells = vec![Cell::from(m.to_string())];
            for c in &currencies {
                let v = by_month.get(&(*m, *c)).copied().unwrap_or(0);
                cells.push(Cell::from(
                    Line::from(if v == 0 {
                        "·".to_string()
                    } else {
                        Money::new(v, *c).display()
                    })
                    .right_aligned(),
                ));
            }
            Row::new(cells)
        })
        .collect();
    let mut total = vec![Cell::from(Span::styled(tr!(T::TuiYear), t.header()))];
    for c in &currencies {
        let v: i64 = months
            .iter()
            .map(|m| by_month.get(&(*m, *c)).copied().unwrap_or(0))
            .sum();
        total.push(Cell::from(
            Line::from(Span::styled(Money::new(v, *c).display(), t.header())).right_aligned(),
        ));
    }
    rows.push(Row::new(total));
    let mut header = vec![Cell::from(tr!(T::TuiMonth))];
    header.extend(
        currencies
            .iter()
            .map(|c| Cell::from(Line::from(c.code()).right_aligned())),
    );
    let mut widths = vec![Constraint::Length(10)];
    widths.extend(currencies.iter().map(|_| Constraint::Fill(1)));
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header()))
        .block(Block::new().borders(Borders::RIGHT).border_style(t.dim()))
        .column_spacing(1);
    f.render_widget(table, area);
}

fn items(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;

    let show_mode = area.width >= 50;
    // MODE as wide as the widest mode's name ("external" is 8), and the label cut with
    // `…` to what its column leaves.
    use crate::model::Mode;
    let mode_w = [Mode::Auto, Mode::Remind, Mode::External]
        .iter()
        .map(|m| unicode_width::UnicodeWidthStr::width(m.label().as_str()))
        .chain(std::iter::once(unicode_width::UnicodeWidthStr::width(
            tr!(T::ColMode).as_str(),
        )))
        .max()
        .unwrap_or(6) as u16;
    let label_w = area
        .width
        .saturating_sub(12 + 10 + 2 + if show_mode { mode_w + 1 } else { 0 });
    let rows = app.derived.forecast.items.iter().map(|p| {
        let label = app
            .session
            .config
            .number(&p.number)
            .map_or(p.number.clone(), |n| n.label.clone());
        let est = if p.estimated { "~" } else { " " };
        let mut cells = vec![
            Cell::from(format!(
                "{}{est}",
                when(app.session.config.timezone, p.at, true)
            )),
            Cell::from(crate::tui::widgets::clip_line(
                Line::from(label),
                label_w as usize,
            )),
            Cell::from(Line::from(p.amount.display()).right_aligned()),
        ];
        if show_mode {
            cells.push(Cell::from(Span::styled(
                p.mode.label(),
                if p.mode == Mode::Auto {
                    t.accent()
                } else {
                    t.dim()
                },
            )));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Length(10),
    ];
    let mut header = vec![
        Cell::from(tr!(T::ColTime)),
        Cell::from(tr!(T::ColLabel)),
        Cell::from(Line::from(tr!(T::ColAmount)).right_aligned()),
    ];
    if show_mode {
        widths.push(Constraint::Length(mode_w));
        header.push(Cell::from(tr!(T::ColMode)));
    }
    let header = Row::new(header).style(t.header());
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(t.selected())
        .column_spacing(1);
    crate::tui::widgets::render_table(
        &app.tabs.forecast,
        f,
        area,
        table,
        TableState::default().with_selected(Some(app.tabs.forecast.sel)),
    );
}

fn projection(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    let Some(n) = app
        .selected_number()
        .map(|i| &app.session.config.numbers[i])
    else {
        return;
    };
    let Some(p) = app
        .derived
        .forecast
        .projections
        .iter()
        .find(|p| p.number == n.id)
    else {
        return;
    };
    let title_style = t.dim();
    if p.points.is_empty() {
        let block = Block::new().borders(Borders::TOP).title(Span::styled(
            format!(" {} — {} ", n.label, tr!(T::TuiNoProjection)),
            title_style,
        ));
        f.render_widget(block, area);
        return;
    }
    // Sample the step function at one date per column over the year.
    let cols = area.width.max(1) as i64;
    let start = local_date(app.session.config.timezone, app.now);
    let values: Vec<i64> = (0..cols)
        .map(|c| {
            let d = start + Duration::days(c * 366 / cols);
            p.points
                .iter()
                .take_while(|(pd, _)| *pd <= d)
                .last()
                .map_or(p.points[0].1, |(_, b)| *b)
        })
        .collect();
    let min = values.iter().copied().min().unwrap_or(0);
    let max = values.iter().copied().max().unwrap_or(0);
    let data: Vec<u64> = values.iter().map(|v| (v - min.min(0)) as u64).collect();
    let title = tr!(
        T::TuiProjected,
        n.label,
        Money::new(min, n.currency).display(),
        Money::new(max, n.currency).display()
    );
    let spark = Sparkline::default()
        .block(
            Block::new()
                .borders(Borders::TOP)
                .title(Span::styled(format!(" {title} "), title_style)),
        )
        .data(&data)
        .style(if min < 0 { t.bad() } else { t.accent() });
    f.render_widget(spark, area);
}
