//! `baohao status`: one row a number, for people (a table) or machines (`--json`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::engine::{Attention, NumberStatus, agenda, forecast, number_statuses};
use crate::i18n::T;
use crate::session::Session;
use crate::text::format::{date, local_minute, money, rfc3339};
use crate::text::labels::attention_label;
use crate::text::table::{Align, Table, truncate, width};
use crate::tr;

/// Every configured number's status at `now`.
pub fn statuses(snap: &Session, now: DateTime<Utc>) -> Vec<NumberStatus> {
    let p = agenda(snap.state(), &snap.config, now);
    let f = forecast(snap.state(), &snap.config, now, 400);
    let mut out = number_statuses(snap.state(), &snap.config, now, &p, &f);
    if !snap.config.forwarders.is_empty() {
        let seen = crate::forwarder::seen::load(&snap.paths);
        crate::forwarder::seen::mark(&mut out, &snap.config, snap.state(), &seen, now);
    }
    out
}

pub fn json(snap: &Session, now: DateTime<Utc>) -> String {
    json_of(snap, &statuses(snap, now))
}

/// `status --json` from statuses already worked out.
pub fn json_of(snap: &Session, statuses: &[NumberStatus]) -> String {
    let tz = snap.config.timezone;
    let rows: Vec<Value> = snap
        .config
        .numbers
        .iter()
        .zip(statuses)
        .map(|(n, s)| {
            json!({
                "id": n.id,
                "label": n.label,
                "msisdn": n.msisdn,
                "carrier": n.carrier,
                "currency": n.currency.code(),
                "balance_minor": s.observed.map(|o| o.0),
                "expected_balance_minor": s.expected,
                "observed_at": s.observed.map(|o| rfc3339(o.1, tz)),
                "validity_until": s.validity.map(date),
                "inactive_on": s.inactive_on.map(date),
                "next": s.next.as_ref().map(|p| json!({
                    "at": rfc3339(p.at, tz),
                    "rule": p.rule,
                    "amount_minor": p.amount.minor,
                })),
                "in_doubt": s.in_doubt,
                "attention": s.attention.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
    s.push('\n');
    s
}

/// The table; phone numbers masked unless `show_numbers` (`--show-numbers`, or
/// `"mask_numbers": false` in the config), fitted to `width` cells (see [`width_limit`]).
pub fn human(
    snap: &Session,
    now: DateTime<Utc>,
    show_numbers: bool,
    width: Option<usize>,
) -> String {
    human_of(snap, &statuses(snap, now), show_numbers, width)
}

/// How many cells wide the table may be: none for `--wide`; else `COLUMNS` when it is set
/// (POSIX: the person's own choice overrides what the terminal reports); else the width of
/// the terminal standard output goes to; else (a pipe, a file) no limit, so scripts and
/// files get every column.
pub fn width_limit(wide: bool) -> Option<usize> {
    use std::io::IsTerminal;
    if wide {
        return None;
    }
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
    {
        return Some(c);
    }
    if std::io::stdout().is_terminal() {
        return crossterm::terminal::size()
            .ok()
            .map(|(c, _)| usize::from(c))
            .filter(|c| *c > 0);
    }
    None
}

/// A column of the table: header, alignment and cells.
struct Column {
    header: String,
    align: Align,
    cells: Vec<String>,
}

impl Column {
    fn new(header: T, align: Align, cells: Vec<String>) -> Column {
        Column {
            header: tr!(header),
            align,
            cells,
        }
    }

    /// Its width as the table will show it (cells cleaned and capped as [`Table::row`] does).
    fn width(&self) -> usize {
        self.cells
            .iter()
            .map(|c| {
                width(&crate::text::clean::cell(
                    c,
                    crate::text::clean::COLUMN_CELLS,
                ))
            })
            .chain([width(&self.header)])
            .max()
            .unwrap_or(0)
    }
}

/// Where each column stands, left to right.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Col {
    Id,
    Label,
    Msisdn,
    Balance,
    Validity,
    UseBy,
    Deadline,
    Next,
    Attention,
}

/// Days left as the TUI shows them (`5d`, `3d ago`).
fn days(d: i64) -> String {
    if d < 0 {
        tr!(T::DaysAgo, -d)
    } else {
        tr!(T::DaysShort, d)
    }
}

/// Chooses the columns that fit `limit`, as the TUI's Numbers list does: the id always,
/// then the key columns in the order they are kept longest (attention, the deadlines, the
/// next recharge, the balance), then the label and the phone number while they fit.
fn place(columns: &[(Col, Column)], keys: &[Col], limit: usize) -> (Vec<Col>, bool) {
    let w = |c: Col| {
        columns
            .iter()
            .find(|(k, _)| *k == c)
            .map_or(0, |(_, col)| col.width())
    };
    let mut used = w(Col::Id);
    let mut chosen = vec![Col::Id];
    let mut every_key = true;
    for &k in keys.iter().chain(&[Col::Label, Col::Msisdn]) {
        if used + 2 + w(k) <= limit {
            used += 2 + w(k);
            chosen.push(k);
        } else if keys.contains(&k) {
            every_key = false;
        }
    }
    chosen.sort();
    (chosen, every_key)
}

/// The columns that fit in `limit`, the key ones kept longest; when even they do not fit
/// in their wide forms, validity and use-by become one DEADLINE column and the next
/// recharge is shown by its day (`narrow` makes those two columns' cells).
fn choose(
    columns: &mut Vec<(Col, Column)>,
    limit: usize,
    narrow: impl FnOnce() -> (Vec<String>, Vec<String>),
) -> Vec<Col> {
    let wide = [
        Col::Attention,
        Col::Validity,
        Col::UseBy,
        Col::Next,
        Col::Balance,
    ];
    if let (chosen, true) = place(columns, &wide, limit) {
        return chosen;
    }
    // Narrower forms of the key columns, as the TUI's.
    let (deadline, next) = narrow();
    columns.retain(|(c, _)| !matches!(c, Col::Validity | Col::UseBy | Col::Next));
    columns.push((
        Col::Deadline,
        Column::new(T::ColNearest, Align::Left, deadline),
    ));
    columns.push((Col::Next, Column::new(T::ColNext, Align::Left, next)));
    columns.sort_by_key(|(c, _)| *c);
    let narrow = [Col::Attention, Col::Deadline, Col::Next, Col::Balance];
    place(columns, &narrow, limit).0
}

/// The balance read, and what baohao expects if that differs.
fn balance_cell(n: &crate::model::Number, s: &NumberStatus) -> String {
    match (s.observed, s.expected) {
        (Some((b, _)), Some(e)) if e != b => {
            format!("{} → {}", money(b, n.currency), money(e, n.currency))
        }
        (Some((b, _)), _) => money(b, n.currency),
        _ => "—".to_string(),
    }
}

/// A deadline's date with the days left.
fn date_left_cell(on: Option<chrono::NaiveDate>, left: Option<i64>) -> String {
    match (on, left) {
        (Some(v), Some(d)) => tr!(T::DateDaysLeft, date(v), d),
        _ => "—".to_string(),
    }
}

/// The next planned recharge: when (by its day when `short`), how much, `~` if estimated.
fn next_cell(s: &NumberStatus, tz: chrono_tz::Tz, short: bool) -> String {
    s.next
        .as_ref()
        .map(|p| {
            let at = if short {
                p.at.with_timezone(&tz).format("%m-%d").to_string()
            } else {
                local_minute(p.at, tz)
            };
            format!(
                "{at} {}{}",
                p.amount.display(),
                if p.estimated { " ~" } else { "" }
            )
        })
        .unwrap_or_else(|| "—".to_string())
}

/// The nearer deadline, saying which it is.
fn deadline_cell(s: &NumberStatus) -> String {
    let nearest = match (s.validity_days_left, s.inactive_days_left) {
        (Some(v), Some(u)) if u < v => Some((T::DeadlineUseBy, u)),
        (Some(v), _) => Some((T::DeadlineValid, v)),
        (None, Some(u)) => Some((T::DeadlineUseBy, u)),
        (None, None) => None,
    };
    nearest.map_or("—".to_string(), |(what, d)| tr!(what, days(d)))
}

/// What needs the person, or that all is well.
fn attention_cell(s: &NumberStatus) -> String {
    if s.attention.is_empty() {
        tr!(T::AttentionOk)
    } else {
        s.attention
            .iter()
            .map(|a| attention_label(*a))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The table from statuses already worked out. Every column when `width` is `None` or
/// the whole table fits; else the columns are dropped as the TUI drops them (the key ones
/// last), with validity and use-by as one DEADLINE column (the nearer, saying which) and
/// the next recharge by its day when both no longer fit; a line still too wide is cut
/// with `…`, never wrapped.
pub fn human_of(
    snap: &Session,
    statuses: &[NumberStatus],
    show_numbers: bool,
    width_limit: Option<usize>,
) -> String {
    let tz = snap.config.timezone;
    if snap.config.numbers.is_empty() {
        return tr!(T::StatusNoNumbers) + "\n";
    }
    let numbers = &snap.config.numbers;
    let each = |f: &dyn Fn(&crate::model::Number, &NumberStatus) -> String| -> Vec<String> {
        numbers.iter().zip(statuses).map(|(n, s)| f(n, s)).collect()
    };
    let balance = each(&balance_cell);
    let validity = each(&|_, s| date_left_cell(s.validity, s.validity_days_left));
    let use_by = each(&|_, s| date_left_cell(s.inactive_on, s.inactive_days_left));
    let next = |short: bool| each(&|_, s| next_cell(s, tz, short));
    let deadline = each(&|_, s| deadline_cell(s));
    let attention = each(&|_, s| attention_cell(s));
    let mut columns = vec![
        (
            Col::Id,
            Column::new(T::ColId, Align::Left, each(&|n, _| n.id.clone())),
        ),
        (
            Col::Label,
            Column::new(T::ColLabel, Align::Left, each(&|n, _| n.label.clone())),
        ),
        (
            Col::Msisdn,
            Column::new(
                T::ColMsisdn,
                Align::Left,
                each(&|n, _| {
                    if show_numbers {
                        n.msisdn.clone()
                    } else {
                        n.masked_msisdn()
                    }
                }),
            ),
        ),
        (
            Col::Balance,
            Column::new(T::ColBalance, Align::Right, balance),
        ),
        (
            Col::Validity,
            Column::new(T::ColValidity, Align::Left, validity),
        ),
        (Col::UseBy, Column::new(T::ColUseBy, Align::Left, use_by)),
        (Col::Next, Column::new(T::ColNext, Align::Left, next(false))),
        (
            Col::Attention,
            Column::new(T::ColAttention, Align::Left, attention),
        ),
    ];
    let every: Vec<Col> = columns.iter().map(|(c, _)| *c).collect();
    let chosen = match width_limit {
        None => every,
        Some(limit) => choose(&mut columns, limit, || (deadline, next(true))),
    };
    let shown: Vec<&Column> = columns
        .iter()
        .filter(|(c, _)| chosen.contains(c))
        .map(|(_, col)| col)
        .collect();
    let mut t = Table::new(
        &shown
            .iter()
            .map(|c| (c.header.clone(), c.align))
            .collect::<Vec<_>>(),
    );
    for i in 0..numbers.len() {
        t.row(shown.iter().map(|c| c.cells[i].clone()).collect());
    }
    let out = t.render();
    match width_limit {
        Some(limit) if out.lines().any(|l| width(l) > limit) => {
            out.lines().map(|l| truncate(l, limit) + "\n").collect()
        }
        _ => out,
    }
}

/// How one number's most pressing need reads in the one-line status.
fn need(s: &NumberStatus) -> Option<String> {
    let first = s.attention.iter().min()?;
    Some(match first {
        Attention::Expiring => match s.validity_days_left {
            Some(d) => tr!(T::BriefExpiresIn, d),
            None => attention_label(*first),
        },
        Attention::Inactive => match s.inactive_days_left {
            Some(d) => tr!(T::BriefUseWithin, d),
            None => attention_label(*first),
        },
        a => attention_label(*a),
    })
}

/// `status --brief`: one line of at most 80 columns. What needs the person, most pressing
/// first (`2 need you: giffgaff in doubt, hk expires in 5d`), or when nothing does, how many
/// numbers are fine and the next recharge (`4 numbers ok · next: cmcc ¥10.00 on 12-05`).
pub fn brief(snap: &Session, statuses: &[NumberStatus]) -> String {
    let tz = snap.config.timezone;
    let line = if snap.config.numbers.is_empty() {
        tr!(T::BriefNoNumbers)
    } else {
        let mut needy: Vec<(&Attention, String)> = statuses
            .iter()
            .filter_map(|s| {
                let first = s.attention.iter().min()?;
                Some((first, format!("{} {}", s.id, need(s)?)))
            })
            .collect();
        if needy.is_empty() {
            let count = if statuses.len() == 1 {
                tr!(T::BriefOneOk)
            } else {
                tr!(T::BriefManyOk, statuses.len())
            };
            let next = statuses
                .iter()
                .filter_map(|s| s.next.as_ref().map(|p| (s, p)))
                .min_by_key(|(_, p)| p.at);
            match next {
                Some((s, p)) => tr!(
                    T::BriefNext,
                    count,
                    s.id,
                    p.amount.display(),
                    p.at.with_timezone(&tz).format("%m-%d")
                ),
                None => tr!(T::BriefNothingPlanned, count),
            }
        } else {
            // Most pressing first; among equals, the config's order.
            needy.sort_by_key(|(a, _)| **a);
            let list: Vec<String> = needy.iter().map(|(_, t)| t.clone()).collect();
            tr!(T::BriefNeedYou, needy.len(), list.join(", "))
        }
    };
    truncate(&line, 80) + "\n"
}

#[cfg(test)]
mod tests {
    use crate::session::Session;

    /// `status` reads a state kept without executor references (they were most
    /// of its memory on a long log) and says exactly what it says from a full one.
    #[test]
    fn status_needs_no_references() {
        let home = crate::home::Home::open(true, None).unwrap();
        let now = crate::home::now().unwrap();
        let full = Session::open(home.paths.clone()).unwrap();
        let bare = Session::open_state_only(home.paths.clone()).unwrap();
        assert!(!bare.state().keeps_references());
        let referenced = full
            .state()
            .numbers
            .values()
            .flat_map(|n| n.keys())
            .filter(|k| k.attempts.iter().any(|a| a.reference.is_some()))
            .count();
        assert!(referenced > 0, "the demo has references to leave out");
        assert_eq!(super::json(&bare, now), super::json(&full, now));
        for show in [true, false] {
            assert_eq!(
                super::human(&bare, now, show, None),
                super::human(&full, now, show, None)
            );
        }
    }
}
