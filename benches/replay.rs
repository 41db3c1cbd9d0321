//! Replay speed and memory (issue 2): replaying a 1,000,000-event log against serde_json's
//! own typed parse of the same lines, peak memory of the replay, and `baohao status` on a
//! 10,000-event log. Run: `cargo bench --bench replay`. Results: docs/PERFORMANCE.md.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Command;

use baohao::engine::State;
use baohao::store::{Cursor, Log};

fn replay(path: &std::path::Path) -> State {
    let mut state = State::new(chrono_tz::Tz::Europe__London);
    let scan = Log::new(path)
        .scan_ref(Cursor::default(), |e| state.apply(&e))
        .unwrap();
    assert!(scan.problems.is_empty());
    state
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Child mode: replay once and report peak memory, so the parent's allocations don't count.
    if let Some(i) = args.iter().position(|a| a == "--child-replay") {
        let path = std::path::PathBuf::from(&args[i + 1]);
        let state = replay(&path);
        println!("{} {}", state.events, common::peak_rss_kib());
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child-scan") {
        let mut n = 0u64;
        Log::new(&args[i + 1])
            .scan_ref(Cursor::default(), |e| {
                n += std::hint::black_box(e).at.timestamp() as u64 & 1
            })
            .unwrap();
        println!("{n}");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child-fold") {
        let (events, _) = Log::new(&args[i + 1]).read_all().unwrap();
        let t = std::time::Instant::now();
        let mut state = State::new(chrono_tz::Tz::Europe__London);
        for e in &events {
            state.apply(e);
        }
        println!("fold only: {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
        std::mem::forget(state);
        return;
    }
    if args.iter().any(|a| a == "--list") {
        println!("replay: benchmark");
        return;
    }
    let dir = common::data_dir();
    // `cargo bench` passes --bench; under `cargo test` this is a quick smoke run.
    if !args.iter().any(|a| a == "--bench") {
        let small = common::log_file(&dir, 10_000, 20);
        assert_eq!(common::typed_parse(&small), 10_000);
        assert_eq!(replay(&small).events, 10_000);
        println!("replay bench: smoke run ok (run `cargo bench --bench replay` to measure)");
        return;
    }
    let big = common::log_file(&dir, 1_000_000, 200);
    let size = std::fs::metadata(&big).unwrap().len();
    println!(
        "log: {} ({:.0} MB, 1,000,000 events)",
        big.display(),
        size as f64 / 1e6
    );

    let (base, n) = common::best(3, || common::typed_parse(&big));
    assert_eq!(n, 1_000_000);
    let lines_only = |f: &dyn Fn(&[u8]) -> bool| {
        let mut r = BufReader::with_capacity(256 * 1024, std::fs::File::open(&big).unwrap());
        let mut line = Vec::with_capacity(512);
        let mut n = 0usize;
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line).unwrap() == 0 {
                return n;
            }
            n += f(&line[..line.len() - 1]) as usize;
        }
    };
    let (read_only, _) = common::best(3, || lines_only(&|l| !l.is_empty()));
    let (raw_only, _) = common::best(3, || {
        lines_only(&|l| baohao::model::event::bench_raw_parse(l))
    });
    let (ref_only, _) = common::best(3, || {
        lines_only(&|l| matches!(baohao::model::EventRef::parse_ref(l), Ok(Some(_))))
    });
    println!(
        "reading lines only:     {:>7.0} ms",
        read_only.as_secs_f64() * 1e3
    );
    println!(
        "bare serde pass (Raw):  {:>7.0} ms",
        raw_only.as_secs_f64() * 1e3
    );
    println!(
        "EventRef::parse_ref:    {:>7.0} ms",
        ref_only.as_secs_f64() * 1e3
    );
    let (scan_only, _) = common::best(3, || {
        let mut n = 0u64;
        Log::new(&big)
            .scan_ref(Cursor::default(), |e| {
                n += std::hint::black_box(e).at.timestamp() as u64 & 1
            })
            .unwrap();
        n
    });
    let (rep, state) = common::best(3, || replay(&big));
    assert_eq!(state.events, 1_000_000);
    let eps = |d: std::time::Duration| 1_000_000.0 / d.as_secs_f64();
    println!(
        "serde_json typed parse: {:>7.0} ms  {:>9.0} events/s",
        base.as_secs_f64() * 1e3,
        eps(base)
    );
    println!(
        "baohao log scan only:   {:>7.0} ms  {:>9.0} events/s",
        scan_only.as_secs_f64() * 1e3,
        eps(scan_only)
    );
    println!(
        "baohao replay:          {:>7.0} ms  {:>9.0} events/s",
        rep.as_secs_f64() * 1e3,
        eps(rep)
    );
    println!(
        "ratio replay/parse:     {:>7.2}  (target ≤ 1.30)",
        rep.as_secs_f64() / base.as_secs_f64()
    );

    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--child-replay")
        .arg(&big)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let kib: u64 = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    println!(
        "replay peak memory:     {:>7.1} MB  (target ≤ 150 MB)",
        kib as f64 / 1024.0
    );

    // `baohao status` on a 10,000-event home, as a person runs it.
    let home = dir.join("home-10k");
    if !home.join("config.json").exists() {
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("config.json"), common::config_text(20)).unwrap();
        std::fs::copy(common::log_file(&dir, 10_000, 20), home.join("log.jsonl")).unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_baohao");
    let status = common::median(21, || {
        let o = Command::new(bin)
            .arg("--home")
            .arg(&home)
            .arg("status")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    });
    println!(
        "`baohao status`, 10k events: {:.1} ms median of 21  (target < 20 ms)",
        status.as_secs_f64() * 1e3
    );
}
