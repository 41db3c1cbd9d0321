//! Cost that grows only with what is shown (issue 11): `status --json`, `history --json`
//! and `history --csv` of the real release binary on a 1,000,000-event home, in both line
//! shapes (baohao's compact lines and lines with spaces after `:` and `,`, as other tools
//! write JSON), against serde_json's typed parse of the same lines; peak memory of each
//! command from `/usr/bin/time`. Run: `cargo bench --bench cost`. Results:
//! docs/PERFORMANCE.md.

mod common;

use std::ffi::OsStr;
use std::path::Path;

fn measure(bin: &Path, home: &Path, args: &[&str], runs: usize) -> (f64, u64) {
    let mut all: Vec<&OsStr> = vec![OsStr::new("--home"), home.as_os_str()];
    all.extend(args.iter().map(OsStr::new));
    let mut best = (f64::MAX, 0u64);
    for _ in 0..runs {
        let (wall, kib) = common::run_measured(bin, &all);
        best.0 = best.0.min(wall);
        best.1 = best.1.max(kib);
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        println!("cost: benchmark");
        return;
    }
    let dir = common::data_dir();
    let bin = Path::new(env!("CARGO_BIN_EXE_baohao"));
    let (events, numbers, runs) = if args.iter().any(|a| a == "--bench") {
        (1_000_000, 200, 3)
    } else {
        // Under `cargo test`: a smoke run of the same steps.
        (10_000, 20, 1)
    };
    for (shape, log) in [
        ("compact", common::log_file(&dir, events, numbers)),
        ("spaced", common::spaced_log_file(&dir, events, numbers)),
    ] {
        let home = common::home_with(&dir, &format!("home-{events}-{shape}"), &log, numbers);
        let size = std::fs::metadata(&log).unwrap().len();
        println!(
            "\n{shape} lines: {events} events, {:.0} MB",
            size as f64 / 1e6
        );
        // The baseline and `status` run in turn, so both see the same load on a shared
        // machine; the ratio is taken within each pair and the best pair is reported.
        let mut base_best = f64::MAX;
        let mut pairs: Vec<(f64, f64)> = Vec::new();
        for _ in 0..runs * 2 + 1 {
            let (base, n) = common::best(1, || common::typed_parse(&log));
            assert_eq!(n, events);
            let (wall, _) = measure(bin, &home, &["status", "--json"], 1);
            base_best = base_best.min(base.as_secs_f64());
            pairs.push((base.as_secs_f64(), wall));
        }
        pairs.sort_by(|a, b| (a.1 / a.0).total_cmp(&(b.1 / b.0)));
        let median = pairs[pairs.len() / 2];
        println!(
            "  serde_json typed parse (in process): {:>7.0} ms",
            base_best * 1e3
        );
        println!(
            "  status --json ÷ the parse, {} pairs run in turn: best {:.2}, median {:.2} (target ≤ 1.30): {}",
            pairs.len(),
            pairs[0].1 / pairs[0].0,
            median.1 / median.0,
            pairs
                .iter()
                .map(|(b, w)| format!("{:.2} ({:.0}/{:.0} ms)", w / b, w * 1e3, b * 1e3))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for cmd in [
            &["status", "--json"][..],
            &["history", "--json"][..],
            &["history", "--csv"][..],
        ] {
            // `cargo bench --bench cost -- status` measures only the commands named.
            let only: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
            if !only.is_empty() && !only.iter().any(|o| **o == cmd[0]) {
                continue;
            }
            let (wall, kib) = measure(bin, &home, cmd, runs);
            let ratio = if cmd[0] == "status" {
                format!("  {:.2} × the best parse (target ≤ 1.30)", wall / base_best)
            } else {
                String::new()
            };
            println!(
                "  baohao {:<16} {:>7.0} ms  peak {:>6.1} MiB (target ≤ 64){ratio}",
                cmd.join(" "),
                wall * 1e3,
                kib as f64 / 1024.0
            );
        }
    }
}
