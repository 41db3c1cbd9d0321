//! Running a provider, executor or notify command by the protocol: the program and its
//! arguments run directly (never a shell), inputs only through `BAOHAO_*` environment
//! variables, one JSON object expected on stdout. A timeout kills the whole process group.
//! Whatever comes back is cut and cleaned before it can reach the log or the screen.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::i18n::T;
use crate::model::CommandSpec;
use crate::tr;

/// Stdout beyond this is read and thrown away (the answer is one small JSON object).
pub const STDOUT_LIMIT: usize = 64 * 1024;
/// Stderr is kept up to this many bytes.
pub const STDERR_LIMIT: usize = 2 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// The exit code, or `None` when a signal ended it (our timeout's SIGKILL included).
    pub code: Option<i32>,
    pub timed_out: bool,
    /// Cut short because baohao itself was stopping (SIGTERM or SIGINT), not by the timeout.
    pub stopped: bool,
    pub stdout: Vec<u8>,
    pub stdout_cut: bool,
    /// Cleaned: no control characters or escape sequences, at most 2 KiB.
    pub stderr: String,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.cut_short()
    }

    /// Killed by baohao before it answered: by the timeout or by a shutdown.
    pub fn cut_short(&self) -> bool {
        self.timed_out || self.stopped
    }

    /// A short reason for a failed run, for people: the exit, and stderr's first line.
    pub fn reason(&self) -> String {
        let what = if self.stopped {
            tr!(T::CmdStopped)
        } else if self.timed_out {
            tr!(T::CmdTimedOut)
        } else {
            match self.code {
                Some(c) => tr!(T::CmdExited, c),
                None => tr!(T::CmdKilled),
            }
        };
        match self.stderr.split(" | ").next().filter(|s| !s.is_empty()) {
            Some(first) => format!("{what}: {}", cut(first, 200)),
            None => what,
        }
    }
}

/// Removes escape sequences (CSI, OSC, and lone ESC pairs) and every control character;
/// line breaks and tabs become separators. What remains cannot move the cursor, retitle
/// the terminal or repaint the screen.
pub fn clean(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters then one final byte in @..~
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') | Some('P') | Some('_') | Some('^') => {
                    chars.next();
                    // OSC/DCS/APC/PM: up to BEL or ST (ESC \)
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\n' | '\r' => {
                if !out.ends_with(" | ") && !out.is_empty() {
                    out.push_str(" | ");
                }
            }
            '\t' => out.push(' '),
            // C1 controls (U+0080–U+009F) include an 8-bit CSI.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    let trimmed = out.trim_end_matches(" | ").trim();
    trimmed.to_string()
}

/// At most `max` bytes of `s`, cut on a character boundary, with `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Why a command could not be started: one sentence naming the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpawnError(pub String);

async fn read_capped(mut r: impl tokio::io::AsyncRead + Unpin, limit: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut cut = false;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return (kept, cut),
            Ok(n) => {
                let room = limit.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                cut |= n > room;
            }
        }
    }
}

pub use crate::link::Shutdown;

/// Runs `spec` with `env` added to this process's environment (secrets the person gave the
/// daemon pass through; nothing baohao adds is secret). Never through a shell.
pub async fn run(spec: &CommandSpec, env: &[(&str, String)]) -> Result<Finished, SpawnError> {
    run_until(spec, env, None, Kind::Recharge).await
}

/// What a command is, for how long it may go on once shutdown is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A recharge: its grace ([`Shutdown::grace`]), so that its answer can be recorded.
    Recharge,
    /// A balance read: [`Shutdown::read_grace`] (none when the terminal went away).
    Read,
}

/// [`run`], cut short by `stop`: after a grace period the command is killed as on timeout.
pub async fn run_until(
    spec: &CommandSpec,
    env: &[(&str, String)],
    stop: Option<&Shutdown>,
    kind: Kind,
) -> Result<Finished, SpawnError> {
    let mut cmd = tokio::process::Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| {
        SpawnError(match e.kind() {
            std::io::ErrorKind::NotFound => tr!(T::ProgramMissing, spec.program),
            std::io::ErrorKind::PermissionDenied => tr!(T::ProgramNotExecutable, spec.program),
            _ => tr!(
                T::ProgramFailedToStart,
                spec.program,
                crate::error::io_reason(&e)
            ),
        })
    })?;
    let pgid = child.id().map(|p| p as i32);
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_task = tokio::spawn(async move {
        match stdout {
            Some(s) => read_capped(s, STDOUT_LIMIT).await,
            None => (Vec::new(), false),
        }
    });
    let err_task = tokio::spawn(async move {
        match stderr {
            Some(s) => read_capped(s, STDERR_LIMIT * 4).await.0,
            None => Vec::new(),
        }
    });
    let timeout = Duration::from_secs(spec.timeout_secs.max(1));
    let deadline = tokio::time::Instant::now() + timeout;
    let stopping = async {
        match stop {
            Some(s) => match kind {
                Kind::Recharge => {
                    s.wait().await;
                    tokio::time::sleep(s.grace()).await;
                }
                Kind::Read => s.read_stopped().await,
            },
            None => std::future::pending::<()>().await,
        }
    };
    let (status, timed_out, stopped) = tokio::select! {
        status = child.wait() => (status.ok(), false, false),
        _ = tokio::time::sleep_until(deadline) => {
            kill_group(pgid);
            (child.wait().await.ok(), true, false)
        }
        _ = stopping => {
            kill_group(pgid);
            (child.wait().await.ok(), false, true)
        }
    };
    // Whatever the child left running in its group goes too, so the pipes close.
    if timed_out || stopped {
        kill_group(pgid);
    }
    let (stdout, stdout_cut) = tokio::time::timeout(Duration::from_secs(2), out_task)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let stderr_raw = tokio::time::timeout(Duration::from_secs(2), err_task)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    // Secrets go first, before anything is cut, cleaned, parsed, logged or shown.
    let stdout = crate::secrets::redact_bytes(stdout);
    let stderr = crate::secrets::redact(&String::from_utf8_lossy(&stderr_raw)).into_owned();
    let stderr = cut(&clean(&stderr), STDERR_LIMIT);
    Ok(Finished {
        code: status.and_then(|s| s.code()),
        timed_out,
        stopped,
        stdout,
        stdout_cut,
        stderr,
    })
}

/// Kills a process group (the command and anything it started).
pub fn kill_group(pgid: Option<i32>) {
    if let Some(p) = pgid.filter(|p| *p > 0) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(p),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// The JSON object on stdout, if stdout is exactly one (surrounding whitespace aside) and
/// names no key twice: `{"status":"succeeded","status":"failed"}` is ambiguous, not either.
pub fn json_object(stdout: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_slice::<UniqueKeys>(stdout)
        .ok()
        .map(|u| u.0)
}

/// A JSON object whose keys are all different (serde_json alone keeps the last of two).
struct UniqueKeys(serde_json::Map<String, serde_json::Value>);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object with each key once")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<UniqueKeys, A::Error> {
                let mut m = serde_json::Map::new();
                while let Some((k, v)) = a.next_entry::<String, serde_json::Value>()? {
                    if m.contains_key(&k) {
                        return Err(serde::de::Error::custom("a key appears twice"));
                    }
                    m.insert(k, v);
                }
                Ok(UniqueKeys(m))
            }
        }
        d.deserialize_map(V)
    }
}

/// A short, clean preview of what a command printed, for error messages.
pub fn preview(stdout: &[u8]) -> String {
    let s = clean(&String::from_utf8_lossy(stdout));
    if s.is_empty() {
        tr!(T::CmdPrintedNothing)
    } else {
        format!("\"{}\"", cut(&s, 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_codes_and_controls_are_removed() {
        let nasty = "ok\u{1b}]0;pwned title\u{7}\u{1b}[2J\u{1b}[31mred\u{1b}[0m\r\nline2\u{9b}\u{0}\u{8}end\ttab";
        assert_eq!(clean(nasty), "okred | line2end tab");
        assert_eq!(clean("\u{1b}P+q\u{1b}\\after"), "after");
        assert_eq!(cut("移动保号卡", 7), "移…");
    }

    fn spec(script: &str, timeout: u64) -> CommandSpec {
        CommandSpec {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            timeout_secs: timeout,
        }
    }

    #[tokio::test]
    async fn env_in_json_out_and_stderr_cleaned() {
        let f = run(
            &spec(
                r#"printf '{"n":"%s"}' "$BAOHAO_NUMBER"; printf '\033[2Jbad\n' >&2"#,
                5,
            ),
            &[("BAOHAO_NUMBER", "cmcc".into())],
        )
        .await
        .unwrap();
        assert!(f.success());
        assert_eq!(json_object(&f.stdout).unwrap()["n"], "cmcc");
        assert_eq!(f.stderr, "bad");
    }

    /// When the terminal goes (a short grace asked for), a balance read
    /// in flight is cut at once, while a recharge keeps its grace. The grace asked here
    /// outlasts the command: a read that waited for it would finish on its own, unstopped.
    #[tokio::test]
    async fn a_lost_terminal_cuts_a_read_at_once_and_a_recharge_keeps_its_grace() {
        let script = "sleep 2; echo done";
        let stop = std::sync::Arc::new(Shutdown::default());
        let asker = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            asker.request_within(Duration::from_secs(600));
        });
        let cmd = spec(script, 30);
        let (read, recharge) = tokio::join!(
            run_until(&cmd, &[], Some(&stop), Kind::Read),
            run_until(&cmd, &[], Some(&stop), Kind::Recharge),
        );
        let (read, recharge) = (read.unwrap(), recharge.unwrap());
        assert!(read.stopped, "the read was not cut: {:?}", read.stdout);
        assert!(
            !recharge.stopped && recharge.success(),
            "the recharge ran to its end"
        );
        // A normal stop gives a read the usual grace.
        let quit = Shutdown::default();
        quit.request();
        assert_eq!(quit.read_grace(), crate::link::SHUTDOWN_GRACE);
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-alive");
        let script = format!("(sleep 3; touch {}) & sleep 30", marker.display());
        let t = std::time::Instant::now();
        let f = run(&spec(&script, 1), &[]).await.unwrap();
        assert!(f.timed_out);
        assert!(t.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(!marker.exists(), "the grandchild was killed with the group");
    }

    #[tokio::test]
    async fn huge_output_is_cut_not_fatal_and_missing_programs_are_named() {
        let f = run(
            &spec(
                "head -c 5000000 /dev/zero | tr '\\0' x; head -c 100000 /dev/zero >&2",
                10,
            ),
            &[],
        )
        .await
        .unwrap();
        assert!(f.stdout_cut);
        assert_eq!(f.stdout.len(), STDOUT_LIMIT);
        assert!(f.stderr.len() <= STDERR_LIMIT);
        let missing = CommandSpec {
            program: "/nonexistent/cmcc-balance".into(),
            args: vec![],
            timeout_secs: 5,
        };
        let e = run(&missing, &[]).await.unwrap_err();
        assert!(e.0.contains("/nonexistent/cmcc-balance"), "{}", e.0);
    }
}
