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
use crate::tui::widgets::{fit, when};

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

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme;
    if app.session.config.numbers.is_empty() {
        f.render_widget(Line::raw(format!("  {}", tr!(T::TuiNoNumbers))), area);
        return;
    }
    let narrow = area.width < 64;
    let wide = area.width >= 100;
    let index = Index::of(app);
    // Cells first, so that columns can fit what they hold.
    let cells: Vec<(Vec<String>, String, String, bool)> = app
        .derived
        .rule_rows
        .iter()
        .map(|r| match *r {
            RuleRow::Number(ni) => {
                let n = &app.session.config.numbers[ni];
                (
                    vec![format!("{} ({})", n.label, n.id)],
                    String::new(),
                    String::new(),
                    true,
                )
            }
            RuleRow::Empty(_) => (
                vec![format!("   {}", tr!(T::TuiNoRulesAdd))],
                String::new(),
                String::new(),
                false,
            ),
            RuleRow::Rule(ni, ri) => {
                let r = &app.session.config.numbers[ni].rules[ri];
                let mode = if wide {
                    format!("{} · {}", r.mode.label(), r.id)
                } else {
                    r.mode.label()
                };
                let next = next_of(app, &index, ni, ri, narrow);
                let text = if narrow {
                    let mut lines = crate::tui::widgets::wrap(
                        &r.describe(),
                        area.width.saturating_sub(4) as usize,
                    );
                    lines.push(format!("{mode} · {next}"));
                    lines
                } else {
                    // Wrapped below, once the other columns' widths are known.
                    vec![r.describe()]
                };
                (text, mode, next, r.enabled)
            }
        })
        .collect();
    let (h_rule, h_mode, h_next) = (tr!(T::ColRule), tr!(T::ColMode), tr!(T::ColNext));
    let mode_w = fit(&h_mode, cells.iter().map(|c| c.1.as_str()), 4, 24);
    let next_w = fit(&h_next, cells.iter().map(|c| c.2.as_str()), 4, 22);
    let widths = if narrow {
        vec![Constraint::Fill(1)]
    } else {
        vec![
            Constraint::Fill(1),
            Constraint::Length(mode_w),
            Constraint::Length(next_w),
        ]
    };
    // A description longer than its column wraps onto more lines rather than being cut.
    let room = area.width.saturating_sub(mode_w + next_w + 4 + 3) as usize;
    let cells: Vec<_> = cells
        .into_iter()
        .zip(&app.derived.rule_rows)
        .map(|((text, mode, next, on), r)| match r {
            RuleRow::Rule(..) if !narrow => {
                (crate::tui::widgets::wrap(&text[0], room), mode, next, on)
            }
            _ => (text, mode, next, on),
        })
        .collect();
    let rows = app
        .derived
        .rule_rows
        .iter()
        .zip(&cells)
        .map(|(r, (text, mode, next, on))| {
            let style = if *on { Style::new() } else { t.dim() };
            match r {
                RuleRow::Number(_) => {
                    Row::new(vec![Cell::from(Span::styled(text[0].clone(), t.title()))])
                }
                RuleRow::Empty(_) => {
                    Row::new(vec![Cell::from(Span::styled(text[0].clone(), t.dim()))])
                }
                RuleRow::Rule(..) => {
                    let mark = if *on {
                        Span::styled(" ✓ ", t.ok())
                    } else {
                        Span::styled(" ✗ ", t.dim())
                    };
                    let mut lines =
                        vec![Line::from(vec![mark, Span::styled(text[0].clone(), style)])];
                    let last = text.len() - 1;
                    lines.extend(text[1..].iter().enumerate().map(|(j, l)| {
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
                        row.push(Cell::from(Span::styled(mode.clone(), style)));
                        row.push(Cell::from(Span::styled(next.clone(), style)));
                    }
                    Row::new(row).height(height)
                }
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

    crate::tui::widgets::render_table(
        &app.tabs.rules,
        f,
        area,
        table,
        TableState::default().with_selected(Some(app.tabs.rules.sel)),
    );
}
