//! The Rules tab: rules grouped by number, each in words, with its mode, whether it is on,
//! and its next date. Space turns a rule on or off (and saves).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};

use std::collections::{HashMap, HashSet};

use crate::engine::forecast::Planned;
use crate::i18n::T;
use crate::tr;
use crate::tui::app::{App, RuleRow};
use crate::tui::widgets::{clip_line, when};

/// The Rules tab's lookups by (number id, rule id), made once a frame rather than by a
/// scan of the forecast and the plan per row.
struct Index<'a> {
    planned: HashMap<(&'a str, &'a str), &'a Planned>,
    blocked: HashSet<(&'a str, &'a str)>,
}

impl<'a> Index<'a> {
    fn of(app: &'a App) -> Self {
        let mut planned = HashMap::new();
        for p in &app.derived.forecast.items {
            planned
                .entry((p.number.as_str(), p.rule.as_str()))
                .or_insert(p);
        }
        let blocked = app
            .derived
            .plan
            .blocked
            .iter()
            .map(|b| (b.number.as_str(), b.rule.as_str()))
            .collect();
        Index { planned, blocked }
    }
}

/// The "next" cell of a rule: its date, or why it has none.
fn next_of(app: &App, index: &Index, ni: usize, ri: usize, short: bool) -> String {
    let n = &app.session.config.numbers[ni];
    let r = &n.rules[ri];
    let planned = index.planned.get(&(n.id.as_str(), r.id.as_str())).copied();
    let blocked = index.blocked.contains(&(n.id.as_str(), r.id.as_str()));
    let doubt = app
        .state()
        .number(&n.id)
        .is_some_and(|ns| ns.in_doubt().any(|(k, _)| *k.rule == *r.id));
    match (r.enabled, planned) {
        (false, _) => tr!(T::TuiOff),
        (true, _) if doubt => tr!(T::TuiRuleInDoubt),
        (true, _) if blocked => tr!(T::TuiRuleHeld),
        (true, Some(p)) => format!(
            "{}{}",
            when(app.session.config.timezone, p.at, short),
            if p.estimated { "~" } else { "" }
        ),
        (true, None) if r.trigger.kind() == crate::model::TriggerKind::LowBalance => {
            tr!(T::TuiWhenLow)
        }
        (true, None) => "—".to_string(),
    }
}

/// The cells of a Rules row that cost a lookup or a format: its mode (plain, and with the
/// rule's id for wide screens) and its next date (long and short).
struct Looked {
    mode: [String; 2],
    next: [String; 2],
}

/// What the Rules tab works out for every row, so that its columns fit every row: made once
/// per [`App::recompute`] (the views' `Derived` it is part of is made anew there), not once
/// a frame. The rest of a row (its description, wrapped) is made only when it is on screen:
/// a move among 20,000 rules draws a screenful, not 20,000 rows.
#[derive(Default)]
pub struct RuleCells(std::cell::OnceCell<Made>);

struct Made {
    /// Per row of `rule_rows` (None for a number's title or its "no rules" line).
    rows: Vec<Option<Looked>>,
    /// The widest mode, plain and wide; the widest next date, long and short.
    mode_w: [usize; 2],
    next_w: [usize; 2],
}

impl Clone for RuleCells {
    /// A copy works its cells out again when drawn (they follow from what it is part of).
    fn clone(&self) -> Self {
        RuleCells::default()
    }
}

impl PartialEq for RuleCells {
    /// Follows from the rest of `Derived`: never a difference of its own.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for RuleCells {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RuleCells")
    }
}

impl Made {
    fn of(app: &App) -> Made {
        use unicode_width::UnicodeWidthStr;
        let index = Index::of(app);
        let mut mode_w = [0; 2];
        let mut next_w = [0; 2];
        let rows = app
            .derived
            .rule_rows
            .iter()
            .map(|r| match *r {
                RuleRow::Rule(ni, ri) => {
                    let r = &app.session.config.numbers[ni].rules[ri];
                    let mode = [r.mode.label(), format!("{} · {}", r.mode.label(), r.id)];
                    let next = [
                        next_of(app, &index, ni, ri, false),
                        next_of(app, &index, ni, ri, true),
                    ];
                    for i in 0..2 {
                        mode_w[i] = mode_w[i].max(mode[i].width());
                        next_w[i] = next_w[i].max(next[i].width());
                    }
                    Some(Looked { mode, next })
                }
                _ => None,
            })
            .collect();
        Made {
            rows,
            mode_w,
            next_w,
        }
    }
}

/// A rule's row: its mark and description (wrapped to `room`, or under 64 columns to the
/// screen with the mode and the next time below it), then the mode and the next time.
fn rule_row(
    app: &App,
    r: &crate::model::Rule,
    looked: &Looked,
    width: u16,
    room: usize,
    widths: (u16, u16),
) -> Row<'static> {
    let t = app.theme;
    let narrow = width < 64;
    let wide = width >= 100;
    let (mode, next) = (&looked.mode[wide as usize], &looked.next[narrow as usize]);
    let style = if r.enabled { Style::new() } else { t.dim() };
    let text = if narrow {
        let mut lines = crate::tui::widgets::wrap(&r.describe(), width.saturating_sub(4) as usize);
        lines.push(format!("{mode} · {next}"));
        lines
    } else {
        crate::tui::widgets::wrap(&r.describe(), room)
    };
    let mark = if r.enabled {
        Span::styled(" ✓ ", t.ok())
    } else {
        Span::styled(" ✗ ", t.dim())
    };
    let mut text = text.into_iter();
    let first = text.next().unwrap_or_default();
    let mut lines = vec![Line::from(vec![mark, Span::styled(first, style)])];
    let rest: Vec<String> = text.collect();
    let last = rest.len();
    lines.extend(rest.into_iter().enumerate().map(|(j, l)| {
        Line::styled(
            format!("   {l}"),
            if narrow && j + 1 == last {
                t.dim()
            } else {
                style
            },
        )
    }));
    let height = lines.len() as u16;
    let mut row = vec![Cell::from(ratatui::text::Text::from(lines))];
    if !narrow {
        // A MODE or NEXT wider than its column (both are capped) is cut with `…`.
        let cut =
            |text: &String, w: usize| clip_line(Line::from(Span::styled(text.clone(), style)), w);
        row.push(Cell::from(cut(mode, widths.0 as usize)));
        row.push(Cell::from(cut(next, widths.1 as usize)));
    }
    Row::new(row).height(height)
}

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    if app.session.config.numbers.is_empty() {
        f.render_widget(Line::raw(format!("  {}", tr!(T::TuiNoNumbers))), area);
        return;
    }
    let narrow = area.width < 64;
    let wide = area.width >= 100;
    let made = app.derived.rule_cells.0.get_or_init(|| Made::of(app));
    let (h_rule, h_mode, h_next) = (tr!(T::ColRule), tr!(T::ColMode), tr!(T::ColNext));
    let fit = |header: &str, widest: usize, max: u16| {
        (widest.max(unicode_width::UnicodeWidthStr::width(header)) as u16).clamp(4, max)
    };
    let mode_w = fit(&h_mode, made.mode_w[wide as usize], 24);
    let next_w = fit(&h_next, made.next_w[narrow as usize], 22);
    let widths = if narrow {
        vec![Constraint::Fill(1)]
    } else {
        vec![
            Constraint::Fill(1),
            Constraint::Length(mode_w),
            Constraint::Length(next_w),
        ]
    };
    // The first column's width as the table lays it out (spacing 2 between columns).
    let first_w = if narrow {
        area.width
    } else {
        area.width.saturating_sub(mode_w + next_w + 4)
    };
    // A description longer than its column wraps onto more lines rather than being cut.
    let room = area.width.saturating_sub(mode_w + next_w + 4 + 3) as usize;
    // Only the rows a frame can reach: from the first row shown or the selection (the
    // table scrolls back to it), to a screenful past the later of the two (every row is
    // at least a line high). The table sees them as all its rows, offsets shifted.
    let list = &app.tabs.rules;
    let all = &app.derived.rule_rows;
    let (offset, sel) = (list.offset.get(), list.sel);
    let lo = offset.min(sel).min(all.len().saturating_sub(1));
    let hi = (offset.max(sel) + area.height as usize + 1).min(all.len());
    let rows = all[lo..hi]
        .iter()
        .zip(&made.rows[lo..hi])
        .map(|(r, looked)| match (*r, looked) {
            (RuleRow::Rule(ni, ri), Some(looked)) => {
                let r = &app.session.config.numbers[ni].rules[ri];
                rule_row(app, r, looked, area.width, room, (mode_w, next_w))
            }
            (RuleRow::Empty(_), _) => Row::new(vec![Cell::from(Span::styled(
                format!("   {}", tr!(T::TuiNoRulesAdd)),
                t.dim(),
            ))]),
            (RuleRow::Number(ni), _) | (RuleRow::Rule(ni, _), None) => {
                let n = &app.session.config.numbers[ni];
                Row::new(vec![Cell::from(clip_line(
                    Line::from(Span::styled(format!("{} ({})", n.label, n.id), t.title())),
                    first_w as usize,
                ))])
            }
        });
    let header = if narrow {
        Row::new(vec![Cell::from(h_rule)])
    } else {
        Row::new(vec![
            Cell::from(h_rule),
            Cell::from(h_mode),
            Cell::from(h_next),
        ])
    };
    let table = Table::new(rows, widths)
        .header(header.style(t.header()))
        .row_highlight_style(t.selected())
        .column_spacing(2);

    let mut state = TableState::default()
        .with_selected(Some(sel - lo))
        .with_offset(offset - lo);
    f.render_stateful_widget(table, area, &mut state);
    list.offset.set(state.offset() + lo);
    list.page.set(area.height.saturating_sub(1) as usize);
}
