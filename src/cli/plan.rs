//! `baohao plan`: upcoming recharges and what they will cost, per currency.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::cli::PlanArgs;
use crate::engine::forecast::MAX_DAYS;
use crate::engine::{Forecast, forecast};
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::session::Session;
use crate::text::export;
use crate::text::format::{local_minute, money, rfc3339};
use crate::text::table::{Align, Table};
use crate::tr;

pub const DEFAULT_DAYS: i64 = 30;

pub fn days(arg: Option<i64>) -> Result<u32> {
    let d = arg.unwrap_or(DEFAULT_DAYS);
    if d < 0 || d > MAX_DAYS as i64 {
        return Err(Error::input(tr!(T::BadDays, d, MAX_DAYS)));
    }
    Ok(d as u32)
}

pub fn json(f: &Forecast, snap: &Session) -> String {
    let tz = snap.config.timezone;
    let v: Vec<Value> = f
        .items
        .iter()
        .map(|p| {
            json!({
                "number": p.number,
                "rule": p.rule,
                "at": rfc3339(p.at, tz),
                "amount_minor": p.amount.minor,
                "currency": p.amount.currency.code(),
                "mode": p.mode.as_str(),
                "estimated": p.estimated,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

pub fn human(f: &Forecast, snap: &Session, days: u32) -> String {
    let tz = snap.config.timezone;
    let mut out = String::new();
    if f.items.is_empty() {
        out.push_str(&tr!(T::PlanEmpty, days));
        out.push('\n');
        return out;
    }
    let mut t = Table::new(&[
        (tr!(T::ColTime), Align::Left),
        (tr!(T::ColNumber), Align::Left),
        (tr!(T::ColLabel), Align::Left),
        (tr!(T::ColRule), Align::Left),
        (tr!(T::ColAmount), Align::Right),
        (tr!(T::ColMode), Align::Left),
    ]);
    for p in &f.items {
        let label = snap
            .config
            .number(&p.number)
            .map(|n| n.label.clone())
            .unwrap_or_default();
        let time = format!(
            "{}{}",
            local_minute(p.at, tz),
            if p.estimated { " ~" } else { "" }
        );
        t.row(vec![
            time,
            p.number.clone(),
            label,
            p.rule.clone(),
            p.amount.display(),
            p.mode.label(),
        ]);
    }
    out.push_str(&t.render());
    out.push('\n');
    // Cost per month and currency, when the plan spans more than one month.
    let by_month = f.by_month(tz);
    let months: std::collections::BTreeSet<_> = by_month.keys().map(|(m, _)| *m).collect();
    if months.len() > 1 {
        let currencies: std::collections::BTreeSet<_> = by_month.keys().map(|(_, c)| *c).collect();
        let mut headers = vec![(tr!(T::TuiMonth), Align::Left)];
        headers.extend(
            currencies
                .iter()
                .map(|c| (c.code().to_string(), Align::Right)),
        );
        let mut t = Table::new(&headers);
        for m in &months {
            let mut row = vec![m.to_string()];
            row.extend(currencies.iter().map(|c| {
                by_month
                    .get(&(*m, *c))
                    .map_or("·".to_string(), |v| money(*v, *c))
            }));
            t.row(row);
        }
        out.push_str(&t.render());
        out.push('\n');
    }
    let totals: Vec<String> = f.totals().into_iter().map(|(c, m)| money(m, c)).collect();
    out.push_str(&tr!(T::PlanTotal, days, totals.join(" · ")));
    out.push('\n');
    if f.items.iter().any(|p| p.estimated) {
        out.push_str(&tr!(T::PlanEstimatedNote));
        out.push('\n');
    }
    out
}

pub fn run(snap: &Session, args: &PlanArgs, now: DateTime<Utc>) -> Result<String> {
    let days = days(args.days)?;
    let f = forecast(snap.state(), &snap.config, now, days);
    Ok(if args.json {
        json(&f, snap)
    } else if args.ical {
        export::ical(&f.items, &snap.config, now)
    } else {
        human(&f, snap, days)
    })
}
