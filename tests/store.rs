//! The log under stress from real processes: several writers at once (every line intact,
//! none lost), and writers killed with SIGKILL mid-append (a torn tail at worst, cut off
//! before the next append). The test binary re-runs itself as the child writer.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use baohao::model::{Event, EventBody};
use baohao::store::Log;
use baohao::store::log::LogProblem;
use chrono::Utc;

fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

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

/// A config with two numbers: an outside editor appends its marks to the first one's
/// carrier, baohao's saves append theirs to the second one's.
const TWO_NUMBERS: &str = r#"{"version":1,"timezone":"UTC","numbers":[
 {"id":"a","label":"A","msisdn":"+447700900001","carrier":"","currency":"GBP","provider":{"kind":"manual"},"executor":{"kind":"remind"}},
 {"id":"b","label":"B","msisdn":"+447700900002","carrier":"","currency":"GBP","provider":{"kind":"manual"},"executor":{"kind":"remind"}}]}"#;

#[test]
fn an_outside_editor_never_loses_an_edit_to_a_save() {
    use baohao::store::{Paths, config};
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    std::fs::write(&paths.config, TWO_NUMBERS).unwrap();
    let edits = 400;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The editor: read, change, write a temp file, rename over. No lock, as editors do.
    let editor = {
        let path = paths.config.clone();
        std::thread::spawn(move || {
            for i in 0..edits {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let carrier = v["numbers"][0]["carrier"].as_str().unwrap().to_string();
                v["numbers"][0]["carrier"] = format!("{carrier}e{i} ").into();
                let tmp = path.with_extension(format!("editor{i}"));
                std::fs::write(&tmp, serde_json::to_string_pretty(&v).unwrap()).unwrap();
                std::fs::rename(&tmp, &path).unwrap();
                // A person's editor does not save a thousand times a second: leave room.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    // baohao: load, change, save against the stamp; on a conflict, reload and try again.
    let saver = {
        let paths = paths.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut saved, mut conflicts) = (0, 0);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let loaded = config::load(&paths).unwrap();
                let mut c = loaded.config.clone();
                c.numbers[1].carrier.push_str(&format!("b{saved} "));
                match config::save(&paths, &c, Some(loaded.stamp), now()) {
                    Ok(_) => saved += 1,
                    Err(e) if e.kind == baohao::ErrorKind::Conflict => conflicts += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            (saved, conflicts)
        })
    };
    editor.join().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (saved, conflicts) = saver.join().unwrap();
    let final_config = config::load(&paths).unwrap().config;
    let carrier = &final_config.numbers[0].carrier;
    let lost: Vec<usize> = (0..edits)
        .filter(|i| !carrier.split(' ').any(|m| m == format!("e{i}")))
        .collect();
    eprintln!("{saved} saves, {conflicts} conflicts seen");
    assert!(saved > 10, "the saver must race the editor, saved {saved}");
    assert_eq!(lost, Vec::<usize>::new(), "edits lost to baohao's saves");
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(left <= 2, "no temp files left behind ({left} files)");
}

#[test]
fn a_symlinked_config_stays_a_symlink_after_a_save() {
    use baohao::store::{Paths, config};
    let dir = tempfile::tempdir().unwrap();
    let dotfiles = dir.path().join("dotfiles");
    std::fs::create_dir(&dotfiles).unwrap();
    std::fs::write(dotfiles.join("baohao.json"), TWO_NUMBERS).unwrap();
    let paths = Paths::in_home(&dir.path().join("home"));
    std::fs::create_dir(dir.path().join("home")).unwrap();
    std::os::unix::fs::symlink("../dotfiles/baohao.json", &paths.config).unwrap();
    let loaded = config::load(&paths).unwrap();
    let mut c = loaded.config.clone();
    c.numbers[0].label = "Saved".into();
    config::save(&paths, &c, Some(loaded.stamp), now()).unwrap();
    let meta = std::fs::symlink_metadata(&paths.config).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    let through = std::fs::read_to_string(dotfiles.join("baohao.json")).unwrap();
    assert!(through.contains("\"Saved\""), "{through}");
    assert_eq!(
        std::fs::read_dir(&dotfiles).unwrap().count(),
        1,
        "no temp file left"
    );
}
