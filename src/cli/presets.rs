//! `presets`: the carrier starting points, as a table or JSON.

use serde_json::json;

use crate::home::presets::all;
use crate::i18n::T;
use crate::text::table::{Align, Table};
use crate::tr;

pub fn human() -> String {
    let mut t = Table::new(&[
        (tr!(T::ColId), Align::Left),
        (tr!(T::ColPreset), Align::Left),
        (tr!(T::ColRules), Align::Left),
    ]);
    for p in all() {
        let rules: Vec<String> = p.rules.iter().map(|r| r.describe()).collect();
        t.row(vec![p.id.clone(), p.name.clone(), rules.join("; ")]);
    }
    t.render()
}

pub fn json() -> String {
    let v: Vec<_> = all()
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "notes": p.notes,
                "carrier": p.carrier,
                "currency": p.currency.code(),
                "monthly_fee": p.plan.monthly_fee.map(|m| m.decimal()),
                "validity_days": p.plan.validity_days,
                "keep_alive_days": p.plan.keep_alive_days,
                "rules": p.rules.iter().map(|r| serde_json::to_value(crate::store::config::rule_to_file(r)).unwrap_or_default()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
