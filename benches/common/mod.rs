//! Shared by the benchmarks: synthetic logs of a given size, timing, and peak memory.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A config with `numbers` numbers (ids n0, n1, …) in four currencies.
pub fn config_text(numbers: usize) -> String {
    let currencies = ["CNY", "GBP", "HKD", "USD"];
    let mut nums = Vec::new();
    for i in 0..numbers {
        nums.push(format!(
            r#"{{"id":"n{i}","label":"号码 {i}","msisdn":"+4477009{i:05}","carrier":"Carrier","currency":"{c}",
              "plan":{{"monthly_fee":"5.00","validity_days":180,"keep_alive_days":180}},
              "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},
              "rules":[{{"id":"monthly","mode":"remind","amount":"10.00","trigger":{{"kind":"monthly","day":5,"at":"09:00"}}}},
                       {{"id":"low","mode":"auto","amount":"20.00","trigger":{{"kind":"low_balance","below":"5.00","cooldown_hours":24}}}}]}}"#,
            c = currencies[i % 4]
        ));
    }
    format!(
        r#"{{"version":1,"timezone":"Europe/London","numbers":[{}]}}"#,
        nums.join(",")
    )
}

/// Writes a log of about `events` mixed events (balance, intent, outcome, manual,
/// activity, resolved) over `numbers` numbers; returns its path. Cached by name.
pub fn log_file(dir: &Path, events: usize, numbers: usize) -> PathBuf {
    let path = dir.join(format!("log-{events}-{numbers}.jsonl"));
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(dir).unwrap();
    let tmp = path.with_extension("tmp");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    let currencies = ["CNY", "GBP", "HKD", "USD"];
    let start = 1_600_000_000i64;
    // One cycle (reading, intent, outcome, top-up or use) every `step` seconds across all
    // numbers: with 200 numbers, each sees a cycle about every two days.
    let step = 2 * 86_400 / numbers as i64;
    let mut written = 0;
    let mut seq = 0u64;
    let note = "topped up with a voucher bought at the convenience store near the station (card no. 0042), receipt kept in the drawer with the others";
    while written < events {
        let n = (seq as usize) % numbers;
        let c = currencies[n % 4];
        let t = start + seq as i64 * step;
        let at = chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let id = |k: u64| format!("{:010x}{:06x}", t, seq * 8 + k);
        let lines = [
            format!(
                r#"{{"v":1,"id":"{}","at":"{at}","number":"n{n}","type":"balance","balance_minor":{},"currency":"{c}","validity_until":"2027-01-31","source":"command:/usr/local/bin/carrier-balance --json"}}"#,
                id(0),
                300 + (seq % 900)
            ),
            format!(
                r#"{{"v":1,"id":"{}","at":"{at}","number":"n{n}","type":"intent","rule":"low","key":"low:{}","attempt":1,"amount_minor":2000,"currency":"{c}","mode":"auto","note":"balance below the threshold after the monthly fee"}}"#,
                id(1),
                id(0)
            ),
            match seq % 10 {
                0 => format!(
                    r#"{{"v":1,"id":"{}","at":"{at}","number":"n{n}","type":"outcome","intent":"{}","status":"unknown","error":"timed out after 30 s waiting for the carrier's gateway"}}"#,
                    id(2),
                    id(1)
                ),
                1 => format!(
                    r#"{{"v":1,"id":"{}","at":"{at}","number":"n{n}","type":"outcome","intent":"{}","status":"failed","error":"carrier gateway answered HTTP 502 Bad Gateway"}}"#,
                    id(2),
                    id(1)
                ),
                _ => format!(
                    r#"{{"v":1,"id":"{}","at":"{at}","number":"n{n}","type":"outcome","intent":"{}","status":"succeeded","reference":"TOPUP-{:016X}-OK-GATEWAY-CONFIRMED-BY-CARRIER-API-V2"}}"#,
                    id(2),
                    id(1),
                    seq
                ),
            },
            match seq % 10 {
                0 => format!(
                    r#"{{"v":1,"id":"{}","at":"{at}","number":"n{n}","type":"resolved","intent":"{}","status":"succeeded","note":"checked the carrier's app: the money arrived"}}"#,
                    id(3),
                    id(1)
                ),
                3 => format!(
                    r#"{{"v":1,"id":"{}","at":"{at}","number":"n{n}","type":"activity","note":"sent a text message to the bank's short code to keep the line active this quarter"}}"#,
                    id(3)
                ),
                _ => format!(
                    r#"{{"v":1,"id":"{}","at":"{at}","number":"n{n}","type":"manual","amount_minor":1000,"currency":"{c}","note":"{note}"}}"#,
                    id(3)
                ),
            },
        ];
        for l in lines {
            w.write_all(l.as_bytes()).unwrap();
            w.write_all(b"\n").unwrap();
            written += 1;
        }
        seq += 1;
    }
    w.flush().unwrap();
    drop(w);
    std::fs::rename(&tmp, &path).unwrap();
    path
}

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-data")
}

/// The best of `runs` timings of `f`.
pub fn best<R>(runs: usize, mut f: impl FnMut() -> R) -> (Duration, R) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        last = Some(r);
    }
    (best, last.unwrap())
}

/// Median of `runs` timings.
pub fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

/// This process's peak resident memory (VmHWM), in KiB.
pub fn peak_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The same log as [`log_file`], with a space after every `:` and `,` between fields, as
/// other tools write JSON (`{"v": 1, "id": "…"}`); returns its path. Cached by name.
pub fn spaced_log_file(dir: &Path, events: usize, numbers: usize) -> PathBuf {
    let path = dir.join(format!("log-{events}-{numbers}-spaced.jsonl"));
    if path.exists() {
        return path;
    }
    let compact = std::fs::read(log_file(dir, events, numbers)).unwrap();
    let tmp = path.with_extension("tmp");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    let mut out = Vec::with_capacity(compact.len() + compact.len() / 8);
    let (mut in_string, mut escaped) = (false, false);
    for &b in &compact {
        out.push(b);
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b':' || b == b',' {
            out.push(b' ');
        }
    }
    w.write_all(&out).unwrap();
    w.flush().unwrap();
    drop(w);
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// A home (config with `numbers` numbers, the given log copied in) under `dir/name`.
pub fn home_with(dir: &Path, name: &str, log: &Path, numbers: usize) -> PathBuf {
    let home = dir.join(name);
    if !home.join("log.jsonl").exists() {
        std::fs::create_dir_all(&home).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        std::fs::write(home.join("config.json"), config_text(numbers)).unwrap();
        let tmp = home.join("log.tmp");
        std::fs::copy(log, &tmp).unwrap();
        std::fs::rename(&tmp, home.join("log.jsonl")).unwrap();
    }
    home
}

/// The baseline of issue 2 and 11: each line parsed by serde_json into a plain typed
/// struct with owned fields, nothing else.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
pub struct Typed {
    pub v: u32,
    id: String,
    at: String,
    number: String,
    #[serde(rename = "type")]
    kind: String,
    balance_minor: Option<i64>,
    currency: Option<String>,
    validity_until: Option<String>,
    source: Option<String>,
    rule: Option<String>,
    key: Option<String>,
    attempt: Option<u32>,
    amount_minor: Option<i64>,
    mode: Option<String>,
    intent: Option<String>,
    status: Option<String>,
    reference: Option<String>,
    error: Option<String>,
    note: Option<String>,
}

/// Parses every line of `path` into [`Typed`]; returns how many.
pub fn typed_parse(path: &Path) -> usize {
    use std::io::BufRead;
    let mut r = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(path).unwrap());
    let mut line = Vec::with_capacity(512);
    let mut n = 0;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).unwrap() == 0 {
            return n;
        }
        let t: Typed = serde_json::from_slice(&line).unwrap();
        n += std::hint::black_box(t).v as usize;
    }
}

/// Runs `cmd` (stdout to /dev/null) under `/usr/bin/time -f`, returning wall seconds and
/// peak resident memory in KiB (the kernel's ru_maxrss of the child).
pub fn run_measured(bin: &Path, args: &[&std::ffi::OsStr]) -> (f64, u64) {
    let t = Instant::now();
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("BAOHAO-RSS %M")
        .arg(bin)
        .args(args)
        .stdout(std::process::Stdio::null())
        .output()
        .expect("/usr/bin/time (GNU time) is needed to measure peak memory");
    let wall = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let kib = err
        .lines()
        .find_map(|l| l.strip_prefix("BAOHAO-RSS "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (wall, kib)
}
