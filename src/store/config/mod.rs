//! config.json: the strict file form, validation with a path for every problem, and the
//! atomic save that never overwrites a change another process made since it was read.

mod file;
mod forwarders;
mod history;
mod locate;
mod problem;
mod strict;
mod validate;

pub use file::*;
pub use history::{check_save, history_problems};
pub use locate::line_of_path;
pub use problem::{Problem, is_slug};
pub use validate::*;

use std::fs::OpenOptions;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::Config;
use crate::store::paths::Paths;
use crate::store::{fsutil, swap};
use crate::tr;

// ---------------------------------------------------------------- load and save

/// What the file held when it was read, to notice another process's change before saving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: usize,
    hash: u64,
}

impl Stamp {
    pub fn of(bytes: &[u8]) -> Stamp {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        Stamp {
            len: bytes.len(),
            hash: h.finish(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    pub stamp: Stamp,
}

/// Reads and validates the config; the error is one sentence (the first problem, and a
/// pointer to `baohao validate` when there are more).
pub fn load(paths: &Paths) -> Result<Loaded> {
    let bytes = match fsutil::read_regular(&paths.config, true) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::input(tr!(T::NoConfig, paths.config.display())));
        }
        Err(e) => return Err(Error::io(T::WhatRead, &paths.config, &e)),
    };
    let stamp = Stamp::of(&bytes);
    match parse(&bytes) {
        Ok(config) => Ok(Loaded { config, stamp }),
        Err(problems) => Err(problems_error(&paths.config, &problems)),
    }
}

pub fn problems_error(file: &Path, problems: &[Problem]) -> Error {
    let mut msg = problems.first().map(|p| p.render(file)).unwrap_or_default();
    if problems.len() > 1 {
        msg.push(' ');
        msg.push_str(&tr!(T::CfgMoreProblems, problems.len() - 1));
    }
    Error::input(msg)
}

/// Saves `config` if the file still holds what `expected` stamped (or is absent and
/// `expected` is `None`). On a change by someone else: `ErrorKind::Conflict`, file untouched.
/// `now` dates a number the file did not have (its `since`): the store reads no clock.
pub fn save(
    paths: &Paths,
    config: &Config,
    expected: Option<Stamp>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Stamp> {
    save_as_written(paths, config, expected, now).map(|(stamp, _)| stamp)
}

/// [`save`], also returning the config as written (with each number's `since` filled in),
/// which is what a face should hold from then on.
pub fn save_as_written(
    paths: &Paths,
    config: &Config,
    expected: Option<Stamp>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Stamp, Config)> {
    paths.ensure_dirs()?;
    let lock = fsutil::open_regular(
        &paths.config_lock,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600),
        false,
    )
    .map_err(|e| Error::io(T::WhatOpen, &paths.config_lock, &e))?;
    lock.lock()
        .map_err(|e| Error::io(T::WhatLock, &paths.config_lock, &e))?;
    let on_disk = match std::fs::read(&paths.config) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(T::WhatRead, &paths.config, &e)),
    };
    let current = on_disk.as_deref().map(Stamp::of);
    if current != expected {
        return Err(Error::conflict(tr!(T::CfgConflict, paths.config.display())));
    }
    // A number with history keeps its currency (the log decides what "history" is).
    let before = on_disk.as_deref().and_then(|b| parse(b).ok());
    check_save(paths, before.as_ref(), config)?;
    let today = crate::engine::calendar::local_date(config.timezone, now);
    let config = with_since(config, before.as_ref(), today);
    let text = render(&config);
    // The lock keeps baohao's own writers in turn; an outside editor that takes no lock
    // is handled by the checked exchange: its change is never overwritten unseen.
    let swapped = swap::replace_checked(&paths.config, text.as_bytes(), |now| {
        now.map(Stamp::of) == expected
    })
    .map_err(|e| Error::io(T::WhatWrite, &paths.config, &e))?;
    match swapped {
        swap::Swapped::Done => Ok((Stamp::of(text.as_bytes()), config)),
        swap::Swapped::Conflict => {
            Err(Error::conflict(tr!(T::CfgConflict, paths.config.display())))
        }
    }
}

/// `config` with each number's `since`: kept from the file when the saver did not set it
/// (a face that does not know the field must not drop it), and today for a number the
/// file did not have (it was just added: counting starts now, see `engine::start`).
fn with_since(config: &Config, before: Option<&Config>, today: chrono::NaiveDate) -> Config {
    let mut out = config.clone();
    for n in out.numbers.iter_mut().filter(|n| n.since.is_none()) {
        n.since = match before.and_then(|b| b.number(&n.id)) {
            Some(old) => old.since,
            None => Some(today),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-20 23:30 UTC: already the 21st in Shanghai.
    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 20, 23, 30, 0).unwrap()
    }

    #[test]
    fn a_new_number_counts_from_the_day_the_saver_gives_in_the_config_zone() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_home(dir.path());
        let mut c = parse(GOOD.as_bytes()).unwrap();
        for n in &mut c.numbers {
            n.since = None;
        }
        let (_, written) = save_as_written(&paths, &c, None, now()).unwrap();
        let want = chrono::NaiveDate::from_ymd_opt(2026, 11, 21);
        assert!(
            written.numbers.iter().all(|n| n.since == want),
            "{written:?}"
        );
        assert!(
            load(&paths)
                .unwrap()
                .config
                .numbers
                .iter()
                .all(|n| n.since == want)
        );
    }

    const GOOD: &str = r#"{
  "version": 1,
  "timezone": "Asia/Shanghai",
  "refresh_minutes": 60,
  "numbers": [{
    "id": "cmcc", "label": "移动保号卡", "msisdn": "+8613800138000",
    "carrier": "China Mobile", "currency": "CNY",
    "plan": { "monthly_fee": "8.00", "validity_days": null, "keep_alive_days": null },
    "monthly_budget": "30.00",
    "provider": { "kind": "command", "program": "/usr/local/bin/cmcc-balance", "args": ["--json"], "timeout_secs": 30 },
    "executor": { "kind": "remind" },
    "rules": [
      { "id": "monthly", "enabled": true, "mode": "remind", "amount": "10.00",
        "trigger": { "kind": "monthly", "day": 5, "at": "09:00" } },
      { "id": "low", "enabled": true, "mode": "auto", "amount": "20.00",
        "trigger": { "kind": "low_balance", "below": "5.00", "cooldown_hours": 24 } }
    ]
  }]
}"#;

    fn problems(text: &str) -> Vec<Problem> {
        parse(text.as_bytes()).expect_err("should be refused")
    }

    #[test]
    fn the_design_example_parses_and_round_trips() {
        let c = parse(GOOD.as_bytes()).unwrap();
        assert_eq!(c.numbers[0].rules.len(), 2);
        assert_eq!(c.numbers[0].plan.monthly_fee.unwrap().minor, 800);
        let again = parse(render(&c).as_bytes()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn since_and_mask_numbers_round_trip() {
        let text = GOOD
            .replace(
                "\"carrier\": \"China Mobile\",",
                "\"carrier\": \"China Mobile\", \"since\": \"2026-11-20\",",
            )
            .replace(
                "\"refresh_minutes\": 60,",
                "\"refresh_minutes\": 60, \"mask_numbers\": false,",
            );
        let c = parse(text.as_bytes()).unwrap();
        assert_eq!(
            c.numbers[0].since,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
        );
        assert!(!c.mask_numbers);
        let out = render(&c);
        assert!(out.contains("\"since\": \"2026-11-20\""), "{out}");
        assert_eq!(parse(out.as_bytes()).unwrap(), c);
        assert!(parse(GOOD.as_bytes()).unwrap().mask_numbers);
    }

    #[test]
    fn unknown_field_is_named_with_its_path() {
        let bad = GOOD.replace("\"below\": \"5.00\"", "\"belw\": \"5.00\"");
        let p = problems(&bad);
        assert_eq!(p[0].path, "numbers[0].rules[1].trigger.belw");
        assert!(p[0].message.contains("belw"), "{:?}", p[0]);
        assert_eq!(p[0].line, Some(16));
        let bad = GOOD.replace("\"refresh_minutes\"", "\"refresh_minute\"");
        assert!(problems(&bad)[0].message.contains("refresh_minute"));
    }

    #[test]
    fn each_refusal_names_its_place() {
        let cases = [
            ("\"10.00\"", "\"10.005\"", "numbers[0].rules[0].amount"),
            ("+8613800138000", "+86 call me", "numbers[0].msisdn"),
            ("Asia/Shanghai", "Asia/Shangai", "timezone"),
            (
                "\"day\": 5",
                "\"day\": 32",
                "numbers[0].rules[0].trigger.day",
            ),
            ("\"09:00\"", "\"9am\"", "numbers[0].rules[0].trigger.at"),
            (
                "\"id\": \"low\"",
                "\"id\": \"monthly\"",
                "numbers[0].rules[1].id",
            ),
            (
                "\"mode\": \"auto\"",
                "\"mode\": \"often\"",
                "numbers[0].rules[1].mode",
            ),
            (
                "\"kind\": \"remind\"",
                "\"kind\": \"remind\", \"program\": \"x\"",
                "numbers[0].executor.program",
            ),
            (
                "\"currency\": \"CNY\"",
                "\"currency\": \"XXX\"",
                "numbers[0].currency",
            ),
            ("\"30.00\"", "\"-30\"", "numbers[0].monthly_budget"),
            (
                "\"cooldown_hours\": 24",
                "\"cooldown_hours\": 24, \"day\": 3",
                "numbers[0].rules[1].trigger.day",
            ),
        ];
        for (from, to, path) in cases {
            let bad = GOOD.replacen(from, to, 1);
            assert_ne!(bad, GOOD, "{from}");
            let p = problems(&bad);
            assert!(p.iter().any(|p| p.path == path), "{path}: {p:?}");
            assert!(p.iter().all(|p| p.line.is_some()), "{p:?}");
        }
    }

    #[test]
    fn lines_are_found_for_paths() {
        let t = GOOD.as_bytes();
        assert_eq!(line_of_path(t, "timezone"), Some(3));
        assert_eq!(line_of_path(t, "numbers[0].msisdn"), Some(6));
        assert_eq!(line_of_path(t, "numbers[0].rules[1].amount"), Some(15));
        assert_eq!(
            line_of_path(t, "numbers[0].rules[1].trigger.below"),
            Some(16)
        );
        assert_eq!(
            line_of_path(t, "numbers[0].rules[1].trigger.nothing"),
            Some(16)
        );
        assert_eq!(line_of_path(t, "numbers[0].provider.args[0]"), Some(10));
    }

    #[test]
    fn float_amounts_and_broken_json_are_refused_clearly() {
        let p = problems(&GOOD.replace("\"10.00\"", "10.5"));
        assert_eq!(p[0].path, "numbers[0].rules[0].amount");
        assert!(p[0].message.contains("strings"));
        let p = problems(&GOOD[..200]);
        assert!(p[0].line.is_some());
        assert!(parse(GOOD.replace("\"10.00\"", "10").as_bytes()).is_ok());
    }

    #[test]
    fn duplicate_numbers_are_refused() {
        let c = parse(GOOD.as_bytes()).unwrap();
        let mut file = to_file(&c);
        file.numbers.push(file.numbers[0].clone());
        let text = serde_json::to_string(&file).unwrap();
        assert!(problems(&text).iter().any(|p| p.path == "numbers[1].id"));
    }

    #[test]
    fn save_refuses_a_new_currency_for_a_number_with_history() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_home(dir.path());
        std::fs::write(&paths.config, GOOD).unwrap();
        let loaded = load(&paths).unwrap();
        let mut c = loaded.config.clone();
        c.numbers[0].currency = crate::model::Currency::new("JPY").unwrap();
        // No history yet: the currency may change.
        std::fs::write(&paths.log, "").unwrap();
        let stamp = save(&paths, &c, Some(loaded.stamp), now()).unwrap();
        // Once the log holds a CNY reading, going back to CNY is fine but JPY→KRW is not.
        std::fs::write(
            &paths.log,
            "{\"v\":1,\"id\":\"b\",\"at\":\"2026-11-01T00:00:00Z\",\"number\":\"cmcc\",\"type\":\"balance\",\"balance_minor\":500,\"currency\":\"JPY\"}\n",
        )
        .unwrap();
        let mut k = c.clone();
        k.numbers[0].currency = crate::model::Currency::new("KRW").unwrap();
        let err = save(&paths, &k, Some(stamp), now()).unwrap_err();
        assert!(err.message.contains("keeps JPY"), "{}", err.message);
        assert!(err.message.contains("new number"), "{}", err.message);
        assert!(
            std::fs::read_to_string(&paths.config)
                .unwrap()
                .contains("JPY")
        );
    }

    #[test]
    fn a_saved_new_number_starts_today_and_a_known_since_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_home(dir.path());
        let text = GOOD.replace(
            "\"carrier\": \"China Mobile\",",
            "\"carrier\": \"China Mobile\", \"since\": \"2026-01-02\",",
        );
        std::fs::write(&paths.config, &text).unwrap();
        let loaded = load(&paths).unwrap();
        let mut c = loaded.config.clone();
        // A face that does not know `since` drops it, and adds a number.
        c.numbers[0].since = None;
        let mut added = c.numbers[0].clone();
        added.id = "new".into();
        c.numbers.push(added);
        let (_, written) = save_as_written(&paths, &c, Some(loaded.stamp), now()).unwrap();
        let again = load(&paths).unwrap().config;
        assert_eq!(again, written);
        assert_eq!(
            again.numbers[0].since,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
        );
        assert!(
            again.numbers[1].since.is_some(),
            "a new number starts counting when added"
        );
    }

    #[test]
    fn save_refuses_to_overwrite_a_change_made_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_home(dir.path());
        std::fs::write(&paths.config, GOOD).unwrap();
        let loaded = load(&paths).unwrap();
        let mut c = loaded.config.clone();
        c.refresh_minutes = 30;
        let stamp = save(&paths, &c, Some(loaded.stamp), now()).unwrap();
        assert_eq!(load(&paths).unwrap().config.refresh_minutes, 30);
        std::fs::write(&paths.config, render(&loaded.config).replace("30", "45")).unwrap();
        c.refresh_minutes = 15;
        let err = save(&paths, &c, Some(stamp), now()).unwrap_err();
        assert_eq!(err.kind, crate::error::ErrorKind::Conflict);
        assert!(
            std::fs::read_to_string(&paths.config)
                .unwrap()
                .contains("45")
        );
    }
}
