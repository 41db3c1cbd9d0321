//! The TUI never outlives its terminal. The real binary runs as the session leader of a
//! real pseudo-terminal; the test closes the master side (as a dropped SSH connection or a
//! killed tmux does) while the app is idle, with a form open, right after `q`, with 1,000
//! keys queued, and while a provider runs. Each time the process must exit on its own,
//! release the worker lock, and leave the config as the last acted-on key left it.
//!
//! The deadlines below are hang detectors (a generous 20 s), not speed limits.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use baohao::store::Paths;
use baohao::store::lock::WorkerLock;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Every fork in this test binary happens under this lock, so that no child inherits
/// another test's terminal between its opening and its close-on-exec flag.
static FORK: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Tui {
    master: Option<OwnedFd>,
    child: Child,
    seen: Vec<u8>,
}

impl Tui {
    fn start(home: &std::path::Path) -> Tui {
        let forking = FORK.lock().unwrap_or_else(|e| e.into_inner());
        let pty = nix::pty::openpty(
            Some(&nix::pty::Winsize {
                ws_row: 30,
                ws_col: 100,
                ws_xpixel: 0,
                ws_ypixel: 0,
            }),
            None,
        )
        .unwrap();
        // Only the child's stdio may hold the terminal: a master leaked into another
        // process would keep the terminal open after the test closes it.
        for fd in [&pty.master, &pty.slave] {
            nix::fcntl::fcntl(
                fd,
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
            )
            .unwrap();
        }
        let slave = pty.slave;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_baohao"));
        cmd.arg("--home")
            .arg(home)
            .env("TERM", "xterm-256color")
            .env("LANG", "C.UTF-8")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
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
        let child = cmd.spawn().unwrap();
        drop(cmd);
        drop(forking);
        let mut t = Tui {
            master: Some(pty.master),
            child,
            seen: Vec::new(),
        };
        t.wait_for("1 Numbers");
        t
    }

    /// Reads what the program wrote, for up to `d`.
    fn pump(&mut self, d: Duration) {
        let Some(m) = self.master.as_ref() else {
            return;
        };
        let mut fds = [PollFd::new(std::os::fd::AsFd::as_fd(m), PollFlags::POLLIN)];
        let ms = d.as_millis().min(u16::MAX as u128) as u16;
        if poll(&mut fds, PollTimeout::from(ms)).unwrap_or(0) > 0 {
            let mut buf = [0u8; 65536];
            if let Ok(n) = nix::unistd::read(m, &mut buf) {
                self.seen.extend_from_slice(&buf[..n]);
            }
        }
    }

    fn wait_for(&mut self, text: &str) {
        let end = Instant::now() + Duration::from_secs(20);
        while !String::from_utf8_lossy(&self.seen).contains(text) {
            assert!(Instant::now() < end, "never showed {text:?}");
            self.pump(Duration::from_millis(100));
        }
    }

    fn send(&mut self, s: &str) {
        let m = self.master.as_ref().unwrap();
        let mut f = std::fs::File::from(m.try_clone().unwrap());
        f.write_all(s.as_bytes()).unwrap();
    }

    /// Closes the terminal: the master side goes away, as when SSH drops.
    fn hang_up(&mut self) {
        self.master = None;
    }

    /// Waits for the process to end on its own (20 s at most: a hang is a failure).
    fn exits(&mut self) -> std::process::ExitStatus {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("the TUI outlived its terminal");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn demo_home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let _forking = FORK.lock().unwrap_or_else(|e| e.into_inner());
    let st = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(dir.path())
        .args(["init", "--demo"])
        .output()
        .unwrap();
    assert!(st.status.success());
    dir
}

fn lock_is_free(home: &std::path::Path) -> bool {
    matches!(
        WorkerLock::try_acquire(&Paths::in_home(home).worker_lock),
        Ok(Ok(_))
    )
}

fn config(home: &std::path::Path) -> String {
    std::fs::read_to_string(Paths::in_home(home).config).unwrap()
}

#[test]
fn closing_the_terminal_while_idle_ends_the_tui_and_frees_the_lock() {
    let home = demo_home();
    let mut t = Tui::start(home.path());
    assert!(!lock_is_free(home.path()), "the TUI runs the worker");
    t.hang_up();
    t.exits();
    assert!(lock_is_free(home.path()));
}

#[test]
fn closing_the_terminal_with_a_form_open_saves_nothing() {
    let home = demo_home();
    let before = config(home.path());
    let mut t = Tui::start(home.path());
    t.send("2e");
    t.wait_for("save");
    t.send("99");
    t.hang_up();
    t.exits();
    assert_eq!(config(home.path()), before);
    assert!(lock_is_free(home.path()));
}

#[test]
fn closing_the_terminal_right_after_q_ends_the_tui() {
    let home = demo_home();
    let mut t = Tui::start(home.path());
    t.send("q");
    t.hang_up();
    t.exits();
    assert!(lock_is_free(home.path()));
}

#[test]
fn keys_queued_when_the_terminal_closes_are_not_acted_on_afterwards() {
    let home = demo_home();
    let mut t = Tui::start(home.path());
    // Each Space toggles a rule and saves: 1,000 of them queued, then the terminal goes.
    let mut keys = String::from("2");
    keys.push_str(&" ".repeat(1000));
    t.send(&keys);
    t.hang_up();
    t.exits();
    assert!(lock_is_free(home.path()));
    // Whatever was acted on before the loss, nothing changes the file after the exit.
    let after = config(home.path());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(config(home.path()), after);
}

#[test]
fn closing_the_terminal_while_a_provider_runs_ends_the_tui() {
    let home = demo_home();
    let script = home.path().join("slow-provider.sh");
    std::fs::write(&script, "#!/bin/sh\nsleep 60\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // One number's balance comes from the slow command.
    let text = config(home.path()).replacen(
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
    std::fs::write(Paths::in_home(home.path()).config, text).unwrap();
    let mut t = Tui::start(home.path());
    t.send("R");
    std::thread::sleep(Duration::from_millis(500));
    t.hang_up();
    t.exits();
    assert!(lock_is_free(home.path()));
}

#[test]
fn sigterm_ends_the_tui_and_frees_the_lock() {
    let home = demo_home();
    let mut t = Tui::start(home.path());
    t.send("2e");
    t.wait_for("save");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(t.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    t.exits();
    assert!(lock_is_free(home.path()));
}
