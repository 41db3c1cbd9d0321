//! Carrier presets: starting points (a plan and suggested rules) kept in one data file,
//! `presets/presets.json`, compiled in. Listed by `baohao presets`, offered by the TUI.

use serde::Deserialize;

use crate::i18n::{Lang, lang};
use crate::model::{Currency, Number, Plan, Rule};
use crate::store::config::{FileAction, FileNumber, FilePlan, FileRule, number_from_file};

const PRESETS: &str = include_str!("../../presets/presets.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePresets {
    #[allow(dead_code)]
    version: u32,
    presets: Vec<FilePreset>,
    /// Text and USSD reply patterns per carrier: read by `import::sms`.
    #[allow(dead_code)]
    #[serde(default)]
    reply_patterns: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    en: String,
    zh: String,
}

impl Text {
    fn get(&self) -> &str {
        match lang() {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePreset {
    id: String,
    name: Text,
    carrier: String,
    currency: String,
    plan: FilePlan,
    notes: Text,
    rules: Vec<FileRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preset {
    pub id: String,
    pub name: String,
    pub notes: String,
    pub carrier: String,
    pub currency: Currency,
    pub plan: Plan,
    pub rules: Vec<Rule>,
}

/// Every preset, in the current language. A broken data file gives none (a test keeps it whole).
pub fn all() -> Vec<Preset> {
    let Ok(file) = serde_json::from_str::<FilePresets>(PRESETS) else {
        return Vec::new();
    };
    file.presets
        .iter()
        .filter_map(|p| {
            let number = FileNumber {
                id: p.id.clone(),
                label: p.name.get().to_string(),
                msisdn: "+10000000000".to_string(),
                carrier: p.carrier.clone(),
                currency: p.currency.clone(),
                plan: p.plan.clone(),
                monthly_budget: None,
                verify_tolerance: None,
                provider: FileAction {
                    kind: "manual".into(),
                    program: None,
                    args: None,
                    timeout_secs: None,
                    ..FileAction::default()
                },
                executor: FileAction {
                    kind: "remind".into(),
                    program: None,
                    args: None,
                    timeout_secs: None,
                    ..FileAction::default()
                },
                rules: p.rules.clone(),
                reply_patterns: Vec::new(),
                modem: None,
                forwarder: None,
            };
            let n: Number = number_from_file(&number).ok()?;
            Some(Preset {
                id: p.id.clone(),
                name: p.name.get().to_string(),
                notes: p.notes.get().to_string(),
                carrier: n.carrier,
                currency: n.currency,
                plan: n.plan,
                rules: n.rules,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_preset_in_the_data_file_is_valid() {
        let file: super::FilePresets = serde_json::from_str(super::PRESETS).unwrap();
        assert_eq!(super::all().len(), file.presets.len());
        assert!(super::all().len() >= 6);
    }
}
