//! Many numbers (issue 18 item 13): the first `tick` of the real release binary on a home
//! of 10,000 numbers (half `demo`, half `remind`; the home of `tests/many_numbers.rs`), and
//! a move on the Rules tab of that home after the tick (a key and the frame it draws, in
//! process, at 120×40). Targets: tick ≤ 2 s, a Rules move ≤ 16 ms.
//! Run: `cargo bench --bench many`; `BAOHAO_BEFORE=/path/to/baohao` also times that binary
//! on the same home, in turn.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::{App, Tab};
use baohao::tui::theme::Theme;
use baohao::tui::{draw, terminal_on};

const NOW: &str = "2026-11-20T10:00:00Z";

/// The home of `tests/many_numbers.rs`: `numbers` numbers, one reading each.
fn write_home(home: &Path, numbers: usize) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::remove_dir_all(home);
    std::fs::create_dir_all(home).unwrap();
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let currencies = ["CNY", "GBP", "HKD", "USD"];
    let mut config = Vec::new();
    let mut log = String::new();
    for i in 0..numbers {
        let c = currencies[i % 4];
        let executor = if i % 2 == 1 { "demo" } else { "remind" };
        let budget = if i % 3 == 0 {
            r#","monthly_budget":"12.00""#
        } else {
            ""
        };
        config.push(format!(
            r#"{{"id":"n{i}","label":"n {i}","msisdn":"+4477009{i:05}","carrier":"C","currency":"{c}"{budget},
              "plan":{{"monthly_fee":"5.00","validity_days":180,"keep_alive_days":180}},
              "provider":{{"kind":"manual"}},"executor":{{"kind":"{executor}"}},
              "rules":[{{"id":"monthly","mode":"auto","amount":"10.00","trigger":{{"kind":"monthly","day":5,"at":"09:00"}}}},
                       {{"id":"low","mode":"auto","amount":"20.00","trigger":{{"kind":"low_balance","below":"5.00","cooldown_hours":24}}}}]}}"#
        ));
        let balance = if i % 2 == 1 {
            1000
        } else {
            300 + (i % 7) * 100
        };
        log.push_str(&format!(
            r#"{{"v":1,"id":"{i:016x}","at":"2026-11-20T09:00:00Z","number":"n{i}","type":"balance","balance_minor":{balance},"currency":"{c}","source":"manual"}}"#
        ));
        log.push('\n');
    }
    let config = format!(
        r#"{{"version":1,"timezone":"Europe/London","numbers":[{}]}}"#,
        config.join(",")
    );
    for (name, text) in [("config.json", config), ("log.jsonl", log)] {
        let p = home.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Wall seconds and peak KiB of one `tick` on a fresh copy of the home; the lines it wrote.
fn tick(bin: &Path, home: &Path, numbers: usize) -> (f64, u64, usize) {
    write_home(home, numbers);
    let t = Instant::now();
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("BAOHAO-RSS %M")
        .arg(bin)
        .arg("--home")
        .arg(home)
        .arg("tick")
        .env("BAOHAO_NOW", NOW)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .stdout(std::process::Stdio::null())
        .output()
        .expect("/usr/bin/time (GNU time) is needed");
    let wall = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let kib = err
        .lines()
        .find_map(|l| l.strip_prefix("BAOHAO-RSS "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let lines = std::fs::read_to_string(home.join("log.jsonl"))
        .unwrap()
        .lines()
        .count()
        - numbers;
    (wall, kib, lines)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        println!("many: benchmark");
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    // Under `cargo test`: a smoke run of the same steps.
    let (numbers, runs, moves) = if full { (10_000, 5, 400) } else { (200, 1, 10) };
    let dir = common::data_dir();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_baohao"));
    let before = std::env::var_os("BAOHAO_BEFORE").map(PathBuf::from);
    let home = dir.join(format!("many-{numbers}"));

    // 1. The first tick, in turn with the binary before (if given).
    let (mut now_t, mut old_t) = (Vec::new(), Vec::new());
    let mut shape = (0, 0);
    for _ in 0..runs {
        let (wall, kib, lines) = tick(&bin, &home, numbers);
        shape = (kib, lines);
        now_t.push(wall);
        if let Some(b) = &before {
            let (wall, _, old_lines) = tick(b, &home, numbers);
            assert_eq!(old_lines, lines, "both binaries write the same lines");
            old_t.push(wall);
        }
    }
    let all = now_t.clone();
    println!(
        "first tick, {numbers} numbers: median {:.2} s of {runs} ({:?} s), {} lines written, peak {:.1} MiB (target ≤ 2 s)",
        median(&mut now_t),
        all.iter()
            .map(|t| (t * 100.0).round() / 100.0)
            .collect::<Vec<_>>(),
        shape.1,
        shape.0 as f64 / 1024.0
    );
    if !old_t.is_empty() {
        println!(
            "  the binary before, in turn: median {:.2} s",
            median(&mut old_t)
        );
    }

    // 2. A move on the Rules tab of the ticked home: the key and the frame it draws.
    let now = NOW.parse().unwrap();
    let t = Instant::now();
    let mut app = App::open(
        Paths::in_home(&home),
        Clock::Fixed(now),
        Theme { color: true },
    )
    .unwrap();
    println!(
        "opening the ticked {numbers}-number home in process: {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    app.tab = Tab::Rules;
    let mut term = terminal_on(std::io::sink(), 120, 40).unwrap();
    draw(&mut term, &app).unwrap();
    let mut per = Vec::with_capacity(moves);
    for i in 0..moves {
        // Down most of the way, so the window scrolls too; then back up.
        let c = if i < moves * 3 / 4 { 'j' } else { 'k' };
        let t = Instant::now();
        baohao::tui::update::press(&mut app, ratatui::crossterm::event::KeyCode::Char(c));
        draw(&mut term, &app).unwrap();
        per.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let p99 = {
        let mut s = per.clone();
        s.sort_by(|a, b| a.total_cmp(b));
        s[s.len() * 99 / 100]
    };
    println!(
        "Rules move (key + frame, 120x40), {numbers} numbers: median {:.2} ms, p99 {p99:.2} ms of {moves} (target ≤ 16 ms)",
        median(&mut per)
    );
}
