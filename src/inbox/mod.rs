//! The inbox: texts that a forwarder (a phone app or a 4G board holding a SIM) received,
//! put in the log. One way in for every path a forwarder's text takes — its webhook
//! (`server`, decoded per kind by `decode`) and the catch-up that reads a forwarder's list
//! of texts — so that each text is in the log once whichever way, and how often, it came.
//!
//! [`accept`] (or an [`Acceptor`] kept across calls) is that way in: each [`Received`] is
//! given to its number by forwarder and slot, read by the same reader as
//! `import --format sms` (`import::events_of_text`: a balance notice a reading, a top-up
//! confirmation evidence, anything else a `message`), and what the log lacks is appended in
//! one write and fsynced before it returns.

pub mod decode;
pub mod replay;
pub mod server;
pub mod sign;

use std::collections::HashSet;
use std::io;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};

use crate::i18n::T;
use crate::model::{Config, Event, Number};
use crate::store::log::Txn;
use crate::store::{Cursor, Log, LogProblem, Paths};
use crate::tr;

/// How long a text waits for the log's lock before the answer is "try again later" (a
/// phone retries a 5xx; hanging would only hold its connection).
pub const LOCK_WAIT: Duration = Duration::from_secs(3);

/// A receive time up to this far ahead of the clock is believed.
pub const FUTURE_SKEW: chrono::Duration = chrono::Duration::minutes(10);

/// One text as a forwarder reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The forwarder's `id` in the config.
    pub forwarder: String,
    /// The SIM slot it arrived on (1-based), when the forwarder says.
    pub slot: Option<u8>,
    /// Who sent it (`10086`, `+8613…`), when the forwarder says.
    pub sender: Option<String>,
    pub text: String,
    /// When the phone received it, when the forwarder says. Part of the text's identity:
    /// a retry or a catch-up must give the same time (to the minute) to be recognised.
    pub received_at: Option<DateTime<FixedOffset>>,
}

/// What became of one [`Received`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Appended to the log and fsynced, as these events of this number.
    New { number: String, events: Vec<Event> },
    /// The log already holds it (a retry, a replay, the same text by catch-up or import).
    Duplicate { number: String },
    /// No number in the config is held by this forwarder in this slot: nothing written.
    NoNumber,
}

/// Why nothing could be written: every text of the call is then not in the log (unless it
/// was already), and the one who sent it should try again.
#[derive(Debug)]
pub enum AcceptError {
    /// Another process held the log's lock for longer than [`LOCK_WAIT`].
    Busy,
    /// The log could not be read or written (disk full, permissions…).
    Io(io::Error),
}

impl AcceptError {
    /// One sentence for people (never a secret: it names only the log's path).
    pub fn sentence(&self, paths: &Paths) -> String {
        match self {
            AcceptError::Busy => tr!(T::InboxLogBusy, paths.log.display()),
            AcceptError::Io(e) => crate::error::Error::io(T::WhatWrite, &paths.log, e).message,
        }
    }
}

/// Puts received texts in the log: each one new to it appended, all in one write, fsynced
/// before this returns. Stateless: it reads the whole log to know what is there; a caller
/// that accepts often (the webhook server) keeps an [`Acceptor`] instead.
///
/// `now` is the worker's clock: a text received "later" than it is dated now.
pub fn accept(
    paths: &Paths,
    config: &Config,
    texts: &[Received],
    now: DateTime<Utc>,
) -> Result<(Vec<Accepted>, Option<LogProblem>), AcceptError> {
    Acceptor::new(paths).accept(config, texts, now)
}

/// [`accept`] that remembers what it has read of the log, so that each call reads only the
/// lines appended since (by anyone). It reads from the start again when the log was
/// replaced or cut.
pub struct Acceptor {
    log: Log,
    index: Index,
}

impl Acceptor {
    pub fn new(paths: &Paths) -> Acceptor {
        Acceptor {
            log: Log::new(&paths.log),
            index: Index::default(),
        }
    }

    /// See [`accept`]. The answers are in the order of `texts`; a text given twice in one
    /// call is new at most once.
    pub fn accept(
        &mut self,
        config: &Config,
        texts: &[Received],
        now: DateTime<Utc>,
    ) -> Result<(Vec<Accepted>, Option<LogProblem>), AcceptError> {
        let tz = config.timezone;
        let local_now = now.with_timezone(&tz).fixed_offset();
        // What each text is, decided before the lock is taken.
        let planned: Vec<Option<(&Number, Vec<Event>)>> = texts
            .iter()
            .map(|r| {
                let n = number_for(config, r)?;
                // A phone's clock a little ahead is kept as it says (clamping it would
                // date each retry differently, and so log it again); one far ahead is
                // not believed and the text is dated as it arrives. More than a day
                // ahead, it is not read at all: kept for review, as a text
                // nobody understood is.
                if set_aside(r, local_now).is_some() {
                    let kept = crate::import::kept_text(
                        n,
                        r.sender.as_deref(),
                        r.received_at,
                        &r.text,
                        local_now,
                    );
                    return Some((n, vec![kept]));
                }
                let date = r.received_at.filter(|t| *t <= local_now + FUTURE_SKEW);
                Some((
                    n,
                    crate::import::events_of_text(n, r.sender.as_deref(), date, &r.text, local_now),
                ))
            })
            .collect();
        let index = &mut self.index;
        let result = self.log.transact_within(LOCK_WAIT, |txn| {
            index.catch_up(txn)?;
            let mut out = Vec::with_capacity(planned.len());
            let mut fresh_all = Vec::new();
            for p in &planned {
                let Some((n, events)) = p else {
                    out.push(Accepted::NoNumber);
                    continue;
                };
                let fresh: Vec<Event> = events.iter().filter(|e| !index.has(e)).cloned().collect();
                if fresh.is_empty() {
                    out.push(Accepted::Duplicate {
                        number: n.id.clone(),
                    });
                    continue;
                }
                for e in &fresh {
                    index.add(e);
                }
                fresh_all.extend(fresh.iter().cloned());
                out.push(Accepted::New {
                    number: n.id.clone(),
                    events: fresh,
                });
            }
            txn.stamping(now);
            txn.append(&fresh_all)?;
            Ok(out)
        });
        match result {
            Ok(r) => Ok(r),
            Err(e) => {
                // What was added to the index may not be on disk: read it all again.
                self.index = Index::default();
                if e.kind() == io::ErrorKind::WouldBlock {
                    Err(AcceptError::Busy)
                } else {
                    Err(AcceptError::Io(e))
                }
            }
        }
    }
}

/// The date `r` says it was received, when that is more than
/// [`DATED_AHEAD`](crate::import::limits::DATED_AHEAD) after `at` (the clock when it came,
/// or the time of the event it made): such a text is kept, never read as a balance or a
/// top-up.
pub fn set_aside(r: &Received, at: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    r.received_at
        .filter(|t| *t > at + crate::import::limits::DATED_AHEAD)
}

/// The number a forwarder's text belongs to: the only number the forwarder holds (unless
/// both name a slot and they differ), else the one in the text's slot, else — the slot not
/// said — the only one of them on the carrier whose sender or signature it carries.
pub fn number_for<'a>(config: &'a Config, r: &Received) -> Option<&'a Number> {
    let held: Vec<&Number> = config
        .numbers
        .iter()
        .filter(|n| n.forwarder.as_ref().is_some_and(|f| f.id == r.forwarder))
        .collect();
    let slot_of = |n: &Number| n.forwarder.as_ref().and_then(|f| f.slot);
    if let [only] = held.as_slice() {
        return match (slot_of(only), r.slot) {
            (Some(a), Some(b)) if a != b => None,
            _ => Some(only),
        };
    }
    if let Some(s) = r.slot {
        return held.into_iter().find(|n| slot_of(n) == Some(s));
    }
    let carrier = match r
        .sender
        .as_deref()
        .and_then(crate::import::sms::carrier_of_sender)
    {
        Some(c) => c,
        None => crate::import::sms::carrier_of_signature(&r.text)?,
    };
    let mut on = held
        .into_iter()
        .filter(|n| crate::import::sms::is_carrier(&n.carrier, carrier));
    let one = on.next()?;
    on.next().is_none().then_some(one)
}

/// How many minutes apart two hearings of one text may be dated and still be one text.
const TWIN_MINUTES: i64 = 2;

/// What the log holds of texts: the ids (and, for lines written before ids named the
/// number, the id each has today: [`Event::numbered_text_id`]) and text twins
/// ([`Event::text_twin`]) of every event read from a text, and how far it has been read. The same rule as
/// `Log::append_new`: an event is there when its id is, or its twin.
#[derive(Default)]
struct Index {
    file: Option<(u64, u64)>,
    cursor: Cursor,
    ids: HashSet<String>,
    twins: HashSet<String>,
}

impl Index {
    /// Reads what was appended since the last call, under the lock `txn` holds.
    fn catch_up(&mut self, txn: &mut Txn) -> io::Result<()> {
        let (dev, ino, len) = txn.identity()?;
        if self.file != Some((dev, ino)) || len < self.cursor.offset {
            *self = Index {
                file: Some((dev, ino)),
                ..Index::default()
            };
        }
        let (ids, twins) = (&mut self.ids, &mut self.twins);
        let scan = txn.scan_ref(self.cursor, |e| {
            if let Some(t) = e.text_twin() {
                ids.insert(e.id.to_string());
                ids.extend(e.numbered_text_id());
                twins.insert(t);
            }
        })?;
        self.cursor = scan.cursor;
        Ok(())
    }

    fn has(&self, e: &Event) -> bool {
        if self.ids.contains(&e.id) || e.text_twin().is_some_and(|t| self.twins.contains(&t)) {
            return true;
        }
        // The same text from two ways of hearing it (the webhook's receive time, a
        // catch-up's epoch milliseconds; a phone's clock read twice) can fall either side
        // of a minute: a twin within TWIN_MINUTES is the same text.
        e.text_twin().is_some()
            && (1..=TWIN_MINUTES).any(|m| {
                [-m, m].into_iter().any(|d| {
                    let mut near = e.clone();
                    near.at += chrono::Duration::minutes(d);
                    near.text_twin().is_some_and(|t| self.twins.contains(&t))
                })
            })
    }

    fn add(&mut self, e: &Event) {
        self.ids.insert(e.id.clone());
        if let Some(t) = e.text_twin() {
            self.twins.insert(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventBody;

    fn home(numbers: &str) -> (tempfile::TempDir, Paths, Config) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_home(dir.path());
        let text = format!(
            r#"{{"version":1,"timezone":"Asia/Shanghai",
              "forwarders":[{{"id":"pixel","kind":"smsforwarder","url":"http://10.0.0.2:5000"}},
                            {{"id":"board","kind":"webhook"}}],
              "numbers":[{numbers}]}}"#
        );
        let config = crate::store::config::parse(text.as_bytes()).unwrap();
        (dir, paths, config)
    }

    fn number(id: &str, carrier: &str, fwd: &str) -> String {
        format!(
            r#"{{"id":"{id}","label":"{id}","msisdn":"+8613800000000","currency":"CNY","carrier":"{carrier}",
                "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},"forwarder":{fwd}}}"#
        )
    }

    fn text(fwd: &str, slot: Option<u8>, sender: &str, body: &str, at: &str) -> Received {
        Received {
            forwarder: fwd.into(),
            slot,
            sender: Some(sender.into()),
            text: body.into(),
            received_at: Some(DateTime::parse_from_rfc3339(at).unwrap()),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_text_dated_more_than_a_day_ahead_is_kept_but_never_a_reading() {
        let (_d, paths, config) = home(&number("a", "China Mobile", r#"{"id":"pixel"}"#));
        let low = "尊敬的客户，您的账户余额为1.00元。";
        // A phone whose clock says next year: kept for review, dated as it arrives.
        let ahead = text("pixel", None, "10086", low, "2027-03-01T19:58:00+08:00");
        let (got, _) = accept(&paths, &config, std::slice::from_ref(&ahead), now()).unwrap();
        let Accepted::New { events, .. } = &got[0] else {
            panic!("{got:?}");
        };
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(
            matches!(events[0].body, EventBody::Message { .. }),
            "{events:?}"
        );
        assert_eq!(events[0].at.with_timezone(&Utc), now());
        assert_eq!(
            set_aside(&ahead, events[0].at),
            Some(ahead.received_at.unwrap())
        );
        // Sent again (a retry): already there.
        let (again, _) = accept(&paths, &config, std::slice::from_ref(&ahead), now()).unwrap();
        assert_eq!(again, vec![Accepted::Duplicate { number: "a".into() }]);
        // Less than a day ahead: a reading, dated as it arrives.
        let soon = text("pixel", None, "10086", low, "2026-03-02T08:00:00+08:00");
        let (got, _) = accept(&paths, &config, std::slice::from_ref(&soon), now()).unwrap();
        let Accepted::New { events, .. } = &got[0] else {
            panic!("{got:?}");
        };
        assert!(
            matches!(events[0].body, EventBody::Balance { .. }),
            "{events:?}"
        );
        assert_eq!(set_aside(&soon, events[0].at), None);
    }

    #[test]
    fn one_text_dated_either_side_of_a_minute_by_two_hearings_is_one_text() {
        let (_d, paths, config) = home(&number("a", "China Mobile", r#"{"id":"pixel"}"#));
        let body = "尊敬的客户，您的账户余额为23.45元。";
        let by_webhook = text(
            "pixel",
            None,
            "10086",
            body,
            "2026-03-01T19:58:59.900+08:00",
        );
        let by_catch_up = text(
            "pixel",
            None,
            "10086",
            body,
            "2026-03-01T19:59:00.100+08:00",
        );
        let (got, _) = accept(&paths, &config, &[by_webhook], now()).unwrap();
        assert!(matches!(got[0], Accepted::New { .. }), "{got:?}");
        let (got, _) = accept(&paths, &config, &[by_catch_up], now()).unwrap();
        assert_eq!(got, vec![Accepted::Duplicate { number: "a".into() }]);
        // Two minutes on, still one; four minutes from the first, a second text.
        let later = text("pixel", None, "10086", body, "2026-03-01T20:00:30+08:00");
        let (got, _) = accept(&paths, &config, &[later], now()).unwrap();
        assert_eq!(got, vec![Accepted::Duplicate { number: "a".into() }]);
        let again = text("pixel", None, "10086", body, "2026-03-01T20:02:30+08:00");
        let (got, _) = accept(&paths, &config, &[again], now()).unwrap();
        assert!(matches!(got[0], Accepted::New { .. }), "{got:?}");
    }

    #[test]
    fn a_text_becomes_its_numbers_event_once_however_often_it_comes() {
        let (_d, paths, config) = home(
            &[
                number("a", "China Mobile", r#"{"id":"pixel","slot":1}"#),
                number("b", "China Unicom", r#"{"id":"pixel","slot":2}"#),
            ]
            .join(","),
        );
        let balance = text(
            "pixel",
            Some(2),
            "10010",
            "尊敬的客户，您的账户余额为12.34元。",
            "2026-03-01T19:58:00+08:00",
        );
        let (first, _) =
            accept(&paths, &config, &[balance.clone(), balance.clone()], now()).unwrap();
        let Accepted::New { number, events } = &first[0] else {
            panic!("{first:?}");
        };
        assert_eq!(number, "b");
        assert!(
            matches!(
                events[0].body,
                EventBody::Balance {
                    balance_minor: 1234,
                    ..
                }
            ),
            "{events:?}"
        );
        assert_eq!(first[1], Accepted::Duplicate { number: "b".into() });
        // A later call (a retry after a lost answer, a catch-up) adds nothing either, and
        // neither does an Acceptor that has read the log before.
        let mut acceptor = Acceptor::new(&paths);
        for _ in 0..2 {
            let (again, _) = acceptor
                .accept(&config, std::slice::from_ref(&balance), now())
                .unwrap();
            assert_eq!(again, vec![Accepted::Duplicate { number: "b".into() }]);
        }
        let (events, _) = Log::new(&paths.log).read_all().unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
    }

    #[test]
    fn an_acceptor_sees_what_others_appended_and_a_replaced_log() {
        let (_d, paths, config) = home(&number("a", "China Mobile", r#"{"id":"board"}"#));
        let mut acceptor = Acceptor::new(&paths);
        let one = text(
            "board",
            None,
            "10086",
            "hello one",
            "2026-03-01T19:00:00+08:00",
        );
        let two = text(
            "board",
            None,
            "10086",
            "hello two",
            "2026-03-01T19:01:00+08:00",
        );
        assert!(matches!(
            acceptor
                .accept(&config, std::slice::from_ref(&one), now())
                .unwrap()
                .0[0],
            Accepted::New { .. }
        ));
        // Another process (a catch-up, an import) brings `two`.
        accept(&paths, &config, std::slice::from_ref(&two), now()).unwrap();
        assert!(matches!(
            acceptor
                .accept(&config, std::slice::from_ref(&two), now())
                .unwrap()
                .0[0],
            Accepted::Duplicate { .. }
        ));
        // The log replaced by one without `one`: it is new again.
        let (events, _) = Log::new(&paths.log).read_all().unwrap();
        std::fs::remove_file(&paths.log).unwrap();
        Log::new(&paths.log).append(&events[1..]).unwrap();
        assert!(matches!(
            acceptor.accept(&config, &[one], now()).unwrap().0[0],
            Accepted::New { .. }
        ));
    }

    #[test]
    fn a_text_for_no_number_writes_nothing() {
        let (_d, paths, config) = home(&number("a", "China Mobile", r#"{"id":"pixel","slot":1}"#));
        let (out, _) = accept(
            &paths,
            &config,
            &[
                text(
                    "pixel",
                    Some(2),
                    "10086",
                    "SIM2 text",
                    "2026-03-01T19:00:00+08:00",
                ),
                text(
                    "board",
                    None,
                    "10086",
                    "nobody",
                    "2026-03-01T19:00:00+08:00",
                ),
            ],
            now(),
        )
        .unwrap();
        assert_eq!(out, vec![Accepted::NoNumber, Accepted::NoNumber]);
        assert!(!paths.log.exists() || std::fs::read(&paths.log).unwrap().is_empty());
    }

    #[test]
    fn without_a_slot_the_sender_picks_among_a_forwarders_numbers() {
        let (_d, paths, config) = home(
            &[
                number("a", "China Mobile", r#"{"id":"pixel","slot":1}"#),
                number("b", "China Unicom", r#"{"id":"pixel","slot":2}"#),
            ]
            .join(","),
        );
        let r = text("pixel", None, "10086", "hi", "2026-03-01T19:00:00+08:00");
        assert_eq!(number_for(&config, &r).map(|n| n.id.as_str()), Some("a"));
        let r = text("pixel", None, "95588", "hi", "2026-03-01T19:00:00+08:00");
        assert_eq!(number_for(&config, &r), None);
        // One number held: its slot decides only when both say one.
        let (_d, _p, config) = home(&number("a", "", r#"{"id":"pixel","slot":1}"#));
        let r = text("pixel", None, "95588", "hi", "2026-03-01T19:00:00+08:00");
        assert_eq!(number_for(&config, &r).map(|n| n.id.as_str()), Some("a"));
        let _ = paths;
    }

    #[test]
    fn a_busy_log_is_busy_and_writes_nothing() {
        let (_d, paths, config) = home(&number("a", "China Mobile", r#"{"id":"board"}"#));
        Log::new(&paths.log).check_writable().unwrap();
        let holder = std::fs::OpenOptions::new()
            .append(true)
            .open(&paths.log)
            .unwrap();
        holder.lock().unwrap();
        let r = text("board", None, "10086", "hi", "2026-03-01T19:00:00+08:00");
        let got = accept(&paths, &config, &[r], now());
        assert!(matches!(got, Err(AcceptError::Busy)), "{got:?}");
        drop(holder);
        assert!(std::fs::read(&paths.log).unwrap().is_empty());
    }
}
