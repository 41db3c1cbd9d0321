//! A fuzz harness on stable Rust: a seeded generator (`fastrand`) feeds `arbitrary`, which
//! picks a hand-written seed input and mutates it (dictionary tokens, deletions, byte flips,
//! splices). Each target checks that nothing panics and that its invariants hold:
//!
//! - log line: the fast reader and serde_json agree; a parsed event writes and re-reads
//!   as itself;
//! - config: a loaded config renders and re-loads as itself;
//! - executor and provider answers: no panic; `succeeded` only from a clear, single answer;
//! - text cleaning: one line, no unsafe character, bounded size; CSV cells defused.
//!
//! Shared by `tests/fuzz.rs` (a short pass in every test run) and `examples/fuzz.rs` (the
//! long run: `cargo run --release --example fuzz -- --iterations 1000000`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use arbitrary::Unstructured;
use baohao::model::{Event, EventRef, OutcomeStatus};
use baohao::store::config;
use baohao::text::clean as text_clean;
use baohao::worker::process::{Finished, json_object};
use baohao::worker::{executor, provider};

/// Which input a target gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    LogLine,
    Config,
    Answer,
    Text,
    Import,
}

pub const TARGETS: [Target; 5] = [
    Target::LogLine,
    Target::Config,
    Target::Answer,
    Target::Text,
    Target::Import,
];

/// A failed check or a panic, with the input that caused it (to become a regression test).
#[derive(Debug)]
pub struct Finding {
    pub target: Target,
    pub iteration: u64,
    pub input: Vec<u8>,
    pub what: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} at iteration {}: {}\ninput (escaped): {:?}",
            self.target,
            self.iteration,
            self.what,
            String::from_utf8_lossy(&self.input)
        )
    }
}

const LOG_SEEDS: &[&str] = &[
    r#"{"v":1,"id":"01jx0a0b0c0d0e0f","at":"2026-11-25T09:00:00+08:00","number":"cmcc","type":"balance","balance_minor":1234,"currency":"CNY","validity_until":"2027-01-31","source":"provider"}"#,
    r#"{"v":1,"id":"i1","at":"2026-11-05T09:00:00Z","number":"cmcc","type":"intent","rule":"monthly","key":"monthly:2026-11","attempt":1,"amount_minor":1000,"currency":"CNY","mode":"auto"}"#,
    r#"{"v":1,"id":"o1","at":"2026-11-05T09:00:03Z","number":"cmcc","type":"outcome","intent":"i1","status":"succeeded","reference":"R-1"}"#,
    r#"{"v":1,"id":"o2","at":"2026-11-05T09:00:03Z","number":"cmcc","type":"outcome","intent":"i1","status":"unknown","error":"timed out"}"#,
    r#"{"v":1,"id":"m1","at":"2026-11-06T10:00:00-05:00","number":"us","type":"manual","amount_minor":500,"currency":"USD","note":"shop \u79fb"}"#,
    r#"{"v":1,"id":"r1","at":"2026-11-07T10:00:00Z","number":"cmcc","type":"resolved","intent":"i1","status":"failed","note":"checked"}"#,
    r#"{"v":1,"id":"a1","at":"2026-11-08T10:00:00Z","number":"uk","type":"activity"}"#,
    r#"{"v": 1, "id": "s1", "at": "2026-11-08T10:00:00Z", "number": "uk", "type": "activity", "note": "spaced"}"#,
    r#"{"v":1,"id":"f1","at":"2026-11-08T10:00:00Z","number":"uk","type":"future","x":[1,{"y":null}]}"#,
];

const CONFIG_SEEDS: &[&str] = &[
    r#"{
  "version": 1,
  "timezone": "Asia/Shanghai",
  "refresh_minutes": 60,
  "deadline_days": { "warn": 14, "urgent": 3 },
  "secret_env": ["CARRIER_API"],
  "notify": { "program": "/usr/bin/notify-send", "args": ["baohao"], "timeout_secs": 5, "events": ["recharge_failed"] },
  "numbers": [{
    "id": "cmcc", "label": "移动保号卡", "msisdn": "+8613800138000",
    "carrier": "China Mobile", "currency": "CNY",
    "plan": { "monthly_fee": "8.00", "validity_days": null, "keep_alive_days": 90 },
    "monthly_budget": "30.00", "verify_tolerance": 100,
    "provider": { "kind": "command", "program": "/usr/local/bin/cmcc", "args": ["--json"], "timeout_secs": 30 },
    "executor": { "kind": "remind" },
    "rules": [
      { "id": "monthly", "enabled": true, "mode": "remind", "amount": "10.00",
        "trigger": { "kind": "monthly", "day": 5, "at": "09:00" } },
      { "id": "last", "mode": "auto", "amount": 10, "max_per_month": 2,
        "trigger": { "kind": "monthly", "day": "last", "at": "23:59" } },
      { "id": "low", "enabled": false, "mode": "auto", "amount": "20.00",
        "trigger": { "kind": "low_balance", "below": "5.00", "cooldown_hours": 24 } },
      { "id": "exp", "mode": "auto", "amount": "5", "trigger": { "kind": "before_expiry", "days": 3 } },
      { "id": "alive", "mode": "auto", "amount": "1", "trigger": { "kind": "keep_alive", "every_days": 80 } }
    ]
  }, {
    "id": "uk", "label": "giffgaff", "msisdn": "+447700900123", "currency": "GBP",
    "provider": { "kind": "manual" }, "executor": { "kind": "demo" }
  }]
}"#,
    r#"{"version":1,"numbers":[]}"#,
];

const ANSWER_SEEDS: &[&str] = &[
    r#"{"status":"succeeded","reference":"R-1"}"#,
    r#"{"status":"failed","error":"card declined"}"#,
    r#"{"status":"unknown"}"#,
    r#"{"balance":"12.34","currency":"GBP","validity_until":"2027-01-31"}"#,
    r#"{"balance":1234,"currency":"CNY"}"#,
    "",
    "not json",
];

const TEXT_SEEDS: &[&str] = &[
    "plain",
    "移动保号卡",
    "=HYPERLINK(\"http://x\")",
    "a\u{202E}b\u{2066}c\u{1b}[2J\r\nd",
    "say “quoted” and \"quoted\" and 「引」",
];

const IMPORT_SEEDS: &[&str] = &[
    include_str!("../tests/fixtures/import/alipay.csv"),
    include_str!("../tests/fixtures/import/wechat.csv"),
    include_str!("../tests/fixtures/import/generic.csv"),
    include_str!("../tests/fixtures/import/sms.txt"),
    include_str!("../tests/fixtures/import/termux.json"),
    include_str!("../tests/fixtures/import/mmcli.json"),
    include_str!("../tests/fixtures/import/gateway.json"),
];

const IMPORT_CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
  {"id":"cmcc","label":"移动","msisdn":"+8613800138000","carrier":"China Mobile","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"gg","label":"giffgaff","msisdn":"+447700900123","carrier":"giffgaff","currency":"GBP",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}}],
  "import":{"csv":{"date":"Date","amount":"Amount","description":"Details","reference":"Ref","date_format":"%d/%m/%Y"}}}"#;

/// Tokens worth inserting: JSON syntax, field names, odd numbers and characters.
const DICTIONARY: &[&str] = &[
    "\"",
    "\\",
    ",",
    ":",
    "{",
    "}",
    "[",
    "]",
    " ",
    "\n",
    "\r",
    "\t",
    "null",
    "true",
    "-0",
    "0",
    "-1",
    "1e5",
    "1.5",
    "18446744073709551616",
    "-9223372036854775808",
    "9223372036854775807",
    "\"status\":\"failed\"",
    "\"status\":\"succeeded\",",
    "\"v\":1,",
    "\"id\":\"x\",",
    "\"amount_minor\":",
    "\"balance_minor\":",
    "\"attempt\":",
    "\"type\":\"intent\",",
    "\\u0000",
    "\\ud800",
    "\\u202e",
    "\u{202E}",
    "\u{2066}",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "移",
    "=",
    "+",
    "@",
    "\"rules\":[]",
    "\"day\":31",
    "\"day\":\"last\"",
    "\"timezone\":\"Europe/London\"",
    "\"currency\":\"XXX\"",
    "\"amount\":\"1e3\"",
    "\"at\":\"24:00\"",
    "2026-02-29",
    "2026-13-01T00:00:00Z",
    "+14:00",
    "Z",
];

fn seeds(t: Target) -> &'static [&'static str] {
    match t {
        Target::LogLine => LOG_SEEDS,
        Target::Config => CONFIG_SEEDS,
        Target::Answer => ANSWER_SEEDS,
        Target::Text => TEXT_SEEDS,
        Target::Import => IMPORT_SEEDS,
    }
}

/// One input for `t`: a seed, mutated a few times, as `u` decides.
pub fn input(t: Target, u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let pool = seeds(t);
    let mut b = pool[u.choose_index(pool.len())?].as_bytes().to_vec();
    let rounds = u.int_in_range(0..=6u8)?;
    for _ in 0..rounds {
        let at = if b.is_empty() {
            0
        } else {
            u.choose_index(b.len() + 1)?
        };
        match u.int_in_range(0..=5u8)? {
            0 => {
                let tok = DICTIONARY[u.choose_index(DICTIONARY.len())?].as_bytes();
                b.splice(at..at, tok.iter().copied());
            }
            1 if at < b.len() => {
                let len = u.int_in_range(1..=8usize)?.min(b.len() - at);
                b.drain(at..at + len);
            }
            2 if at < b.len() => b[at] ^= 1 << u.int_in_range(0..=7u8)?,
            3 if at < b.len() => {
                let len = u.int_in_range(1..=32usize)?.min(b.len() - at);
                let copy = b[at..at + len].to_vec();
                b.splice(at..at, copy);
            }
            4 => {
                let other = pool[u.choose_index(pool.len())?].as_bytes();
                let from = u.choose_index(other.len().max(1))?.min(other.len());
                b.splice(at..at, other[from..].iter().copied());
            }
            _ => {
                let raw: Vec<u8> = u.arbitrary()?;
                b.splice(at..at, raw.into_iter().take(16));
            }
        }
    }
    Ok(b)
}

/// Checks one input against target `t`'s invariants. `Err` says which failed.
pub fn check(t: Target, input: &[u8]) -> Result<(), String> {
    match t {
        Target::LogLine => check_log_line(input),
        Target::Config => check_config(input),
        Target::Answer => check_answer(input),
        Target::Text => check_text(input),
        Target::Import => check_import(input),
    }
}

fn check_log_line(line: &[u8]) -> Result<(), String> {
    let fast = EventRef::parse_ref(line).map(|o| o.map(EventRef::into_owned));
    let serde = EventRef::parse_ref_serde(line).map(|o| o.map(EventRef::into_owned));
    if fast != serde {
        return Err(format!("fast reader {fast:?} != serde {serde:?}"));
    }
    if let Ok(Some(mut e)) = fast {
        let again = Event::parse_line(e.to_line().as_bytes());
        // baohao writes whole seconds (its own events are stamped so); a fraction written
        // by another tool is read, and not kept if baohao ever writes the event again.
        e.at = chrono::Timelike::with_nanosecond(&e.at, 0).unwrap_or(e.at);
        if again.as_ref() != Ok(&Some(e.clone())) {
            return Err(format!("{e:?} re-read as {again:?}"));
        }
    }
    Ok(())
}

fn check_config(text: &[u8]) -> Result<(), String> {
    match config::parse(text) {
        Ok(c) => {
            let rendered = config::render(&c);
            match config::parse(rendered.as_bytes()) {
                Ok(again) if again == c => Ok(()),
                other => Err(format!("rendered config re-loads as {other:?}")),
            }
        }
        Err(problems) if problems.is_empty() => Err("refused without a problem".into()),
        Err(problems) => {
            for p in &problems {
                let msg = text_clean::message(&p.render(std::path::Path::new("config.json")));
                if msg.contains('\n') {
                    return Err(format!("a message with a line break: {msg:?}"));
                }
            }
            Ok(())
        }
    }
}

fn check_answer(stdout: &[u8]) -> Result<(), String> {
    for (code, timed_out) in [(Some(0), false), (Some(1), false), (None, true)] {
        let f = Finished {
            code,
            timed_out,
            stopped: false,
            stdout: stdout.to_vec(),
            stdout_cut: false,
            // As `command::run` leaves it: cleaned.
            stderr: baohao::worker::process::clean(&String::from_utf8_lossy(stdout)),
        };
        let a = executor::parse_recharge(&f);
        if a.status == OutcomeStatus::Succeeded {
            let clear = !timed_out
                && json_object(stdout)
                    .is_some_and(|o| o.get("status").and_then(|s| s.as_str()) == Some("succeeded"));
            if !clear {
                return Err(format!("succeeded from an unclear answer: {a:?}"));
            }
        }
        if timed_out && a.status != OutcomeStatus::Unknown {
            return Err(format!("a timed-out recharge is {:?}", a.status));
        }
        for s in [&a.reference, &a.error].into_iter().flatten() {
            if s.chars().any(|c| c.is_control()) {
                return Err(format!("control character kept: {s:?}"));
            }
        }
        let _ = provider::parse_balance(&f, number());
    }
    Ok(())
}

fn number() -> &'static baohao::model::Number {
    static NUMBER: std::sync::OnceLock<baohao::model::Number> = std::sync::OnceLock::new();
    NUMBER.get_or_init(|| {
        let c = config::parse(CONFIG_SEEDS[0].as_bytes()).expect("the seed config is valid");
        c.numbers[1].clone()
    })
}

fn check_import(b: &[u8]) -> Result<(), String> {
    use baohao::import::{Format, Options, read};
    static CONFIG: std::sync::OnceLock<baohao::model::Config> = std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| config::parse(IMPORT_CONFIG.as_bytes()).expect("valid"));
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00+08:00").expect("a time");
    for format in [
        None,
        Some(Format::Alipay),
        Some(Format::Csv),
        Some(Format::Sms),
    ] {
        let options = Options {
            format,
            ..Options::default()
        };
        match read(config, std::io::Cursor::new(b.to_vec()), &options, now) {
            Ok(reading) => {
                for e in &reading.events {
                    // What an import adds must be a line the log reads back as itself.
                    let again = Event::parse_line(e.to_line().as_bytes());
                    let mut whole = e.clone();
                    whole.at = chrono::Timelike::with_nanosecond(&whole.at, 0).unwrap_or(whole.at);
                    if again != Ok(Some(whole)) {
                        return Err(format!("imported {e:?} re-reads as {again:?}"));
                    }
                }
            }
            Err(e) if e.message.is_empty() => return Err("refused without a reason".into()),
            Err(_) => {}
        }
    }
    Ok(())
}

fn check_text(b: &[u8]) -> Result<(), String> {
    let s = String::from_utf8_lossy(b);
    let m = text_clean::message(&s);
    if m.chars().any(text_clean::is_unsafe) || m.chars().count() > text_clean::MESSAGE_CHARS {
        return Err(format!("message {m:?}"));
    }
    let cell = text_clean::cell(&s, 12);
    let w = unicode_width::UnicodeWidthStr::width(cell.as_str());
    if w > 12 || cell.chars().any(text_clean::is_unsafe) {
        return Err(format!("cell {cell:?} is {w} wide"));
    }
    let csv = text_clean::csv_text(&s);
    if csv.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        return Err(format!("csv cell {csv:?}"));
    }
    Ok(())
}

/// Runs `iterations` inputs per target from `seed`; stops at the first finding.
pub fn run(iterations: u64, seed: u64, mut progress: impl FnMut(u64)) -> Result<(), Finding> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut buf = vec![0u8; 512];
    for i in 0..iterations {
        for t in TARGETS {
            rng.fill(&mut buf);
            let mut u = Unstructured::new(&buf);
            let Ok(input) = input(t, &mut u) else {
                continue;
            };
            let outcome = catch_unwind(AssertUnwindSafe(|| check(t, &input)));
            let what = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(what)) => what,
                Err(p) => format!(
                    "panic: {}",
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                ),
            };
            return Err(Finding {
                target: t,
                iteration: i,
                input,
                what,
            });
        }
        if i % 100_000 == 0 {
            progress(i);
        }
    }
    Ok(())
}
