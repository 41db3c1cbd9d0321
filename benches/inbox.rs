//! The inbox's speed (issue 20): how long a text posted by a forwarder takes to show in an
//! open TUI (the real binary in a pseudo-terminal, its worker listening, the History tab
//! open; from the post's first byte to the screen, read by a terminal emulator, holding
//! the text), and a burst of 1,000 webhooks over 10 connections to `baohao daemon`: the
//! rate they are answered 2xx (each answer means the text is fsync'd in the log) and how
//! much the daemon's resident memory grows. Targets: median ≤ 50 ms, p99 ≤ 200 ms;
//! ≥ 500 a second, growth ≤ 16 MiB. Run: `cargo bench --bench inbox`.

#[path = "../tests/common/phone.rs"]
mod phone;
#[path = "../tests/common/pty.rs"]
#[allow(dead_code)]
mod pty;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SECRET: &str = "smsf-secret-0123456789";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A fresh home whose inbox listens on a free port: one SmsForwarder, one number on it.
fn home(dir: &Path, name: &str) -> (PathBuf, SocketAddr) {
    use std::os::unix::fs::PermissionsExt;
    let home = dir.join(name);
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let port = phone::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let config = format!(
        r#"{{"version":1,"timezone":"Asia/Shanghai",
          "forwarders":[{{"id":"pixel","kind":"smsforwarder","url":"http://127.0.0.1:9","secret_env":"SMSF_SECRET"}}],
          "inbox":{{"listen":"127.0.0.1:{port}"}},
          "numbers":[{{"id":"a","label":"a","msisdn":"+8613800000000","currency":"CNY","carrier":"China Mobile",
            "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},"forwarder":{{"id":"pixel","slot":1}}}}]}}"#
    );
    let p = home.join("config.json");
    std::fs::write(&p, config).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    (home, addr)
}

fn post(p: &mut phone::Phone, text: &str, ts: i64) -> u16 {
    let body = phone::smsforwarder_json(SECRET, ts, "10086", text, "SIM1", "");
    let headers = [("Content-Type", "application/json".to_string())];
    loop {
        match p.post("/in/pixel", &headers, &body) {
            Ok(a) => return a.status,
            // A phone sends again what was not answered.
            Err(_) => continue,
        }
    }
}

fn percentile(v: &mut [f64], p: usize) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(v.len() * p / 100).min(v.len() - 1)]
}

/// `baohao daemon` on `home`, killed when dropped.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process's resident and peak resident memory, in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// From a post's first byte to the text on an open TUI's screen, `texts` times in turn:
/// the TUI's own worker listening, or (`with_daemon`) a daemon listening and the TUI
/// watching the log it writes.
fn latency(dir: &Path, texts: usize, with_daemon: bool) {
    let (home, addr) = home(dir, if with_daemon { "tui-daemon" } else { "tui" });
    let daemon = with_daemon.then(|| daemon(&home));
    if with_daemon {
        phone::wait_listening(addr);
    }
    let mut s = pty::Session::start(&home, 200, 40, &[("SMSF_SECRET", SECRET)]);
    phone::wait_listening(addr);
    s.send("3");
    s.settle(Duration::from_millis(300));
    // The posts go from a thread of their own, so that the screen is read as it comes.
    let (ask, asked) = mpsc::channel::<(String, i64)>();
    let (answered, answers) = mpsc::channel::<(u16, Instant)>();
    std::thread::spawn(move || {
        let mut p = phone::Phone::new(addr);
        for (text, ts) in asked {
            let status = post(&mut p, &text, ts);
            if answered.send((status, Instant::now())).is_err() {
                return;
            }
        }
    });
    let (mut shown, mut acked) = (Vec::new(), Vec::new());
    for i in 0..texts {
        let text = format!("probe{i:05}z");
        let t = Instant::now();
        ask.send((text.clone(), now_ms())).unwrap();
        let end = t + Duration::from_secs(20);
        while !s.screen().contains(&text) {
            assert!(Instant::now() < end, "{text} never showed:\n{}", s.screen());
            if let Ok(b) = s.rx.recv_timeout(Duration::from_millis(50)) {
                s.bytes += b.len();
                s.parser.process(&b);
            }
        }
        shown.push(t.elapsed().as_secs_f64() * 1e3);
        let (status, at) = answers.recv().unwrap();
        assert_eq!(status, 200);
        acked.push(at.duration_since(t).as_secs_f64() * 1e3);
    }
    let (m, p99) = (percentile(&mut shown, 50), percentile(&mut shown, 99));
    println!(
        "a text from its first byte to the open TUI's screen ({}), {texts} in turn: median {m:.1} ms, p99 {p99:.1} ms, max {:.1} ms (targets ≤ 50 / ≤ 200 ms)",
        if with_daemon {
            "the daemon listening, the TUI watching the log"
        } else {
            "the TUI's own worker listening"
        },
        shown[shown.len() - 1]
    );
    println!(
        "  to its 2xx (fsync'd): median {:.1} ms, p99 {:.1} ms",
        percentile(&mut acked, 50),
        percentile(&mut acked, 99)
    );
    s.send("q");
    drop(daemon);
}

/// `baohao daemon` on `home` (stdout and stderr dropped).
fn daemon(home: &Path) -> Daemon {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(home)
        .arg("daemon")
        .env("SMSF_SECRET", SECRET)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Daemon(child)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        println!("inbox: benchmark");
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let dir = std::env::temp_dir().join(format!("baohao-inbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (texts, burst) = if full { (200, 1_000) } else { (5, 50) };

    // 1. From a post's first byte to the text on the TUI's screen.
    latency(&dir, texts, false);
    latency(&dir, texts, true);

    // 2. A burst over 10 connections to the daemon.
    {
        let (home, addr) = home(&dir, "daemon");
        let d = daemon(&home);
        phone::wait_listening(addr);
        // One text first, so that what a first text sets up is not counted as growth.
        assert_eq!(post(&mut phone::Phone::new(addr), "warm-up", now_ms()), 200);
        let (rss0, _) = rss_kib(d.0.id());
        // After the warm-up's millisecond: a signature is good for one text.
        let base = now_ms() + 1;
        let per = burst / 10;
        let t = Instant::now();
        let threads: Vec<_> = (0..10)
            .map(|c| {
                std::thread::spawn(move || {
                    let mut p = phone::Phone::new(addr);
                    for i in 0..per {
                        let text = format!("burst {c}-{i}");
                        assert_eq!(post(&mut p, &text, base + (c * per + i) as i64), 200);
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        let wall = t.elapsed().as_secs_f64();
        let (rss1, hwm) = rss_kib(d.0.id());
        let log = std::fs::read_to_string(home.join("log.jsonl")).unwrap();
        let kept = (0..10)
            .flat_map(|c| (0..per).map(move |i| format!("\"burst {c}-{i}\"")))
            .filter(|t| log.contains(t.as_str()))
            .count();
        assert_eq!(kept, burst, "every text answered 2xx is in the log");
        println!(
            "{burst} webhooks over 10 connections to the daemon: {:.0} ms, {:.0} a second (target ≥ 500); resident memory {:.1} → {:.1} MiB (+{:.1}; target ≤ 16), peak {:.1} MiB",
            wall * 1e3,
            burst as f64 / wall,
            rss0 as f64 / 1024.0,
            rss1 as f64 / 1024.0,
            (rss1 as f64 - rss0 as f64) / 1024.0,
            hwm as f64 / 1024.0
        );
        drop(d);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
