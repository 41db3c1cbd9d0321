//! Helpers the integration tests share: running the real binary on a temporary home with a
//! pinned clock and a plain environment, and a home holding the demo.
#![allow(dead_code)]

pub mod bombs;
pub mod phone;
pub mod phones;
pub mod pty;
pub mod standin;
pub mod worker_home;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `baohao --home HOME ARGS…` at the pinned time `now`, in English, with nothing
/// from the caller's environment that would change what it does.
pub fn run(home: &Path, now: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("BAOHAO_NOW", now)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .env_remove("LC_ALL")
        // `status` fits COLUMNS when it is set: the tests read full-width tables.
        .env_remove("COLUMNS")
        .output()
        .expect("the binary runs")
}

/// `run` with these variables set too (a forwarder's secrets, say).
pub fn run_env(home: &Path, now: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("BAOHAO_NOW", now)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .env_remove("LC_ALL")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

/// The log's events, each as JSON (none when there is no log).
pub fn log_events(home: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(home.join("log.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The log's events of one type.
pub fn log_of_type(home: &Path, t: &str) -> Vec<serde_json::Value> {
    log_events(home)
        .into_iter()
        .filter(|e| e["type"] == t)
        .collect()
}

/// A temporary home with the demo config and a year of demo history.
pub fn demo_home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let o = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(dir.path())
        .args(["init", "--demo"])
        .env_remove("BAOHAO_HOME")
        .output()
        .expect("the binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

/// Writes a true but possibly stale checkpoint into HOME: of the state a state-only replay
/// of the log's first `lines` lines ends in (as the worker would have written it then).
/// Returns the byte offset it covers.
pub fn checkpoint_after(home: &Path, lines: usize) -> u64 {
    use baohao::engine::{History, Keep, State};
    use baohao::store::log::BadAt;
    let paths = baohao::store::Paths::in_home(home);
    let tz = baohao::store::config::load(&paths)
        .expect("the config reads")
        .config
        .timezone;
    let bytes = std::fs::read(&paths.log).expect("the log reads");
    let mut history = History::new(State::new(tz), Keep::StateOnly);
    let (mut offset, mut n, mut bad) = (0usize, 0usize, Vec::new());
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if n == lines || !line.ends_with(b"\n") {
            break;
        }
        let body = &line[..line.len() - 1];
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if !body.iter().all(u8::is_ascii_whitespace) {
            match baohao::model::Event::parse_line(body) {
                Ok(Some(e)) => history.apply(&e, None),
                Ok(None) => {}
                Err(_) => bad.push(BadAt {
                    line: n + 1,
                    offset: offset as u64,
                    len: (line.len() - 1) as u64,
                }),
            }
        }
        offset += line.len();
        n += 1;
    }
    let mut hash = blake3::Hasher::new();
    hash.update(&bytes[..offset]);
    let cursor = baohao::store::Cursor {
        offset: offset as u64,
        line: n,
    };
    baohao::store::checkpoint::write(&paths, history.state(), tz, cursor, &hash, &bad)
        .expect("the checkpoint is written");
    offset as u64
}
