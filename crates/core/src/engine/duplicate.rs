//! Charged twice? One number's possible duplicates, each named once, for every face that
//! must say it (`import`, `status`, the Numbers badge, the notifier). Pure: read from the
//! state and a reconciliation judged at the same `now`.

use chrono::{DateTime, Duration, Utc};

use crate::engine::reconcile::Reconciliation;
use crate::engine::state::NumberState;
use crate::engine::verify::DUPLICATE_HOURS;
use crate::model::Currency;

/// One recharge that looks charged twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// Names it, so it is said once: the expected recharge's key, else its first record's
    /// event id, else the later top-up's time and amount.
    pub key: String,
    /// When the money went in (the first record's time, or the later top-up's).
    pub at: DateTime<Utc>,
    pub amount_minor: i64,
    pub currency: Currency,
    /// The records that show it (statement rows or texts), oldest first: their event ids
    /// and references. Empty when a balance rise or two top-ups baohao saw show it.
    pub ids: Vec<String>,
    pub references: Vec<String>,
    /// The expected recharge it concerns (an index into the number's keys), if any.
    pub expected: Option<u32>,
}

/// Every possible duplicate of the number `ns` (in `currency`), oldest first.
pub fn duplicates(ns: &NumberState, recon: &Reconciliation, currency: Currency) -> Vec<Duplicate> {
    let mut out = Vec::new();
    let mut by_time: Vec<usize> = (0..ns.evidence.len())
        .filter(|&i| recon.evidence.get(i).is_some_and(|v| v.possible_duplicate))
        .collect();
    by_time.sort_by_key(|&i| (ns.evidence[i].at, i));
    // Records of one expected recharge.
    for v in recon.keys.iter().filter(|v| v.possible_duplicate) {
        let Some(ks) = ns.key_at(v.key) else { continue };
        let rows: Vec<usize> = by_time
            .iter()
            .copied()
            .filter(|&i| recon.evidence[i].key == Some(v.key))
            .collect();
        let at = rows
            .first()
            .map(|&i| ns.evidence[i].at)
            .or_else(|| ks.first_at());
        let Some(at) = at else { continue };
        out.push(Duplicate {
            key: ks.key.to_string(),
            at,
            amount_minor: ks.amount_minor,
            currency: ks.currency,
            ids: rows
                .iter()
                .map(|&i| ns.evidence[i].id.to_string())
                .collect(),
            references: rows
                .iter()
                .map(|&i| ns.evidence[i].reference.to_string())
                .collect(),
            expected: Some(v.key),
        });
    }
    // Records nobody expected, grouped by source and amount (the reconciliation flagged
    // only those within a day of one another).
    let mut loose: Vec<usize> = by_time
        .iter()
        .copied()
        .filter(|&i| recon.evidence[i].key.is_none())
        .collect();
    while let Some(first) = loose.first().copied() {
        let f = &ns.evidence[first];
        let (same, rest): (Vec<usize>, Vec<usize>) = loose.iter().partition(|&&i| {
            let e = &ns.evidence[i];
            e.source == f.source && e.amount == f.amount && e.currency == f.currency
        });
        loose = rest;
        // One group for each run a day apart at most.
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for i in same {
            let at = ns.evidence[i].at;
            match groups.last_mut() {
                Some(g)
                    if g.last().is_some_and(|&p| {
                        at - ns.evidence[p].at <= Duration::hours(DUPLICATE_HOURS)
                    }) =>
                {
                    g.push(i)
                }
                _ => groups.push(vec![i]),
            }
        }
        for g in groups {
            let f = &ns.evidence[g[0]];
            out.push(Duplicate {
                key: f.id.to_string(),
                at: f.at,
                amount_minor: f.amount,
                currency: f.currency,
                ids: g.iter().map(|&i| ns.evidence[i].id.to_string()).collect(),
                references: g
                    .iter()
                    .map(|&i| ns.evidence[i].reference.to_string())
                    .collect(),
                expected: None,
            });
        }
    }
    // Two top-ups baohao saw (made by its rules or recorded by hand).
    for c in ns.verify.checks().filter(|c| c.possible_duplicate) {
        let Some(at) = DateTime::from_timestamp(c.at, 0) else {
            continue;
        };
        out.push(Duplicate {
            key: format!("{}:{}", c.at, c.amount),
            at,
            amount_minor: c.amount,
            currency,
            ids: Vec::new(),
            references: Vec::new(),
            expected: None,
        });
    }
    out.sort_by_key(|d| d.at);
    out
}
