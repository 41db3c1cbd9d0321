//! The long fuzz run: `cargo run --release --example fuzz -- --iterations 1000000 [--seed N]`.
//! Each iteration feeds every target (log line, config, executor/provider answer, text
//! cleaning) one mutated input; the first finding is printed with its input, exit 1.

#[path = "../fuzz/harness.rs"]
mod harness;

fn main() {
    let mut iterations: u64 = 1_000_000;
    let mut seed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok());
        match (a.as_str(), value) {
            ("--iterations", Some(v)) => iterations = v,
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!("usage: fuzz [--iterations N] [--seed N]");
                std::process::exit(2);
            }
        }
    }
    let start = std::time::Instant::now();
    match harness::run(iterations, seed, |i| {
        eprintln!("{i} iterations, {:.0?}", start.elapsed());
    }) {
        Ok(()) => println!(
            "{iterations} iterations x {} targets = {} inputs, seed {seed}: no finding ({:.1?})",
            harness::TARGETS.len(),
            iterations * harness::TARGETS.len() as u64,
            start.elapsed()
        ),
        Err(f) => {
            eprintln!("seed {seed}: {f}");
            std::process::exit(1);
        }
    }
}
