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

/// Lists of timed entries (a number's readings and money moves: most of the times a state
/// holds) with each time as whole seconds and nanoseconds. `DateTime`'s own serde writes
/// RFC 3339 text, and formatting it was a third of a checkpoint's encoding time
/// (issue 23: the write's share of a pass).
pub(super) mod timed {
    use std::collections::VecDeque;

    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// An entry whose first field is a time.
    pub trait Timed: Sized {
        type Rest: Serialize + for<'de> Deserialize<'de>;
        fn split(&self) -> (DateTime<Utc>, Self::Rest);
        fn join(at: DateTime<Utc>, rest: Self::Rest) -> Self;
    }

    impl<A: Copy + Serialize + for<'de> Deserialize<'de>> Timed for (DateTime<Utc>, A) {
        type Rest = A;
        fn split(&self) -> (DateTime<Utc>, A) {
            (self.0, self.1)
        }
        fn join(at: DateTime<Utc>, rest: A) -> Self {
            (at, rest)
        }
    }

    impl<A, B> Timed for (DateTime<Utc>, A, B)
    where
        A: Copy + Serialize + for<'de> Deserialize<'de>,
        B: Copy + Serialize + for<'de> Deserialize<'de>,
    {
        type Rest = (A, B);
        fn split(&self) -> (DateTime<Utc>, (A, B)) {
            (self.0, (self.1, self.2))
        }
        fn join(at: DateTime<Utc>, (a, b): (A, B)) -> Self {
            (at, a, b)
        }
    }

    pub(crate) fn serialize<T: Timed, S: Serializer>(
        v: &VecDeque<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|e| {
            let (at, rest) = e.split();
            (at.timestamp(), at.timestamp_subsec_nanos(), rest)
        }))
    }

    pub fn deserialize<'de, T: Timed, D: Deserializer<'de>>(d: D) -> Result<VecDeque<T>, D::Error> {
        let v: Vec<(i64, u32, T::Rest)> = Vec::deserialize(d)?;
        v.into_iter()
            .map(|(secs, nanos, rest)| {
                DateTime::from_timestamp(secs, nanos)
                    .map(|at| T::join(at, rest))
                    .ok_or_else(|| serde::de::Error::custom("a time out of range"))
            })
            .collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use bincode::Options;
    use chrono::{DateTime, Utc};

    #[test]
    fn timed_entries_come_back_exactly() {
        // Fractions of a second, a leap second, the ends of what a time can be.
        let times = [
            DateTime::<Utc>::from_timestamp(1_800_000_000, 123_456_789).unwrap(),
            DateTime::<Utc>::from_timestamp(1_483_228_799, 1_500_000_000).unwrap(),
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::from_timestamp(-1, 999_999_999).unwrap(),
        ];
        let mut ns = NumberState::default();
        for (i, t) in times.iter().enumerate() {
            ns.readings.push_back((*t, i as i64 - 2));
            ns.moves.push_back((
                *t,
                i64::MIN + i as i64,
                crate::model::Currency::new("GBP").unwrap(),
            ));
        }
        let bytes = options().serialize(&ns).unwrap();
        let back: NumberState = options().deserialize(&bytes).unwrap();
        assert_eq!(back.readings, ns.readings);
        assert_eq!(back.moves, ns.moves);
        assert_eq!(options().serialize(&back).unwrap(), bytes);
    }

    #[test]
    fn a_time_out_of_range_is_refused_not_made_up() {
        let mut ns = NumberState::default();
        ns.readings.push_back((DateTime::<Utc>::MAX_UTC, 1));
        let mut bytes = options().serialize(&ns).unwrap();
        let good: NumberState = options().deserialize(&bytes).unwrap();
        assert_eq!(good.readings, ns.readings);
        // The same entry with its seconds past the last representable time.
        let secs = DateTime::<Utc>::MAX_UTC.timestamp();
        let mut enc = Vec::new();
        options().serialize_into(&mut enc, &secs).unwrap();
        let at = bytes
            .windows(enc.len())
            .position(|w| w == enc.as_slice())
            .unwrap();
        let mut past = Vec::new();
        options().serialize_into(&mut past, &(secs + 1)).unwrap();
        assert_eq!(past.len(), enc.len());
        bytes[at..at + enc.len()].copy_from_slice(&past);
        assert!(options().deserialize::<NumberState>(&bytes).is_err());
    }
}
