//! History rows kept compactly: each row encoded into one byte buffer (numbers and
//! sources, which repeat, by their index in a small table), decoded when asked for. A
//! million-event log's rows took about 280 MiB as `Row` values with their own strings;
//! encoded they take about a tenth of that (it bounds the TUI's peak memory). Every row
//! starts with its kind and its number, so both can be read without the rest.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use hashbrown::HashMap;
use nonmax::NonMaxU32;

use crate::engine::chunked::Chunked;
use crate::model::Currency;

/// A history row as recorded: recharges point into the state's keys (a recharge row keeps
/// its key's index there, not its text), the rest are copies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Recharge {
        number: String,
        key: String,
    },
    Manual {
        id: String,
        at: DateTime<Utc>,
        number: String,
        amount_minor: i64,
        currency: Currency,
        note: Option<String>,
        intent: Option<String>,
        /// The reminder key it settles (an index into the number's keys).
        settles: Option<u32>,
        /// Its verification check in the number's tracker.
        check: Option<u32>,
    },
    Balance {
        id: String,
        at: DateTime<Utc>,
        number: String,
        balance_minor: i64,
        currency: Currency,
        validity_until: Option<NaiveDate>,
        source: String,
    },
    Activity {
        id: String,
        at: DateTime<Utc>,
        number: String,
        note: Option<String>,
    },
    Statement {
        id: String,
        at: DateTime<Utc>,
        number: String,
        amount_minor: i64,
        currency: Currency,
        source: String,
        reference: String,
        text: String,
        refund_of: Option<String>,
        /// Its index in the number's evidence (None for a refund row).
        evidence: Option<u32>,
    },
    Message {
        id: String,
        at: DateTime<Utc>,
        number: String,
        source: String,
        from: Option<String>,
        text: String,
    },
}

/// Rows in log order.
#[derive(Clone, Debug, Default)]
pub struct RowStore {
    bytes: Vec<u8>,
    /// Where each row starts in `bytes`, from its group's base (see [`RowStore::start`]):
    /// four bytes a row rather than eight; `None`: too far from it, in `far`.
    starts: Chunked<Option<NonMaxU32>>,
    /// Where each group of [`GROUP`] rows starts in `bytes`.
    bases: Vec<u64>,
    /// Starts too far from their group's base for a `u32` (rows of gigabytes).
    far: HashMap<usize, u64>,
    names: Vec<Box<str>>,
    name_index: HashMap<Box<str>, u32>,
}

/// Rows per base offset.
const GROUP: usize = 64;

/// A recharge, by its key's index in the number's keys (the key's text is in the state).
const RECHARGE: u8 = 0;
const MANUAL: u8 = 1;
const BALANCE: u8 = 2;
const ACTIVITY: u8 = 3;
const STATEMENT: u8 = 4;
const MESSAGE: u8 = 5;

impl RowStore {
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The row at `i` (log order); `key_of(number, index)` names a key a recharge row
    /// points to (see [`RowStore::push`]).
    pub fn get(&self, i: usize, key_of: impl Fn(&str, u32) -> Option<String>) -> Option<Row> {
        let start = self.start(i)?;
        let end = self.start(i + 1).unwrap_or(self.bytes.len());
        Reader {
            bytes: self.bytes.get(start..end)?,
            names: &self.names,
        }
        .row(key_of)
    }

    /// The number of the row at `i`, and whether it is a balance reading, without
    /// decoding the rest (every row starts with its kind and its number).
    pub fn number_of(&self, i: usize) -> Option<(&str, bool)> {
        let start = self.start(i)?;
        let mut r = Reader {
            bytes: self.bytes.get(start..)?,
            names: &self.names,
        };
        let kind = r.byte()?;
        let name = self.names.get(r.uint()? as usize)?;
        Some((name, kind == BALANCE))
    }

    /// What every row but a recharge starts with: its kind, number, id and time.
    fn head(&mut self, kind: u8, number: &str, id: &str, at: &DateTime<Utc>) {
        self.bytes.push(kind);
        self.name(number);
        self.str(id);
        self.at(at);
    }

    /// Adds `row`. A recharge row is kept as `key`, its key's index in the number's keys:
    /// the key's text is already in the state, so the row does not keep it again (`key`
    /// is not read for other rows).
    pub(crate) fn push(&mut self, row: &Row, key: u32) {
        self.begin_row();
        match row {
            Row::Recharge { number, .. } => {
                self.bytes.push(RECHARGE);
                self.name(number);
                self.uint(key as u64);
            }
            Row::Manual {
                id,
                at,
                number,
                amount_minor,
                currency,
                note,
                intent,
                settles,
                check,
            } => {
                self.head(MANUAL, number, id, at);
                self.int(*amount_minor);
                self.bytes.push(currency.index());
                self.opt_str(note.as_deref());
                self.opt_str(intent.as_deref());
                self.opt_u32(*settles);
                self.opt_u32(*check);
            }
            Row::Balance {
                id,
                at,
                number,
                balance_minor,
                currency,
                validity_until,
                source,
            } => {
                self.head(BALANCE, number, id, at);
                self.int(*balance_minor);
                self.bytes.push(currency.index());
                match validity_until {
                    Some(d) => {
                        self.bytes.push(1);
                        self.int(d.num_days_from_ce() as i64);
                    }
                    None => self.bytes.push(0),
                }
                self.name(source);
            }
            Row::Activity {
                id,
                at,
                number,
                note,
            } => {
                self.head(ACTIVITY, number, id, at);
                self.opt_str(note.as_deref());
            }
            Row::Statement {
                id,
                at,
                number,
                amount_minor,
                currency,
                source,
                reference,
                text,
                refund_of,
                evidence,
            } => {
                self.head(STATEMENT, number, id, at);
                self.int(*amount_minor);
                self.bytes.push(currency.index());
                self.name(source);
                self.str(reference);
                self.str(text);
                self.opt_str(refund_of.as_deref());
                self.opt_u32(*evidence);
            }
            Row::Message {
                id,
                at,
                number,
                source,
                from,
                text,
            } => {
                self.head(MESSAGE, number, id, at);
                self.name(source);
                self.opt_str(from.as_deref());
                self.str(text);
            }
        }
    }

    /// Where row `i` starts in `bytes`.
    fn start(&self, i: usize) -> Option<usize> {
        let at = match *self.starts.get(i)? {
            None => *self.far.get(&i)?,
            Some(rel) => *self.bases.get(i / GROUP)? + u64::from(rel.get()),
        };
        usize::try_from(at).ok()
    }

    /// Notes where the next row starts.
    fn begin_row(&mut self) {
        let i = self.starts.len();
        let at = self.bytes.len() as u64;
        if i.is_multiple_of(GROUP) {
            self.bases.push(at);
        }
        let base = self.bases.last().copied().unwrap_or(0);
        let rel = u32::try_from(at - base).ok().and_then(NonMaxU32::new);
        self.starts.push(rel);
        if rel.is_none() {
            self.far.insert(i, at);
        }
    }

    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.bytes.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
    }

    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.bytes.extend_from_slice(s.as_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.bytes.push(1);
                self.str(s);
            }
            None => self.bytes.push(0),
        }
    }

    fn opt_u32(&mut self, v: Option<u32>) {
        self.uint(v.map_or(0, |v| v as u64 + 1));
    }

    /// As chrono keeps it (day, second of the day, nanosecond), so that even a leap
    /// second comes back the same.
    fn at(&mut self, at: &DateTime<Utc>) {
        let t = at.naive_utc();
        self.int(t.date().num_days_from_ce() as i64);
        self.uint(t.time().num_seconds_from_midnight() as u64);
        self.uint(t.time().nanosecond() as u64);
    }

    /// A number or a source: by its index in the table of names.
    fn name(&mut self, s: &str) {
        let i = match self.name_index.get(s) {
            Some(i) => *i,
            None => {
                let i = self.names.len() as u32;
                self.names.push(s.into());
                self.name_index.insert(s.into(), i);
                i
            }
        };
        self.uint(i as u64);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    names: &'a [Box<str>],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(*b)
    }

    fn uint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn int(&mut self) -> Option<i64> {
        let v = self.uint()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn str(&mut self) -> Option<String> {
        let n = self.uint()? as usize;
        if n > self.bytes.len() {
            return None;
        }
        let (s, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        String::from_utf8(s.to_vec()).ok()
    }

    fn opt_str(&mut self) -> Option<Option<String>> {
        Some(match self.byte()? {
            0 => None,
            _ => Some(self.str()?),
        })
    }

    fn opt_u32(&mut self) -> Option<Option<u32>> {
        let v = self.uint()?;
        Some(v.checked_sub(1).map(|v| v as u32))
    }

    fn at(&mut self) -> Option<DateTime<Utc>> {
        let day = NaiveDate::from_num_days_from_ce_opt(i32::try_from(self.int()?).ok()?)?;
        let secs = u32::try_from(self.uint()?).ok()?;
        let nanos = u32::try_from(self.uint()?).ok()?;
        let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)?;
        Some(NaiveDateTime::new(day, time).and_utc())
    }

    fn currency(&mut self) -> Option<Currency> {
        Currency::from_index(self.byte()?)
    }

    fn name(&mut self) -> Option<String> {
        let i = self.uint()? as usize;
        self.names.get(i).map(|s| s.to_string())
    }

    fn row(mut self, key_of: impl Fn(&str, u32) -> Option<String>) -> Option<Row> {
        Some(match self.byte()? {
            RECHARGE => {
                let number = self.name()?;
                let key = key_of(&number, u32::try_from(self.uint()?).ok()?)?;
                Row::Recharge { number, key }
            }
            MANUAL => Row::Manual {
                number: self.name()?,
                id: self.str()?,
                at: self.at()?,
                amount_minor: self.int()?,
                currency: self.currency()?,
                note: self.opt_str()?,
                intent: self.opt_str()?,
                settles: self.opt_u32()?,
                check: self.opt_u32()?,
            },
            BALANCE => Row::Balance {
                number: self.name()?,
                id: self.str()?,
                at: self.at()?,
                balance_minor: self.int()?,
                currency: self.currency()?,
                validity_until: match self.byte()? {
                    0 => None,
                    _ => Some(NaiveDate::from_num_days_from_ce_opt(
                        i32::try_from(self.int()?).ok()?,
                    )?),
                },
                source: self.name()?,
            },
            ACTIVITY => Row::Activity {
                number: self.name()?,
                id: self.str()?,
                at: self.at()?,
                note: self.opt_str()?,
            },
            STATEMENT => Row::Statement {
                number: self.name()?,
                id: self.str()?,
                at: self.at()?,
                amount_minor: self.int()?,
                currency: self.currency()?,
                source: self.name()?,
                reference: self.str()?,
                text: self.str()?,
                refund_of: self.opt_str()?,
                evidence: self.opt_u32()?,
            },
            MESSAGE => Row::Message {
                number: self.name()?,
                id: self.str()?,
                at: self.at()?,
                source: self.name()?,
                from: self.opt_str()?,
                text: self.str()?,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Numbers and sources repeat (they go into the table of names), other text is free.
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(vec!["a", "b", "号码 1", "command:x", "bank", ""])
                .prop_map(String::from),
            1 => "\\PC{0,12}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "\\PC{0,24}",
            1 => "[x]{100,300}",
        ]
    }

    /// Any time chrono can hold, leap seconds too (a nanosecond count past a billion).
    fn time() -> impl Strategy<Value = DateTime<Utc>> {
        let days = NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce();
        prop_oneof![
            (days.clone(), 0u32..86_400, 0u32..1_000_000_000),
            (
                days,
                (0u32..1440).prop_map(|m| m * 60 + 59),
                1_000_000_000u32..2_000_000_000
            ),
        ]
        .prop_filter_map("a time chrono holds", |(d, s, ns)| {
            let day = NaiveDate::from_num_days_from_ce_opt(d)?;
            let t = NaiveTime::from_num_seconds_from_midnight_opt(s, ns)?;
            Some(NaiveDateTime::new(day, t).and_utc())
        })
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce())
            .prop_filter_map("a date chrono holds", NaiveDate::from_num_days_from_ce_opt)
    }

    fn currency() -> impl Strategy<Value = Currency> {
        proptest::sample::select(vec!["CNY", "GBP", "JPY", "KWD", "USD"])
            .prop_map(|c| Currency::new(c).unwrap())
    }

    fn amount() -> impl Strategy<Value = i64> {
        prop_oneof![3 => -100_000i64..100_000, 1 => any::<i64>()]
    }

    fn index() -> impl Strategy<Value = Option<u32>> {
        proptest::option::of(prop_oneof![3 => 0u32..10, 1 => any::<u32>()])
    }

    fn row() -> impl Strategy<Value = Row> {
        let opt = || proptest::option::of(text());
        prop_oneof![
            (name(), text()).prop_map(|(number, key)| Row::Recharge { number, key }),
            (
                (text(), time(), name()),
                (amount(), currency(), opt(), opt(), index(), index())
            )
                .prop_map(
                    |((id, at, number), (amount_minor, currency, note, intent, settles, check))| {
                        Row::Manual {
                            id,
                            at,
                            number,
                            amount_minor,
                            currency,
                            note,
                            intent,
                            settles,
                            check,
                        }
                    }
                ),
            (
                (text(), time(), name()),
                (amount(), currency(), proptest::option::of(date()), name())
            )
                .prop_map(
                    |((id, at, number), (balance_minor, currency, validity_until, source))| {
                        Row::Balance {
                            id,
                            at,
                            number,
                            balance_minor,
                            currency,
                            validity_until,
                            source,
                        }
                    }
                ),
            (text(), time(), name(), opt()).prop_map(|(id, at, number, note)| Row::Activity {
                id,
                at,
                number,
                note
            }),
            (
                (text(), time(), name()),
                (amount(), currency(), name(), text(), text(), opt(), index())
            )
                .prop_map(
                    |(
                        (id, at, number),
                        (amount_minor, currency, source, reference, text, refund_of, evidence),
                    )| Row::Statement {
                        id,
                        at,
                        number,
                        amount_minor,
                        currency,
                        source,
                        reference,
                        text,
                        refund_of,
                        evidence,
                    }
                ),
            (text(), time(), name(), name(), opt(), text()).prop_map(
                |(id, at, number, source, from, text)| Row::Message {
                    id,
                    at,
                    number,
                    source,
                    from,
                    text,
                }
            ),
        ]
    }

    /// Pushes `row` as `History` does: a recharge by its key's index (here, in `keys`).
    fn put(store: &mut RowStore, row: &Row, keys: &mut Vec<(String, String)>) {
        store.push(row, keys.len() as u32);
        if let Row::Recharge { number, key } = row {
            keys.push((number.clone(), key.clone()));
        }
    }

    fn number(row: &Row) -> &str {
        match row {
            Row::Recharge { number, .. }
            | Row::Manual { number, .. }
            | Row::Balance { number, .. }
            | Row::Activity { number, .. }
            | Row::Statement { number, .. }
            | Row::Message { number, .. } => number,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every row pushed comes back equal, and its number and kind read alone agree,
        /// across several groups of rows (each with its own base offset).
        #[test]
        fn any_rows_come_back_as_they_went_in(rows in proptest::collection::vec(row(), 0..200)) {
            let mut store = RowStore::default();
            let mut keys = Vec::new();
            for r in &rows {
                put(&mut store, r, &mut keys);
            }
            let key_of = |n: &str, k: u32| {
                let (number, key) = keys.get(k as usize)?;
                (number == n).then(|| key.clone())
            };
            prop_assert_eq!(store.len(), rows.len());
            prop_assert_eq!(store.is_empty(), rows.is_empty());
            for (i, r) in rows.iter().enumerate() {
                prop_assert_eq!(store.get(i, key_of), Some(r.clone()));
                let balance = matches!(r, Row::Balance { .. });
                prop_assert_eq!(store.number_of(i), Some((number(r), balance)));
            }
            prop_assert_eq!(store.get(rows.len(), key_of), None);
            prop_assert_eq!(store.number_of(rows.len()), None);
        }
    }

    #[test]
    fn every_row_comes_back_as_it_went_in() {
        let gbp = Currency::new("GBP").unwrap();
        let cny = Currency::new("CNY").unwrap();
        // A leap second and a time before 1970, extreme amounts, text that is not ASCII.
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        let old = DateTime::from_timestamp(-86_400 * 400, 7).unwrap();
        let rows = vec![
            Row::Recharge {
                number: "号码 1".into(),
                key: "m:2026-01".into(),
            },
            Row::Manual {
                id: "e1".into(),
                at: leap,
                number: "a".into(),
                amount_minor: i64::MIN,
                currency: gbp,
                note: Some("7-Eleven 便利店".into()),
                intent: None,
                settles: Some(0),
                check: Some(u32::MAX - 1),
            },
            Row::Manual {
                id: "e2".into(),
                at: old,
                number: "b".into(),
                amount_minor: i64::MAX,
                currency: cny,
                note: None,
                intent: Some("e0".into()),
                settles: None,
                check: None,
            },
            Row::Balance {
                id: "".into(),
                at: old,
                number: "a".into(),
                balance_minor: -5,
                currency: cny,
                validity_until: NaiveDate::from_ymd_opt(9999, 12, 31),
                source: "command:x".into(),
            },
            Row::Balance {
                id: "e4".into(),
                at: leap,
                number: "号码 1".into(),
                balance_minor: 0,
                currency: gbp,
                validity_until: None,
                source: "command:x".into(),
            },
            Row::Activity {
                id: "e5".into(),
                at: leap,
                number: "b".into(),
                note: Some(String::new()),
            },
            Row::Statement {
                id: "e6".into(),
                at: old,
                number: "a".into(),
                amount_minor: -300,
                currency: gbp,
                source: "bank".into(),
                reference: "R".into(),
                text: "退款\n".into(),
                refund_of: Some("S".into()),
                evidence: None,
            },
            Row::Statement {
                id: "e7".into(),
                at: old,
                number: "a".into(),
                amount_minor: 300,
                currency: gbp,
                source: "bank".into(),
                reference: "S".into(),
                text: "x".repeat(300),
                refund_of: None,
                evidence: Some(3),
            },
            Row::Message {
                id: "e8".into(),
                at: leap,
                number: "b".into(),
                source: "sms".into(),
                from: None,
                text: "hello".into(),
            },
        ];
        // The recharge is the first key of "号码 1" (the state would name it).
        let keys = |n: &str, k: u32| (n, k) == ("号码 1", 0);
        let state_key = |n: &str, k: u32| keys(n, k).then(|| "m:2026-01".to_string());
        let mut store = RowStore::default();
        for r in &rows {
            store.push(r, 0);
        }
        assert_eq!(store.len(), rows.len());
        let back: Vec<Row> = (0..store.len())
            .filter_map(|i| store.get(i, state_key))
            .collect();
        assert_eq!(back, rows);
        // A recharge row keeps its key's index, not the text it was given.
        store.push(
            &Row::Recharge {
                number: "b".into(),
                key: "not kept".into(),
            },
            7,
        );
        let key_of = |n: &str, k: u32| Some(format!("{n}:{k}"));
        let none = |_: &str, _: u32| None;
        assert_eq!(
            store.get(9, key_of),
            Some(Row::Recharge {
                number: "b".into(),
                key: "b:7".into()
            })
        );
        assert_eq!(store.get(9, none), None);
        assert_eq!(store.number_of(9), Some(("b", false)));
        assert_eq!(store.number_of(0), Some(("号码 1", false)));
        assert_eq!(store.number_of(3), Some(("a", true)));
        assert_eq!(store.number_of(8), Some(("b", false)));
        assert_eq!((store.get(10, key_of), store.number_of(10)), (None, None));
        // Across many groups of rows (each group has its own base offset).
        let mut many = RowStore::default();
        for _ in 0..30 {
            for r in &rows {
                many.push(r, 0);
            }
        }
        assert_eq!(many.len(), 30 * rows.len());
        for i in (0..many.len()).step_by(7) {
            assert_eq!(many.get(i, state_key).as_ref(), Some(&rows[i % rows.len()]));
        }
    }
}
