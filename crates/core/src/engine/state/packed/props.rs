//! `unpack(pack(x)) == x` for every packed shape: a string's handle, `RefAt`, the string
//! `Arena`, an attempt's outcome and resolution tags, a key's amount and rule (packed or
//! wide), and a key's first attempt (packed inline or kept whole).

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::{Arena, AttemptRec, CHUNK_SIZE, CHUNKS, KeyRec, PLACES, Place, RefAt, Str, Tags};
use crate::model::{Currency, Mode, OutcomeStatus, ResolvedStatus};

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    // Whole seconds most of the time (what baohao writes), fractions and far-apart times
    // sometimes (what another tool may write), across chrono's whole range.
    prop_oneof![
        3 => (0i64..4_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0)),
        1 => (-8_000_000_000_000i64..8_000_000_000_000, 0u32..1_000_000_000)
            .prop_map(|(s, ns)| DateTime::from_timestamp(s, ns)),
    ]
    .prop_map(|t| t.unwrap_or(DateTime::UNIX_EPOCH))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z0-9:_ -]{0,40}",
        2 => "\\PC{0,80}",
        1 => "[x]{60,70}",
        1 => "[y]{1000,1100}",
    ]
}

fn outcome() -> impl Strategy<Value = Option<OutcomeStatus>> {
    prop_oneof![
        Just(None),
        Just(Some(OutcomeStatus::Succeeded)),
        Just(Some(OutcomeStatus::Failed)),
        Just(Some(OutcomeStatus::Unknown)),
    ]
}

fn resolution() -> impl Strategy<Value = Option<ResolvedStatus>> {
    prop_oneof![
        Just(None),
        Just(Some(ResolvedStatus::Succeeded)),
        Just(Some(ResolvedStatus::Failed)),
    ]
}

/// An attempt as the fold makes them: told an outcome and a resolution or not, with
/// handles into `arena`.
fn attempt(arena: &mut Arena, a: &Parts) -> AttemptRec {
    let mut rec = AttemptRec::new(arena.push(&a.intent), a.n, a.at);
    rec.outcome = a.outcome;
    rec.resolved = a.resolved;
    rec.reference = a.reference.as_deref().map(|r| arena.push(r));
    rec.error = a.error.as_deref().map(|e| arena.push_shared(e));
    rec.check = a.check;
    rec
}

#[derive(Clone, Debug)]
struct Parts {
    intent: String,
    n: u32,
    at: DateTime<Utc>,
    outcome: Option<(OutcomeStatus, DateTime<Utc>)>,
    resolved: Option<(ResolvedStatus, DateTime<Utc>)>,
    reference: Option<String>,
    error: Option<String>,
    check: Option<u32>,
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        text(),
        prop_oneof![3 => 1u32..4, 1 => any::<u32>()],
        time(),
        (
            outcome(),
            prop_oneof![3 => 0i64..100_000, 1 => any::<i32>().prop_map(i64::from)],
        ),
        (
            resolution(),
            prop_oneof![3 => 0i64..100_000, 1 => any::<i64>()],
        ),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(prop_oneof![3 => 0u32..1000, 1 => any::<u32>(), 1 => Just(u32::MAX)]),
    )
        .prop_map(
            |(intent, n, at, (o, odt), (r, rdt), reference, error, check)| {
                let later = |dt: i64| {
                    at.checked_add_signed(chrono::Duration::seconds(dt.clamp(-(1 << 40), 1 << 40)))
                        .unwrap_or(at)
                };
                Parts {
                    intent,
                    n,
                    at,
                    outcome: o.map(|s| (s, later(odt))),
                    resolved: r.map(|s| (s, later(rdt))),
                    reference,
                    error,
                    check,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ref_at_gives_back_offset_length_and_text(offset in prop_oneof![
        3 => 0u64..(1 << 36),
        1 => any::<u64>(),
    ], text in text()) {
        let fits = offset < 1 << 36 && text.len() < 1 << 12;
        match RefAt::new(offset, &text) {
            Some(at) => {
                prop_assert!(fits);
                prop_assert_eq!(at.offset(), offset);
                prop_assert_eq!(at.len(), text.len());
                prop_assert_eq!(at.check(text.as_bytes()), Some(text.as_str()));
                let mut changed = text.clone().into_bytes();
                changed.push(b'!');
                prop_assert_eq!(at.check(&changed), None);
            }
            None => prop_assert!(!fits),
        }
    }

    #[test]
    fn the_arena_gives_back_every_string(strings in proptest::collection::vec((text(), any::<bool>()), 0..300)) {
        let mut arena = Arena::default();
        let handles: Vec<(Str, &str)> = strings
            .iter()
            .map(|(s, shared)| (if *shared { arena.push_shared(s) } else { arena.push(s) }, s.as_str()))
            .collect();
        for (h, s) in &handles {
            prop_assert_eq!(arena.get(*h), *s);
            prop_assert_eq!(arena.text(*h), Some(*s));
            prop_assert_eq!(arena.get_at(*h), None);
        }
        let at = RefAt::new(1234, "ref").expect("fits");
        let h = arena.push_at(at).expect("room");
        prop_assert_eq!(arena.get_at(h), Some(at));
        prop_assert_eq!(arena.text(h), None);
        // Strings pushed after a position are not disturbed by it.
        let after = arena.push("after");
        prop_assert_eq!(arena.get(after), "after");
    }

    #[test]
    fn a_handle_gives_back_its_place(kind in 0u8..3, i in prop_oneof![3 => 0u32..1000, 1 => 0u32..PLACES], offset in 0u32..CHUNK_SIZE as u32) {
        let place = match kind {
            0 => Place::Chunk { chunk: i % CHUNKS as u32, offset },
            1 => Place::Big(i),
            _ => Place::At(i),
        };
        prop_assert_eq!(Str::pack(place).unpack(), place);
    }

    #[test]
    fn tags_give_back_an_outcome_and_a_resolution(o in outcome(), r in resolution()) {
        prop_assert_eq!(Tags::unpack(Tags::pack(o, r)), (o, r));
    }

    #[test]
    fn a_key_gives_back_its_amount_rule_and_attempts(
        amount in prop_oneof![3 => -100_000i64..100_000, 1 => any::<i64>(), 1 => Just(i64::from(i32::MIN))],
        rule in prop_oneof![3 => 0u32..10, 1 => any::<u32>(), 1 => Just(u32::from(u16::MAX))],
        attempts in proptest::collection::vec(parts(), 0..5),
        changed in proptest::option::of(parts()),
    ) {
        let mut arena = Arena::default();
        let cny = Currency::new("CNY").expect("cny");
        let mut key = KeyRec::new(arena.push("rule:m:2026-12"), rule, Mode::Auto, cny, amount);
        prop_assert_eq!(key.amount_minor(), amount);
        prop_assert_eq!(key.rule(), rule);
        let recs: Vec<AttemptRec> = attempts.iter().map(|a| attempt(&mut arena, a)).collect();
        for r in &recs {
            key.push_attempt(*r);
        }
        prop_assert_eq!(key.attempt_count(), recs.len());
        prop_assert_eq!(key.first(), recs.first().copied());
        prop_assert_eq!(key.last_attempt(), recs.last().copied());
        prop_assert_eq!(key.attempts().collect::<Vec<_>>(), recs.clone());
        for (i, r) in recs.iter().enumerate() {
            prop_assert_eq!(key.attempt(i), Some(*r));
            prop_assert_eq!(key.intent_of(i), Some(r.intent));
        }
        // An attempt told its outcome later (the first one packs again, or goes wide).
        if let (Some(c), false) = (changed, recs.is_empty()) {
            let new = attempt(&mut arena, &c);
            let i = recs.len() - 1;
            prop_assert_eq!(key.update_attempt(i, |a| *a = new), Some(recs[i]));
            prop_assert_eq!(key.attempt(i), Some(new));
            prop_assert_eq!(key.amount_minor(), amount);
            prop_assert_eq!(key.rule(), rule);
        }
    }
}
