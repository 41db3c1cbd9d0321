//! The worker: refreshes balances, asks the engine what is due, and runs recharges with
//! the exactly-once order — intent appended and fsync'd under the log lock after checking
//! the key is still due, then the executor, then the outcome. One worker per home (the
//! worker lock). It talks to the TUI or the daemon only through `Report` messages.

pub mod daemon;
pub mod executor;
pub mod inbox;
pub mod modems;
pub mod notify;
pub mod process;
pub mod provider;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Semaphore, mpsc};

use crate::clock::Clock;
use crate::engine::{BlockReason, agenda, intent_for_number};
use crate::i18n::T;
use crate::link::{Link, Shutdown};
use crate::model::{Config, Event, EventBody, Executor, Mode, Money, OutcomeStatus};
use crate::session::{Reload, Session};
use crate::store::Paths;
use crate::store::lock::WorkerLock;
use crate::tr;

pub use crate::link::{Report, Request};

pub use daemon::{daemon, tick};

/// At most this many provider, executor or notify commands run at once.
pub const MAX_COMMANDS: usize = 4;

/// Starts the worker on the current tokio runtime. It holds `lock` until it stops.
pub fn spawn(paths: Paths, clock: Clock, lock: WorkerLock) -> Link {
    let (ctx, crx) = mpsc::unbounded_channel();
    let (rtx, rrx) = mpsc::unbounded_channel();
    let shutdown = Arc::new(Shutdown::default());
    let (atx, arx) = mpsc::unbounded_channel();
    tokio::spawn(inbox::listen(
        paths.clone(),
        atx,
        shutdown.clone(),
        StdDuration::from_secs(30),
    ));
    tokio::spawn(modems::watch(
        paths.clone(),
        rtx.clone(),
        shutdown.clone(),
        StdDuration::from_secs(30),
    ));
    tokio::spawn(crate::inbox::server::run(
        paths.clone(),
        clock.clone(),
        rtx.clone(),
        shutdown.clone(),
        StdDuration::from_secs(30),
    ));
    let mut worker = Worker::new(paths, clock, rtx, shutdown.clone());
    worker.arrivals = Some(arx);
    let task = tokio::spawn(async move {
        let _lock = lock;
        worker.run(crx).await;
    });
    Link {
        requests: ctx,
        reports: rrx,
        shutdown,
        task,
    }
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
    /// The home as this worker sees it (state only, no history rows). A config that does
    /// not read pauses recharges until it does: the last good one is not trusted (the
    /// person may have been in the middle of disabling a rule).
    session: Session,
    clock: Clock,
    reports: mpsc::UnboundedSender<Report>,
    shutdown: Arc<Shutdown>,
    permits: Arc<Semaphore>,
    /// Per number: consecutive provider failures and when to try again.
    backoff: HashMap<String, (u32, DateTime<Utc>)>,
    /// Blocked charges already reported (reported once, not every pass).
    blocked_seen: HashSet<(String, String)>,
    /// Numbers this worker has asked its provider about at least once.
    asked: HashSet<String>,
    /// When each in-doubt intent may next be queried.
    query_after: HashMap<String, DateTime<Utc>>,
    last_full: Option<DateTime<Utc>>,
    /// The last time the log could not be read or written, said as a sentence (`tick`
    /// fails with it: a pass that could not record its work did not succeed).
    log_failure: Option<String>,
    /// Texts arriving on the numbers' modems (see `inbox`).
    arrivals: Option<mpsc::UnboundedReceiver<inbox::Arrival>>,
    /// The clock is behind the log and this worker said so (said once per episode).
    clock_behind_said: bool,
    /// A checkpoint could not be written and this worker said so.
    checkpoint_failure_said: bool,
    /// Push-channel sends on their way, by (event, key, channel id), and where they report.
    in_flight: HashSet<(String, String, String)>,
    deliveries: (mpsc::UnboundedSender<Sent>, mpsc::UnboundedReceiver<Sent>),
    /// The HTTP client, made at the first send.
    client: Option<reqwest::Client>,
    /// Channels whose URL could not be used, said once each.
    channel_problems: HashSet<String>,
    /// Forwarder catch-up problems already said.
    catch_up_said: HashSet<String>,
    /// What was last seen of each forwarder (read from its file at the first pass).
    forwarders_seen: Option<Vec<crate::forwarder::seen::Seen>>,
    /// The forwarders file could not be written and this worker said so.
    seen_failure_said: bool,
}

impl Worker {
    pub fn new(
        paths: Paths,
        clock: Clock,
        reports: mpsc::UnboundedSender<Report>,
        shutdown: Arc<Shutdown>,
    ) -> Worker {
        Worker {
            session: Session::unread(paths),
            clock,
            reports,
            shutdown,
            permits: Arc::new(Semaphore::new(MAX_COMMANDS)),
            backoff: HashMap::new(),
            blocked_seen: HashSet::new(),
            query_after: HashMap::new(),
            asked: HashSet::new(),
            last_full: None,
            log_failure: None,
            arrivals: None,
            clock_behind_said: false,
            checkpoint_failure_said: false,
            catch_up_said: HashSet::new(),
            forwarders_seen: None,
            seen_failure_said: false,
            in_flight: HashSet::new(),
            deliveries: mpsc::unbounded_channel(),
            client: None,
            channel_problems: HashSet::new(),
        }
    }

    /// Why the log could not be read or written during this worker's life, if it could not.
    pub fn log_failure(&self) -> Option<&str> {
        self.log_failure.as_deref()
    }

    /// The log could not be read or written: said, and kept for the outcome report.
    fn log_failed(&mut self, e: crate::Error) {
        self.log_failure = Some(e.message.clone());
        self.report(Report::Problem(e.message));
    }

    fn report(&self, r: Report) {
        let _ = self.reports.send(r);
    }

    fn refresh_every(&self) -> StdDuration {
        let minutes = if self.session.stamp.is_some() {
            self.session.config.refresh_minutes
        } else {
            crate::model::number::DEFAULT_REFRESH_MINUTES
        };
        StdDuration::from_secs(minutes as u64 * 60)
    }

    /// The worker's life: a full pass at once, then on request, every `refresh_minutes`,
    /// and a plan-only pass every minute so that scheduled rules fire on time.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Request>) {
        self.pass(Which::All).await;
        let mut next_full = tokio::time::Instant::now() + self.refresh_every();
        let mut minute = tokio::time::interval(StdDuration::from_secs(60));
        minute.tick().await;
        while !self.shutdown.requested() {
            let which = tokio::select! {
                c = commands.recv() => match c {
                    None => break,
                    Some(Request::RefreshAll) => Which::All,
                    Some(Request::Refresh(n)) => Which::One(n),
                    Some(Request::ConfigChanged) => Which::None,
                },
                Some(a) = next_arrival(&mut self.arrivals) => {
                    self.arrived(a);
                    continue;
                }
                Some(s) = self.deliveries.1.recv() => {
                    self.delivered(s);
                    continue;
                }
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

    /// A text arrived on a number's modem: through the text-message parser, a balance notice
    /// becomes a reading, a top-up confirmation evidence (a `statement` from `sms`), and
    /// anything else a `message` kept for review. Appended as `import` appends (only what
    /// the log lacks), so the same text read twice adds nothing.
    fn arrived(&mut self, a: inbox::Arrival) {
        self.reload_config();
        let Ok(number) = self.session.number(&a.number).cloned() else {
            return;
        };
        // Dated by the carrier when it says (never later than now).
        let now = self.clock.now();
        let tz = self.session.config.timezone;
        let local_now = now.with_timezone(&tz).fixed_offset();
        let stamped = a
            .sms
            .timestamp
            .as_deref()
            .and_then(crate::modem::text::parse_timestamp);
        let from = (!a.sms.number.is_empty()).then_some(a.sms.number.as_str());
        // More than a day ahead of the clock: kept for review, never read as a
        // balance or a top-up.
        let ahead = stamped.filter(|t| *t > local_now + crate::import::limits::DATED_AHEAD);
        let events = match ahead {
            Some(_) => vec![crate::import::kept_text(
                &number,
                from,
                stamped,
                &a.sms.text,
                local_now,
            )],
            None => crate::import::events_of_text(
                &number,
                from,
                stamped.map(|t| t.min(local_now)),
                &a.sms.text,
                local_now,
            ),
        };
        let log = crate::store::Log::new(&self.session.paths.log).stamping(now);
        match log.append_new(&events, false) {
            Ok((0, _)) => return,
            Ok((_, torn)) => {
                if let Some(t) = torn {
                    self.session
                        .problems
                        .push(t.render(&self.session.paths.log));
                }
                let _ = self.session.catch_up();
                self.say_log_problems();
                self.report(Report::LogChanged);
            }
            Err(e) => {
                self.log_failed(crate::error::Error::io(
                    T::WhatWrite,
                    &self.session.paths.log,
                    &e,
                ));
                return;
            }
        }
        for e in &events {
            match &e.body {
                EventBody::Balance {
                    balance_minor,
                    currency,
                    ..
                } => self.report(Report::Refreshed {
                    number: number.id.clone(),
                    balance: crate::model::Money::new(*balance_minor, *currency),
                }),
                EventBody::Message { .. } => {
                    let from = crate::modem::provider::printable(&a.sms.number, 20);
                    self.report(Report::Notice(match ahead {
                        Some(dated) => tr!(
                            T::WorkerTextDatedAhead,
                            number.label,
                            from,
                            dated.format("%Y-%m-%d %H:%M")
                        ),
                        None => tr!(T::WorkerTextKept, number.label, from),
                    }))
                }
                _ => {}
            }
        }
    }

    /// Reads the config if it changed on disk, saying when it breaks or mends.
    fn reload_config(&mut self) {
        match self.session.reload_config(false) {
            Reload::Unchanged => {}
            Reload::Changed { fixed, .. } => {
                if fixed {
                    self.report(Report::Notice(tr!(T::WorkerConfigFixed)));
                }
            }
            Reload::Broken { message, new } => {
                if new {
                    self.report(Report::Problem(tr!(T::WorkerConfigBroken, message)));
                }
            }
        }
        self.say_log_problems();
    }

    /// Log problems met on the way (a torn tail cut, a bad line), as notices.
    fn say_log_problems(&mut self) {
        for p in self.session.take_problems() {
            self.report(Report::Notice(p));
        }
    }

    /// Reads what others (and we) appended since last time.
    fn catch_up(&mut self) {
        if let Err(e) = self.session.catch_up() {
            self.log_failed(e);
        }
        self.say_log_problems();
    }

    fn event(&self, number: &str, now: DateTime<Utc>, body: EventBody) -> Event {
        self.session.event(number, now, body)
    }

    /// Appends events (catching up first, under the lock), then reads them back.
    fn append(&mut self, events: Vec<Event>) -> bool {
        let r = self.session.append(events);
        self.say_log_problems();
        match r {
            Ok(()) => {
                self.report(Report::LogChanged);
                true
            }
            Err(e) => {
                self.log_failed(e);
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
        if self.session.stamp.is_some() {
            let config = self.session.config.clone();
            // A plan-only pass still reads numbers never read before (one just added), so
            // a new number shows its balance without waiting for `r` or the next hour.
            if which == Which::All {
                // Each forwarder's health is looked at beside the catch-up (both only ask).
                let looks = futures::future::join_all(
                    config.forwarders.iter().map(crate::forwarder::health::look),
                );
                let (healths, ()) = tokio::join!(looks, self.forwarder_catch_up(&config));
                self.forwarders_looked(&config, healths);
            }
            self.refresh(&config, &which).await;
            if self.session.config_ok() && !self.shutdown.requested() {
                self.run_due(&config).await;
                self.query_in_doubt(&config).await;
                self.send_alerts(&config).await;
            }
        }
        self.checkpoint();
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

    /// After a pass that read or wrote new lines: a checkpoint of the state, so that
    /// the next start replays only what comes after. Failing to write one costs
    /// only speed: said once, never fatal.
    fn checkpoint(&mut self) {
        match self.session.write_checkpoint() {
            Ok(_) => self.checkpoint_failure_said = false,
            Err(e) => {
                if !self.checkpoint_failure_said {
                    self.checkpoint_failure_said = true;
                    self.report(Report::Notice(e.message));
                }
            }
        }
    }

    /// Keeps what the looks at the forwarders found (in their file, for `status` and the
    /// TUI) and reports it.
    fn forwarders_looked(
        &mut self,
        config: &Config,
        healths: Vec<crate::forwarder::health::Health>,
    ) {
        use crate::forwarder::seen;
        if config.forwarders.is_empty() {
            return;
        }
        let now = self.clock.now();
        let before = self.forwarders_seen();
        let after: Vec<seen::Seen> = healths
            .iter()
            .map(|h| seen::after_look(h, before.iter().find(|b| b.id == h.id), now))
            .collect();
        match seen::save(&self.session.paths, &after) {
            Ok(()) => self.seen_failure_said = false,
            Err(e) => {
                if !self.seen_failure_said {
                    self.seen_failure_said = true;
                    let path = seen::path(&self.session.paths);
                    self.report(Report::Notice(
                        crate::error::Error::io(T::WhatWrite, &path, &e).message,
                    ));
                }
            }
        }
        self.forwarders_seen = Some(after.clone());
        self.report(Report::Forwarders(after));
    }

    /// What was last seen of the forwarders (their file, read once).
    fn forwarders_seen(&mut self) -> Vec<crate::forwarder::seen::Seen> {
        if self.forwarders_seen.is_none() {
            self.forwarders_seen = Some(crate::forwarder::seen::load(&self.session.paths));
        }
        self.forwarders_seen.clone().unwrap_or_default()
    }

    /// Texts the numbers' phones received while nobody listened (a forwarder that lists its
    /// inbox), put in the log as the inbox puts a webhook's. A phone that cannot be read is
    /// said once per reason; its health line says the rest.
    async fn forwarder_catch_up(&mut self, config: &Config) {
        let now = self.clock.now();
        let got = crate::forwarder::catchup::run(&self.session.paths, config, now).await;
        for p in got.problems {
            if self.catch_up_said.insert(p.clone()) {
                self.report(Report::Notice(p));
            }
        }
        for s in got.set_aside {
            self.report(Report::Notice(s));
        }
        if got.added.is_empty() {
            return;
        }
        self.catch_up();
        self.report(Report::LogChanged);
        for (number, events) in got.added {
            for e in events {
                if let EventBody::Balance {
                    balance_minor,
                    currency,
                    ..
                } = e.body
                {
                    self.report(Report::Refreshed {
                        number: number.clone(),
                        balance: Money::new(balance_minor, currency),
                    });
                }
            }
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
                Which::None => {
                    !self.asked.contains(&n.id)
                        && self
                            .session
                            .state()
                            .number(&n.id)
                            .is_none_or(|ns| ns.observed.is_none())
                }
            })
            .cloned()
            .collect();
        self.asked.extend(numbers.iter().map(|n| n.id.clone()));
        let state = self.session.state();
        let permits = &self.permits;
        let stop = &*self.shutdown;
        let paths = &self.session.paths;
        let reads = numbers.iter().map(|n| async move {
            let _permit = permits.acquire().await;
            let ns = state.number(&n.id);
            let mut notes = Vec::new();
            let r = provider::read((paths, config), n, ns, tz, now, Some(stop), &mut notes).await;
            (n, r, notes)
        });
        let results = futures::future::join_all(reads).await;
        let mut events = Vec::new();
        let mut reports = Vec::new();
        let mut failed = Vec::new();
        for (n, r, notes) in results {
            reports.extend(notes.into_iter().map(Report::Notice));
            match r {
                None => {}
                Some(Ok(reading)) => {
                    self.backoff.remove(&n.id);
                    let ns = self.session.state().number(&n.id);
                    let unchanged = ns.and_then(|s| s.observed.as_ref()).is_some_and(|o| {
                        o.balance == reading.balance.minor && o.currency == reading.balance.currency
                    }) && (reading.validity_until.is_none()
                        || ns.and_then(|s| s.observed_validity).map(|v| v.0)
                            == reading.validity_until);
                    if !unchanged && !reading.logged {
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

    /// Says once that the clock is behind the newest time the log holds (recharges wait),
    /// and again only after it caught up and fell behind anew.
    fn say_clock_behind(
        &mut self,
        config: &Config,
        clock_behind: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        match clock_behind {
            Some(own) if !self.clock_behind_said => {
                self.clock_behind_said = true;
                let tz = config.timezone;
                self.report(Report::Problem(tr!(
                    T::WorkerClockBehind,
                    crate::text::format::rfc3339(now, tz),
                    crate::text::format::rfc3339(own, tz)
                )));
            }
            Some(_) => {}
            None => self.clock_behind_said = false,
        }
    }

    /// Says each due the agenda holds back, and why, once.
    fn say_blocked(&mut self, config: &Config, blocked: &[crate::engine::Blocked]) {
        for b in blocked {
            if self.blocked_seen.insert((b.number.clone(), b.key.clone())) {
                let why = match &b.reason {
                    BlockReason::Budget { committed, budget } => tr!(
                        T::BlockedBudget,
                        Money::new(*committed, b.amount.currency).display(),
                        Money::new(*budget, b.amount.currency).display()
                    ),
                    BlockReason::RuleCap { max } => tr!(T::BlockedCap, max),
                    BlockReason::InDoubt { intent } => tr!(T::BlockedInDoubt, intent),
                    BlockReason::StaleReading { observed_at } => tr!(
                        T::BlockedStaleReading,
                        crate::text::format::rfc3339(*observed_at, config.timezone)
                    ),
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
    }

    /// Runs every due intent: intent (checked and written under the lock) → executor → outcome.
    async fn run_due(&mut self, config: &Config) {
        let now = self.clock.now();
        self.dismiss_stale(config, now);
        let p = agenda(self.session.state(), config, now);
        self.say_clock_behind(config, p.clock_behind, now);
        self.say_blocked(config, &p.blocked);
        // Each due's number by id, found once: a scan of the config per due would make a
        // pass over many numbers quadratic.
        let mut by_id = std::collections::HashMap::<&str, &crate::model::Number>::new();
        for n in &config.numbers {
            by_id.entry(n.id.as_str()).or_insert(n);
        }
        // Rounds of at most one due per number, in the agenda's order: a number's second
        // due is checked only once its first has its outcome in the log, as before.
        let mut rest: Vec<crate::engine::Due> = p
            .due
            .into_iter()
            .filter(|d| by_id.contains_key(d.number.as_str()))
            .collect();
        while !rest.is_empty() {
            let mut taken = HashSet::new();
            let (round, later): (Vec<_>, Vec<_>) = rest
                .into_iter()
                .partition(|d| taken.insert(d.number.clone()));
            rest = later;
            if !self.run_round(config, &by_id, round, now).await {
                return;
            }
        }
    }

    /// One round of dues, each of a different number (an intent is checked against its own
    /// number only, so checking them all against one state is checking each alone).
    /// The dues that run nothing or run at once (`remind` and `external` rules, the `demo`
    /// and `remind` executors) have their intents checked and written in one append, one
    /// fsync; every other intent is written alone, fsync'd before its executor starts,
    /// and carries the outcomes before it. What is left is written at the round's end.
    /// Exactly-once is unchanged: an intent is fsync'd before anything runs for it, and an
    /// outcome not yet written leaves its intent in doubt, never uncharged. False when the
    /// log could not be written (the pass stops).
    async fn run_round(
        &mut self,
        config: &Config,
        by_id: &HashMap<&str, &crate::model::Number>,
        round: Vec<crate::engine::Due>,
        now: DateTime<Utc>,
    ) -> bool {
        let at_once = |d: &crate::engine::Due| {
            d.mode != Mode::Auto
                || by_id.get(d.number.as_str()).is_some_and(|n| {
                    matches!(n.executor, Executor::Demo | Executor::Remind)
                        && n.rule(&d.rule).is_none_or(|r| r.action.is_none())
                })
        };
        let (quick, slow): (Vec<_>, Vec<_>) = round.into_iter().partition(|d| at_once(d));
        let mut pending: Vec<Done> = Vec::new();
        if !quick.is_empty() && !self.shutdown.requested() {
            let Some(intents) = self.write_intents(config, by_id, &quick, now, Vec::new()) else {
                return false;
            };
            for (due, intent) in quick.into_iter().zip(intents) {
                let Some(intent) = intent else { continue };
                if let Some(done) = self.start(config, by_id, due, intent).await {
                    pending.push(done);
                }
            }
        }
        for due in slow {
            if self.shutdown.requested() {
                break;
            }
            let carry = pending
                .iter()
                .flat_map(|d| d.events.iter().cloned())
                .collect();
            let written = self.write_intents(config, by_id, std::slice::from_ref(&due), now, carry);
            let before = std::mem::take(&mut pending);
            let Some(mut intents) = written else {
                self.settle(before, false);
                return false;
            };
            self.settle(before, true);
            let Some(intent) = intents.pop().flatten() else {
                continue;
            };
            if let Some(done) = self.start(config, by_id, due, intent).await {
                pending.push(done);
            }
        }
        if pending.is_empty() {
            return true;
        }
        let events = pending
            .iter()
            .flat_map(|d| d.events.iter().cloned())
            .collect();
        let ok = self.append(events);
        self.settle(pending, ok);
        ok
    }

    /// Checks each due against the log as it is, under the lock, and appends `carry` and
    /// the intents still due in one write (one fsync). The intents, one per due (none where
    /// it is no longer due); None when the log could not be written.
    fn write_intents(
        &mut self,
        config: &Config,
        by_id: &HashMap<&str, &crate::model::Number>,
        dues: &[crate::engine::Due],
        now: DateTime<Utc>,
        carry: Vec<Event>,
    ) -> Option<Vec<Option<Event>>> {
        let templates: Vec<Event> = dues
            .iter()
            .map(|d| {
                self.event(
                    &d.number,
                    now,
                    EventBody::Activity {
                        note: None,
                        intent: None,
                    },
                )
            })
            .collect();
        let written = self.session.transact(|state| {
            let mut events = carry;
            let mut intents = Vec::with_capacity(dues.len());
            for (due, template) in dues.iter().zip(templates) {
                let intent = by_id
                    .get(due.number.as_str())
                    .and_then(|found| intent_for_number(state, config, found, due, now))
                    .map(|body| Event { body, ..template });
                if let Some(e) = &intent {
                    events.push(e.clone());
                }
                intents.push(intent);
            }
            let any = !events.is_empty();
            Ok((events, (intents, any)))
        });
        self.say_log_problems();
        match written {
            Ok((intents, any)) => {
                if any {
                    self.report(Report::LogChanged);
                }
                Some(intents)
            }
            Err(e) => {
                self.log_failed(e);
                None
            }
        }
    }

    /// What follows a written intent: a notice for one that runs nothing, else its executor
    /// run and its outcome (not yet written).
    async fn start(
        &mut self,
        config: &Config,
        by_id: &HashMap<&str, &crate::model::Number>,
        due: crate::engine::Due,
        intent: Event,
    ) -> Option<Done> {
        let number = (*by_id.get(due.number.as_str())?).clone();
        if due.mode == Mode::External {
            // Someone else runs it: the intent records the expectation, nothing runs.
            let via = number.rule(&due.rule).and_then(|r| r.via.clone());
            self.report(Report::Notice(tr!(
                T::WorkerExpected,
                number.label,
                due.amount.display(),
                via.unwrap_or_default(),
                due.rule
            )));
            return None;
        }
        if due.mode == Mode::Remind {
            self.report(Report::Notice(tr!(
                T::WorkerReminder,
                number.label,
                due.amount.display(),
                due.rule
            )));
            return None;
        }
        let answer = {
            let _permit = self.permits.acquire().await;
            match number.rule(&due.rule).and_then(|r| r.action.as_ref()) {
                Some(text) => {
                    let a = if number.forwarder.is_some() {
                        let attempt = match &intent.body {
                            EventBody::Intent { attempt, .. } => *attempt,
                            _ => 1,
                        };
                        crate::forwarder::action::send(
                            &config.forwarders,
                            &number,
                            text,
                            &due.key,
                            attempt,
                        )
                        .await
                    } else {
                        crate::modem::action::send(&number, text).await
                    };
                    executor::Answer {
                        status: a.status,
                        reference: a.reference,
                        error: a.error,
                    }
                }
                None => {
                    executor::recharge(&number, &due.key, due.amount, Some(&self.shutdown)).await
                }
            }
        };
        let sent_text = answer.status == OutcomeStatus::Succeeded
            && number.rule(&due.rule).is_some_and(|r| r.action.is_some());
        let done = self.clock.now();
        let mut events = vec![self.event(
            &due.number,
            done,
            EventBody::Outcome {
                intent: intent.id.clone(),
                status: answer.status,
                reference: answer.reference.clone(),
                error: answer.error.clone(),
            },
        )];
        if sent_text {
            events.push(self.event(
                &due.number,
                done,
                EventBody::Activity {
                    note: Some(format!("keep-alive text ({})", due.key)),
                    intent: None,
                },
            ));
        }
        Some(Done {
            due,
            label: number.label,
            answer,
            events,
        })
    }

    /// Says what became of executors that ran, once their outcomes were written (or not).
    fn settle(&mut self, done: Vec<Done>, written: bool) {
        for Done {
            due, label, answer, ..
        } in done
        {
            if !written {
                // The executor answered, but the log does not say so: to everyone reading
                // it the intent has no outcome, so it is in doubt, and that is what we say.
                self.report(Report::Recharged {
                    number: due.number.clone(),
                    rule: due.rule.clone(),
                    amount: due.amount,
                    status: OutcomeStatus::Unknown,
                });
                self.report(Report::Problem(tr!(
                    T::OutcomeNotWritten,
                    label,
                    due.amount.display(),
                    answer.status.as_str(),
                    self.log_failure.as_deref().unwrap_or_default()
                )));
                continue;
            }
            self.report(Report::Recharged {
                number: due.number.clone(),
                rule: due.rule.clone(),
                amount: due.amount,
                status: answer.status,
            });
            let line = match answer.status {
                OutcomeStatus::Succeeded => tr!(
                    T::WorkerSucceeded,
                    label,
                    due.amount.display(),
                    answer.reference.unwrap_or_default()
                ),
                OutcomeStatus::Failed => tr!(
                    T::WorkerFailed,
                    label,
                    due.amount.display(),
                    answer.error.unwrap_or_default()
                ),
                OutcomeStatus::Unknown => tr!(
                    T::WorkerUnknown,
                    label,
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
        let stale = crate::engine::reminders::stale(self.session.state(), config);
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

    /// Asks about in-doubt attempts (at most every 10 minutes each): a command executor
    /// about its recharges, SMS Gateway about a keep-alive text by the id derived from its
    /// intent. A text is settled by that answer, never by sending it again.
    async fn query_in_doubt(&mut self, config: &Config) {
        let now = self.clock.now();
        let mut asks = Vec::new();
        for n in &config.numbers {
            let command = matches!(n.executor, Executor::Command(_));
            let forwarder = n.forwarder.is_some();
            if !command && !forwarder {
                continue;
            }
            let Some(ns) = self.session.state().number(&n.id) else {
                continue;
            };
            for (k, a) in ns.in_doubt() {
                // A text was sent by the forwarder, not the executor: only it can tell.
                if (k.spend && !forwarder) || (!k.spend && !command) {
                    continue;
                }
                // An intent without an outcome may still be running elsewhere: wait a little.
                if a.outcome.is_none() && now - a.at < Duration::minutes(5) {
                    continue;
                }
                if self.query_after.get(a.intent).is_some_and(|t| now < *t) {
                    continue;
                }
                asks.push(Ask {
                    number: n.clone(),
                    key: k.key.to_string(),
                    amount: Money::new(k.amount_minor, k.currency),
                    intent: a.intent.to_string(),
                    attempt: a.n,
                    at: a.at,
                    text: k.spend,
                });
            }
        }
        for ask in asks {
            if self.shutdown.requested() {
                return;
            }
            self.query_after
                .insert(ask.intent.clone(), now + Duration::minutes(10));
            let answer = {
                let _permit = self.permits.acquire().await;
                if ask.text {
                    self.settle_text(config, &ask, now).await
                } else {
                    executor::query(&ask.number, &ask.key, ask.amount)
                        .await
                        .map(|(status, reference)| {
                            let note = match reference {
                                Some(r) => tr!(T::QueryNoteRef, r),
                                None => tr!(T::QueryNote),
                            };
                            (status, note)
                        })
                }
            };
            let Some((status, note)) = answer else {
                continue;
            };
            let at = self.clock.now();
            let mut events = vec![self.event(
                &ask.number.id,
                at,
                EventBody::Resolved {
                    intent: ask.intent.clone(),
                    status,
                    note: Some(note),
                    retry: true,
                },
            )];
            if ask.text && status == crate::model::ResolvedStatus::Succeeded {
                events.push(self.event(
                    &ask.number.id,
                    at,
                    EventBody::Activity {
                        note: Some(format!("keep-alive text ({})", ask.key)),
                        intent: None,
                    },
                ));
            }
            if self.append(events) {
                self.report(Report::Notice(tr!(
                    T::WorkerQueried,
                    ask.intent,
                    status.as_str()
                )));
            }
        }
    }

    /// What the forwarder says of an in-doubt keep-alive text. A text the phone never got
    /// is failed only once its intent is 10 minutes old (a request can be slow to land).
    async fn settle_text(
        &self,
        config: &Config,
        ask: &Ask,
        now: DateTime<Utc>,
    ) -> Option<(crate::model::ResolvedStatus, String)> {
        use crate::forwarder::action::{Settled, settle};
        use crate::model::ResolvedStatus;
        match settle(&config.forwarders, &ask.number, &ask.key, ask.attempt).await? {
            Settled::Sent(id) => Some((ResolvedStatus::Succeeded, tr!(T::FwdSettledSent, id))),
            Settled::Failed(why) => Some((ResolvedStatus::Failed, tr!(T::FwdSettledFailed, why))),
            Settled::NotThere if now - ask.at >= Duration::minutes(10) => {
                Some((ResolvedStatus::Failed, tr!(T::FwdSettledNotThere)))
            }
            Settled::NotThere => None,
            // Still in doubt, never resent: said, so that a person mends the url or settles it.
            Settled::Unclear(why) => {
                self.report(Report::Problem(why));
                None
            }
        }
    }

    async fn send_alerts(&mut self, config: &Config) {
        let Some(n) = &config.notify else { return };
        let now = self.clock.now();
        let seen = self.forwarders_seen();
        let alerts = notify::due_alerts_with(self.session.state(), config, &seen, now);
        self.deliver(config, &alerts, now);
        let Some(command) = &n.command else { return };
        for a in alerts {
            if self.shutdown.requested() {
                return;
            }
            let sent = self.session.state().number(&a.number).is_some_and(|ns| {
                ns.notified
                    .contains(&(a.event.as_str().to_string(), a.key.clone()))
            });
            if sent {
                continue;
            }
            let env = [
                ("BAOHAO_EVENT", a.event.as_str().to_string()),
                ("BAOHAO_NUMBER", a.number.clone()),
                ("BAOHAO_MESSAGE", a.message.clone()),
            ];
            let result = {
                let _permit = self.permits.acquire().await;
                process::run(command, &env).await
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

    /// Starts a send for every (alert, channel) and the digest that is due and not on its
    /// way already. Each send is its own task: no channel waits for another, and nothing
    /// waits for a channel. The outcome comes back through `deliveries` (`delivered`).
    fn deliver(&mut self, config: &Config, alerts: &[notify::Alert], now: DateTime<Utc>) {
        let Some(n) = &config.notify else { return };
        if n.channels.is_empty() {
            return;
        }
        let mut channels = Vec::new();
        for written in &n.channels {
            match crate::channels::Channel::parse(written, &crate::channels::Env::Process) {
                Ok(c) => channels.push(Arc::new(c)),
                Err(why) => {
                    let label = crate::channels::label_of(written);
                    if self.channel_problems.insert(written.clone()) {
                        self.report(Report::Problem(tr!(T::NotifyChannelBroken, label, why)));
                    }
                }
            }
        }
        let client = match &self.client {
            Some(c) => c.clone(),
            None => {
                match crate::net::client(StdDuration::from_secs(crate::channels::SEND_TIMEOUT_SECS))
                {
                    Ok(c) => {
                        self.client = Some(c.clone());
                        c
                    }
                    Err(e) => {
                        self.report(Report::Problem(e));
                        return;
                    }
                }
            }
        };
        let mut sends: Vec<(String, String, String, crate::channels::Message)> = alerts
            .iter()
            .map(|a| {
                (
                    a.number.clone(),
                    a.event.as_str().to_string(),
                    a.key.clone(),
                    notify::message(a, config, now),
                )
            })
            .collect();
        if let (Some((key, m)), Some(first)) = (
            notify::digest(self.session.state(), config, now),
            config.numbers.first(),
        ) {
            // The digest is about every number; it is kept with the first.
            sends.push((first.id.clone(), "digest".to_string(), key, m));
        }
        for (number, event, key, message) in sends {
            for c in &channels {
                let id = (event.clone(), key.clone(), c.id());
                let due = self
                    .session
                    .state()
                    .number(&number)
                    .and_then(|ns| ns.deliveries.get(&id))
                    .is_none_or(|d| d.due(now));
                if !due || self.in_flight.contains(&id) {
                    continue;
                }
                self.in_flight.insert(id.clone());
                let (c, client, message, tx) = (
                    c.clone(),
                    client.clone(),
                    message.clone(),
                    self.deliveries.0.clone(),
                );
                let number = number.clone();
                tokio::spawn(async move {
                    let result = c.send(&client, &message, now).await;
                    let _ = tx.send(Sent { number, id, result });
                });
            }
        }
    }

    /// A send came back: recorded in the log (delivered, or failed and when to retry).
    fn delivered(&mut self, s: Sent) {
        self.in_flight.remove(&s.id);
        let (event, key, channel) = s.id;
        let (error, retry) = match &s.result {
            Ok(()) => (None, true),
            Err(f) => (Some(f.reason.clone()), f.retry),
        };
        let e = self.event(
            &s.number,
            self.clock.now(),
            EventBody::Delivered {
                event: event.clone(),
                key: key.clone(),
                channel: channel.clone(),
                error: error.clone(),
                retry,
            },
        );
        self.append(vec![e]);
        if let Some(why) = error {
            let gave_up = self
                .session
                .state()
                .number(&s.number)
                .and_then(|ns| ns.deliveries.get(&(event.clone(), key, channel)))
                .is_some_and(|d| d.gave_up());
            let t = if gave_up {
                T::WorkerDeliveryGaveUp
            } else {
                T::WorkerDeliveryFailed
            };
            self.report(Report::Problem(tr!(t, event, s.number, why)));
        }
    }

    /// Waits for every send on its way (a one-shot pass must not exit before they end).
    pub async fn finish_deliveries(&mut self) {
        while !self.in_flight.is_empty() {
            match self.deliveries.1.recv().await {
                Some(s) => self.delivered(s),
                None => break,
            }
        }
    }
}

/// The outcome of one send through one channel.
pub struct Sent {
    number: String,
    /// (event, key, channel id).
    id: (String, String, String),
    result: Result<(), crate::channels::Failure>,
}

/// An in-doubt attempt to ask about.
/// An executor that ran, its outcome (and any activity after it) not yet written.
struct Done {
    due: crate::engine::Due,
    label: String,
    answer: executor::Answer,
    events: Vec<Event>,
}

struct Ask {
    number: crate::model::Number,
    key: String,
    amount: Money,
    intent: String,
    attempt: u32,
    at: DateTime<Utc>,
    /// A keep-alive text (asked of the forwarder) rather than a recharge (the executor).
    text: bool,
}

/// The next arrival, or never when there is no listener.
async fn next_arrival(
    rx: &mut Option<mpsc::UnboundedReceiver<inbox::Arrival>>,
) -> Option<inbox::Arrival> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
