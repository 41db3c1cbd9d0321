//! `baohao status`: one row a number, for people (a table) or machines (`--json`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::engine::{Attention, NumberStatus, agenda, forecast, number_statuses};
use crate::i18n::T;
use crate::session::Session;
use crate::text::format::{date, local_minute, money, rfc3339};
use crate::text::labels::attention_label;
use crate::text::table::{Align, Table, truncate};
use crate::tr;

/// Every configured number's status at `now`.
pub fn statuses(snap: &Session, now: DateTime<Utc>) -> Vec<NumberStatus> {
    let p = agenda(snap.state(), &snap.config, now);
    let f = forecast(snap.state(), &snap.config, now, 400);
    number_statuses(snap.state(), &snap.config, now, &p, &f)
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
/// `"mask_numbers": false` in the config).
pub fn human(snap: &Session, now: DateTime<Utc>, show_numbers: bool) -> String {
    human_of(snap, &statuses(snap, now), show_numbers)
}

/// The table from statuses already worked out.
pub fn human_of(snap: &Session, statuses: &[NumberStatus], show_numbers: bool) -> String {
    let tz = snap.config.timezone;
    if snap.config.numbers.is_empty() {
        return tr!(T::StatusNoNumbers) + "\n";
    }
    let mut t = Table::new(&[
        (tr!(T::ColId), Align::Left),
        (tr!(T::ColLabel), Align::Left),
        (tr!(T::ColMsisdn), Align::Left),
        (tr!(T::ColBalance), Align::Right),
        (tr!(T::ColValidity), Align::Left),
        (tr!(T::ColUseBy), Align::Left),
        (tr!(T::ColNext), Align::Left),
        (tr!(T::ColAttention), Align::Left),
    ]);
    for (n, s) in snap.config.numbers.iter().zip(statuses) {
        let balance = match (s.observed, s.expected) {
            (Some((b, _)), Some(e)) if e != b => {
                format!("{} → {}", money(b, n.currency), money(e, n.currency))
            }
            (Some((b, _)), _) => money(b, n.currency),
            _ => "—".to_string(),
        };
        let validity = match (s.validity, s.validity_days_left) {
            (Some(v), Some(d)) => tr!(T::DateDaysLeft, date(v), d),
            _ => "—".to_string(),
        };
        let use_by = match (s.inactive_on, s.inactive_days_left) {
            (Some(v), Some(d)) => tr!(T::DateDaysLeft, date(v), d),
            _ => "—".to_string(),
        };
        let next = s
            .next
            .as_ref()
            .map(|p| {
                format!(
                    "{} {}{}",
                    local_minute(p.at, tz),
                    p.amount.display(),
                    if p.estimated { " ~" } else { "" }
                )
            })
            .unwrap_or_else(|| "—".to_string());
        let attention = if s.attention.is_empty() {
            tr!(T::AttentionOk)
        } else {
            s.attention
                .iter()
                .map(|a| crate::text::labels::attention_label(*a))
                .collect::<Vec<_>>()
                .join(", ")
        };
        t.row(vec![
            n.id.clone(),
            n.label.clone(),
            if show_numbers {
                n.msisdn.clone()
            } else {
                n.masked_msisdn()
            },
            balance,
            validity,
            use_by,
            next,
            attention,
        ]);
    }
    t.render()
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

    /// `status` reads a state kept without executor references (issue 11: they were most
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
                super::human(&bare, now, show),
                super::human(&full, now, show)
            );
        }
    }
}
