//! `baohao modems`: the modems ModemManager sees and which number each serves. Nothing is
//! sent to a modem here; it only reads ModemManager's properties.

use crate::i18n::T;
use crate::model::Config;
use crate::modem::{Bus, ModemInfo};
use crate::text::table::{Align, Table};
use crate::tr;
use crate::{Error, Result};

/// The modems, each with the ids of the numbers whose `modem.match` picks it.
pub fn list(config: Option<&Config>) -> Result<Vec<(ModemInfo, Vec<String>)>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::input(e.to_string()))?;
    let modems = rt
        .block_on(async { Bus::connect().await?.modems().await })
        .map_err(|e| Error::input(e.to_string()))?;
    let numbers = config.map(|c| c.numbers.as_slice()).unwrap_or_default();
    Ok(modems
        .into_iter()
        .map(|m| {
            let serves = numbers
                .iter()
                .filter(|n| n.modem.as_ref().is_some_and(|mm| mm.matches(m.ids())))
                .map(|n| n.id.clone())
                .collect();
            (m, serves)
        })
        .collect())
}

pub fn json(rows: &[(ModemInfo, Vec<String>)]) -> String {
    let arr: Vec<serde_json::Value> = rows
        .iter()
        .map(|(m, serves)| {
            let mut v = serde_json::to_value(m).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("numbers".into(), serde_json::json!(serves));
            }
            v
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&arr).unwrap_or_default();
    s.push('\n');
    s
}

pub fn human(rows: &[(ModemInfo, Vec<String>)]) -> String {
    if rows.is_empty() {
        return format!("{}\n", tr!(T::ModemsNone));
    }
    let dash = || "—".to_string();
    let mut t = Table::new(&[
        (tr!(T::ModemsColModem), Align::Left),
        (tr!(T::ModemsColImei), Align::Left),
        ("IMSI".to_string(), Align::Left),
        ("ICCID".to_string(), Align::Left),
        (tr!(T::ModemsColOperator), Align::Left),
        (tr!(T::ModemsColSignal), Align::Right),
        (tr!(T::ModemsColState), Align::Left),
        (tr!(T::ModemsColNumbers), Align::Left),
    ]);
    for (m, serves) in rows {
        let name = [m.manufacturer.as_deref(), m.model.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        t.row(vec![
            if name.is_empty() {
                m.path.clone()
            } else {
                name
            },
            m.equipment_id.clone().unwrap_or_else(dash),
            m.imsi.clone().unwrap_or_else(dash),
            m.iccid.clone().unwrap_or_else(dash),
            m.operator.clone().unwrap_or_else(dash),
            m.signal.map(|s| format!("{s}%")).unwrap_or_else(dash),
            m.state.clone(),
            if serves.is_empty() {
                dash()
            } else {
                serves.join(", ")
            },
        ]);
    }
    t.render()
}
