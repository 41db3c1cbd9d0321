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
    let sums = Totals::of(app);
    let [left, right] = if side {
        // The totals take what their amounts need (every amount whole), at least 48% and
        // leaving the planned items 30 columns.
        let need = sums.width();
        let w = need
            .max(top.width * 48 / 100)
            .min(top.width.saturating_sub(30));
        Layout::horizontal([Constraint::Length(w), Constraint::Fill(1)]).areas(top)
    } else {
        let h = (top.height / 2).max(3);
        Layout::vertical([Constraint::Length(h), Constraint::Min(1)]).areas(top)
    };
    totals(app, &sums, f, left);
    items(app, f, right);
    if spark_h > 0 {
        projection(app, f, bottom);
    }
}

/// The next twelve months' cost per currency, as text: one row a month, then the year.
struct Totals {
    currencies: Vec<Currency>,
    /// Each month's label and its cell per currency (`·` for nothing).
    rows: Vec<(String, Vec<String>)>,
    year: Vec<String>,
}

impl Totals {
    fn of(app: &App) -> Totals {
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
        let get = |m: &YearMonth, c: &Currency| by_month.get(&(*m, *c)).copied().unwrap_or(0);
        let rows = months
            .iter()
            .map(|m| {
                let cells = currencies
                    .iter()
                    .map(|c| match get(m, c) {
                        0 => "·".to_string(),
                        v => Money::new(v, *c).display(),
                    })
                    .collect();
                (m.to_string(), cells)
            })
            .collect();
        let year = currencies
            .iter()
            .map(|c| Money::new(months.iter().map(|m| get(m, c)).sum(), *c).display())
            .collect();
        Totals {
            currencies,
            rows,
            year,
        }
    }

    /// Each column's width: the widest of its header and cells.
    fn widths(&self) -> Vec<u16> {
        let w = |s: &str| unicode_width::UnicodeWidthStr::width(s) as u16;
        let mut out = vec![
            self.rows
                .iter()
                .map(|(m, _)| w(m))
                .chain([w(&tr!(T::TuiMonth)), w(&tr!(T::TuiYear))])
                .max()
                .unwrap_or(7),
        ];
        for (i, c) in self.currencies.iter().enumerate() {
            out.push(
                self.rows
                    .iter()
                    .map(|(_, cells)| w(&cells[i]))
                    .chain([w(c.code()), w(&self.year[i])])
                    .max()
                    .unwrap_or(4),
            );
        }
        out
    }

    /// The width the table needs to show every amount whole (with its spacing and border).
    fn width(&self) -> u16 {
        let w = self.widths();
        w.iter().sum::<u16>() + w.len() as u16
    }
}

fn totals(app: &App, totals: &Totals, f: &mut Frame, area: Rect) {
    let t = app.theme;
    let widths = totals.widths();
    // Where the screen is narrower than the amounts, the cut is marked.
    let cell = |s: &str, w: u16, style: ratatui::style::Style| {
        crate::tui::widgets::clip_line(Line::from(Span::styled(s.to_string(), style)), w as usize)
            .right_aligned()
    };
    let room = area.width.saturating_sub(1);
    let fair: Vec<u16> = {
        let mut fair = widths.clone();
        // Over the room: each amount column gives up what it must, from the widest.
        while fair.iter().sum::<u16>() + fair.len() as u16 - 1 > room {
            let Some(widest) = (1..fair.len()).max_by_key(|&i| fair[i]) else {
                break;
            };
            if fair[widest] <= 3 {
                break;
            }
            fair[widest] -= 1;
        }
        fair
    };
    let mut rows: Vec<Row> = totals
        .rows
        .iter()
        .map(|(m, cells)| {
            let mut r = vec![Cell::from(m.clone())];
            r.extend(
                cells
                    .iter()
                    .zip(&fair[1..])
                    .map(|(c, w)| Cell::from(cell(c, *w, ratatui::style::Style::new()))),
            );
            Row::new(r)
        })
        .collect();
    let mut total = vec![Cell::from(Span::styled(tr!(T::TuiYear), t.header()))];
    total.extend(
        totals
            .year
            .iter()
            .zip(&fair[1..])
            .map(|(c, w)| Cell::from(cell(c, *w, t.header()))),
    );
    rows.push(Row::new(total));
    let mut header = vec![Cell::from(tr!(T::TuiMonth))];
    header.extend(
        totals
            .currencies
            .iter()
            .map(|c| Cell::from(Line::from(c.code()).right_aligned())),
    );
    let mut widths: Vec<Constraint> = fair.iter().map(|w| Constraint::Length(*w)).collect();
    // What is left over goes to the month column, so the amounts stay against the border.
    widths[0] = Constraint::Fill(1);
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
