//! The log under stress from real processes: several writers at once (every line intact,
//! none lost), and writers killed with SIGKILL mid-append (a torn tail at worst, cut off
//! before the next append). The test binary re-runs itself as the child writer.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use baohao::model::{Event, EventBody};
use baohao::store::Log;
use baohao::store::log::LogProblem;
use chrono::Utc;

const CHILD: &str = "BAOHAO_TEST_APPENDER";

fn event(writer: &str, n: usize, note_len: usize) -> Event {
    Event {
        id: format!("{writer}-{n}"),
        at: Utc::now().fixed_offset(),
        number: writer.to_string(),
        body: EventBody::Activity {
            note: Some("x".repeat(note_len)),
            intent: None,
        },
    }
}

/// When run as a child: append `count` events (or forever) to the log named in the env.
#[test]
fn child_appender() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let mut parts = spec.split('|');
    let (path, writer, count, note) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let count: usize = count.parse().unwrap();
    let note: usize = note.parse().unwrap();
    let log = Log::new(path);
    let mut n = 0;
    while count == 0 || n < count {
        log.append(&[event(writer, n, note)]).unwrap();
        n += 1;
    }
}

fn spawn(path: &std::path::Path, writer: &str, count: usize, note: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_appender",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{}|{writer}|{count}|{note}", path.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let writers = ["w0", "w1", "w2", "w3"];
    let per = 300;
    let children: Vec<Child> = writers.iter().map(|w| spawn(&path, w, per, 200)).collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let (events, scan) = Log::new(&path).read_all().unwrap();
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    assert_eq!(events.len(), writers.len() * per);
    for w in writers {
        let mine: Vec<usize> = events
            .iter()
            .filter(|e| e.number == w)
            .map(|e| e.id.rsplit('-').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            mine,
            (0..per).collect::<Vec<_>>(),
            "{w}'s lines are all there, in its order"
        );
    }
}

#[test]
fn sigkill_mid_append_leaves_at_most_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let mut torn = 0;
    for round in 0..12u64 {
        // Big lines make a kill inside write(2) likely.
        let mut child = spawn(&path, &format!("k{round}"), 0, 256 * 1024);
        std::thread::sleep(Duration::from_millis(15 + (round * 7) % 40));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        child.wait().unwrap();
        let (_, scan) = Log::new(&path).read_all().unwrap();
        for p in &scan.problems {
            assert!(
                matches!(p, LogProblem::TornTail { .. }),
                "only a torn tail is possible: {p:?}"
            );
        }
        if !scan.problems.is_empty() {
            torn += 1;
        }
        // The next append cuts any torn tail; then everything reads clean.
        Log::new(&path)
            .append(&[event("after", round as usize, 10)])
            .unwrap();
        let (events, scan) = Log::new(&path).read_all().unwrap();
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        assert_eq!(events.last().unwrap().number, "after");
    }
    eprintln!("torn tails seen: {torn} of 12");
}
