//! Faults through the real binary: a log that cannot be written (tick fails, an answered
//! recharge whose outcome was not written is in doubt, never "Recharged"), secrets that an
//! executor prints (redacted before the log), and config saves racing an outside editor.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// A home with one number whose executor is the shell script `executor`.
    fn with_executor(executor: &str, extra_config: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let script = dir.path().join("executor.sh");
        std::fs::write(&script, format!("#!/bin/sh\n{executor}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config = format!(
            r#"{{"version":1,"timezone":"UTC",{extra_config}"numbers":[{{"id":"a","label":"Card A","msisdn":"+447700900001","currency":"GBP",
            "provider":{{"kind":"manual"}},"executor":{{"kind":"command","program":"{}","timeout_secs":20}},
            "rules":[{{"id":"m","mode":"auto","amount":"5","trigger":{{"kind":"monthly","day":1,"at":"00:00"}}}}]}}]}}"#,
            script.display()
        );
        std::fs::write(home.join("config.json"), config).unwrap();
        Home { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_baohao"));
        c.arg("--home")
            .arg(self.path())
            .args(args)
            .env("BAOHAO_NOW", "2026-01-05T00:00:00Z")
            .env("HOME_DIR", self.path())
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("BAOHAO_HOME");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn an_outcome_that_could_not_be_written_is_in_doubt_and_tick_fails() {
    // The executor charges, then the log stops being writable (replaced by a symlink).
    let h = Home::with_executor(
        r#"mv "$HOME_DIR/log.jsonl" "$HOME_DIR/log.real"; ln -s /dev/null "$HOME_DIR/log.jsonl"
echo '{"status":"succeeded","reference":"R1"}'"#,
        "",
    );
    let o = h.run(&["tick"]);
    let err = text(&o.stderr);
    assert!(!o.status.success(), "tick must fail: {err}");
    assert!(!err.contains("Recharged"), "{err}");
    assert!(err.contains("in doubt"), "{err}");
    // The intent is on disk (it was written before the executor ran).
    let real = std::fs::read_to_string(h.path().join("log.real")).unwrap();
    assert!(real.contains("\"type\":\"intent\""), "{real}");
    assert!(!real.contains("\"type\":\"outcome\""), "{real}");
}

#[test]
fn tick_fails_when_the_log_cannot_be_written() {
    let h = Home::with_executor(r#"echo '{"status":"succeeded"}'"#, "");
    std::fs::create_dir(h.path().join("log.jsonl")).unwrap();
    let o = h.run(&["tick"]);
    assert!(!o.status.success(), "{}", text(&o.stderr));
}

#[allow(dead_code)]
fn unused(_: &Path) {}

#[test]
fn secrets_an_executor_prints_are_redacted_before_the_log() {
    let h = Home::with_executor(
        r#"echo "auth failed: api=$MY_API token=$SHOP_TOKEN user=$LOGNAME_X" >&2
printf '{"status":"failed","error":"bad token %s","reference":"%s\\/x"}\n' "$SHOP_TOKEN" "$MY_API""#,
        r#""secret_env":["MY_API"],"#,
    );
    let run = |args: &[&str]| {
        h.cmd(args)
            .env("MY_API", "api-9f8e7d6c")
            .env("SHOP_TOKEN", "tok_5a4b3c2d1e")
            .env("LOGNAME_X", "visible-user")
            .output()
            .unwrap()
    };
    let o = run(&["tick"]);
    let log = std::fs::read_to_string(h.path().join("log.jsonl")).unwrap();
    assert!(
        log.contains("\"type\":\"outcome\""),
        "the executor ran: {log}"
    );
    let history = run(&["history", "--json"]);
    for (what, s) in [
        ("log", log.clone()),
        ("tick stderr", text(&o.stderr)),
        ("history", text(&history.stdout)),
    ] {
        assert!(!s.contains("api-9f8e7d6c"), "{what}: {s}");
        assert!(!s.contains("tok_5a4b3c2d1e"), "{what}: {s}");
    }
    assert!(log.contains("[redacted]"), "{log}");
}

#[test]
fn a_secret_env_entry_must_be_a_variable_name() {
    let h = Home::with_executor("true", r#""secret_env":["MY API"],"#);
    let o = h.run(&["status"]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("secret_env[0]") && err.contains("MY API"),
        "{err}"
    );
}

#[test]
fn each_executor_runs_after_its_intent_and_every_earlier_outcome_are_on_disk() {
    // The worker writes intents and outcomes in as few appends as it can, never
    // at the cost of the order: when an executor starts, its own intent is in
    // the log, and so is the outcome of every executor that ran before it.
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let script = dir.path().join("executor.sh");
    std::fs::write(
        &script,
        r#"#!/bin/sh
log="$HOME_DIR/log.jsonl"
i=$(grep -c '"type":"intent"' "$log")
o=$(grep -c '"type":"outcome"' "$log")
mine=$(grep '"type":"intent"' "$log" | grep -c "\"number\":\"$BAOHAO_NUMBER\"")
echo "$BAOHAO_NUMBER $i $o $mine" >> "$HOME_DIR/../runs"
echo '{"status":"succeeded","reference":"R"}'
"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let numbers: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            // Two of them charge by demo: those run at once, in the same pass.
            let executor = if i % 2 == 0 {
                format!(
                    r#"{{"kind":"command","program":"{}","timeout_secs":20}}"#,
                    script.display()
                )
            } else {
                r#"{"kind":"demo"}"#.to_string()
            };
            format!(
                r#"{{"id":"{id}","label":"Card {id}","msisdn":"+44770090000{i}","currency":"GBP",
                "provider":{{"kind":"manual"}},"executor":{executor},
                "rules":[{{"id":"m","mode":"auto","amount":"5","trigger":{{"kind":"monthly","day":1,"at":"00:00"}}}}]}}"#
            )
        })
        .collect();
    std::fs::write(
        home.join("config.json"),
        format!(
            r#"{{"version":1,"timezone":"UTC","numbers":[{}]}}"#,
            numbers.join(",")
        ),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(&home)
        .arg("tick")
        .env("BAOHAO_NOW", "2026-01-05T00:00:00Z")
        .env("HOME_DIR", &home)
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("BAOHAO_HOME")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let runs = std::fs::read_to_string(dir.path().join("runs")).unwrap();
    let runs: Vec<Vec<String>> = runs
        .lines()
        .map(|l| l.split(' ').map(str::to_string).collect())
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let mut seen_outcomes = Vec::new();
    for (k, r) in runs.iter().enumerate() {
        let (intents, outcomes, mine): (usize, usize, usize) = (
            r[1].parse().unwrap(),
            r[2].parse().unwrap(),
            r[3].parse().unwrap(),
        );
        assert_eq!(mine, 1, "its own intent is on disk: {runs:?}");
        // The demo charges ran before (their outcomes are written before any later
        // executor starts), and so did the command runs before this one.
        assert!(outcomes >= k, "{runs:?}");
        assert!(intents > outcomes, "{runs:?}");
        seen_outcomes.push(outcomes);
    }
    assert!(seen_outcomes[1] > seen_outcomes[0], "{runs:?}");
    let log = std::fs::read_to_string(home.join("log.jsonl")).unwrap();
    assert_eq!(log.matches("\"type\":\"intent\"").count(), 4, "{log}");
    assert_eq!(log.matches("\"type\":\"outcome\"").count(), 4, "{log}");
}
