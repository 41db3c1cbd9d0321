//! The verified checkpoint (issue 23): `status --json` of the real release binary on the
//! 1,000,000-event home with a checkpoint at 999,000 events, against serde_json's typed
//! parse of the same log (in turn, in the same run) and against the binary named by
//! `BAOHAO_BEFORE` (today's, built from the commit before the checkpoint) side by side;
//! peak memory; what hashing the covered prefix costs; the checkpoint's write against the
//! replay a worker pass starts with, at 100,000 events; `status` at 10,000 events; the TUI
//! (in a pseudo-terminal) until its numbers are shown and its worker started, on a copy
//! of the 1,000,000-event home with its checkpoint.
//! Run: `cargo bench --bench checkpoint` (with `BAOHAO_BEFORE=/path/to/old/baohao` for
//! the side-by-side; with `CHECKPOINT_TUI_ONLY=1` the TUI's step only). Results: docs/PERFORMANCE.md.

mod common;
#[path = "../tests/common/pty.rs"]
#[allow(dead_code)]
mod pty;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use baohao::engine::{History, Keep, State};
use baohao::session::Session;
use baohao::store::{Cursor, Paths, checkpoint};

/// A home under `dir/name` with the given log copied in and a checkpoint covering its
/// first `covered` lines (written as the worker would have written it then).
fn home_with_checkpoint(
    dir: &Path,
    name: &str,
    log: &Path,
    numbers: usize,
    covered: usize,
) -> PathBuf {
    let home = common::home_with(dir, name, log, numbers);
    let paths = Paths::in_home(&home);
    if let Found::Held(r) = load(&paths)
        && r.cursor.line == covered
    {
        return home;
    }
    let bytes = std::fs::read(&paths.log).unwrap();
    let tz = chrono_tz::Tz::Europe__London;
    let mut history = History::new(State::new(tz), Keep::StateOnly);
    let (mut offset, mut n) = (0usize, 0usize);
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if n == covered {
            break;
        }
        if let Ok(Some(e)) = baohao::model::EventRef::parse_ref(&line[..line.len() - 1]) {
            history.apply(&e, None);
        }
        offset += line.len();
        n += 1;
    }
    let mut hash = blake3::Hasher::new();
    hash.update(&bytes[..offset]);
    let cursor = Cursor {
        offset: offset as u64,
        line: n,
    };
    checkpoint::write(&paths, history.state(), tz, cursor, &hash, &[]).unwrap();
    home
}

use checkpoint::Found;

fn load(paths: &Paths) -> Found {
    checkpoint::load(paths, chrono_tz::Tz::Europe__London)
}

fn status(bin: &Path, home: &Path) -> (f64, u64) {
    common::run_measured(
        bin,
        &[
            OsStr::new("--home"),
            home.as_os_str(),
            OsStr::new("status"),
            OsStr::new("--json"),
        ],
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        println!("checkpoint: benchmark");
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let dir = common::data_dir();
    let bin = Path::new(env!("CARGO_BIN_EXE_baohao"));
    let before = std::env::var_os("BAOHAO_BEFORE").map(PathBuf::from);
    let (events, numbers, pairs) = if full {
        (1_000_000, 200, 7)
    } else {
        // Under `cargo test`: a smoke run of the same steps.
        (10_000, 20, 1)
    };

    // 1. `status --json` from a checkpoint at 999,000 of 1,000,000 events.
    let log = common::log_file(&dir, events, numbers);
    let covered = events - events / 1000;
    let home = home_with_checkpoint(&dir, &format!("home-{events}-ckpt"), &log, numbers, covered);
    let size = std::fs::metadata(&log).unwrap().len();
    let ck = std::fs::metadata(checkpoint::path(&Paths::in_home(&home)))
        .unwrap()
        .len();
    println!(
        "\n{events} events ({:.0} MB), checkpoint at {covered} ({:.1} MB)",
        size as f64 / 1e6,
        ck as f64 / 1e6
    );
    // `CHECKPOINT_TUI_ONLY=1`: only the TUI (step 4), on the same home.
    let tui_only = std::env::var_os("CHECKPOINT_TUI_ONLY").is_some();
    if !tui_only {
        // The same log without a checkpoint: a full replay, as every start was before.
        let bare = common::home_with(&dir, &format!("home-{events}-compact"), &log, numbers);
        let _ = checkpoint::remove(&Paths::in_home(&bare));
        let mut rows = Vec::new();
        let mut whole = Vec::new();
        for _ in 0..pairs {
            let (base, n) = common::best(1, || common::typed_parse(&log));
            assert_eq!(n, events);
            let (wall, kib) = status(bin, &home);
            let old = before.as_ref().map(|b| status(b, &home));
            rows.push((base.as_secs_f64(), wall, kib, old));
            whole.push((status(bin, &bare).0, wall));
        }
        whole.sort_by(|a, b| (a.0 / a.1).total_cmp(&(b.0 / b.1)));
        println!(
            "  the same binary on the same log without a checkpoint (the whole log read), in turn: median {:.0} ms, speedup median {:.1} ×",
            whole[whole.len() / 2].0 * 1e3,
            whole[whole.len() / 2].0 / whole[whole.len() / 2].1
        );
        rows.sort_by(|a, b| (a.1 / a.0).total_cmp(&(b.1 / b.0)));
        let median = &rows[rows.len() / 2];
        println!(
            "  status --json ÷ the typed parse, {} pairs in turn: best {:.2}, median {:.2} (target ≤ 0.50): {}",
            rows.len(),
            rows[0].1 / rows[0].0,
            median.1 / median.0,
            rows.iter()
                .map(|r| format!("{:.2} ({:.0}/{:.0} ms)", r.1 / r.0, r.1 * 1e3, r.0 * 1e3))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  status --json peak {:.1} MiB (target ≤ 64)",
            rows.iter().map(|r| r.2).max().unwrap_or(0) as f64 / 1024.0
        );
        if before.is_some() {
            let mut speedups: Vec<f64> =
                rows.iter().filter_map(|r| r.3.map(|o| o.0 / r.1)).collect();
            speedups.sort_by(f64::total_cmp);
            println!(
                "  today's binary, same home, in turn: {} ; speedup median {:.1} × (best {:.1}); its peak {:.1} MiB",
                rows.iter()
                    .filter_map(|r| r.3.map(|o| format!("{:.0}/{:.0} ms", o.0 * 1e3, r.1 * 1e3)))
                    .collect::<Vec<_>>()
                    .join(", "),
                speedups[speedups.len() / 2],
                speedups.last().copied().unwrap_or(0.0),
                rows.iter()
                    .filter_map(|r| r.3.map(|o| o.1))
                    .max()
                    .unwrap_or(0) as f64
                    / 1024.0
            );
        }
        // What proving the prefix costs: reading and hashing the covered bytes.
        let (hash_time, _) = common::best(3, || {
            let f = std::fs::File::open(&log).unwrap();
            checkpoint::prefix_hash(&f, size).unwrap()
        });
        println!(
            "  BLAKE3 of the whole log, read from the page cache: {:.0} ms ({:.1} GB/s)",
            hash_time.as_secs_f64() * 1e3,
            size as f64 / hash_time.as_secs_f64() / 1e9
        );
        let (load_time, _) = common::best(3, || load(&Paths::in_home(&home)));
        println!(
            "  the checkpoint read and proven (in process): {:.0} ms",
            load_time.as_secs_f64() * 1e3
        );

        // 2. The write against the replay a worker pass starts with, at 100,000 events.
        let small = if full { 100_000 } else { 2_000 };
        let log100 = common::log_file(&dir, small, 20);
        let home100 = common::home_with(&dir, &format!("home-{small}-pass"), &log100, 20);
        let mut ratios = Vec::new();
        let mut encode = Vec::new();
        for _ in 0..if full { 7 } else { 1 } {
            let _ = checkpoint::remove(&Paths::in_home(&home100));
            let t = Instant::now();
            let mut s = Session::open_state_only(Paths::in_home(&home100)).unwrap();
            let replay = t.elapsed().as_secs_f64();
            let t = Instant::now();
            assert!(s.write_checkpoint().unwrap());
            let write = t.elapsed().as_secs_f64();
            ratios.push((write / replay, write, replay));
            // Of which: the state serialized into memory (what the file holds, less the
            // seal, the temp file and the two fsyncs).
            let t = Instant::now();
            let n = std::hint::black_box(s.state().canonical_bytes()).len();
            encode.push((t.elapsed().as_secs_f64(), n));
        }
        ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
        let m = ratios[ratios.len() / 2];
        println!(
            "  {small} events: the checkpoint's write {:.1} ms, the pass's replay {:.1} ms: {:.1} % (median of {}; target ≤ 10 %)",
            m.1 * 1e3,
            m.2 * 1e3,
            m.0 * 100.0,
            ratios.len()
        );
        encode.sort_by(|a, b| a.0.total_cmp(&b.0));
        println!(
            "  of which the state serialized into memory: {:.1} ms ({:.1} MB), median of {}",
            encode[encode.len() / 2].0 * 1e3,
            encode[encode.len() / 2].1 as f64 / 1e6,
            encode.len()
        );

        // 3. `status` on 10,000 events, from its checkpoint (median of 21).
        let log10 = common::log_file(&dir, 10_000, 20);
        let home10 = home_with_checkpoint(&dir, "home-10000-ckpt", &log10, 20, 9_990);
        let mut times: Vec<f64> = (0..if full { 21 } else { 3 })
            .map(|_| {
                common::run_measured(
                    bin,
                    &[
                        OsStr::new("--home"),
                        home10.as_os_str(),
                        OsStr::new("status"),
                    ],
                )
                .0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "  status, 10,000 events from a checkpoint at 9,990: median {:.1} ms of {} (target ≤ 15 ms)",
            times[times.len() / 2] * 1e3,
            times.len()
        );
        if let Some(b) = &before {
            let mut old: Vec<f64> = (0..if full { 21 } else { 3 })
                .map(|_| {
                    common::run_measured(
                        b,
                        &[
                            OsStr::new("--home"),
                            home10.as_os_str(),
                            OsStr::new("status"),
                        ],
                    )
                    .0
                })
                .collect();
            old.sort_by(f64::total_cmp);
            println!(
                "  today's binary, same home: median {:.1} ms",
                old[old.len() / 2] * 1e3
            );
        }
    }

    // 4. The TUI whole (its numbers shown) and its worker started, on a copy of the big
    // home with its checkpoint (the worker may write: the copy takes it); and, side by
    // side, the binary of before on a copy of its own, start for start in turn.
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_baohao"));
    let runs = if full { 5 } else { 1 };
    let mine = TuiHome::copy(&dir, &home, events, "ours");
    let theirs = before.as_ref().map(|b| {
        let h = TuiHome::copy(&dir, &home, events, "before");
        // Its first start writes a checkpoint of its own version (ours is of another and
        // not used); the starts timed after it read that one, as its users' would.
        let _ = tui_start(b, &h.0, true);
        h
    });
    let (mut whole, mut rows_in, mut old_whole, mut old_rows) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let (w, r) = tui_start(&ours, &mine.0, false);
        whole.push(w);
        rows_in.push(r);
        if let (Some(b), Some(h)) = (before.as_ref(), theirs.as_ref()) {
            let (w, r) = tui_start(b, &h.0, false);
            old_whole.push(w);
            old_rows.push(r);
        }
    }
    report_tui(events, "", &whole, &rows_in);
    if !old_whole.is_empty() {
        report_tui(events, " (the binary of before)", &old_whole, &old_rows);
    }
}

/// A copy of the big home for TUI starts, removed when dropped.
struct TuiHome(PathBuf);

impl TuiHome {
    fn copy(dir: &Path, home: &Path, events: usize, name: &str) -> TuiHome {
        let to = dir.join(format!("home-{events}-ckpt-tui-{name}"));
        let _ = std::fs::remove_dir_all(&to);
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(home).unwrap().flatten() {
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
        TuiHome(to)
    }
}

impl Drop for TuiHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One start of `bin`'s TUI on `home`: milliseconds until it is whole with its worker
/// started, and until the History tab has its rows. `settle`: wait for its worker's
/// first pass to be written before quitting.
fn tui_start(bin: &Path, home: &Path, settle: bool) -> (f64, f64) {
    let t = Instant::now();
    let mut s = pty::Session::start_bin(bin, home, 120, 30, &[]);
    let end = t + std::time::Duration::from_secs(120);
    let wait_for = |s: &mut pty::Session, what: &[&str]| loop {
        let screen = s.screen();
        if what.iter().all(|w| screen.contains(w)) {
            break;
        }
        assert!(Instant::now() < end, "never {what:?}:\n{screen}");
        if let Ok(b) = s.rx.recv_timeout(std::time::Duration::from_millis(20)) {
            s.parser.process(&b);
        }
    };
    wait_for(&mut s, &["NEXT RECHARGE", "worker: this session"]);
    let whole = t.elapsed().as_secs_f64() * 1e3;
    // Then the History tab, until its rows (read behind) are in.
    s.send("3");
    wait_for(&mut s, &["entries, newest first"]);
    let rows_in = t.elapsed().as_secs_f64() * 1e3;
    if settle {
        s.pump(std::time::Duration::from_secs(3));
    }
    s.send("q");
    let _ = s.child.wait();
    (whole, rows_in)
}

fn report_tui(events: usize, which: &str, whole: &[f64], rows_in: &[f64]) {
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        (
            v[v.len() / 2],
            v.iter().map(|w| w.round()).collect::<Vec<_>>(),
        )
    };
    let (w, ws) = median(whole);
    println!(
        "  the TUI whole, its worker started, {events} events from the checkpoint{which}: median {w:.0} ms of {} ({ws:?}; target ≤ 300 ms)",
        whole.len(),
    );
    let (r, rs) = median(rows_in);
    println!(
        "  the History tab whole (its rows read behind the numbers), from the start{which}: median {r:.0} ms of {} ({rs:?})",
        rows_in.len(),
    );
}
