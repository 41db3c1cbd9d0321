//! Things a person does to a home, shared by the command line and the TUI: record a
//! top-up, resolve an in-doubt recharge, record activity or a balance. Each append re-reads
//! the log under its lock first, so the decision is made on what is really there.

use chrono::{DateTime, NaiveDate, Utc};

use crate::engine::state::AttemptStatus;
use crate::engine::{History, KeyStatus, State};
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::{Config, Event, EventBody, Mode, Money, Number, ResolvedStatus};
use crate::store::log::new_id;
use crate::store::{Cursor, Log, Paths};
use crate::tr;

/// A home as seen by whoever is writing: its config, the history read so far and where.
pub struct Writer<'a> {
    pub paths: &'a Paths,
    pub config: &'a Config,
    pub history: &'a mut History,
    pub cursor: &'a mut Cursor,
    /// Set when an append had to cut a torn last line first (say so to the person).
    pub torn: Option<String>,
    /// Problems met while reading the log (bad lines, a torn tail), as sentences.
    pub problems: Vec<String>,
}

fn event(config: &Config, number: &str, now: DateTime<Utc>, body: EventBody) -> Event {
    Event {
        id: new_id(now.timestamp_millis()),
        at: now.with_timezone(&config.timezone).fixed_offset(),
        number: number.to_string(),
        body,
    }
}

impl<'a> Writer<'a> {
    pub fn new(
        paths: &'a Paths,
        config: &'a Config,
        history: &'a mut History,
        cursor: &'a mut Cursor,
    ) -> Writer<'a> {
        Writer {
            paths,
            config,
            history,
            cursor,
            torn: None,
            problems: Vec::new(),
        }
    }

    /// Catches up with the log under its lock, lets `decide` look at the result, appends
    /// the event it returns, and reads it back. A torn tail cut on the way is returned.
    pub fn append(
        &mut self,
        decide: impl FnOnce(&State) -> Result<Event>,
    ) -> Result<(Event, Option<String>)> {
        let log = Log::new(&self.paths.log);
        let history = &mut *self.history;
        let cursor = *self.cursor;
        let (result, torn) = log
            .transact(|txn| {
                let scan = txn.scan(cursor, |e| history.apply_owned(e))?;
                match decide(&history.state) {
                    Ok(e) => {
                        txn.append(std::slice::from_ref(&e))?;
                        Ok(Ok((e, scan.cursor)))
                    }
                    Err(err) => Ok(Err((err, scan.cursor))),
                }
            })
            .map_err(|e| Error::io(T::WhatWrite, &self.paths.log, &e))?;
        let (event, cursor) = match result {
            Ok(v) => v,
            Err((err, cursor)) => {
                *self.cursor = cursor;
                return Err(err);
            }
        };
        *self.cursor = cursor;
        self.catch_up()?;
        let torn = torn.map(|t| t.render(&self.paths.log));
        self.torn.clone_from(&torn);
        Ok((event, torn))
    }

    /// Reads lines appended since the cursor.
    pub fn catch_up(&mut self) -> Result<usize> {
        let history = &mut *self.history;
        let scan = Log::new(&self.paths.log)
            .scan_ref(*self.cursor, |e| history.apply_event(e))
            .map_err(|e| Error::io(T::WhatRead, &self.paths.log, &e))?;
        *self.cursor = scan.cursor;
        self.problems
            .extend(scan.problems.iter().map(|p| p.render(&self.paths.log)));
        Ok(scan.events)
    }

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
        let config = self.config;
        let mut settles = None;
        let (e, _) = self.append(|state| {
            let open = state.number(&number.id).and_then(|ns| {
                crate::engine::reminders::standing(ns, number)
                    .map(|(_, a)| (a.at, a.intent.to_string()))
                    .max()
            });
            settles = open.as_ref().map(|o| o.0);
            Ok(event(
                config,
                &number.id,
                now,
                EventBody::Manual {
                    amount_minor: amount.minor,
                    currency: amount.currency,
                    note,
                    intent: open.map(|o| o.1),
                },
            ))
        })?;
        Ok((e, settles))
    }

    /// Settles an in-doubt recharge, found by its id or an unambiguous prefix of it.
    /// Returns the event and a short description ("us monthly $10.00").
    pub fn resolve(
        &mut self,
        intent: &str,
        resolution: impl Into<Resolution>,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Event, String)> {
        let resolution = resolution.into();
        let config = self.config;
        let mut what = String::new();
        let (status, retry) = match resolution {
            Resolution::Succeeded => (ResolvedStatus::Succeeded, true),
            Resolution::Failed => (ResolvedStatus::Failed, true),
            Resolution::FailedFinal | Resolution::Dismissed => (ResolvedStatus::Failed, false),
        };
        let (e, _) = self.append(|state| {
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
            if ks.mode == Mode::Remind {
                if resolution != Resolution::Dismissed {
                    return Err(Error::input(tr!(T::ResolveReminder, id, number)));
                }
                if ks.status() != KeyStatus::ReminderOpen {
                    return Err(Error::input(tr!(T::DismissNotOpen, id)));
                }
                return Ok(event(
                    config,
                    &number,
                    now,
                    EventBody::Dismissed {
                        intent: id,
                        reason: crate::engine::reminders::BY_HAND.to_string(),
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
                config,
                &number,
                now,
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

    /// A keep-alive use; it settles the number's newest standing keep-alive reminder.
    pub fn activity(
        &mut self,
        number: &Number,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Event> {
        let config = self.config;
        self.append(|state| {
            let intent = state.number(&number.id).and_then(|ns| {
                crate::engine::reminders::standing(ns, number)
                    .filter(|(k, _)| {
                        number.rule(&k.rule).is_some_and(|r| {
                            matches!(r.trigger, crate::model::Trigger::KeepAlive { .. })
                        })
                    })
                    .map(|(_, a)| (a.at, a.intent.to_string()))
                    .max()
                    .map(|o| o.1)
            });
            Ok(event(
                config,
                &number.id,
                now,
                EventBody::Activity { note, intent },
            ))
        })
        .map(|r| r.0)
    }

    pub fn balance(
        &mut self,
        number: &Number,
        amount: Money,
        validity: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Event> {
        let config = self.config;
        self.append(|_| {
            Ok(event(
                config,
                &number.id,
                now,
                EventBody::Balance {
                    balance_minor: amount.minor,
                    currency: amount.currency,
                    validity_until: validity,
                    source: "manual".into(),
                },
            ))
        })
        .map(|r| r.0)
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
