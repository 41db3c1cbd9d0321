//! The live home: one `Session` owns the paths, the log, the config with its stamp, the
//! state and history read so far, and the cursor. Every face holds one: the command line
//! (read once, maybe append once), the TUI (tails the log, reloads the config) and the
//! worker (decides and appends). There is one exactly-once append path
//! ([`Session::transact`]: catch up under the log lock, decide on what is really there,
//! append, read back) and one time-zone replay ([`Session::reload_config`]).

use chrono::{DateTime, NaiveDate, Utc};

use crate::engine::state::AttemptStatus;
use crate::engine::{History, Keep, KeyStatus, State};
use crate::error::{Error, ErrorKind, Result};
use crate::i18n::T;
use crate::model::{Config, Event, EventBody, Mode, Money, Number, ResolvedStatus};
use crate::store::checkpoint::{self, Found};
use crate::store::config::{self, Stamp};
use crate::store::log::BadAt;
use crate::store::log::new_id;
use crate::store::{Cursor, Log, Paths};
use crate::tr;

mod listing;

/// What re-reading the config found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reload {
    /// The file holds what was read last time.
    Unchanged,
    /// A new config is in force. `timezone`: it changed, and the log was replayed.
    /// `fixed`: the file did not read before.
    Changed { timezone: bool, fixed: bool },
    /// The file does not read (or cannot be read); the last good config stays, and this is
    /// the sentence saying why. `new`: a different problem from the one said last time.
    Broken { message: String, new: bool },
}

/// A home as one process sees it: config + stamp, the history read so far, and where.
pub struct Session {
    pub paths: Paths,
    log: Log,
    pub config: Config,
    /// What the config file held when read; `None` before a config was read.
    pub stamp: Option<Stamp>,
    /// The config on disk does not read: the sentence saying why. Recharges are paused.
    pub config_problem: Option<String>,
    pub history: History,
    pub cursor: Cursor,
    /// Problems met while reading the log since the owner last took them, as sentences.
    pub problems: Vec<String>,
    /// A state-only session (the kind a checkpoint holds) keeps the BLAKE3 of the log's
    /// bytes before `cursor`, and where the bad lines among them are: what a checkpoint
    /// of its state needs (see `store::checkpoint`).
    hash: Option<blake3::Hasher>,
    bad_at: Vec<BadAt>,
    /// The offset the checkpoint on disk covers, as far as this session knows.
    checkpoint_at: Option<u64>,
}

impl Session {
    /// Reads the config (an error if it does not read) and the whole log, with rows.
    pub fn open(paths: Paths) -> Result<Session> {
        Session::open_with(paths, Keep::Rows)
    }

    /// Reads the config and the log's state only, without history rows (for the worker,
    /// `status` and anything else that needs no rows).
    pub fn open_state_only(paths: Paths) -> Result<Session> {
        Session::open_with(paths, Keep::StateOnly)
    }

    /// [`Session::open_state_only`] that also records what a second pass over the log
    /// needs to make the history rows (`Keep::Recording`): for a streamed listing.
    pub fn open_for_listing(paths: Paths) -> Result<Session> {
        Session::open_with(paths, Keep::Recording)
    }

    fn open_with(paths: Paths, keep: Keep) -> Result<Session> {
        let mut s = Session::open_config(paths, keep)?;
        s.start_from_checkpoint();
        s.catch_up()?;
        s.check_history()?;
        Ok(s)
    }

    /// [`Session::open`] without reading the log yet: the TUI draws at once and reads it
    /// in slices ([`Session::catch_up_for`]), then checks it against the config
    /// ([`Session::check_history`]).
    pub fn open_unread(paths: Paths) -> Result<Session> {
        Session::open_config(paths, Keep::Rows)
    }

    /// [`Session::open_unread`] for a face that shows the state before its rows (the TUI):
    /// the state only, started from the checkpoint when it holds, the rest of the log not
    /// read yet ([`Session::catch_up_for`]). The rows are read behind it by a
    /// [`Session::rows_reader`] and taken in by [`Session::adopt_rows`].
    pub fn open_unread_from_checkpoint(paths: Paths) -> Result<Session> {
        let mut s = Session::open_config(paths, Keep::StateOnly)?;
        s.start_from_checkpoint();
        Ok(s)
    }

    /// A session that reads this session's log with rows, from its start, under this
    /// session's config (it reads no config of its own): it can be moved to a thread
    /// and read there ([`Session::catch_up_for`]).
    pub fn rows_reader(&self) -> Session {
        let state = State::new(self.config.timezone).made_at(self.state().home_created);
        Session {
            log: Log::new(&self.paths.log),
            paths: self.paths.clone(),
            history: History::new(state, Keep::Rows),
            config: self.config.clone(),
            stamp: self.stamp,
            config_problem: None,
            cursor: Cursor::default(),
            problems: Vec::new(),
            hash: None,
            bad_at: Vec::new(),
            checkpoint_at: None,
        }
    }

    /// Takes in what a [`Session::rows_reader`] read, in place of this session's history,
    /// and reads on from where the reader stopped: every event after the reader's cursor is
    /// folded in here, once, and those before it only by the reader. Returns how many
    /// events were read on, or `None` (nothing taken) if the reader's time zone is no
    /// longer the config's (its local periods would be wrong: read again).
    pub fn adopt_rows(&mut self, reader: Session) -> Result<Option<usize>> {
        if reader.config.timezone != self.config.timezone {
            return Ok(None);
        }
        self.history = reader.history;
        self.cursor = reader.cursor;
        // A history with rows is not the kind a checkpoint holds.
        self.hash = None;
        self.bad_at = reader.bad_at;
        self.checkpoint_at = None;
        // Problems the reader met were met (and said) here already, from the checkpoint
        // or the tail; the owner says each once.
        self.problems.extend(reader.problems);
        self.catch_up().map(Some)
    }

    fn open_config(paths: Paths, keep: Keep) -> Result<Session> {
        let loaded = config::load(&paths)?;
        let mut state = State::new(loaded.config.timezone);
        state.home_created = crate::store::created::load(&paths);
        let history = History::new(state, keep);
        Ok(Session {
            log: Log::new(&paths.log),
            paths,
            hash: (keep == Keep::StateOnly).then(blake3::Hasher::new),
            history,
            config: loaded.config,
            stamp: Some(loaded.stamp),
            config_problem: None,
            cursor: Cursor::default(),
            problems: Vec::new(),
            bad_at: Vec::new(),
            checkpoint_at: None,
        })
    }

    /// Refuses a config that contradicts the log (a number whose history is in another
    /// currency): one sentence, with the config's line.
    pub fn check_history(&self) -> Result<()> {
        let text = crate::store::fsutil::read_regular(&self.paths.config, true).unwrap_or_default();
        let wrong = config::history_problems(&text, &self.config, self.state());
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(config::problems_error(&self.paths.config, &wrong))
        }
    }

    /// A session that has read nothing yet: the first [`Session::reload_config`] reads the
    /// config, and recharges wait until it does (the worker starts this way).
    pub fn unread(paths: Paths) -> Session {
        let config = Config::empty(None, chrono_tz::Tz::UTC);
        let home_created = crate::store::created::load(&paths);
        Session {
            log: Log::new(&paths.log),
            paths,
            history: History::new(
                State::new(config.timezone).made_at(home_created),
                Keep::StateOnly,
            ),
            config,
            stamp: None,
            config_problem: None,
            cursor: Cursor::default(),
            problems: Vec::new(),
            hash: Some(blake3::Hasher::new()),
            bad_at: Vec::new(),
            checkpoint_at: None,
        }
    }

    /// A state-only session that has read nothing yet starts from the checkpoint when it
    /// holds; one that does not hold is said once, through [`Session::problems`], and the
    /// whole log is read.
    fn start_from_checkpoint(&mut self) {
        if self.history.keep() != Keep::StateOnly || self.cursor != Cursor::default() {
            return;
        }
        match checkpoint::load(&self.paths, self.config.timezone) {
            Found::Absent => {}
            Found::Refused(why) => {
                // Said once: a checkpoint that does not hold is never used, so it goes (the
                // worker's next pass writes a fresh one; losing a race with that write costs
                // only one full read more).
                let _ = checkpoint::remove(&self.paths);
                self.problems.push(why)
            }
            Found::Held(r) => {
                let mut r = *r;
                r.state.home_created = self.state().home_created;
                self.history = History::new(r.state, Keep::StateOnly);
                self.cursor = r.cursor;
                self.hash = Some(r.hash);
                self.bad_at = r.bad_at;
                self.checkpoint_at = Some(r.cursor.offset);
                self.problems
                    .extend(r.problems.iter().map(|p| p.render(&self.paths.log)));
            }
        }
    }

    /// Writes a checkpoint of this session's state if it has read further than the one
    /// on disk (the worker, after a pass): whether it wrote one. Only a state-only session
    /// with a good config can; a last line still missing its newline waits for it.
    pub fn write_checkpoint(&mut self) -> Result<bool> {
        let Some(hash) = &self.hash else {
            return Ok(false);
        };
        if self.stamp.is_none()
            || self.cursor.offset == 0
            || self.checkpoint_at == Some(self.cursor.offset)
        {
            return Ok(false);
        }
        let len = std::fs::metadata(&self.paths.log).map_or(0, |m| m.len());
        if len < self.cursor.offset {
            return Ok(false);
        }
        let file = checkpoint::path(&self.paths);
        checkpoint::write(
            &self.paths,
            self.state(),
            self.config.timezone,
            self.cursor,
            hash,
            &self.bad_at,
        )
        .map_err(|e| Error::io(T::WhatWrite, &file, &e))?;
        self.checkpoint_at = Some(self.cursor.offset);
        Ok(true)
    }

    /// Where this session's state is in the log, and whether a checkpoint can be written
    /// of it: for tests and `validate`.
    pub fn covered(&self) -> (Cursor, Option<blake3::Hash>) {
        (self.cursor, self.hash.as_ref().map(|h| h.finalize()))
    }

    pub fn state(&self) -> &State {
        self.history.state()
    }

    /// Whether a good config is in force (recharges may run).
    pub fn config_ok(&self) -> bool {
        self.stamp.is_some() && self.config_problem.is_none()
    }

    /// The number named on the command line, by its id or its phone number (as E.164 or
    /// as a local number of its currency's country), or a sentence saying which ids exist.
    pub fn number(&self, id: &str) -> Result<&Number> {
        let by_phone = || {
            self.config.numbers.iter().find(|n| {
                crate::model::phone::normalise(id, Some(n.currency)).as_deref()
                    == Some(n.msisdn.as_str())
            })
        };
        self.config.number(id).or_else(by_phone).ok_or_else(|| {
            let ids: Vec<&str> = self.config.numbers.iter().map(|n| n.id.as_str()).collect();
            Error::input(tr!(
                T::UnknownNumber,
                id,
                if ids.is_empty() {
                    "-".to_string()
                } else {
                    ids.join(", ")
                }
            ))
        })
    }

    /// Takes the log problems met since last time (each is said by the owner).
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    /// Reads lines appended since the cursor (by anyone). Returns how many events.
    pub fn catch_up(&mut self) -> Result<usize> {
        self.read_on(|| false).map(|(events, _)| events)
    }

    /// [`Session::catch_up`] for about `budget`: returns whether it reached the log's end
    /// (otherwise the next call goes on where this one stopped).
    pub fn catch_up_for(&mut self, budget: std::time::Duration) -> Result<bool> {
        let started = std::time::Instant::now();
        self.read_on(|| started.elapsed() >= budget)
            .map(|(_, stopped)| !stopped)
    }

    /// Reads on from the cursor until the end or until `stop` says so: how many events,
    /// and whether it stopped before the end.
    fn read_on(&mut self, stop: impl FnMut() -> bool) -> Result<(usize, bool)> {
        let history = &mut self.history;
        let scan = self.log.scan_hashed(
            self.cursor,
            self.hash.as_mut(),
            |line, e| history.apply(&e, Some(line)),
            stop,
        );
        // Rows read before a failure are in the history: they are placed either way.
        self.history.settle_order();
        if scan.is_err() {
            // The hash took bytes the cursor does not count: no checkpoint from here on.
            self.hash = None;
        }
        let scan = scan.map_err(|e| Error::io(T::WhatRead, &self.paths.log, &e))?;
        self.cursor = scan.cursor;
        self.bad_at.extend(&scan.bad_at);
        self.problems
            .extend(scan.problems.iter().map(|p| p.render(&self.paths.log)));
        Ok((scan.events, scan.stopped))
    }

    /// Replays the log from the start (the time zone changed: local periods moved).
    fn replay(&mut self) -> Result<()> {
        let created = self.state().home_created;
        let keep = self.history.keep();
        self.history = History::new(State::new(self.config.timezone).made_at(created), keep);
        self.cursor = Cursor::default();
        self.hash = (keep == Keep::StateOnly).then(blake3::Hasher::new);
        self.bad_at.clear();
        self.checkpoint_at = None;
        self.start_from_checkpoint();
        self.catch_up().map(|_| ())
    }

    /// Reads the config again if it changed on disk (`force`: even if the stamp matches).
    pub fn reload_config(&mut self, force: bool) -> Reload {
        let bytes = match crate::store::fsutil::read_regular(&self.paths.config, true) {
            Ok(b) => b,
            Err(e) => {
                let message = Error::io(T::WhatRead, &self.paths.config, &e).message;
                return self.broken(message);
            }
        };
        let stamp = Stamp::of(&bytes);
        if !force && self.stamp == Some(stamp) && self.config_problem.is_none() {
            return Reload::Unchanged;
        }
        match config::parse(&bytes) {
            Ok(c) => {
                let timezone = self.stamp.is_none() || c.timezone != self.config.timezone;
                let fixed = self.config_problem.take().is_some();
                self.config = c;
                self.stamp = Some(stamp);
                if timezone && let Err(e) = self.replay() {
                    return self.broken(e.message);
                }
                Reload::Changed { timezone, fixed }
            }
            Err(problems) => {
                let message = config::problems_error(&self.paths.config, &problems).message;
                self.broken(message)
            }
        }
    }

    fn broken(&mut self, message: String) -> Reload {
        let new = self.config_problem.as_deref() != Some(&message);
        self.config_problem = Some(message.clone());
        Reload::Broken { message, new }
    }

    /// Saves `new` as the config unless someone else changed the file since it was read;
    /// then the file is read again and the error (kind `Conflict`) says so. `now` dates
    /// a number that is new to the file.
    pub fn save_config(&mut self, new: Config, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        match config::save_as_written(&self.paths, &new, self.stamp, now) {
            Ok((stamp, new)) => {
                let timezone = new.timezone != self.config.timezone;
                self.config = new;
                self.stamp = Some(stamp);
                self.config_problem = None;
                if timezone {
                    self.replay()?;
                }
                Ok(())
            }
            Err(e) => {
                if e.kind == ErrorKind::Conflict {
                    let _ = self.reload_config(true);
                }
                Err(e)
            }
        }
    }

    /// A new event for `number` at `now`, dated in the config's time zone.
    pub fn event(&self, number: &str, now: DateTime<Utc>, body: EventBody) -> Event {
        Event {
            id: new_id(now.timestamp_millis()),
            at: now.with_timezone(&self.config.timezone).fixed_offset(),
            number: number.to_string(),
            body,
        }
    }

    /// The one append path. Under the log's lock: catch up, let `decide` look at the
    /// state as it really is and return the events to append (none: nothing is written)
    /// with a value, append them (one write, fsync), then read them back. A torn tail cut
    /// on the way is said through [`Session::problems`].
    pub fn transact<R>(
        &mut self,
        decide: impl FnOnce(&State) -> Result<(Vec<Event>, R)>,
    ) -> Result<R> {
        let history = &mut self.history;
        let cursor = self.cursor;
        let (hash, bad_at) = (&mut self.hash, &mut self.bad_at);
        let result = self.log.transact(|txn| {
            let scan = txn.scan_hashed(cursor, hash.as_mut(), |e| history.apply(&e, None))?;
            bad_at.extend(&scan.bad_at);
            match decide(history.state()) {
                Ok((events, value)) => {
                    if let Some(now) = clock_of(&events) {
                        txn.stamping(now);
                    }
                    txn.append(&events)?;
                    Ok(Ok((value, scan.cursor)))
                }
                Err(err) => Ok(Err((err, scan.cursor))),
            }
        });
        self.history.settle_order();
        if result.is_err() {
            // A scan that failed half-way hashed what the cursor does not count.
            self.hash = None;
        }
        let (result, torn) = result.map_err(|e| Error::io(T::WhatWrite, &self.paths.log, &e))?;
        if let Some(t) = torn {
            self.problems.push(t.render(&self.paths.log));
        }
        let value = match result {
            Ok((value, cursor)) => {
                self.cursor = cursor;
                value
            }
            Err((err, cursor)) => {
                self.cursor = cursor;
                return Err(err);
            }
        };
        self.catch_up()?;
        Ok(value)
    }

    /// Appends `events` as they are (after catching up, under the lock).
    pub fn append(&mut self, events: Vec<Event>) -> Result<()> {
        self.transact(|_| Ok((events, ())))
    }

    /// Appends the one event `decide` builds from the current state, and returns it.
    fn append_one(&mut self, decide: impl FnOnce(&State) -> Result<Event>) -> Result<Event> {
        self.transact(|state| {
            let e = decide(state)?;
            Ok((vec![e.clone()], e))
        })
    }

    // ------------------------------------------------------------- what people do

    /// A manual top-up; it settles the number's newest standing reminder, if any (its date
    /// is returned): the one a person answers is the one just raised, with today's amount.
    pub fn top_up(
        &mut self,
        number: &Number,
        amount: Money,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Event, Option<DateTime<Utc>>)> {
        if amount.minor <= 0 {
            return Err(Error::input(tr!(T::BadAmount, tr!(T::CfgZeroAmount))));
        }
        let mut settles = None;
        let template = self.event(
            &number.id,
            now,
            EventBody::Activity {
                note: None,
                intent: None,
            },
        );
        let e = self.append_one(|state| {
            let open = state.number(&number.id).and_then(|ns| {
                crate::engine::reminders::standing(ns, number)
                    .map(|(_, a)| (a.at, a.intent.to_string()))
                    .max()
            });
            settles = open.as_ref().map(|o| o.0);
            Ok(Event {
                body: EventBody::Manual {
                    amount_minor: amount.minor,
                    currency: amount.currency,
                    note,
                    intent: open.map(|o| o.1),
                },
                ..template
            })
        })?;
        Ok((e, settles))
    }

    /// Settles an in-doubt recharge (or dismisses a reminder), found by its id or an
    /// unambiguous prefix of it. Returns the event and a short description ("us monthly
    /// $10.00").
    pub fn resolve(
        &mut self,
        intent: &str,
        resolution: impl Into<Resolution>,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Event, String)> {
        let resolution = resolution.into();
        let mut what = String::new();
        let tz = self.config.timezone;
        let (status, retry) = match resolution {
            Resolution::Succeeded => (ResolvedStatus::Succeeded, true),
            Resolution::Failed => (ResolvedStatus::Failed, true),
            Resolution::FailedFinal | Resolution::Dismissed => (ResolvedStatus::Failed, false),
        };
        let e = self.append_one(|state| {
            let (number, id) = find_intent(state, intent)?;
            let missing = || Error::input(tr!(T::UnknownIntent, intent));
            let ns = state.number(&number).ok_or_else(missing)?;
            let ks = ns.key_of_intent(&id).ok_or_else(missing)?;
            let attempt = ks
                .attempts
                .iter()
                .find(|a| *a.intent == *id)
                .ok_or_else(missing)?;
            what = format!(
                "{number} {} {}",
                ks.rule,
                Money::new(ks.amount_minor, ks.currency).display()
            );
            let event = |number: String, body| Event {
                id: new_id(now.timestamp_millis()),
                at: now.with_timezone(&tz).fixed_offset(),
                number,
                body,
            };
            if ks.mode == Mode::Remind {
                if resolution != Resolution::Dismissed {
                    return Err(Error::input(tr!(T::ResolveReminder, id, number)));
                }
                if ks.status() != KeyStatus::ReminderOpen {
                    return Err(Error::input(tr!(T::DismissNotOpen, id)));
                }
                return Ok(event(
                    number,
                    EventBody::Dismissed {
                        intent: id,
                        reason: crate::engine::reminders::DismissReason::ByHand.to_string(),
                        note,
                    },
                ));
            }
            if resolution == Resolution::Dismissed {
                return Err(Error::input(tr!(T::DismissNotReminder, id)));
            }
            // "Failed, do not retry" also stops the retries of a charge that failed outright.
            let stops_retries = resolution == Resolution::FailedFinal
                && attempt.status() == AttemptStatus::Failed
                && matches!(ks.status(), KeyStatus::Failed { .. })
                && !ks.no_retry;
            if !stops_retries
                && (attempt.status() != AttemptStatus::InDoubt || ks.status() == KeyStatus::Charged)
            {
                let st = match attempt.status() {
                    AttemptStatus::Failed => tr!(T::StFailed),
                    _ => tr!(T::StSucceeded),
                };
                return Err(Error::input(tr!(T::ResolveNotInDoubt, id, st)));
            }
            Ok(event(
                number,
                EventBody::Resolved {
                    intent: id,
                    status,
                    note,
                    retry,
                },
            ))
        })?;
        Ok((e, what))
    }

    /// A use of the number that keeps it alive (a call, a text); it settles the number's
    /// newest standing keep-alive reminder.
    pub fn activity(
        &mut self,
        number: &Number,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Event> {
        let template = self.event(
            &number.id,
            now,
            EventBody::Activity {
                note: None,
                intent: None,
            },
        );
        self.append_one(|state| {
            let intent = state.number(&number.id).and_then(|ns| {
                crate::engine::reminders::standing(ns, number)
                    .filter(|(k, _)| {
                        number.rule(k.rule).is_some_and(|r| {
                            matches!(r.trigger, crate::model::Trigger::KeepAlive { .. })
                        })
                    })
                    .map(|(_, a)| (a.at, a.intent.to_string()))
                    .max()
                    .map(|o| o.1)
            });
            Ok(Event {
                body: EventBody::Activity { note, intent },
                ..template
            })
        })
    }

    /// A balance the person read themselves.
    pub fn balance(
        &mut self,
        number: &Number,
        amount: Money,
        validity: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Event> {
        let e = self.event(
            &number.id,
            now,
            EventBody::Balance {
                balance_minor: amount.minor,
                currency: amount.currency,
                validity_until: validity,
                source: "manual".into(),
            },
        );
        self.append_one(|_| Ok(e))
    }
}

/// What a person says became of a recharge or a reminder (`baohao resolve`, `u`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The charge went through.
    Succeeded,
    /// It did not; the rule will try again (up to its attempts).
    Failed,
    /// It did not, and must not be tried again under this key.
    FailedFinal,
    /// A reminder that needs nothing more.
    Dismissed,
}

impl Resolution {
    pub fn parse(s: &str) -> Option<Resolution> {
        match s {
            "succeeded" => Some(Resolution::Succeeded),
            "failed" => Some(Resolution::Failed),
            "failed-final" | "failed_final" => Some(Resolution::FailedFinal),
            "dismissed" | "dismiss" => Some(Resolution::Dismissed),
            _ => None,
        }
    }
}

impl From<ResolvedStatus> for Resolution {
    fn from(s: ResolvedStatus) -> Resolution {
        match s {
            ResolvedStatus::Succeeded => Resolution::Succeeded,
            ResolvedStatus::Failed => Resolution::Failed,
        }
    }
}

/// The clock's time as this session's events tell it, for the creation stamp of a home
/// made by hand: the newest of those its own clock dated (an intent, an outcome, a reading
/// it made), else the oldest of any (a use or top-up the person may have dated back),
/// so that the stamp is never later than the clock was.
fn clock_of(events: &[Event]) -> Option<DateTime<Utc>> {
    let utc = |e: &Event| e.at.with_timezone(&Utc);
    events
        .iter()
        .filter(|e| crate::engine::state::own_clock(&e.body))
        .map(utc)
        .max()
        .or_else(|| events.iter().map(utc).min())
}

/// Finds an intent by its id or an unambiguous prefix of it: (number, full id).
pub fn find_intent(state: &State, wanted: &str) -> Result<(String, String)> {
    let mut found = Vec::new();
    for (number, ns) in &state.numbers {
        if ns.key_of_intent(wanted).is_some() {
            return Ok((number.clone(), wanted.to_string()));
        }
        for id in ns.intent_ids() {
            if !wanted.is_empty() && id.starts_with(wanted) {
                found.push((number.clone(), id.to_string()));
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::input(tr!(T::UnknownIntent, wanted))),
        n => Err(Error::input(tr!(T::AmbiguousIntent, wanted, n))),
    }
}
