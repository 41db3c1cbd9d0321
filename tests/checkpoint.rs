//! The verified checkpoint: a state restored from it and the rest of the log
//! replayed is the state of a full replay; a checkpoint that does not match its log (a log
//! changed anywhere before its offset, cut, swapped for another home's; a checkpoint torn,
//! altered or sealed by another home) is never used, and what is read instead is a full
//! replay; a SIGKILL while one is written leaves the old one or the new one.

mod common;

use std::path::Path;

use baohao::engine::{History, Keep, State};
use baohao::model::{Currency, Event, EventBody, Mode, OutcomeStatus, ResolvedStatus};
use baohao::session::Session;
use baohao::store::checkpoint::{self, Found};
use baohao::store::{Cursor, Log, Paths};
use chrono::{DateTime, Duration, Utc};
use common::{checkpoint_after, demo_home, run};

const NOW: &str = "2026-12-20T12:00:00Z";

fn tz(home: &Path) -> chrono_tz::Tz {
    baohao::store::config::load(&Paths::in_home(home))
        .unwrap()
        .config
        .timezone
}

/// The state of a full state-only replay of HOME's log, as a checkpoint would write it.
fn replayed(home: &Path) -> Vec<u8> {
    let mut h = History::new(State::new(tz(home)), Keep::StateOnly);
    Log::new(Paths::in_home(home).log)
        .scan_ref(Cursor::default(), |e| h.apply(&e, None))
        .unwrap();
    h.state().canonical_bytes()
}

/// The state a reader starts with (from the checkpoint when it holds) and what it said.
fn opened(home: &Path) -> (Vec<u8>, Vec<String>) {
    let mut s = Session::open_state_only(Paths::in_home(home)).unwrap();
    (s.state().canonical_bytes(), s.take_problems())
}

fn held(home: &Path) -> bool {
    matches!(
        checkpoint::load(&Paths::in_home(home), tz(home)),
        Found::Held(_)
    )
}

/// The demo home with a tail of every kind of event appended: intents of each mode, a
/// keep-alive text, outcomes with references and errors, resolutions (one that stops
/// retries), dismissals, reminders settled by top-ups and uses, notifications,
/// statements with refunds (one before its order), texts kept, a bad line, an event type
/// from a newer version, a CRLF line and a line with escapes.
fn rich_home(rounds: i64) -> tempfile::TempDir {
    let home = demo_home();
    let numbers = [
        ("cmcc", "CNY"),
        ("giffgaff", "GBP"),
        ("hk", "HKD"),
        ("us", "USD"),
    ];
    let start: DateTime<Utc> = "2026-12-10T00:00:00Z".parse().unwrap();
    let lines = std::cell::RefCell::new(Vec::new());
    let mut seq = 0;
    let mut ev = |number: &str, body: EventBody| {
        seq += 1;
        let e = Event {
            id: format!("rich{seq:06}"),
            at: (start + Duration::minutes(37 * seq)).fixed_offset(),
            number: number.to_string(),
            body,
        };
        lines.borrow_mut().push(e.to_line());
        e.id
    };
    for round in 0..rounds {
        for (i, (n, c)) in numbers.iter().enumerate() {
            let currency = Currency::new(c).unwrap();
            let s = |t: &str| t.to_string();
            ev(
                n,
                EventBody::Balance {
                    balance_minor: 1000 + round * 7 + i as i64,
                    currency,
                    validity_until: (round % 3 == 0).then(|| "2027-03-01".parse().unwrap()),
                    source: s(if round % 5 == 0 { "sms" } else { "provider" }),
                },
            );
            let mode = [Mode::Auto, Mode::Remind, Mode::External][(round as usize + i) % 3];
            let intent = ev(
                n,
                EventBody::Intent {
                    rule: format!("rule{}", i % 2),
                    key: format!("k-{round}-{i}"),
                    attempt: 1,
                    amount_minor: 500 + i as i64,
                    currency,
                    mode,
                    action: (round % 7 == 3).then_some(baohao::model::IntentAction::Sms),
                },
            );
            match (mode, round % 4) {
                (Mode::Auto, 0) => {
                    ev(
                        n,
                        EventBody::Outcome {
                            intent: intent.clone(),
                            status: OutcomeStatus::Succeeded,
                            reference: Some(format!("ref-{round}-{i}-{}", "x".repeat(40))),
                            error: None,
                        },
                    );
                }
                (Mode::Auto, 1) => {
                    ev(
                        n,
                        EventBody::Outcome {
                            intent: intent.clone(),
                            status: OutcomeStatus::Failed,
                            reference: None,
                            error: Some(s("HTTP 502")),
                        },
                    );
                    ev(
                        n,
                        EventBody::Intent {
                            rule: format!("rule{}", i % 2),
                            key: format!("k-{round}-{i}"),
                            attempt: 2,
                            amount_minor: 500 + i as i64,
                            currency,
                            mode,
                            action: None,
                        },
                    );
                }
                (Mode::Auto, 2) => {
                    ev(
                        n,
                        EventBody::Outcome {
                            intent: intent.clone(),
                            status: OutcomeStatus::Unknown,
                            reference: None,
                            error: Some(s("timed out")),
                        },
                    );
                    ev(
                        n,
                        EventBody::Resolved {
                            intent: intent.clone(),
                            status: ResolvedStatus::Failed,
                            note: Some(s("checked")),
                            retry: round % 8 != 2,
                        },
                    );
                }
                (Mode::Remind, 0) => {
                    ev(
                        n,
                        EventBody::Manual {
                            amount_minor: 500,
                            currency,
                            note: Some(s("at the shop")),
                            intent: Some(intent.clone()),
                        },
                    );
                }
                (Mode::Remind, 1) => {
                    ev(
                        n,
                        EventBody::Dismissed {
                            intent: intent.clone(),
                            reason: s("by_hand"),
                            note: None,
                        },
                    );
                }
                (Mode::Remind, _) => {
                    ev(
                        n,
                        EventBody::Activity {
                            note: Some(s("called")),
                            intent: Some(intent.clone()),
                        },
                    );
                }
                (Mode::External, r) => {
                    let reference = format!("order-{round}-{i}");
                    if r == 3 {
                        // A refund imported before its order.
                        ev(
                            n,
                            EventBody::Statement {
                                source: s("alipay"),
                                reference: format!("refund-{round}-{i}"),
                                amount_minor: -(500 + i as i64),
                                currency,
                                text: s("退款"),
                                refund_of: Some(reference.clone()),
                            },
                        );
                    }
                    ev(
                        n,
                        EventBody::Statement {
                            source: s(if r == 1 { "sms" } else { "alipay" }),
                            reference: reference.clone(),
                            amount_minor: 500 + i as i64,
                            currency,
                            text: s("话费充值"),
                            refund_of: None,
                        },
                    );
                    if r == 2 {
                        ev(
                            n,
                            EventBody::Statement {
                                source: s("alipay"),
                                reference: format!("refund-{round}-{i}"),
                                amount_minor: -(500 + i as i64),
                                currency,
                                text: s("退款"),
                                refund_of: Some(reference),
                            },
                        );
                    }
                }
                _ => {}
            }
            ev(
                n,
                EventBody::Notified {
                    event: intent,
                    key: format!("alert-{round}"),
                },
            );
            if round % 6 == 5 {
                ev(
                    n,
                    EventBody::Message {
                        source: s("modem"),
                        from: Some(s("10086")),
                        text: s("您的话费余额为 12.00 元"),
                    },
                );
            }
        }
        if round == rounds / 4 {
            lines
                .borrow_mut()
                .push("{\"v\":1,\"id\":\"bad\",\"type\":\"balance\"}".to_string());
            lines.borrow_mut().push(
                "{\"v\":1,\"id\":\"future\",\"at\":\"2026-12-11T00:00:00Z\",\"number\":\"hk\",\"type\":\"from_a_newer_version\"}"
                    .to_string(),
            );
        }
        if round == rounds / 2 {
            let crlf = ev(
                "hk",
                EventBody::Activity {
                    note: Some("crlf".into()),
                    intent: None,
                },
            );
            let _ = crlf;
            if let Some(last) = lines.borrow_mut().last_mut() {
                last.push('\r');
            }
            ev(
                "us",
                EventBody::Activity {
                    note: Some("a \"quoted\" note\twith escapes\n".into()),
                    intent: None,
                },
            );
        }
    }
    let log = Paths::in_home(home.path()).log;
    let mut text = std::fs::read_to_string(&log).unwrap();
    for l in lines.into_inner() {
        text.push_str(&l);
        text.push('\n');
    }
    std::fs::write(&log, text).unwrap();
    home
}

fn tick(home: &Path) {
    let o = run(home, NOW, &["tick"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The test that catches a field the checkpoint forgot: on a log of every kind of event,
/// a state restored from a checkpoint taken after any line, with the rest replayed, is
/// byte for byte the state of a full replay.
#[test]
fn a_restored_state_is_the_replayed_state_after_every_line() {
    let home = rich_home(40);
    let h = home.path();
    let full = replayed(h);
    let lines = std::fs::read(Paths::in_home(h).log)
        .unwrap()
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    assert!(lines > 400, "{lines}");
    for n in (0..=lines).step_by(7).chain([lines - 1, lines]) {
        checkpoint_after(h, n);
        assert!(held(h), "a checkpoint after {n} lines holds");
        let (state, said) = opened(h);
        assert!(state == full, "a checkpoint after {n} of {lines} lines");
        // The bad line is said again, from the checkpoint as from the log.
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains(":"), "{said:?}");
    }
    // Through the binary: status, plan and validate agree with and without it.
    let with = |args: &[&str]| run(h, NOW, args);
    checkpoint_after(h, lines - 40);
    let status = with(&["status", "--json"]);
    let plan = with(&["plan", "--json"]);
    let v = with(&["validate"]);
    let vtext = String::from_utf8_lossy(&v.stdout).to_string();
    assert!(
        vtext.contains("equals a full replay"),
        "{vtext}{}",
        String::from_utf8_lossy(&v.stderr)
    );
    let rebuilt = with(&["validate", "--rebuild"]);
    assert!(String::from_utf8_lossy(&rebuilt.stdout).contains("removed"));
    assert!(!checkpoint::path(&Paths::in_home(h)).exists());
    assert_eq!(with(&["status", "--json"]).stdout, status.stdout);
    assert_eq!(with(&["plan", "--json"]).stdout, plan.stdout);
    assert!(String::from_utf8_lossy(&with(&["validate"]).stdout).contains("none yet"));
}

#[test]
fn the_worker_writes_one_after_a_pass_and_readers_start_from_it() {
    let home = demo_home();
    let h = home.path();
    let paths = Paths::in_home(h);
    assert!(!checkpoint::path(&paths).exists());
    tick(h);
    assert!(held(h));
    // 0600, beside the log, and so is its key.
    use std::os::unix::fs::PermissionsExt;
    for f in [checkpoint::path(&paths), checkpoint::key_path(&paths)] {
        let mode = std::fs::metadata(&f).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", f.display());
    }
    let after = run(h, NOW, &["status", "--json"]);
    assert!(
        after.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    // What it shows is what a full replay shows.
    let kept = std::fs::read(checkpoint::path(&paths)).unwrap();
    std::fs::remove_file(checkpoint::path(&paths)).unwrap();
    let replayed_status = run(h, NOW, &["status", "--json"]);
    assert_eq!(
        String::from_utf8_lossy(&after.stdout),
        String::from_utf8_lossy(&replayed_status.stdout)
    );
    std::fs::write(checkpoint::path(&paths), kept).unwrap();
    assert!(held(h));
    // Nothing new read: nothing written; the log moved: written anew.
    let mut s = Session::open_state_only(paths.clone()).unwrap();
    assert!(!s.write_checkpoint().unwrap());
    let o = run(h, NOW, &["activity", "hk"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    s.catch_up().unwrap();
    assert!(s.write_checkpoint().unwrap());
    let (cursor, _) = s.covered();
    match checkpoint::load(&paths, tz(h)) {
        Found::Held(r) => assert_eq!(r.cursor, cursor),
        _ => panic!("the new checkpoint does not hold"),
    }
    // An append by someone else: readers replay the tail on top of it.
    let o = run(h, NOW, &["record", "hk", "50"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(opened(h).0, replayed(h));
    // Bounded: no larger than the state it holds.
    let size = std::fs::metadata(checkpoint::path(&paths)).unwrap().len();
    assert!(
        size < std::fs::metadata(&paths.log).unwrap().len(),
        "{size}"
    );
}

/// A tiny deterministic generator (xorshift), so a failure names its case.
struct Rnd(u64);

impl Rnd {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The log changed before the checkpoint's offset at 1,000 random places: a byte
/// changed, a line removed, a line duplicated, the file cut. Never used; what a reader
/// starts from is a full replay of the log as it now is; said once, in both languages.
#[test]
fn a_log_changed_before_its_offset_at_a_thousand_places_is_never_used() {
    let home = rich_home(8);
    let h = home.path();
    let paths = Paths::in_home(h);
    let log = std::fs::read(&paths.log).unwrap();
    let total_lines = log.iter().filter(|b| **b == b'\n').count();
    let mut rnd = Rnd(0x9E37_79B9_7F4A_7C15);
    let mut kinds = [0usize; 4];
    for case in 0..1000 {
        let lines_in = total_lines / 2 + rnd.below(total_lines / 2 + 1);
        std::fs::write(&paths.log, &log).unwrap();
        let offset = checkpoint_after(h, lines_in) as usize;
        let starts: Vec<usize> = std::iter::once(0)
            .chain(
                log.iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .filter(|s| *s < offset)
            .collect();
        let kind = case % 4;
        let mut changed = log.clone();
        match kind {
            0 => {
                let at = rnd.below(offset);
                changed[at] ^= 1 + rnd.below(255) as u8;
            }
            1 => {
                let i = rnd.below(starts.len());
                let end = starts.get(i + 1).copied().unwrap_or(offset);
                changed.drain(starts[i]..end);
            }
            2 => {
                // A line whose copy lands before the offset (the last line's copy would
                // land at the offset, leaving the covered bytes as they were).
                let i = rnd.below(starts.len() - 1);
                let line = log[starts[i]..starts[i + 1]].to_vec();
                let at = starts[i + 1];
                changed.splice(at..at, line);
            }
            _ => changed.truncate(rnd.below(offset)),
        }
        kinds[kind] += 1;
        std::fs::write(&paths.log, &changed).unwrap();
        assert!(
            !held(h),
            "case {case} (kind {kind}): a changed log was accepted"
        );
        let (state, said) = opened(h);
        assert!(state == replayed(h), "case {case} (kind {kind})");
        assert!(
            said.iter().any(|s| s.contains("does not match the log")),
            "case {case}: {said:?}"
        );
    }
    assert_eq!(kinds, [250; 4]);
    // The binary says it once on stderr, in Chinese too, then (the checkpoint gone until
    // the next pass) no more.
    std::fs::write(&paths.log, &log).unwrap();
    checkpoint_after(h, total_lines - 3);
    let mut edited = log.clone();
    edited[100] ^= 0x20;
    std::fs::write(&paths.log, &edited).unwrap();
    let o = run(h, NOW, &["--lang", "zh", "status"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("与日志不符"), "{err}");
    let o = run(h, NOW, &["status"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("checkpoint"));
}

/// Another home's log swapped in, another home's checkpoint copied in, a checkpoint
/// without this home's key: none is used, and each reads as a full replay.
#[test]
fn another_homes_log_or_checkpoint_is_never_used() {
    let (a, b) = (demo_home(), demo_home());
    let (pa, pb) = (Paths::in_home(a.path()), Paths::in_home(b.path()));
    let o = run(
        b.path(),
        NOW,
        &["record", "hk", "50", "--note", "only in b"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    tick(a.path());
    tick(b.path());
    assert!(held(a.path()) && held(b.path()));
    // B's log in A.
    let a_log = std::fs::read(&pa.log).unwrap();
    std::fs::copy(&pb.log, &pa.log).unwrap();
    assert!(!held(a.path()));
    assert_eq!(opened(a.path()).0, replayed(a.path()));
    std::fs::write(&pa.log, &a_log).unwrap();
    // B's checkpoint (sealed with B's key) in A, beside A's own log and key.
    tick(a.path());
    std::fs::copy(checkpoint::path(&pb), checkpoint::path(&pa)).unwrap();
    assert!(!held(a.path()));
    // A's log and checkpoint into B, but B's key: the seal is B's no more.
    tick(a.path());
    std::fs::copy(&pa.log, &pb.log).unwrap();
    std::fs::copy(checkpoint::path(&pa), checkpoint::path(&pb)).unwrap();
    assert!(!held(b.path()));
    assert_eq!(opened(b.path()).0, replayed(b.path()));
    // No key at all.
    tick(a.path());
    std::fs::remove_file(checkpoint::key_path(&pa)).unwrap();
    assert!(!held(a.path()));
}

/// A checkpoint cut at every length, with any byte changed, or crafted (a header that
/// claims more of the log, another version): never used, never a panic.
#[test]
fn a_torn_or_crafted_checkpoint_is_never_used() {
    let home = rich_home(20);
    let h = home.path();
    let paths = Paths::in_home(h);
    tick(h);
    let full = replayed(h);
    let good = std::fs::read(checkpoint::path(&paths)).unwrap();
    assert!(held(h));
    let file = checkpoint::path(&paths);
    let mut rnd = Rnd(77);
    for len in (0..good.len()).step_by(good.len() / 300 + 1) {
        std::fs::write(&file, &good[..len]).unwrap();
        assert!(!held(h), "cut at {len} of {}", good.len());
    }
    for _ in 0..300 {
        let mut bad = good.clone();
        let at = rnd.below(bad.len());
        bad[at] ^= 1 << rnd.below(8);
        std::fs::write(&file, &bad).unwrap();
        assert!(!held(h), "byte {at} changed");
    }
    // Trailing bytes after the seal.
    let mut longer = good.clone();
    longer.push(0);
    std::fs::write(&file, &longer).unwrap();
    assert!(!held(h));
    // Through the binary: the result is a full replay.
    std::fs::write(&file, &good[..good.len() / 2]).unwrap();
    let (state, said) = opened(h);
    assert!(state == full);
    assert!(said.iter().any(|s| s.contains("cut short")), "{said:?}");
}

/// A checkpoint that holds (this home's, over this log) but whose state is not what the
/// log folds into, as a bug in baohao could write: `validate` finds it and says so.
#[test]
fn validate_reports_a_checkpoint_whose_state_differs_from_a_replay() {
    let home = demo_home();
    let h = home.path();
    let paths = Paths::in_home(h);
    tick(h);
    let log = std::fs::read(&paths.log).unwrap();
    let lines = log.iter().filter(|b| **b == b'\n').count();
    // The state of fewer lines, sealed as covering all of them.
    let mut short = History::new(State::new(tz(h)), Keep::StateOnly);
    for line in log.split(|b| *b == b'\n').take(lines - 5) {
        if let Ok(Some(e)) = Event::parse_line(line) {
            short.apply(&e, None);
        }
    }
    let mut hash = blake3::Hasher::new();
    hash.update(&log);
    let cursor = Cursor {
        offset: log.len() as u64,
        line: lines,
    };
    checkpoint::write(&paths, short.state(), tz(h), cursor, &hash, &[]).unwrap();
    let o = run(h, NOW, &["validate"]);
    assert!(!o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("differs from a full replay"), "{out}");
}

/// When run as the writer of `sigkill_while_writing_leaves_the_old_or_the_new_one` (its
/// environment names the home), writes checkpoints of two different offsets in turn until
/// it is killed. Otherwise does nothing.
#[test]
fn checkpoint_writer_for_the_sigkill_test() {
    let Some(home) = std::env::var_os("BAOHAO_TEST_CHECKPOINT_WRITER") else {
        return;
    };
    let home = std::path::PathBuf::from(home);
    let lines = std::fs::read(Paths::in_home(&home).log)
        .unwrap()
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    for i in 0.. {
        checkpoint_after(&home, if i % 2 == 0 { lines } else { lines / 2 });
    }
}

#[test]
fn sigkill_while_writing_leaves_the_old_or_the_new_one() {
    let home = rich_home(20);
    let h = home.path();
    let paths = Paths::in_home(h);
    let full = replayed(h);
    checkpoint_after(h, 3);
    let mut rnd = Rnd(4242);
    for round in 0..30 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "checkpoint_writer_for_the_sigkill_test",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("BAOHAO_TEST_CHECKPOINT_WRITER", h)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20 + rnd.below(120) as u64));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        child.wait().unwrap();
        // Old or new, it holds: a true checkpoint of some offset, whose state with the
        // rest replayed is the full replay.
        assert!(held(h), "round {round}: the checkpoint left does not hold");
        assert!(opened(h).0 == full, "round {round}");
    }
    // Temp files a kill left behind go with the next write.
    checkpoint_after(h, 5);
    let left: Vec<_> = std::fs::read_dir(h)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let _ = paths;
}
