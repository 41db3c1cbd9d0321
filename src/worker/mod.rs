//! The worker: refreshes balances, asks the engine what is due, and runs recharges with
//! the exactly-once order — intent appended and fsync'd under the log lock after checking
//! the key is still due, then the executor, then the outcome. One worker per home (the
//! worker lock). It talks to the TUI or the daemon only through `Report` messages.

pub mod command;
pub mod daemon;
pub mod executor;
pub mod notify;
pub mod provider;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Semaphore, mpsc};

use crate::clock::Clock;
use crate::engine::{BlockReason, State, plan};
use crate::i18n::T;
use crate::model::{Config, Event, EventBody, Executor, Mode, Money, OutcomeStatus};
use crate::store::config::{self, Stamp};
use crate::store::lock::WorkerLock;
use crate::store::log::new_id;
use crate::store::{Cursor, Log, Paths};
use crate::tr;
use crate::worker::command::Shutdown;

pub use daemon::{daemon, tick};

/// At most this many provider, executor or notify commands run at once.
pub const MAX_COMMANDS: usize = 4;

/// What the worker is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Refresh every number now, then run what is due.
    RefreshAll,
    /// Refresh one number now (ignoring its backoff), then run what is due.
    Refresh(String),
    /// The config was saved: re-read it and run what is now due.
    ConfigChanged,
}

/// What the worker tells its owner. Text is already in the person's language.
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
}

/// The owner's side of a running worker.
pub struct Handle {
    pub commands: mpsc::UnboundedSender<Command>,
    pub shutdown: Arc<Shutdown>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Handle {
    /// Asks the worker to stop and waits until it has (commands in flight get a grace period).
    pub async fn stop(self) {
        self.shutdown.request();
        let _ = self.task.await;
    }
}

/// Starts the worker on the current tokio runtime. It holds `lock` until it stops.
pub fn spawn(
    paths: Paths,
    clock: Clock,
    lock: WorkerLock,
) -> (Handle, mpsc::UnboundedReceiver<Report>) {
    let (ctx, crx) = mpsc::unbounded_channel();
    let (rtx, rrx) = mpsc::unbounded_channel();
    let shutdown = Arc::new(Shutdown::default());
    let worker = Worker::new(paths, clock, rtx, shutdown.clone());
    let task = tokio::spawn(async move {
        let _lock = lock;
        worker.run(crx).await;
    });
    (
        Handle {
            commands: ctx,
            shutdown,
            task,
        },
        rrx,
    )
}

/// Which numbers a pass refreshes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Which {
    All,
    One(String),
    /// Only plan and run what is due (between refreshes: monthly rules fire on time).
    None,
}

pub struct Worker {
    paths: Paths,
    clock: Clock,
    log: Log,
    config: Option<(Config, Stamp)>,
    /// The config on disk does not parse: recharges are paused until it does.
    config_broken: bool,
    state: State,
    cursor: Cursor,
    reports: mpsc::UnboundedSender<Report>,
    shutdown: Arc<Shutdown>,
    permits: Arc<Semaphore>,
    /// Per number: consecutive provider failures and when to try again.
    backoff: HashMap<String, (u32, DateTime<Utc>)>,
    /// Blocked charges already reported (reported once, not every pass).
    blocked_seen: HashSet<(String, String)>,
    /// When each in-doubt intent may next be queried.
    query_after: HashMap<String, DateTime<Utc>>,
    last_full: Option<DateTime<Utc>>,
}

impl Worker {
    pub fn new(
        paths: Paths,
        clock: Clock,
        reports: mpsc::UnboundedSender<Report>,
        shutdown: Arc<Shutdown>,
    ) -> Worker {
        let log = Log::new(&paths.log);
        Worker {
            paths,
            clock,
            log,
            config: None,
            config_broken: false,
            state: State::new(chrono_tz::Tz::UTC),
            cursor: Cursor::default(),
            reports,
            shutdown,
            permits: Arc::new(Semaphore::new(MAX_COMMANDS)),
            backoff: HashMap::new(),
            blocked_seen: HashSet::new(),
            query_after: HashMap::new(),
            last_full: None,
        }
    }

    fn report(&self, r: Report) {
        let _ = self.reports.send(r);
    }

    fn refresh_every(&self) -> StdDuration {
        let minutes = self
            .config
            .as_ref()
            .map_or(crate::model::number::DEFAULT_REFRESH_MINUTES, |c| {
                c.0.refresh_minutes
            });
        StdDuration::from_secs(minutes as u64 * 60)
    }

    /// The worker's life: a full pass at once, then on request, every `refresh_minutes`,
    /// and a plan-only pass every minute so that scheduled rules fire on time.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        self.pass(Which::All).await;
        let mut next_full = tokio::time::Instant::now() + self.refresh_every();
        let mut minute = tokio::time::interval(StdDuration::from_secs(60));
        minute.tick().await;
        while !self.shutdown.requested() {
            let which = tokio::select! {
                c = commands.recv() => match c {
                    None => break,
                    Some(Command::RefreshAll) => Which::All,
                    Some(Command::Refresh(n)) => Which::One(n),
                    Some(Command::ConfigChanged) => Which::None,
                },
                _ = tokio::time::sleep_until(next_full) => Which::All,
                _ = minute.tick() => Which::None,
                _ = self.shutdown.wait() => break,
            };
            if which == Which::All {
                next_full = tokio::time::Instant::now() + self.refresh_every();
            }
            self.pass(which).await;
        }
        self.report(Report::Stopped);
    }

    /// Reads the config if it changed on disk. A broken config pauses recharges (the last
    /// good one is not trusted: the person may have been in the middle of disabling a rule).
    fn reload_config(&mut self) {
        let bytes = match std::fs::read(&self.paths.config) {
            Ok(b) => b,
            Err(e) => {
                if !self.config_broken {
                    self.report(Report::Problem(
                        crate::Error::io(T::WhatRead, &self.paths.config, &e).message,
                    ));
                }
                self.config_broken = true;
                return;
            }
        };
        let stamp = Stamp::of(&bytes);
        if self.config.as_ref().is_some_and(|(_, s)| *s == stamp) && !self.config_broken {
            return;
        }
        match config::parse(&bytes) {
            Ok(c) => {
                let tz_changed = self
                    .config
                    .as_ref()
                    .is_none_or(|(old, _)| old.timezone != c.timezone);
                if tz_changed {
                    self.state = State::new(c.timezone);
                    self.cursor = Cursor::default();
                }
                if self.config_broken {
                    self.report(Report::Notice(tr!(T::WorkerConfigFixed)));
                }
                self.config = Some((c, stamp));
                self.config_broken = false;
            }
            Err(problems) => {
                if !self.config_broken || self.config.as_ref().is_none_or(|(_, s)| *s != stamp) {
                    let e = config::problems_error(&self.paths.config, &problems);
                    self.report(Report::Problem(tr!(T::WorkerConfigBroken, e.message)));
                }
                self.config_broken = true;
            }
        }
    }

    /// Reads what others (and we) appended since last time.
    fn catch_up(&mut self) {
        let state = &mut self.state;
        match self.log.scan_ref(self.cursor, |e| state.apply_event(e)) {
            Ok(scan) => self.cursor = scan.cursor,
            Err(e) => self.report(Report::Problem(
                crate::Error::io(T::WhatRead, &self.paths.log, &e).message,
            )),
        }
    }

    fn event(&self, number: &str, now: DateTime<Utc>, body: EventBody) -> Event {
        let tz = self
            .config
            .as_ref()
            .map_or(chrono_tz::Tz::UTC, |c| c.0.timezone);
        Event {
            id: new_id(now.timestamp_millis()),
            at: now.with_timezone(&tz).fixed_offset(),
            number: number.to_string(),
            body,
        }
    }

    /// Appends events (catching up first, under the lock), then reads them back.
    fn append(&mut self, events: Vec<Event>) -> bool {
        let state = &mut self.state;
        let cursor = self.cursor;
        let r = self.log.transact(|txn| {
            let scan = txn.scan(cursor, |e| state.apply_owned(e))?;
            txn.append(&events)?;
            Ok(scan.cursor)
        });
        match r {
            Ok((cursor, torn)) => {
                self.cursor = cursor;
                if let Some(t) = torn {
                    self.report(Report::Notice(t.render(&self.paths.log)));
                }
                self.catch_up();
                self.report(Report::LogChanged);
                true
            }
            Err(e) => {
                self.report(Report::Problem(
                    crate::Error::io(T::WhatWrite, &self.paths.log, &e).message,
                ));
                false
            }
        }
    }

    /// One pass: refresh balances, run what is due, settle what a query can, send alerts.
    pub async fn pass(&mut self, which: Which) {
        // A plan-only pass (every minute) is silent unless it does something.
        let visible = which != Which::None;
        if visible {
            self.report(Report::Busy(true));
        }
        self.reload_config();
        self.catch_up();
        if let Some((config, _)) = self.config.clone() {
            if which != Which::None {
                self.refresh(&config, &which).await;
            }
            if !self.config_broken && !self.shutdown.requested() {
                self.run_due(&config).await;
                self.query_in_doubt(&config).await;
                self.send_alerts(&config).await;
            }
        }
        let now = self.clock.now();
        if which == Which::All {
            self.last_full = Some(now);
        }
        if visible {
            let next = now + Duration::from_std(self.refresh_every()).unwrap_or(Duration::hours(1));
            self.report(Report::Idle { at: now, next });
            self.report(Report::Busy(false));
        }
    }

    async fn refresh(&mut self, config: &Config, which: &Which) {
        let now = self.clock.now();
        let tz = config.timezone;
        let numbers: Vec<_> = config
            .numbers
            .iter()
            .filter(|n| match which {
                Which::All => self.backoff.get(&n.id).is_none_or(|(_, at)| now >= *at),
                Which::One(id) => &n.id == id,
                Which::None => false,
            })
            .cloned()
            .collect();
        let state = &self.state;
        let permits = &self.permits;
        let reads = numbers.iter().map(|n| async move {
            let _permit = permits.acquire().await;
            (n, provider::read(n, state.number(&n.id), tz, now).await)
        });
        let results = futures::future::join_all(reads).await;
        let mut events = Vec::new();
        let mut reports = Vec::new();
        let mut failed = Vec::new();
        for (n, r) in results {
            match r {
                None => {}
                Some(Ok(reading)) => {
                    self.backoff.remove(&n.id);
                    let ns = self.state.number(&n.id);
                    let unchanged = ns.and_then(|s| s.observed.as_ref()).is_some_and(|o| {
                        o.balance == reading.balance.minor && o.currency == reading.balance.currency
                    }) && (reading.validity_until.is_none()
                        || ns.and_then(|s| s.observed_validity).map(|v| v.0)
                            == reading.validity_until);
                    if !unchanged {
                        events.push(self.event(
                            &n.id,
                            now,
                            EventBody::Balance {
                                balance_minor: reading.balance.minor,
                                currency: reading.balance.currency,
                                validity_until: reading.validity_until,
                                source: reading.source.to_string(),
                            },
                        ));
                    }
                    reports.push(Report::Refreshed {
                        number: n.id.clone(),
                        balance: reading.balance,
                    });
                }
                Some(Err(reason)) => {
                    failed.push(n.id.clone());
                    reports.push(Report::RefreshFailed {
                        number: n.id.clone(),
                        reason,
                    });
                }
            }
        }
        for id in failed {
            let (count, _) = self.backoff.get(&id).copied().unwrap_or((0, now));
            let wait = Duration::minutes(1i64 << count.min(6))
                .min(Duration::minutes(config.refresh_minutes as i64));
            self.backoff.insert(id, (count + 1, now + wait));
        }
        if !events.is_empty() {
            self.append(events);
        }
        for r in reports {
            self.report(r);
        }
    }

    /// Runs every due intent: intent (checked and written under the lock) → executor → outcome.
    async fn run_due(&mut self, config: &Config) {
        let now = self.clock.now();
        self.dismiss_stale(config, now);
        let p = plan(&self.state, config, now);
        for b in &p.blocked {
            if self.blocked_seen.insert((b.number.clone(), b.key.clone())) {
                let why = match &b.reason {
                    BlockReason::Budget { committed, budget } => tr!(
                        T::BlockedBudget,
                        Money::new(*committed, b.amount.currency).display(),
                        Money::new(*budget, b.amount.currency).display()
                    ),
                    BlockReason::RuleCap { max } => tr!(T::BlockedCap, max),
                    BlockReason::InDoubt { intent } => tr!(T::BlockedInDoubt, intent),
                };
                self.report(Report::Notice(tr!(
                    T::WorkerBlocked,
                    b.number,
                    b.rule,
                    b.amount.display(),
                    why
                )));
            }
        }
        for due in p.due {
            if self.shutdown.requested() {
                return;
            }
            let Some(number) = config.number(&due.number).cloned() else {
                continue;
            };
            let intent = self.event(
                &due.number,
                now,
                EventBody::Intent {
                    rule: due.rule.clone(),
                    key: due.key.clone(),
                    attempt: due.attempt,
                    amount_minor: due.amount.minor,
                    currency: due.amount.currency,
                    mode: due.mode,
                },
            );
            // Check-then-append under the lock: if anyone wrote this key meanwhile, skip.
            let state = &mut self.state;
            let cursor = self.cursor;
            let written = self.log.transact(|txn| {
                let scan = txn.scan(cursor, |e| state.apply_owned(e))?;
                let still = plan(state, config, now).due.iter().any(|d| {
                    d.number == due.number && d.key == due.key && d.attempt == due.attempt
                });
                if still {
                    txn.append(std::slice::from_ref(&intent))?;
                }
                Ok((still, scan.cursor))
            });
            match written {
                Ok(((false, cursor), _)) => {
                    self.cursor = cursor;
                    continue;
                }
                Ok(((true, cursor), _)) => {
                    self.cursor = cursor;
                    self.catch_up();
                    self.report(Report::LogChanged);
                }
                Err(e) => {
                    self.report(Report::Problem(
                        crate::Error::io(T::WhatWrite, &self.paths.log, &e).message,
                    ));
                    return;
                }
            }
            if due.mode == Mode::Remind {
                self.report(Report::Notice(tr!(
                    T::WorkerReminder,
                    number.label,
                    due.amount.display(),
                    due.rule
                )));
                continue;
            }
            let answer = {
                let _permit = self.permits.acquire().await;
                executor::recharge(&number, &due.key, due.amount, Some(&self.shutdown)).await
            };
            let done = self.clock.now();
            let outcome = self.event(
                &due.number,
                done,
                EventBody::Outcome {
                    intent: intent.id.clone(),
                    status: answer.status,
                    reference: answer.reference.clone(),
                    error: answer.error.clone(),
                },
            );
            self.append(vec![outcome]);
            self.report(Report::Recharged {
                number: due.number.clone(),
                rule: due.rule.clone(),
                amount: due.amount,
                status: answer.status,
            });
            let line = match answer.status {
                OutcomeStatus::Succeeded => tr!(
                    T::WorkerSucceeded,
                    number.label,
                    due.amount.display(),
                    answer.reference.unwrap_or_default()
                ),
                OutcomeStatus::Failed => tr!(
                    T::WorkerFailed,
                    number.label,
                    due.amount.display(),
                    answer.error.unwrap_or_default()
                ),
                OutcomeStatus::Unknown => tr!(
                    T::WorkerUnknown,
                    number.label,
                    due.amount.display(),
                    answer.error.unwrap_or_default()
                ),
            };
            self.report(if answer.status == OutcomeStatus::Succeeded {
                Report::Notice(line)
            } else {
                Report::Problem(line)
            });
        }
    }

    /// Records the end of reminders whose rule was deleted or made automatic (readers
    /// already ignore them; this puts the reason in the log). A second writer racing this
    /// one only adds a harmless repeat.
    fn dismiss_stale(&mut self, config: &Config, now: DateTime<Utc>) {
        let stale = crate::engine::reminders::stale(&self.state, config);
        if stale.is_empty() {
            return;
        }
        let events = stale
            .into_iter()
            .map(|s| {
                self.event(
                    &s.number,
                    now,
                    EventBody::Dismissed {
                        intent: s.intent,
                        reason: s.reason.to_string(),
                        note: None,
                    },
                )
            })
            .collect();
        self.append(events);
    }

    /// Asks command executors about in-doubt recharges (at most every 10 minutes each).
    async fn query_in_doubt(&mut self, config: &Config) {
        let now = self.clock.now();
        let mut asks = Vec::new();
        for n in &config.numbers {
            if !matches!(n.executor, Executor::Command(_)) {
                continue;
            }
            let Some(ns) = self.state.number(&n.id) else {
                continue;
            };
            for (k, a) in ns.in_doubt() {
                // An intent without an outcome may still be running elsewhere: wait a little.
                if a.outcome.is_none() && now - a.at < Duration::minutes(5) {
                    continue;
                }
                if self.query_after.get(&*a.intent).is_some_and(|t| now < *t) {
                    continue;
                }
                asks.push((
                    n.clone(),
                    k.key.to_string(),
                    Money::new(k.amount_minor, k.currency),
                    a.intent.to_string(),
                ));
            }
        }
        for (number, key, amount, intent) in asks {
            if self.shutdown.requested() {
                return;
            }
            self.query_after
                .insert(intent.clone(), now + Duration::minutes(10));
            let answer = {
                let _permit = self.permits.acquire().await;
                executor::query(&number, &key, amount).await
            };
            if let Some((status, reference)) = answer {
                let note = Some(match reference {
                    Some(r) => tr!(T::QueryNoteRef, r),
                    None => tr!(T::QueryNote),
                });
                let e = self.event(
                    &number.id,
                    self.clock.now(),
                    EventBody::Resolved {
                        intent: intent.clone(),
                        status,
                        note,
                        retry: true,
                    },
                );
                if self.append(vec![e]) {
                    self.report(Report::Notice(tr!(
                        T::WorkerQueried,
                        intent,
                        status.as_str()
                    )));
                }
            }
        }
    }

    async fn send_alerts(&mut self, config: &Config) {
        let Some(n) = &config.notify else { return };
        let alerts = notify::due_alerts(&self.state, config, self.clock.now());
        for a in alerts {
            if self.shutdown.requested() {
                return;
            }
            let env = [
                ("BAOHAO_EVENT", a.event.as_str().to_string()),
                ("BAOHAO_NUMBER", a.number.clone()),
                ("BAOHAO_MESSAGE", a.message.clone()),
            ];
            let result = {
                let _permit = self.permits.acquire().await;
                command::run(&n.command, &env).await
            };
            match result {
                Ok(f) if f.success() => {}
                Ok(f) => self.report(Report::Problem(tr!(
                    T::NotifyFailed,
                    a.event.as_str(),
                    f.reason()
                ))),
                Err(e) => self.report(Report::Problem(tr!(T::NotifyFailed, a.event.as_str(), e.0))),
            }
            // Recorded either way: an alert is tried once, and a failing notifier is said once.
            let e = self.event(
                &a.number,
                self.clock.now(),
                EventBody::Notified {
                    event: a.event.as_str().to_string(),
                    key: a.key,
                },
            );
            self.append(vec![e]);
        }
    }
}
