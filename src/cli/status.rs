//! `baohao status`: one row a number, for people (a table) or machines (`--json`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::engine::{NumberStatus, agenda, forecast, number_status};
use crate::i18n::T;
use crate::session::Session;
use crate::text::format::{date, local_minute, money, rfc3339};
use crate::text::table::{Align, Table};
use crate::tr;

/// Every configured number's status at `now`.
pub fn statuses(snap: &Session, now: DateTime<Utc>) -> Vec<NumberStatus> {
    let p = agenda(snap.state(), &snap.config, now);
    let f = forecast(snap.state(), &snap.config, now, 400);
    snap.config
        .numbers
        .iter()
        .map(|n| number_status(snap.state(), &snap.config, n, now, &p, &f))
        .collect()
}

pub fn json(snap: &Session, now: DateTime<Utc>) -> String {
    let tz = snap.config.timezone;
    let rows: Vec<Value> = snap
        .config
        .numbers
        .iter()
        .zip(statuses(snap, now))
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
    for (n, s) in snap.config.numbers.iter().zip(statuses(snap, now)) {
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
