//! A home for tests that run the worker through the binary: the config as given (with
//! `PROVIDER` and `EXECUTOR` standing for the fake provider and executor in
//! tests/fixtures), a clock file the test moves (`BAOHAO_NOW=@file`), and `FAKE_DIR`
//! where the fakes record their calls and read their answers.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

pub struct WorkerHome {
    pub dir: tempfile::TempDir,
    /// Variables every command gets (`${NAME}` parts of channel URLs).
    pub env: Vec<(String, String)>,
}

impl WorkerHome {
    pub fn new(config: &str, now: &str) -> WorkerHome {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("home")).expect("the home");
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let text = config
            .replace(
                "PROVIDER",
                &fixtures.join("fake-provider.sh").display().to_string(),
            )
            .replace(
                "EXECUTOR",
                &fixtures.join("fake-executor.sh").display().to_string(),
            );
        std::fs::write(dir.path().join("home/config.json"), text).expect("the config");
        let h = WorkerHome {
            dir,
            env: Vec::new(),
        };
        h.set_clock(now);
        h
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Writes a file the fakes read (`executor-status`, `balance`…).
    pub fn set(&self, file: &str, value: &str) {
        std::fs::write(self.dir.path().join(file), value).expect("a fake's file");
    }

    pub fn set_clock(&self, t: &str) {
        self.set("clock", t);
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_baohao"));
        c.arg("--home")
            .arg(self.home())
            .args(args)
            .env(
                "BAOHAO_NOW",
                format!("@{}", self.dir.path().join("clock").display()),
            )
            .env("FAKE_DIR", self.dir.path())
            .env("LANG", "C.UTF-8")
            .env_remove("BAOHAO_HOME")
            .env_remove("LC_ALL")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("the binary runs")
    }

    /// A daemon, killed when the guard goes (a failing test must not leave it running: it
    /// would hold what it inherited, the build lock among them).
    pub fn spawn_daemon(&self) -> Daemon {
        Daemon(
            self.cmd(&["daemon"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("the daemon starts"),
        )
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.home().join("log.jsonl")).unwrap_or_default()
    }

    /// The log's lines of `type`, as JSON.
    pub fn log_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.log_text()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == kind)
            .collect()
    }
}

/// A running daemon; SIGKILLed on drop unless it was stopped.
pub struct Daemon(pub Child);

impl Daemon {
    pub fn signal(&self, s: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.0.id() as i32), s)
            .expect("a signal");
    }

    /// Stops it with `s` and waits for it to exit.
    pub fn stop(mut self, s: nix::sys::signal::Signal) {
        self.signal(s);
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
