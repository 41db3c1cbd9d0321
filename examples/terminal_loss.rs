//! How long the TUI takes to exit once its terminal goes away (issue 18 item 14). Not a
//! test: a measurement, with figures in docs/PERFORMANCE.md.
//!
//! ```text
//! cargo build --release --bin baohao
//! cargo run --release --example terminal_loss -- [TRIES] [BINARY] [demo|slow]
//! ```
//!
//! `slow` gives the demo's first number a balance command that sleeps for a minute, so
//! that a read is in flight when the terminal goes.
//!
//! Each try makes a demo home, starts the binary as the session leader of a fresh pty,
//! waits for its first frame, waits 0–450 ms more (the worker's first pass may be running),
//! closes the master side (as a dropped SSH connection does) and times until the process
//! has exited. The second half of the tries run with two threads spinning on the CPU.

use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

fn start(bin: &str, home: &std::path::Path) -> (OwnedFd, Child) {
    let pty = nix::pty::openpty(
        Some(&nix::pty::Winsize {
            ws_row: 30,
            ws_col: 100,
            ws_xpixel: 0,
            ws_ypixel: 0,
        }),
        None,
    )
    .expect("a pty");
    for fd in [&pty.master, &pty.slave] {
        nix::fcntl::fcntl(
            fd,
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
        )
        .expect("cloexec");
    }
    let slave = pty.slave;
    let mut cmd = Command::new(bin);
    cmd.arg("--home")
        .arg(home)
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::from(slave.try_clone().expect("dup")))
        .stdout(Stdio::from(slave.try_clone().expect("dup")))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().expect("the binary starts");
    (pty.master, child)
}

/// Reads the terminal until `text` shows (the first frame).
fn wait_for(master: &OwnedFd, text: &str) {
    let mut seen = Vec::new();
    let end = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen).contains(text) {
        assert!(Instant::now() < end, "never showed {text:?}");
        let mut fds = [PollFd::new(
            std::os::fd::AsFd::as_fd(master),
            PollFlags::POLLIN,
        )];
        if poll(&mut fds, PollTimeout::from(100u16)).unwrap_or(0) > 0 {
            let mut buf = [0u8; 65536];
            if let Ok(n) = nix::unistd::read(master, &mut buf) {
                seen.extend_from_slice(&buf[..n]);
            }
        }
    }
}

fn stats(name: &str, ms: &mut [f64]) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:>6}: n={} min {:.0} ms, median {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        ms.len(),
        ms[0],
        at(0.5),
        at(0.99),
        ms[ms.len() - 1]
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let tries: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);
    let bin = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/baohao").into());
    let slow = args.next().is_some_and(|m| m == "slow");
    let mut idle = Vec::new();
    let mut loaded = Vec::new();
    for i in 0..tries {
        let load = i >= tries / 2;
        let stop = Arc::new(AtomicBool::new(false));
        let spinners: Vec<_> = (0..if load { 2 } else { 0 })
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                        std::hint::black_box(x);
                    }
                })
            })
            .collect();
        let home = tempfile::tempdir().expect("a temp dir");
        let st = Command::new(&bin)
            .arg("--home")
            .arg(home.path())
            .args(["init", "--demo"])
            .output()
            .expect("init runs");
        assert!(st.status.success(), "{st:?}");
        if slow {
            let script = home.path().join("slow-provider.sh");
            std::fs::write(&script, "#!/bin/sh\nsleep 60\n").expect("script");
            std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .expect("chmod");
            let config = home.path().join("config.json");
            let text = std::fs::read_to_string(&config).expect("config");
            let text = text.replacen(
                "\"provider\": { \"kind\": \"demo\" }",
                &format!(
                    "\"provider\": {{\"kind\": \"command\", \"program\": \"{}\", \"timeout_secs\": 120}}",
                    script.display()
                ),
                1,
            );
            assert!(
                text.contains("slow-provider"),
                "the demo config changed shape"
            );
            std::fs::write(&config, text).expect("config");
        }
        let (master, mut child) = start(&bin, home.path());
        wait_for(&master, "1 Numbers");
        std::thread::sleep(Duration::from_millis((i as u64 * 37) % 450));
        let t = Instant::now();
        drop(master);
        let status = child.wait().expect("wait");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        stop.store(true, Ordering::Relaxed);
        for s in spinners {
            let _ = s.join();
        }
        println!(
            "try {i:>3} {} {ms:>7.1} ms {status}",
            if load { "load" } else { "idle" }
        );
        if load {
            loaded.push(ms);
        } else {
            idle.push(ms);
        }
    }
    if !idle.is_empty() {
        stats("idle", &mut idle);
    }
    if !loaded.is_empty() {
        stats("load", &mut loaded);
    }
    let mut all: Vec<f64> = idle.iter().chain(&loaded).copied().collect();
    stats("all", &mut all);
}
