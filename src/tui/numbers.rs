//! The Numbers tab: one row a number (label, masked number, balance, deadline, next
//! recharge, badge), and a detail pane for the selected one: plan, deadlines, rules, the
//! last entries and a sparkline of its balance.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use crate::engine::NumberStatus;
use crate::i18n::T;
use crate::model::{Money, Number};
use crate::text::labels::colon;
use crate::tr;
use crate::tui::app::App;
use crate::tui::widgets::{badge, clip_line, days_left, fit, msisdn, style_for_days, when};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    if app.session.config.numbers.is_empty() {
        let p = Paragraph::new(vec![
            Line::raw(""),
            Line::raw(format!("  {}", tr!(T::TuiNoNumbers))),
        ]);
        f.render_widget(p, area);
        return;
    }
    let rows = app.session.config.numbers.len() as u16 + 1;
    let detail = area.height >= 14;
    let table_h = if detail {
        rows.min(area.height / 2).max(3)
    } else {
        area.height
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(0)]).areas(area);
    table(app, f, top);
    if detail && let Some(i) = app.selected_number() {
        pane(
            app,
            f,
            bottom,
            &app.session.config.numbers[i],
            &app.derived.statuses[i],
        );
    }
}

fn balance_text(n: &Number, s: &NumberStatus) -> String {
    match (s.observed, s.expected) {
        (Some((b, _)), Some(e)) if e != b => format!(
            "{} → {}",
            Money::new(b, n.currency),
            Money::new(e, n.currency)
        ),
        (Some((b, _)), _) => Money::new(b, n.currency).display(),
        _ => "—".into(),
    }
}

fn next_text(app: &App, s: &NumberStatus) -> String {
    s.next.as_ref().map_or("—".to_string(), |p| {
        let day = when(app.session.config.timezone, p.at, true)
            .get(..5)
            .unwrap_or("")
            .to_string();
        format!(
            "{day} {}{}",
            p.amount.display(),
            if p.estimated { "~" } else { "" }
        )
    })
}

/// A column of the Numbers table: its cells, and its width fitted to them.
#[derive(Clone)]
struct Column {
    header: String,
    cells: Vec<Span<'static>>,
    right: bool,
    width: u16,
}

impl Column {
    fn new(header: String, cells: Vec<Span<'static>>, right: bool) -> Column {
        let width = fit(&header, cells.iter().map(|c| c.content.as_ref()), 2, 24);
        Column {
            header,
            cells,
            right,
            width,
        }
    }
}

fn days_cell(app: &App, d: Option<i64>) -> Span<'static> {
    Span::styled(
        days_left(d),
        style_for_days(d, &app.session.config, app.theme),
    )
}

/// The columns besides the label, each with its place in the row, in order of
/// importance: each is added if it still fits.
fn candidate_columns(app: &App) -> Vec<(u8, Column)> {
    let t = app.theme;
    let numbers = &app.session.config.numbers;
    let statuses = &app.derived.statuses;
    let span = |s: String| Span::raw(s);
    vec![
        (
            2,
            Column::new(
                tr!(T::ColBalance),
                numbers
                    .iter()
                    .zip(statuses)
                    .map(|(n, s)| span(balance_text(n, s)))
                    .collect(),
                true,
            ),
        ),
        (
            7,
            Column::new(
                tr!(T::ColStatus),
                statuses.iter().map(|s| badge(s, t)).collect(),
                false,
            ),
        ),
        (
            0,
            Column::new(
                tr!(T::ColMsisdn),
                numbers
                    .iter()
                    .map(|n| span(msisdn(app.masked, &n.msisdn)))
                    .collect(),
                false,
            ),
        ),
        (
            3,
            Column::new(
                tr!(T::ColValid),
                statuses
                    .iter()
                    .map(|s| days_cell(app, s.validity_days_left))
                    .collect(),
                false,
            ),
        ),
        (
            4,
            Column::new(
                tr!(T::ColUseBy),
                statuses
                    .iter()
                    .map(|s| days_cell(app, s.inactive_days_left))
                    .collect(),
                false,
            ),
        ),
        (
            6,
            Column::new(
                tr!(T::ColNext),
                statuses.iter().map(|s| span(next_text(app, s))).collect(),
                false,
            ),
        ),
        (
            1,
            Column::new(
                tr!(T::ColCarrier),
                numbers
                    .iter()
                    .map(|n| span(crate::text::labels::carrier_name(&n.carrier)))
                    .collect(),
                false,
            ),
        ),
    ]
}

/// The columns that fit in `width` beside `label`, with the width they use and the
/// label's.
fn choose_columns(
    app: &App,
    label: &Column,
    width: u16,
    spacing: u16,
) -> (Vec<(u8, Column)>, u16, u16) {
    let statuses = &app.derived.statuses;
    let candidates = candidate_columns(app);
    // Two layouts: validity and use-by as columns of their own when both fit; else one
    // DEADLINE column (the nearer, with what it is) among the key columns, which give way
    // last (at 60 columns both went, and with them every deadline).
    let deadline = Column::new(
        tr!(T::ColNearest),
        statuses.iter().map(|s| deadline_cell(app, s)).collect(),
        false,
    );
    let (separate, used_a, label_a) = place(candidates.clone(), label, width, spacing);
    let both = separate.iter().filter(|(o, _)| matches!(o, 3 | 4)).count() == 2;
    if both {
        (separate, used_a, label_a)
    } else {
        let mut joined: Vec<(u8, Column)> = candidates
            .into_iter()
            .filter(|(o, _)| !matches!(o, 3 | 4))
            .collect();
        joined.push((3, deadline));
        place(joined, label, width, spacing)
    }
}

fn table(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    let numbers = &app.session.config.numbers;
    let span = |s: String| Span::raw(s);
    let label = Column::new(
        tr!(T::ColLabel),
        numbers.iter().map(|n| span(n.label.clone())).collect(),
        false,
    );
    let spacing = 2;
    let (mut chosen, used, label_w) = choose_columns(app, &label, area.width, spacing);
    chosen.sort_by_key(|(order, _)| *order);
    let mut widths = vec![Constraint::Length(label_w)];
    let mut header = vec![Cell::from(label.header.clone())];
    for (_, c) in &chosen {
        widths.push(Constraint::Length(c.width));
        header.push(Cell::from(if c.right {
            Line::from(c.header.clone()).right_aligned()
        } else {
            Line::from(c.header.clone())
        }));
    }
    // A cell wider than its column is cut with `…`, never clipped mid-word.
    let cell = |span: &Span<'static>, w: u16| clip_line(Line::from(span.clone()), w as usize);
    let rows = (0..numbers.len()).map(|i| {
        let mut cells = vec![Cell::from(cell(&label.cells[i], label_w))];
        for (_, c) in &chosen {
            let line = cell(&c.cells[i], c.width);
            cells.push(Cell::from(if c.right {
                line.right_aligned()
            } else {
                line
            }));
        }
        Row::new(cells)
    });
    // As wide as its columns, not the screen: a selection move repaints two short rows.
    let area = Rect {
        width: used.min(area.width),
        ..area
    };
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header()))
        // Only the label is highlighted (with a marker): a move repaints two labels, not
        // two whole rows, which is most of what goes over the wire.
        .cell_highlight_style(t.selected())
        .highlight_symbol("›")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
        .column_spacing(spacing);
    crate::tui::widgets::render_table(
        &app.tabs.numbers,
        f,
        area,
        table,
        TableState::default().with_selected_cell(Some((app.tabs.numbers.sel, 0))),
    );
}

/// Chooses the columns that fit `width`: the key columns first (status, deadline, next
/// recharge, balance, in that order of keeping), with the label at its narrowest (8 cells;
/// the selection marker takes 1): a long label gives way before they do. Then the label
/// takes what it needs (up to 32), then the rest fill in. Returns the columns, the width
/// used and the label's width.
fn place(
    candidates: Vec<(u8, Column)>,
    label: &Column,
    width: u16,
    spacing: u16,
) -> (Vec<(u8, Column)>, u16, u16) {
    let rank = |order: u8| match order {
        7 => Some(0),
        3 => Some(1),
        6 => Some(2),
        2 => Some(3),
        _ => None,
    };
    let deadline_is_key = candidates.iter().all(|(o, _)| *o != 4);
    let key = |o: u8| rank(o).is_some() && (o != 3 || deadline_is_key);
    let (mut keys, rest): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|(o, _)| key(*o));
    keys.sort_by_key(|(o, _)| rank(*o));
    let mut used = 8 + 1;
    let mut chosen: Vec<(u8, Column)> = Vec::new();
    for (order, c) in keys {
        if used + spacing + c.width <= width {
            used += spacing + c.width;
            chosen.push((order, c));
        }
    }
    let mut label_w = label
        .width
        .clamp(8, 32)
        .min(width.saturating_sub(used - 8))
        .max(8);
    used += label_w - 8;
    // The rest in their order: the number before validity, use-by and carrier. The label
    // gives up to a few cells (cut with `…`) for the number; a column that does not fit
    // keeps the ones after it out, so the carrier never shows where the number does not.
    let label_floor = label_w.min(LABEL_FLOOR);
    for (order, c) in rest {
        let need = used + spacing + c.width;
        if need <= width {
            used = need;
            chosen.push((order, c));
            continue;
        }
        let short = need - width;
        if order == 0 && label_w.saturating_sub(short) >= label_floor {
            label_w -= short;
            used = width;
            chosen.push((order, c));
            continue;
        }
        break;
    }
    (chosen, used, label_w)
}

/// How narrow the label may get to make room for the number.
const LABEL_FLOOR: u16 = 10;

/// The nearer of validity and use-by, saying which it is (`valid 75d`, `use by 13d`).
fn deadline_cell(app: &App, s: &NumberStatus) -> Span<'static> {
    let nearest = match (s.validity_days_left, s.inactive_days_left) {
        (Some(v), Some(u)) if u < v => Some((T::DeadlineUseBy, u)),
        (Some(v), _) => Some((T::DeadlineValid, v)),
        (None, Some(u)) => Some((T::DeadlineUseBy, u)),
        (None, None) => None,
    };
    match nearest {
        Some((what, d)) => Span::styled(
            tr!(what, days_left(Some(d))),
            style_for_days(Some(d), &app.session.config, app.theme),
        ),
        None => Span::raw("—"),
    }
}

/// Entries shown in the pane (the History tab has them all).
const PANE_ENTRIES: usize = 3;

/// The detail pane. Every section keeps its row whatever number is selected (missing
/// values show as "—", the rules take as many rows as the number with the most), so moving
/// the selection repaints only the text that differs — a few hundred bytes over SSH.
fn pane(app: &App, f: &mut Frame, area: Rect, n: &Number, s: &NumberStatus) {
    let t = app.theme;
    let block = Block::new()
        .borders(Borders::TOP)
        .title(Span::styled(format!(" {} ", n.label), t.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let ns = app.session.state().number(&n.id);
    let mut lines: Vec<Line> = vec![
        balance_line(app, n, s),
        trend_line(app, n, ns),
        plan_line(app, n, s),
        deadlines_line(app, s),
    ];
    lines.extend(rule_lines(app, n));
    lines.extend(entry_lines(app, n));
    let missed = ns.map_or_else(Vec::new, |ns| missed_lines(app, n, ns, inner.width));
    // A failed refresh, last, so that it never moves the rest.
    if let Some(err) = app.refresh_errors.get(&n.id) {
        lines.push(Line::from(vec![
            label(app, tr!(T::TuiRefreshFailedLabel)),
            Span::styled(err.clone(), t.error()),
        ]));
    }
    let w = inner.width as usize;
    let mut lines: Vec<Line> = lines.into_iter().map(|l| clip_line(l, w)).collect();
    // The missed sentence, wrapped, goes before the refresh error (which stays last).
    let at = lines.len() - usize::from(app.refresh_errors.contains_key(&n.id));
    lines.splice(at..at, missed);
    f.render_widget(Paragraph::new(lines), inner);
}

/// A section's name, dimmed, with its colon.
fn label(app: &App, s: String) -> Span<'static> {
    Span::styled(colon(s), app.theme.dim())
}

/// What a section without a value shows.
fn none(app: &App) -> Span<'static> {
    Span::styled("—", app.theme.dim())
}

/// The balance read last, when, and what baohao expected if that differs.
fn balance_line(app: &App, n: &Number, s: &NumberStatus) -> Line<'static> {
    let dim = app.theme.dim();
    let tz = app.session.config.timezone;
    let mut bal = vec![label(app, tr!(T::TuiBalanceLabel))];
    match s.observed {
        Some((b, at)) => {
            bal.push(Span::raw(Money::new(b, n.currency).display()));
            let read = match app.checked.get(&n.id).filter(|c| **c > at) {
                Some(c) => tr!(
                    T::TuiReadSinceChecked,
                    when(tz, at, true),
                    c.with_timezone(&tz).format("%H:%M")
                ),
                None => tr!(T::TuiReadAt, when(tz, at, true)),
            };
            bal.push(Span::styled(format!(" ({read})"), dim));
            if let Some(e) = s.expected.filter(|e| *e != b) {
                bal.push(Span::raw(format!(
                    "  {} {}",
                    tr!(T::TuiExpected),
                    Money::new(e, n.currency).display()
                )));
            }
        }
        None => bal.push(Span::styled(tr!(T::TuiNoReading), dim)),
    }
    Line::from(bal)
}

/// The balance trend as a word-sized sparkline: the last readings, eight levels.
fn trend_line(app: &App, n: &Number, ns: Option<&crate::engine::NumberState>) -> Line<'static> {
    let readings: Vec<i64> = ns
        .map(|ns| {
            ns.readings
                .iter()
                .rev()
                .take(16)
                .rev()
                .map(|(_, b)| *b)
                .collect()
        })
        .unwrap_or_default();
    let mut trend = vec![label(app, tr!(T::TuiBalanceTrend))];
    if readings.len() >= 3 {
        let (lo, hi) = (
            readings.iter().min().copied().unwrap_or(0),
            readings.iter().max().copied().unwrap_or(0),
        );
        trend.push(Span::styled(sparkline(&readings), app.theme.accent()));
        trend.push(Span::styled(
            format!(
                " {}–{}",
                Money::new(lo, n.currency),
                Money::new(hi, n.currency)
            ),
            app.theme.dim(),
        ));
    } else {
        trend.push(none(app));
    }
    Line::from(trend)
}

/// The style of a host's health word.
fn seen_style(app: &App, seen: crate::text::labels::Seen) -> Style {
    match seen {
        crate::text::labels::Seen::Good => app.theme.ok(),
        crate::text::labels::Seen::Unsure => app.theme.warn(),
        crate::text::labels::Seen::Bad => app.theme.error(),
    }
}

/// The plan (fee, validity, keep-alive, budget), the carrier, and the health of the
/// modem or forwarder the number is on: one line, so no row moves.
fn plan_line(app: &App, n: &Number, s: &NumberStatus) -> Line<'static> {
    let dim = app.theme.dim();
    let mut plan = Vec::new();
    if let Some(fee) = n.plan.monthly_fee {
        plan.push(tr!(T::TuiFee, fee.display()));
    }
    if let Some(v) = n.plan.validity_days {
        plan.push(tr!(T::TuiValidityPerTopUp, v));
    }
    if let Some(k) = n.plan.keep_alive_days {
        plan.push(tr!(T::TuiKeepAlive, k));
    }
    if let Some(b) = n.monthly_budget {
        plan.push(tr!(
            T::TuiBudget,
            Money::new(s.spent_this_month, n.currency).display(),
            b.display()
        ));
    }
    let mut plan_line = vec![label(app, tr!(T::TuiPlan))];
    if plan.is_empty() {
        plan_line.push(none(app));
    } else {
        plan_line.push(Span::raw(plan.join(" · ")));
    }
    if !n.carrier.is_empty() {
        plan_line.push(Span::styled(
            format!("  {}", crate::text::labels::carrier_name(&n.carrier)),
            dim,
        ));
    }
    // A number in a modem: its state and signal.
    if n.modem.is_some() {
        let (text, style) = crate::text::labels::modem_seen(app.modems.get(&n.id));
        plan_line.push(Span::styled("  · ", dim));
        plan_line.push(Span::styled(text, seen_style(app, style)));
    }
    // A number on a forwarder: the phone's or board's health.
    if let Some(r) = &n.forwarder
        && let Some(f) = app.session.config.forwarders.iter().find(|f| f.id == r.id)
    {
        let seen = app.forwarders.iter().find(|s| s.id == f.id);
        let state = app.session.state();
        let heard = crate::forwarder::seen::heard(f, &app.session.config, state, seen);
        let silent = s.has(crate::engine::Attention::ForwarderSilent);
        let (text, style) = crate::text::labels::forwarder_seen(f, seen, heard, silent, app.now);
        plan_line.push(Span::styled("  · ", dim));
        plan_line.push(Span::styled(text, seen_style(app, style)));
    }
    Line::from(plan_line)
}

/// The validity and activity deadlines, coloured by how near they are.
fn deadlines_line(app: &App, s: &NumberStatus) -> Line<'static> {
    let mut dl = vec![label(app, tr!(T::TuiDeadlines))];
    if let (Some(v), d) = (s.validity, s.validity_days_left) {
        dl.push(Span::styled(
            tr!(T::TuiValidUntil, v, days_left(d)),
            style_for_days(d, &app.session.config, app.theme),
        ));
        dl.push(Span::raw("  "));
    }
    if let (Some(on), d) = (s.inactive_on, s.inactive_days_left) {
        dl.push(Span::styled(
            tr!(T::TuiActiveBy, on, days_left(d)),
            style_for_days(d, &app.session.config, app.theme),
        ));
    }
    if dl.len() == 1 {
        dl.push(none(app));
    }
    Line::from(dl)
}

/// The rules with their next planned time, in as many rows as the number with the most
/// rules needs.
fn rule_lines(app: &App, n: &Number) -> Vec<Line<'static>> {
    let dim = app.theme.dim();
    let mut lines = vec![Line::from(label(app, tr!(T::TuiRulesLabel)))];
    let rule_rows = app
        .session
        .config
        .numbers
        .iter()
        .map(|x| x.rules.len())
        .max()
        .unwrap_or(0)
        .max(1);
    if n.rules.is_empty() {
        lines.push(Line::styled(format!("  {}", tr!(T::TuiNoRules)), dim));
    }
    for r in &n.rules {
        let next = app
            .derived
            .forecast
            .items
            .iter()
            .find(|p| p.number == n.id && p.rule == r.id)
            .map(|p| when(app.session.config.timezone, p.at, true));
        let style = if r.enabled { Style::new() } else { dim };
        let mut spans = vec![Span::styled(
            format!("  {} {}", if r.enabled { "✓" } else { "✗" }, r.describe()),
            style,
        )];
        if let Some(next) = next.filter(|_| r.enabled) {
            spans.push(Span::styled(format!("  → {next}"), dim));
        }
        lines.push(Line::from(spans));
    }
    for _ in n.rules.len().max(1)..rule_rows {
        lines.push(Line::raw(""));
    }
    lines
}

/// The last entries of this number (balance readings aside: the trend shows them), in
/// [`PANE_ENTRIES`] rows.
fn entry_lines(app: &App, n: &Number) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(label(app, tr!(T::TuiLastEntries)))];
    let history = &app.session.history;
    let rows = history.rows();
    let entries: Vec<Line> = (0..history.rows_by_time())
        .filter_map(|place| history.row_newest(place))
        .filter(|&i| {
            rows.number_of(i)
                .is_some_and(|(number, balance)| number == n.id && !balance)
        })
        .take(PANE_ENTRIES)
        .filter_map(|i| app.session.history.row(i))
        .filter_map(|row| {
            app.session
                .history
                .entry(&row, &app.session.config, app.now)
        })
        .map(|e| crate::tui::history::entry_line(app, &e))
        .collect();
    if let Some(p) = app.history_percent() {
        app.history_shown.set(Some(p));
        lines.push(Line::styled(
            format!("  {}", tr!(T::TuiReadingHistory, p)),
            app.theme.dim(),
        ));
    } else if entries.is_empty() {
        lines.push(Line::styled(
            format!("  {}", tr!(T::HistoryEmpty)),
            app.theme.dim(),
        ));
    }
    let shown = entries.len().max(1);
    lines.extend(entries);
    for _ in shown..PANE_ENTRIES {
        lines.push(Line::raw(""));
    }
    lines
}

/// An external recharge with no evidence: where to look, in red, the whole sentence
/// wrapped to `width` (its end says what to do). Empty when none is missed.
fn missed_lines(
    app: &App,
    n: &Number,
    ns: &crate::engine::NumberState,
    width: u16,
) -> Vec<Line<'static>> {
    let tz = app.session.config.timezone;
    // Judged once per change of the log (not per frame): the history keeps it.
    let last_missed =
        app.session
            .history
            .with_reconciliation(&n.id, &app.session.config, app.now, |judged| {
                judged
                    .missed()
                    .filter(|v| ns.key_at(v.key).is_some_and(|k| k.last().is_some()))
                    .map(|v| v.key)
                    .last()
            });
    let Some((k, a)) = last_missed
        .flatten()
        .and_then(|key| ns.key_at(key))
        .and_then(|k| Some((k, k.last()?)))
    else {
        return Vec::new();
    };
    let via = n
        .rule(k.rule)
        .and_then(|r| r.via.clone())
        .unwrap_or_default();
    // When the rule made it due, not when the worker wrote it down (a worker that was
    // down writes it late).
    let due = crate::engine::reconcile::due_of(&k, Some(n), tz).map_or(a.at, |d| d.min(a.at));
    let sentence = tr!(
        T::TuiMissed,
        Money::new(k.amount_minor, k.currency).display(),
        via,
        when(tz, due, true),
        a.intent
    );
    crate::tui::widgets::wrap(&sentence, width as usize)
        .into_iter()
        .map(|l| Line::styled(l, app.theme.error()))
        .collect()
}

/// One line of block characters, lowest reading to highest.
pub fn sparkline(values: &[i64]) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = (
        values.iter().min().copied().unwrap_or(0),
        values.iter().max().copied().unwrap_or(0),
    );
    values
        .iter()
        .map(|v| {
            let i = if hi == lo {
                3
            } else {
                ((v - lo) * 7 / (hi - lo)) as usize
            };
            LEVELS[i.min(7)]
        })
        .collect()
}
