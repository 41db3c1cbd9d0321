//! The history listing, in one place: every face that lists entries (`history`, the TUI's
//! export) asks [`Session::list_history`], never the rows or the log itself.

use std::ops::ControlFlow;

use chrono::{DateTime, Utc};

use crate::engine::{Entry, History, Keep, Lister, RefAt, State};
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::session::Session;
use crate::store::{Cursor, Log};
use crate::tr;

impl Session {
    /// Hands `sink` every history entry `keep` keeps, one at a time, in log order, until
    /// it answers `Break`. A session that keeps rows lists them. Any other (opened for
    /// listing, or state only) reads the log a second time and makes each row from its
    /// event and what the first pass recorded (flags and statuses are judged on the whole
    /// log), without a second state, so memory stays flat however long the log is. A log
    /// rewritten between the passes stops the listing with one sentence, never printing
    /// what is there now; lines appended since are left for the next listing.
    pub fn list_history(
        &self,
        keep: &dyn Fn(&Entry) -> bool,
        now: DateTime<Utc>,
        sink: &mut dyn FnMut(Entry) -> ControlFlow<()>,
    ) -> Result<()> {
        if self.history.keep() == Keep::Rows {
            for e in self.history.entries(&self.config, now) {
                if keep(&e) && sink(e).is_break() {
                    break;
                }
            }
            return Ok(());
        }
        let recorded;
        let mut state = self.state();
        let facts = if self.history.facts().events() as u64 == state.events {
            self.history.facts()
        } else {
            recorded = self.record(state.events)?;
            state = recorded.state();
            recorded.facts()
        };
        let mut rows = facts.maker();
        let mut lister = Lister::default();
        // The first pass kept executor references as where they are in the log: read each
        // from there, checking it is the text that was there.
        let log_file = crate::store::fsutil::open_regular(
            &self.paths.log,
            std::fs::OpenOptions::new().read(true),
            false,
        )
        .map_err(|e| Error::io(T::WhatRead, &self.paths.log, &e))?;
        let changed = std::cell::Cell::new(false);
        let mut buf = Vec::new();
        let mut fetch = |at: RefAt| -> Option<String> {
            buf.resize(at.len(), 0);
            let read = std::os::unix::fs::FileExt::read_exact_at(&log_file, &mut buf, at.offset());
            let text = read.ok().and_then(|_| at.check(&buf).map(str::to_string));
            if text.is_none() {
                changed.set(true);
            }
            text
        };
        let mut stopped = false;
        Log::new(&self.paths.log)
            .scan_ref(Cursor::default(), |e| {
                // Lines appended after the first pass are not in its state: stop there.
                if stopped || rows.done() || changed.get() {
                    return;
                }
                let Some(row) = rows.row(&e) else {
                    return;
                };
                let Some(entry) = lister.entry(state, &row, &self.config, now, &mut fetch) else {
                    return;
                };
                if !changed.get() && keep(&entry) {
                    stopped = sink(entry).is_break();
                }
            })
            .map_err(|e| Error::io(T::WhatRead, &self.paths.log, &e))?;
        if changed.get() {
            return Err(Error::conflict(tr!(
                T::LogChangedWhileListing,
                self.paths.log.display()
            )));
        }
        Ok(())
    }

    /// A session opened without recording (its state keeps no references) records now,
    /// on a state of its own, the first `events` events: the ones its state holds.
    fn record(&self, events: u64) -> Result<History> {
        let mut h = History::new(State::new(self.config.timezone), Keep::Recording);
        Log::new(&self.paths.log)
            .scan_ref(Cursor::default(), |e| {
                if h.state().events < events {
                    h.apply(&e, None);
                }
            })
            .map_err(|e| Error::io(T::WhatRead, &self.paths.log, &e))?;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EntryStatus;

    fn listed(s: &Session, keep: &dyn Fn(&Entry) -> bool, most: usize) -> Vec<Entry> {
        let now = crate::home::now().unwrap();
        let mut out = Vec::new();
        s.list_history(keep, now, &mut |e| {
            out.push(e);
            if out.len() == most {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        out
    }

    /// A session that keeps rows, one opened for listing and one that keeps the state
    /// only list the same entries, in log order, filtered alike, and stop when told.
    #[test]
    fn every_kind_of_session_lists_the_same_entries() {
        let home = crate::home::Home::open(true, None).unwrap();
        let full = Session::open(home.paths.clone()).unwrap();
        let lean = Session::open_for_listing(home.paths.clone()).unwrap();
        let bare = Session::open_state_only(home.paths.clone()).unwrap();
        let now = crate::home::now().unwrap();
        let all = full.history.entries(&full.config, now);
        assert!(
            all.len() > 20,
            "the demo has a history to list: {}",
            all.len()
        );
        let succeeded = |e: &Entry| e.status == Some(EntryStatus::Succeeded);
        let expected: Vec<Entry> = all.iter().filter(|e| succeeded(e)).cloned().collect();
        assert!(!expected.is_empty() && expected.len() < all.len());
        for s in [&full, &lean, &bare] {
            assert_eq!(listed(s, &|_| true, usize::MAX), all);
            assert_eq!(listed(s, &succeeded, usize::MAX), expected);
            assert_eq!(listed(s, &succeeded, 3), expected[..3]);
        }
    }
}
