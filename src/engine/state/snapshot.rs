//! The state as a checkpoint keeps it: every field of the state types is
//! serialized by `serde` derive, so a field added to them is written and read back
//! without anyone remembering to (one the derive cannot write fails to compile). What is
//! left out is rebuilt: the time zone (kept beside the state, in the checkpoint's header),
//! the key indexes (their hasher is random per process) and the month cache. Maps and sets
//! are written in sorted order, so two equal states give the same bytes: `validate` and the
//! tests compare a restored state with a replayed one by those bytes.

use std::collections::HashSet;

use chrono_tz::Tz;
use serde::Serialize;

use super::{NumberState, State, widen};

pub(super) fn utc() -> Tz {
    Tz::UTC
}

pub(super) fn sorted_map<K: Ord + Serialize, V: Serialize, S: serde::Serializer>(
    map: &hashbrown::HashMap<K, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    s.collect_map(entries)
}

pub(super) fn sorted_set<T: Ord + Serialize, S: serde::Serializer>(
    set: &HashSet<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut items: Vec<_> = set.iter().collect();
    items.sort_unstable();
    s.collect_seq(items)
}

/// The bincode settings of a checkpoint's state (varint integers, little-endian).
pub fn options() -> impl bincode::Options + Copy {
    bincode::DefaultOptions::new()
}

impl State {
    /// A state read back from a checkpoint, made whole: its time zone, and every
    /// number's key index built anew.
    pub fn restored(mut self, tz: Tz) -> State {
        self.tz = tz;
        for ns in self.numbers.values_mut() {
            ns.rebuild_key_index();
        }
        self
    }

    /// A state from [`State::canonical_bytes`] (None if they are not one), made whole
    /// for time zone `tz`. The file's proof and seal are `store::checkpoint`'s.
    pub fn from_canonical_bytes(bytes: &[u8], tz: Tz) -> Option<State> {
        use bincode::Options;
        let state: State = options().deserialize(bytes).ok()?;
        Some(state.restored(tz))
    }

    /// The state as a checkpoint writes it: equal states give equal bytes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        use bincode::Options;
        // Serializing plain data into memory cannot fail.
        options().serialize(self).unwrap_or_default()
    }
}

impl NumberState {
    fn rebuild_key_index(&mut self) {
        self.key_index = Default::default();
        self.key_index
            .reserve(self.keys.len(), |(_, kh)| widen(*kh));
        for i in 0..self.keys.len() {
            let key = self.arena.get(self.keys[i].key);
            let (h, hash) = self.hash_of(key);
            self.key_index
                .insert_unique(hash, (i as u32, h), |(_, kh)| widen(*kh));
        }
    }
}
