//! The real binary in a pseudo-terminal (portable-pty), its screen read by a terminal
//! emulator (vt100), as a person's terminal would show it.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Session {
    pub parser: vt100::Parser,
    pub rx: mpsc::Receiver<Vec<u8>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub bytes: usize,
}

impl Session {
    pub fn start(home: &std::path::Path, cols: u16, rows: u16, env: &[(&str, &str)]) -> Session {
        Session::start_bin(
            std::path::Path::new(env!("CARGO_BIN_EXE_baohao")),
            home,
            cols,
            rows,
            env,
        )
    }

    /// `baohao --home HOME ARGS…` in a terminal: a command that asks on the terminal (an
    /// archive's password, say), as a person at a shell runs it.
    pub fn start_args(
        home: &std::path::Path,
        cols: u16,
        rows: u16,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Session {
        Session::spawn(
            std::path::Path::new(env!("CARGO_BIN_EXE_baohao")),
            home,
            (cols, rows),
            args,
            env,
        )
    }

    /// A shell running `script` in the terminal (`sh -c`), for what a person's shell sees
    /// after baohao exits.
    #[allow(dead_code)]
    pub fn start_shell(script: &str, cols: u16, rows: u16, env: &[(&str, &str)]) -> Session {
        Session::spawn_cmd(
            std::path::Path::new("/bin/sh"),
            &["-c", script],
            (cols, rows),
            env,
        )
    }

    /// [`Session::start`] of another build of baohao (a benchmark's binary of before).
    pub fn start_bin(
        bin: &std::path::Path,
        home: &std::path::Path,
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> Session {
        Session::spawn(bin, home, (cols, rows), &[], env)
    }

    fn spawn(
        bin: &std::path::Path,
        home: &std::path::Path,
        size: (u16, u16),
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Session {
        let home = home.display().to_string();
        let mut all = vec!["--home", home.as_str()];
        all.extend_from_slice(args);
        Session::spawn_cmd(bin, &all, size, env)
    }

    fn spawn_cmd(
        bin: &std::path::Path,
        args: &[&str],
        (cols, rows): (u16, u16),
        env: &[(&str, &str)],
    ) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(bin);
        for a in args {
            cmd.arg(a);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env_remove("LC_ALL");
        cmd.env_remove("NO_COLOR");
        // As a person's shell: the test harness's backtrace settings would flood the screen.
        cmd.env_remove("RUST_BACKTRACE");
        cmd.env_remove("RUST_LIB_BACKTRACE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _master = pair.master;
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let size = |n: u16| std::num::NonZeroU16::new(n).expect("a terminal has a size");
        Session {
            parser: vt100::Parser::new(size(rows), size(cols), 0),
            rx,
            writer,
            child,
            bytes: 0,
        }
    }

    /// Reads what the program wrote for up to `d`.
    pub fn pump(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(b) => {
                    self.bytes += b.len();
                    self.parser.process(&b);
                }
                Err(_) => break,
            }
        }
    }

    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    pub fn wait_for(&mut self, text: &str) {
        let end = Instant::now() + Duration::from_secs(15);
        while !self.screen().contains(text) {
            assert!(
                Instant::now() < end,
                "never showed {text:?}; screen:\n{}",
                self.screen()
            );
            self.pump(Duration::from_millis(100));
        }
    }

    pub fn send(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits for the program to end, reading all it wrote; its exit code.
    pub fn exit_code(&mut self) -> u32 {
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // What it wrote last is still on its way from the reader thread.
                self.settle(Duration::from_millis(200));
                return status.exit_code();
            }
            assert!(
                Instant::now() < end,
                "never ended; screen:\n{}",
                self.screen()
            );
            self.pump(Duration::from_millis(50));
        }
    }

    /// Waits until nothing has been written for `quiet`.
    pub fn settle(&mut self, quiet: Duration) {
        loop {
            let before = self.bytes;
            self.pump(quiet);
            if self.bytes == before {
                return;
            }
        }
    }
}

impl Drop for Session {
    /// A test that fails half-way leaves no TUI behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
