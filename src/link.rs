//! How a face hosts a worker: the requests it sends, the reports it gets back, the handle
//! that stops it, and the one tokio runtime builder. The TUI and the daemon speak only
//! this; which worker runs behind it is chosen by the binary (`main.rs`), so the faces
//! never import each other.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::{Money, OutcomeStatus};
use crate::tr;

/// What a worker is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Refresh every number now, then run what is due.
    RefreshAll,
    /// Refresh one number now (ignoring its backoff), then run what is due.
    Refresh(String),
    /// The config was saved: re-read it and run what is now due.
    ConfigChanged,
}

/// What a worker tells its owner. Text is already in the person's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// A pass started (true) or ended (false).
    Busy(bool),
    /// The worker appended to the log: read the new lines.
    LogChanged,
    Refreshed {
        number: String,
        balance: Money,
    },
    RefreshFailed {
        number: String,
        reason: String,
    },
    Recharged {
        number: String,
        rule: String,
        amount: Money,
        status: OutcomeStatus,
    },
    /// A line for people: what happened, or what needs them.
    Notice(String),
    /// Something went wrong that the person should see.
    Problem(String),
    /// The pass finished at this time; the next full refresh is at `next`.
    Idle {
        at: DateTime<Utc>,
        next: DateTime<Utc>,
    },
    Stopped,
    /// What ModemManager says of each number's modem (sent when it was looked at; numbers
    /// without a `modem` are not in it).
    Modems(Vec<ModemSeen>),
    /// What each forwarder answered when it was last looked at (every full pass).
    Forwarders(Vec<crate::model::forwarder::Seen>),
}

/// One number's modem as last seen: its state and signal, or why it could not be seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModemSeen {
    pub number: String,
    /// ModemManager's state name (`registered`, `enabled`…), when the modem was found.
    pub state: Option<String>,
    /// Percent.
    pub signal: Option<u32>,
    pub operator: Option<String>,
    /// Why it was not seen (no ModemManager, no such modem…), one sentence.
    pub problem: Option<String>,
}

/// The owner's side of a running worker.
pub struct Link {
    pub requests: mpsc::UnboundedSender<Request>,
    pub reports: mpsc::UnboundedReceiver<Report>,
    pub shutdown: Arc<Shutdown>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Link {
    /// Asks the worker to stop and waits until it has (commands in flight get a grace
    /// period, then are killed and recorded as the daemon records them on SIGTERM).
    pub async fn stop(self) {
        self.shutdown.request();
        let _ = self.task.await;
    }

    /// Stops quickly (the terminal went away): in-flight commands get a short grace.
    pub async fn stop_within(self, grace: Duration) {
        self.shutdown.request_within(grace);
        let _ = self.task.await;
    }
}

/// Starts a worker for a home on the current runtime, holding the worker lock until it
/// stops. The binary passes `worker::spawn`; tests may pass another.
pub type Spawn =
    fn(crate::store::Paths, crate::clock::Clock, crate::store::lock::WorkerLock) -> Link;

/// Asks a running worker to stop: commands in flight get a grace period, then are killed
/// (a recharge so cut short is recorded as in doubt, never retried on its own).
#[derive(Debug, Default)]
pub struct Shutdown {
    flag: std::sync::atomic::AtomicBool,
    /// The grace period in milliseconds; 0 means [`SHUTDOWN_GRACE`].
    grace_ms: std::sync::atomic::AtomicU64,
    notify: tokio::sync::Notify,
}

/// How long a command in flight may go on after shutdown was asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// The grace period when the terminal went away: the TUI must be gone within 2 s.
pub const LOST_TERMINAL_GRACE: Duration = Duration::from_millis(1200);

impl Shutdown {
    pub fn request(&self) {
        self.flag.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Asks to stop with a shorter grace period for commands in flight.
    pub fn request_within(&self, grace: Duration) {
        self.grace_ms.store(
            grace.as_millis().max(1) as u64,
            std::sync::atomic::Ordering::SeqCst,
        );
        self.request();
    }

    pub fn grace(&self) -> Duration {
        match self.grace_ms.load(std::sync::atomic::Ordering::SeqCst) {
            0 => SHUTDOWN_GRACE,
            ms => Duration::from_millis(ms),
        }
    }

    /// How long a balance read in flight may go on after shutdown was asked for: the
    /// usual grace when the worker stops normally, none at all when a short grace was
    /// asked (the terminal went away). A read moves no money and records nothing, so
    /// cutting it loses nothing; only a recharge needs its grace.
    pub fn read_grace(&self) -> Duration {
        match self.grace_ms.load(std::sync::atomic::Ordering::SeqCst) {
            0 => SHUTDOWN_GRACE,
            _ => Duration::ZERO,
        }
    }

    /// Resolves once shutdown has been requested and a read's grace has passed.
    pub async fn read_stopped(&self) {
        self.wait().await;
        tokio::time::sleep(self.read_grace()).await;
    }

    pub fn requested(&self) -> bool {
        self.flag.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Resolves once shutdown has been requested (at once if it already was).
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.requested() {
                return;
            }
            notified.await;
        }
    }
}

/// The tokio runtime every face uses: two threads (the machines baohao runs on are small).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::runtime(tr!(T::NoRuntime, crate::error::io_reason(&e))))
}
