//! The worker through the real binary, with a fake provider and executor that record every
//! call: SIGKILL at random moments across many restarts, clock jumps, timeouts, queries,
//! SIGTERM with a command in flight, and providers that misbehave.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use baohao::engine::{KeyStatus, State};
use baohao::store::Log;
use chrono::{DateTime, Utc};

struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new(numbers: &str) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let text = numbers
            .replace(
                "PROVIDER",
                &fixtures.join("fake-provider.sh").display().to_string(),
            )
            .replace(
                "EXECUTOR",
                &fixtures.join("fake-executor.sh").display().to_string(),
            );
        std::fs::write(
            dir.path().join("home/config.json"),
            format!(r#"{{"version":1,"timezone":"Europe/London","numbers":[{text}]}}"#),
        )
        .unwrap();
        let f = Fake { dir };
        f.set_clock("2026-01-01T00:30:00Z");
        f
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn set(&self, file: &str, value: &str) {
        std::fs::write(self.dir.path().join(file), value).unwrap();
    }

    fn set_clock(&self, t: &str) {
        self.set("clock", t);
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_baohao"));
        c.arg("--home")
            .arg(self.home())
            .args(args)
            .env(
                "BAOHAO_NOW",
                format!("@{}", self.dir.path().join("clock").display()),
            )
            .env("FAKE_DIR", self.dir.path())
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn spawn_daemon(&self) -> Child {
        self.cmd(&["daemon"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn recharge_calls(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|l| l.starts_with("recharge "))
            .collect()
    }

    fn state(&self) -> State {
        let (events, scan) = Log::new(self.home().join("log.jsonl")).read_all().unwrap();
        for p in &scan.problems {
            assert!(
                matches!(p, baohao::store::LogProblem::TornTail { .. }),
                "{p:?}"
            );
        }
        State::replay(chrono_tz::Tz::Europe__London, &events)
    }
}

fn wait_quiet(f: &Fake) {
    // Executors left running by a killed daemon finish on their own; wait for them.
    let mut last = f.calls().len();
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = f.calls().len();
        if now == last {
            return;
        }
        last = now;
    }
}

const MONTHLY: &str = r#"
 {"id":"a","label":"A","msisdn":"+447700900001","currency":"GBP",
  "provider":{"kind":"command","program":"PROVIDER","timeout_secs":5},
  "executor":{"kind":"command","program":"EXECUTOR","timeout_secs":5},
  "rules":[{"id":"m","mode":"auto","amount":"5.00","trigger":{"kind":"monthly","day":1,"at":"00:00"}}]},
 {"id":"b","label":"B","msisdn":"+447700900002","currency":"GBP",
  "provider":{"kind":"command","program":"PROVIDER","timeout_secs":5},
  "executor":{"kind":"command","program":"EXECUTOR","timeout_secs":5},
  "rules":[{"id":"m","mode":"auto","amount":"6.00","trigger":{"kind":"monthly","day":11,"at":"00:00"}}]},
 {"id":"c","label":"C","msisdn":"+447700900003","currency":"GBP",
  "provider":{"kind":"command","program":"PROVIDER","timeout_secs":5},
  "executor":{"kind":"command","program":"EXECUTOR","timeout_secs":5},
  "rules":[{"id":"m","mode":"auto","amount":"7.00","trigger":{"kind":"monthly","day":"last","at":"00:00"}}]}"#;

/// Checks the promises: no key ran twice, each ran only after its intent was in the log,
/// and every key in the log ended succeeded, failed or in doubt.
fn assert_exactly_once(f: &Fake) -> (usize, usize) {
    let calls = f.recharge_calls();
    let mut per_key: HashMap<(String, String), usize> = HashMap::new();
    for c in &calls {
        let parts: Vec<&str> = c.split(' ').collect();
        assert_eq!(
            parts[5], "intent-present",
            "ran before its intent was written: {c}"
        );
        *per_key
            .entry((parts[1].to_string(), parts[2].to_string()))
            .or_insert(0) += 1;
    }
    for (k, n) in &per_key {
        assert_eq!(*n, 1, "{k:?} ran {n} times");
    }
    let state = f.state();
    assert!(state.oddities.is_empty(), "{:?}", state.oddities);
    let mut in_doubt = 0;
    for (number, ns) in &state.numbers {
        for ks in ns.keys() {
            match ks.status() {
                KeyStatus::Charged | KeyStatus::Failed { .. } => {}
                KeyStatus::InDoubt => in_doubt += 1,
                s => panic!("{number} {}: {s:?}", ks.key),
            }
            let ran = per_key.contains_key(&(number.clone(), ks.key.to_string()));
            if ks.status() == KeyStatus::Charged {
                assert!(
                    ran,
                    "{number} {} is charged in the log but never ran",
                    ks.key
                );
            }
        }
    }
    (per_key.len(), in_doubt)
}

#[test]
fn sigkill_at_random_moments_never_runs_a_key_twice() {
    let f = Fake::new(MONTHLY);
    f.set("executor-sleep", "0.15");
    let start: DateTime<Utc> = "2026-01-01T00:30:00Z".parse().unwrap();
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let restarts = 60;
    for i in 0..restarts {
        // Mostly forward by about ten days, sometimes back: periods come, go and come again.
        let days = if rnd(6) == 0 {
            -(rnd(40) as i64)
        } else {
            10 * i as i64 + rnd(5) as i64
        };
        f.set_clock(&(start + chrono::Duration::days(days.max(0))).to_rfc3339());
        // now and then the daemon starts from a checkpoint taken at a random
        // earlier line (a stale but true one), as well as from the ones it writes itself.
        if rnd(3) == 0 && f.home().join("log.jsonl").exists() {
            let lines = std::fs::read(f.home().join("log.jsonl"))
                .unwrap()
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            common::checkpoint_after(&f.home(), rnd(lines as u64 + 1) as usize);
        }
        let mut d = f.spawn_daemon();
        std::thread::sleep(Duration::from_millis(rnd(450)));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(d.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        d.wait().unwrap();
        if rnd(5) == 0 {
            // Now and then, the person settles what is in doubt, truthfully.
            wait_quiet(&f);
            let ran: Vec<String> = f.recharge_calls();
            let state = f.state();
            for (number, ns) in &state.numbers {
                for (k, a) in ns.in_doubt() {
                    let did = ran
                        .iter()
                        .any(|c| c.starts_with(&format!("recharge {number} {} ", k.key)));
                    let o = f.run(&[
                        "resolve",
                        a.intent,
                        if did { "succeeded" } else { "failed" },
                    ]);
                    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                }
            }
        }
    }
    wait_quiet(&f);
    let o = f.run(&["tick"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (ran, in_doubt) = assert_exactly_once(&f);
    eprintln!("{restarts} restarts: {ran} keys ran, {in_doubt} left in doubt");
    assert!(ran >= 20, "the test must exercise many keys, ran {ran}");
}

#[test]
fn clock_jumps_give_one_charge_per_period() {
    let f = Fake::new(MONTHLY);
    for t in [
        "2026-01-05T00:00:00Z",
        "2026-03-20T00:00:00Z",
        "2026-01-20T00:00:00Z",
        "2026-02-02T00:00:00Z",
        "2026-03-25T00:00:00Z",
        "2025-12-31T12:00:00Z",
        "2026-03-31T12:00:00Z",
        "2026-03-31T12:00:00Z",
    ] {
        f.set_clock(t);
        let o = f.run(&["tick"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_exactly_once(&f);
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in f.recharge_calls() {
        let p: Vec<&str> = c.split(' ').collect();
        keys.entry(p[1].to_string())
            .or_default()
            .push(p[2].to_string());
    }
    // while the clock is behind the newest time the log holds, nothing is
    // charged; a period that passed is never charged again when the clock goes back.
    assert_eq!(
        keys["a"],
        ["m:2026-01", "m:2026-03"],
        "a passed period is never charged when the clock goes back"
    );
    assert_eq!(keys["b"], ["m:2026-03"]);
    assert_eq!(keys["c"], ["m:2026-03"]);
}

#[test]
fn a_timeout_is_in_doubt_never_retried_and_a_query_settles_it() {
    let f = Fake::new(&MONTHLY.replace("\"timeout_secs\":5}", "\"timeout_secs\":1}"));
    f.set("executor-sleep", "3");
    f.set_clock("2026-01-02T00:00:00Z");
    let t = Instant::now();
    f.run(&["tick"]);
    assert!(t.elapsed() < Duration::from_secs(20));
    let state = f.state();
    assert_eq!(
        state.number("a").unwrap().in_doubt_count(),
        1,
        "timed out: in doubt"
    );
    f.set("executor-sleep", "0");
    f.set("query-answer", "none");
    f.set_clock("2026-01-03T00:00:00Z");
    f.run(&["tick"]);
    assert_eq!(
        f.recharge_calls()
            .iter()
            .filter(|c| c.starts_with("recharge a "))
            .count(),
        1,
        "never retried"
    );
    assert!(f.calls().iter().any(|c| c.starts_with("query a m:2026-01")));
    assert_eq!(
        f.state().number("a").unwrap().in_doubt_count(),
        1,
        "a query that cannot tell changes nothing"
    );
    f.set("query-answer", "succeeded");
    f.run(&["tick"]);
    let state = f.state();
    let a = state.number("a").unwrap();
    assert_eq!(a.in_doubt_count(), 0);
    assert_eq!(a.key("m:2026-01").unwrap().status(), KeyStatus::Charged);
    assert_eq!(
        f.recharge_calls()
            .iter()
            .filter(|c| c.starts_with("recharge a "))
            .count(),
        1
    );
}

#[test]
fn failures_retry_with_backoff_up_to_three_attempts() {
    let f = Fake::new(MONTHLY);
    f.set("executor-status", "failed");
    for minutes in [0, 5, 11, 40, 75, 200, 400] {
        f.set_clock(
            &("2026-01-02T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
                + chrono::Duration::minutes(minutes))
            .to_rfc3339(),
        );
        f.run(&["tick"]);
    }
    let a: Vec<_> = f
        .recharge_calls()
        .into_iter()
        .filter(|c| c.starts_with("recharge a "))
        .collect();
    assert_eq!(a.len(), 3, "{a:?}");
    assert_eq!(
        f.state()
            .number("a")
            .unwrap()
            .key("m:2026-01")
            .unwrap()
            .status(),
        KeyStatus::Failed { attempts: 3 }
    );
}

#[test]
fn second_daemon_is_refused_and_sigterm_finishes_the_command_in_flight() {
    let f = Fake::new(MONTHLY);
    f.set("executor-sleep", "30");
    f.set_clock("2026-01-02T00:00:00Z");
    let mut d = f.spawn_daemon();
    // Wait until the first recharge is running.
    let t = Instant::now();
    while f.recharge_calls().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the daemon never ran a recharge"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = f.run(&["daemon"]);
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains(&format!("pid {}", d.id())), "{err}");
    let t = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(d.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = d.wait().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert!(status.success(), "{status:?}");
    let state = f.state();
    let a = state.number("a").unwrap();
    let ks = a.key("m:2026-01").unwrap();
    assert_eq!(ks.status(), KeyStatus::InDoubt);
    assert!(
        ks.last().unwrap().outcome.is_some(),
        "the in-flight outcome was written (unknown)"
    );
    let error = ks.last().unwrap().error.unwrap_or_default();
    assert!(
        error.contains("stopped") && error.contains("signal") && !error.contains("timed out"),
        "a shutdown is not a timeout: {error:?}"
    );
}

#[test]
fn misbehaving_providers_fail_with_a_short_reason_and_write_nothing() {
    let one = r#"{"id":"a","label":"A","msisdn":"+447700900001","currency":"GBP",
      "provider":{"kind":"command","program":"PROVIDER","timeout_secs":2},
      "executor":{"kind":"remind"},"rules":[]}"#;
    let f = Fake::new(one);
    for (mode, says) in [
        ("garbage", "not a JSON object"),
        ("nothing", "printed nothing"),
        ("huge", "not a JSON object"),
        ("escapes", "exited with status 4"),
        ("fail", "login failed"),
        ("float", "JSON fraction"),
        ("slow", "timed out"),
    ] {
        f.set("provider-mode", mode);
        let o = f.run(&["tick"]);
        assert!(o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("refresh failed") && err.contains(says),
            "{mode}: {err}"
        );
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{7}'),
            "{mode}: escape codes reached the output"
        );
        assert!(err.len() < 2000, "{mode}: {} bytes", err.len());
    }
    assert!(
        std::fs::read_to_string(f.home().join("log.jsonl"))
            .unwrap_or_default()
            .is_empty()
    );
    f.set("provider-mode", "ok");
    f.set("balance", "12.34");
    f.run(&["tick"]);
    f.run(&["tick"]);
    let log = std::fs::read_to_string(f.home().join("log.jsonl")).unwrap();
    assert_eq!(
        log.lines().count(),
        1,
        "an unchanged reading does not grow the log"
    );
    let missing = one.replace("PROVIDER", "/nonexistent/carrier-balance");
    let g = Fake::new(&missing);
    let err = String::from_utf8_lossy(&g.run(&["tick"]).stderr).to_string();
    assert!(err.contains("/nonexistent/carrier-balance"), "{err}");
}

#[test]
fn a_broken_config_stops_a_worker_before_it_starts() {
    let f = Fake::new(MONTHLY);
    std::fs::write(
        f.home().join("config.json"),
        "{\"version\":1,\"numbers\":[{]}",
    )
    .unwrap();
    let o = f.run(&["daemon"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("config.json:1"));
}

#[test]
fn a_number_added_while_the_worker_runs_is_read_without_waiting() {
    use baohao::worker::{Which, Worker};
    let dir = tempfile::tempdir().unwrap();
    let paths = baohao::store::Paths::in_home(dir.path());
    let now: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
    baohao::home::write_demo(&paths, now).unwrap();
    let rt = baohao::link::runtime().unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut w = Worker::new(
        paths.clone(),
        baohao::clock::Clock::Fixed(now),
        tx,
        Default::default(),
    );
    rt.block_on(w.pass(Which::All));
    // The person adds a number (a copy of the first, under a new id) and saves.
    let text = std::fs::read_to_string(&paths.config).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut n = v["numbers"][0].clone();
    n["id"] = "added".into();
    n["msisdn"] = "+447700900999".into();
    v["numbers"].as_array_mut().unwrap().push(n);
    std::fs::write(&paths.config, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    // The save's plan-only pass reads the new number at once.
    rt.block_on(w.pass(Which::None));
    let log = std::fs::read_to_string(&paths.log).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("\"number\":\"added\"") && l.contains("\"type\":\"balance\"")),
        "no balance read for the new number"
    );
}
