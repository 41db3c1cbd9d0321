//! A private D-Bus and a real ModemManager in test mode, with one fake modem plugged in
//! through the Test interface's `SetProfile`. Everything started here is ended on drop.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::fake_modem::FakeModem;

pub struct MmEnv {
    pub dir: tempfile::TempDir,
    pub address: String,
    pub modem: FakeModem,
    bus: Child,
    mm: Option<Child>,
}

/// Ends the child with the test process, even when the test is killed before its drop.
pub fn die_with_parent(c: &mut Command) -> &mut Command {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        })
    }
}

/// Where ModemManager is, or `None` when it is not installed. Outside CI a missing
/// ModemManager skips the test loudly; in CI (`CI` set) it is a failure.
pub fn modem_manager() -> Option<PathBuf> {
    let found = ["/usr/sbin/ModemManager", "/usr/bin/ModemManager"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "ModemManager is not installed, and CI is set: apt-get install modemmanager dbus"
            );
        }
        eprintln!(
            "\n\n*** SKIPPED: ModemManager is not installed (apt-get install modemmanager dbus); \
             the modem tests did not run ***\n\n"
        );
    }
    found
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    // Not a test deadline: a generous guard so a broken environment (no dbus-daemon, a
    // ModemManager that never exports the modem) fails with a reason instead of hanging.
    let start = Instant::now();
    while !f() {
        if start.elapsed() > Duration::from_secs(600) {
            panic!("gave up waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn gdbus(address: &str, args: &[&str]) -> Option<String> {
    let o = Command::new("gdbus")
        .arg("call")
        .arg("-a")
        .arg(address)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).to_string())
}

impl MmEnv {
    /// Starts the bus, ModemManager and the fake modem, and waits until ModemManager has
    /// exported it. `None` when ModemManager is missing (see [`modem_manager`]).
    pub fn start() -> Option<MmEnv> {
        MmEnv::start_with(|_| {})
    }

    /// As [`MmEnv::start`], with `setup` run on the fake modem before ModemManager probes it.
    pub fn start_with(setup: impl FnOnce(&FakeModem)) -> Option<MmEnv> {
        let mm_bin = modem_manager()?;
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("bus");
        let address = format!("unix:path={}", sock.display());
        let bus = die_with_parent(&mut Command::new("dbus-daemon"))
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (apt-get install dbus)");
        wait_for("the private bus", || sock.exists());
        let modem = FakeModem::start(dir.path());
        setup(&modem);
        let mut env = MmEnv {
            dir,
            address,
            modem,
            bus,
            mm: None,
        };
        env.start_mm(&mm_bin);
        env.plug();
        Some(env)
    }

    fn start_mm(&mut self, bin: &Path) {
        let log = std::fs::File::create(self.dir.path().join("mm.log")).unwrap();
        let mm = die_with_parent(&mut Command::new(bin))
            .args([
                "--test-session",
                "--test-enable",
                "--no-auto-scan",
                "--test-no-udev",
                "--test-no-suspend-resume",
                "--debug",
                "--log-level=DEBUG",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            // In --test-session mode ModemManager allows every request without asking polkit
            // (mm_base_modem_authorize); its system bus is pointed at ours all the same.
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.address)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start ModemManager");
        self.mm = Some(mm);
        let a = self.address.clone();
        wait_for("ModemManager on the bus", || {
            gdbus(
                &a,
                &[
                    "-d",
                    "org.freedesktop.ModemManager1",
                    "-o",
                    "/org/freedesktop/ModemManager1",
                    "-m",
                    "org.freedesktop.DBus.Peer.Ping",
                ],
            )
            .is_some()
        });
    }

    /// Hands the fake modem's socket to ModemManager and waits for the modem object.
    pub fn plug(&self) {
        let ports = format!("['{}']", self.modem.path.display());
        gdbus(
            &self.address,
            &[
                "-d",
                "org.freedesktop.ModemManager1",
                "-o",
                "/org/freedesktop/ModemManager1",
                "-m",
                "org.freedesktop.ModemManager1.Test.SetProfile",
                "fake",
                "generic",
                &ports,
            ],
        )
        .expect("SetProfile");
        let a = self.address.clone();
        wait_for("the modem to be exported", || {
            gdbus(
                &a,
                &[
                    "-d",
                    "org.freedesktop.ModemManager1",
                    "-o",
                    "/org/freedesktop/ModemManager1",
                    "-m",
                    "org.freedesktop.DBus.ObjectManager.GetManagedObjects",
                ],
            )
            .is_some_and(|o| o.contains("/Modem/"))
        });
    }

    /// ModemManager's log so far (for failure messages).
    pub fn mm_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mm.log")).unwrap_or_default()
    }

    /// Stops ModemManager (the modem vanishes from the bus).
    pub fn stop_mm(&mut self) {
        if let Some(mut mm) = self.mm.take() {
            let _ = mm.kill();
            let _ = mm.wait();
        }
    }
}

impl Drop for MmEnv {
    fn drop(&mut self) {
        self.stop_mm();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
