//! Property tests of the engine's promises: one key is charged at most once whatever the
//! interleaving of restarts, failures, unknown outcomes and clock jumps; at most three
//! attempts; monthly dates clamp right and stay on the local day across DST.

use std::collections::HashMap;

use baohao::engine::calendar::{YearMonth, local_date, local_instant};
use baohao::engine::state::AttemptStatus;
use baohao::engine::{State, agenda, intent_for};
use baohao::model::{
    Config, Currency, Event, EventBody, Mode, MonthDay, OutcomeStatus, ResolvedStatus,
};
use baohao::store::config::parse;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

fn config(tz: &str) -> Config {
    let text = format!(
        r#"{{"version":1,"timezone":"{tz}","numbers":[
        {{"id":"a","label":"A","msisdn":"+447700900123","currency":"GBP",
          "plan":{{"monthly_fee":"3.00","validity_days":30,"keep_alive_days":180}},
          "monthly_budget":"60.00",
          "provider":{{"kind":"manual"}},"executor":{{"kind":"demo"}},
          "rules":[
            {{"id":"m31","mode":"auto","amount":"5.00","trigger":{{"kind":"monthly","day":31,"at":"01:30"}}}},
            {{"id":"mlast","mode":"auto","amount":"4.00","trigger":{{"kind":"monthly","day":"last","at":"23:59"}}}},
            {{"id":"low","mode":"auto","amount":"10.00","trigger":{{"kind":"low_balance","below":"5.00","cooldown_hours":6}}}},
            {{"id":"exp","mode":"auto","amount":"7.00","trigger":{{"kind":"before_expiry","days":3}}}},
            {{"id":"alive","mode":"auto","amount":"1.00","trigger":{{"kind":"keep_alive","every_days":20}}}},
            {{"id":"rem","mode":"remind","amount":"2.00","trigger":{{"kind":"monthly","day":29,"at":"09:00"}}}}
          ]}},
        {{"id":"b","label":"移动","msisdn":"+8613800138000","currency":"CNY",
          "provider":{{"kind":"manual"}},"executor":{{"kind":"demo"}},
          "rules":[
            {{"id":"m30","mode":"auto","amount":"8.00","max_per_month":1,"trigger":{{"kind":"monthly","day":30,"at":"00:00"}}}},
            {{"id":"low","mode":"auto","amount":"20.00","trigger":{{"kind":"low_balance","below":"5.00","cooldown_hours":0}}}},
            {{"id":"ext","mode":"external","via":"支付宝自动充值","amount":"50.00","trigger":{{"kind":"monthly","day":15,"at":"08:00"}}}},
            {{"id":"extlow","mode":"external","via":"WeChat Pay","amount":"30.00","trigger":{{"kind":"low_balance","below":"3.00","cooldown_hours":1}}}}
          ]}}
        ]}}"#
    );
    parse(text.as_bytes()).expect("test config is valid")
}

#[derive(Clone, Debug)]
enum Op {
    /// Move the clock by this many minutes (negative: backwards).
    Clock(i64),
    /// One worker pass; each executor run answers with the matching choice.
    Pass(Vec<Answer>),
    Reading {
        number: usize,
        balance: i64,
    },
    /// Replay from the written log, as after a crash: in full, or from a checkpoint taken
    /// part-way.
    Restart(Option<u16>),
    /// The person resolves the oldest in-doubt intent, truthfully.
    Resolve,
    Activity,
    /// Several passes in a row with a failing executor, each past the retry backoff.
    Storm(u8),
    /// The clock set right again: this many minutes after the newest time in the log.
    Resync(i64),
    /// A board without a clock battery boots in 1970.
    Boot,
}

#[derive(Clone, Copy, Debug)]
enum Answer {
    Succeeded,
    Failed,
    /// Timed out: really charged or not.
    Unknown {
        charged: bool,
    },
    /// Crashed after the intent, before the outcome: really charged or not.
    Crash {
        charged: bool,
    },
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        4 => Just(Answer::Succeeded),
        3 => Just(Answer::Failed),
        1 => any::<bool>().prop_map(|charged| Answer::Unknown { charged }),
        1 => any::<bool>().prop_map(|charged| Answer::Crash { charged }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop_oneof![
            (1i64..=90).prop_map(Op::Clock),
            (60i64..=60 * 24 * 20).prop_map(Op::Clock),
            (-60i64 * 24 * 40..=-1).prop_map(Op::Clock),
        ],
        6 => proptest::collection::vec(answer(), 1..6).prop_map(Op::Pass),
        2 => (0usize..2, -500i64..3000).prop_map(|(number, balance)| Op::Reading { number, balance }),
        2 => proptest::option::of(any::<u16>()).prop_map(Op::Restart),
        1 => Just(Op::Resolve),
        1 => Just(Op::Activity),
        1 => (2u8..6).prop_map(Op::Storm),
    ]
}

struct World {
    config: Config,
    now: DateTime<Utc>,
    log: Vec<String>,
    state: State,
    /// What really happened at the carrier: charges per (number, key).
    charged: HashMap<(String, String), u32>,
    /// Intents whose truth the person knows (for honest resolutions).
    truth: HashMap<String, bool>,
    seq: u64,
    /// The newest time baohao's own clock wrote into the log (not an `activity`: the
    /// person may date one).
    newest: Option<DateTime<Utc>>,
}

impl World {
    fn new(start: DateTime<Utc>) -> World {
        let config = config("Europe/London");
        World {
            state: State::new(config.timezone),
            config,
            now: start,
            log: Vec::new(),
            charged: HashMap::new(),
            truth: HashMap::new(),
            seq: 0,
            newest: None,
        }
    }

    fn append(&mut self, number: &str, body: EventBody) -> String {
        self.seq += 1;
        let id = format!("e{:06}", self.seq);
        let e = Event {
            id: id.clone(),
            at: self.now.fixed_offset(),
            number: number.to_string(),
            body,
        };
        self.log.push(e.to_line());
        self.state.apply(&e);
        if baohao::engine::state::own_clock(&e.body) {
            self.newest = Some(self.newest.map_or(self.now, |n| n.max(self.now)));
        }
        id
    }

    /// The process starts again: from a full replay of the log, or (`checkpoint`) from
    /// a checkpoint of the state taken after some of its events (which of them, from the
    /// number) and a replay of the rest. Both must give the same state.
    fn restart(&mut self, checkpoint: Option<u16>) -> Result<(), TestCaseError> {
        let events: Vec<Event> = self
            .log
            .iter()
            .map(|l| Event::parse_line(l.as_bytes()).unwrap().unwrap())
            .collect();
        let tz = self.config.timezone;
        let full = State::replay(tz, &events);
        self.state = match checkpoint {
            None => full,
            Some(n) => {
                let at = usize::from(n) % (events.len() + 1);
                let taken = State::replay(tz, &events[..at]).canonical_bytes();
                let mut state = State::from_canonical_bytes(&taken, tz).unwrap();
                for e in &events[at..] {
                    state.apply(e);
                }
                prop_assert!(
                    state.canonical_bytes() == full.canonical_bytes(),
                    "a checkpoint after {at} of {} events gave another state",
                    events.len()
                );
                state
            }
        };
        Ok(())
    }

    fn pass(&mut self, answers: &[Answer]) -> Result<(), TestCaseError> {
        let p = agenda(&self.state, &self.config, self.now);
        let mut answers = answers.iter().cycle();
        for due in p.due {
            // Before writing: the key must be new, or its last attempt must have failed.
            if let Some(ks) = self.state.number(&due.number).and_then(|n| n.key(&due.key)) {
                let last = ks.last().unwrap();
                prop_assert_eq!(
                    last.status(),
                    AttemptStatus::Failed,
                    "retry after a non-failure: {:?}",
                    ks
                );
                prop_assert!(due.attempt <= 3);
                prop_assert_eq!(due.attempt, last.n + 1);
            } else {
                prop_assert_eq!(due.attempt, 1);
            }
            // The worker's own due → intent step, under its lock.
            let Some(body) = intent_for(&self.state, &self.config, &due, self.now) else {
                continue;
            };
            // A monthly key names its month: never one that had ended by the newest time in
            // the log, whatever the clock says.
            if let (Some(newest), Some((_, month))) = (self.newest, due.key.rsplit_once(':'))
                && let Some((y, m)) = month.split_once('-')
                && let (Ok(year), Ok(month)) = (y.parse::<i32>(), m.parse::<u32>())
                && m.len() == 2
            {
                let passed = YearMonth { year, month }
                    < YearMonth::of(local_date(self.config.timezone, newest));
                prop_assert!(
                    !passed,
                    "{} charged at {} after the log reached {}",
                    due.key,
                    self.now,
                    newest
                );
            }
            let intent = self.append(&due.number, body);
            // Reminders and recharges made elsewhere run nothing here.
            if due.mode != Mode::Auto {
                continue;
            }
            let a = *answers.next().unwrap();
            let really = matches!(
                a,
                Answer::Succeeded
                    | Answer::Unknown { charged: true }
                    | Answer::Crash { charged: true }
            );
            if really {
                *self
                    .charged
                    .entry((due.number.clone(), due.key.clone()))
                    .or_insert(0) += 1;
            }
            self.truth.insert(intent.clone(), really);
            let status = match a {
                Answer::Succeeded => OutcomeStatus::Succeeded,
                Answer::Failed => OutcomeStatus::Failed,
                Answer::Unknown { .. } => OutcomeStatus::Unknown,
                Answer::Crash { .. } => {
                    let checkpoint = self.seq.is_multiple_of(2).then_some(self.seq as u16);
                    return self.restart(checkpoint);
                }
            };
            self.append(
                &due.number,
                EventBody::Outcome {
                    intent,
                    status,
                    reference: None,
                    error: None,
                },
            );
        }
        Ok(())
    }

    fn apply(&mut self, op: Op) -> Result<(), TestCaseError> {
        let gbp = Currency::new("GBP").unwrap();
        let cny = Currency::new("CNY").unwrap();
        match op {
            Op::Clock(m) => self.now += Duration::minutes(m),
            Op::Pass(answers) => self.pass(&answers)?,
            Op::Reading { number, balance } => {
                let (id, currency) = if number == 0 { ("a", gbp) } else { ("b", cny) };
                self.append(
                    id,
                    EventBody::Balance {
                        balance_minor: balance,
                        currency,
                        validity_until: (number == 0).then(|| {
                            local_date(self.config.timezone, self.now)
                                + Duration::days(balance.rem_euclid(10))
                        }),
                        source: "test".into(),
                    },
                );
            }
            Op::Restart(checkpoint) => self.restart(checkpoint)?,
            Op::Resolve => {
                let found = self.state.numbers.iter().find_map(|(n, ns)| {
                    ns.in_doubt()
                        .next()
                        .map(|(_, a)| (n.clone(), a.intent.to_string()))
                });
                if let Some((number, intent)) = found {
                    let really = self.truth.get(&intent).copied().unwrap_or(false);
                    let status = if really {
                        ResolvedStatus::Succeeded
                    } else {
                        ResolvedStatus::Failed
                    };
                    self.append(
                        &number,
                        EventBody::Resolved {
                            intent,
                            status,
                            note: None,
                            retry: true,
                        },
                    );
                }
            }
            Op::Activity => {
                self.append(
                    "a",
                    EventBody::Activity {
                        note: None,
                        intent: None,
                    },
                );
            }
            Op::Resync(m) => self.now = self.newest.unwrap_or(self.now) + Duration::minutes(m),
            Op::Boot => self.now = Utc.with_ymd_and_hms(1970, 1, 2, 0, 0, 0).unwrap(),
            Op::Storm(n) => {
                for _ in 0..n {
                    self.now += Duration::minutes(61);
                    self.pass(&[Answer::Failed])?;
                    self.check()?;
                }
            }
        }
        Ok(())
    }

    fn check(&self) -> Result<(), TestCaseError> {
        for ((number, key), n) in &self.charged {
            prop_assert!(*n <= 1, "{number} {key} charged {n} times");
        }
        for (id, ns) in &self.state.numbers {
            for ks in ns.keys() {
                prop_assert!(
                    ks.attempts.len() <= 3,
                    "{id} {}: {} attempts",
                    ks.key,
                    ks.attempts.len()
                );
                let succeeded = ks
                    .attempts
                    .iter()
                    .filter(|a| a.status() == AttemptStatus::Succeeded)
                    .count();
                if ks.mode == Mode::External {
                    prop_assert_eq!(
                        ks.attempts.len(),
                        1,
                        "{} {}: an external key expected twice",
                        id,
                        ks.key
                    );
                }
                prop_assert!(
                    succeeded <= 1,
                    "{id} {} succeeded {succeeded} times",
                    ks.key
                );
            }
        }
        prop_assert!(self.state.oddities.is_empty(), "{:?}", self.state.oddities);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_key_is_ever_charged_twice(start_day in 0i64..800, ops in proptest::collection::vec(op(), 1..120)) {
        let start = Utc.with_ymd_and_hms(2026, 1, 20, 12, 0, 0).unwrap() + Duration::days(start_day);
        let mut w = World::new(start);
        for op in ops {
            w.apply(op)?;
            w.check()?;
        }
    }

    #[test]
    fn monthly_days_clamp_to_the_month(year in 1970i32..2400, month in 1u32..=12, day in 1u8..=31) {
        let ym = YearMonth { year, month };
        let d = ym.day(MonthDay::Day(day));
        let last = ym.last_day();
        prop_assert_eq!((d.year(), d.month()), (year, month));
        prop_assert_eq!(d.day(), (day as u32).min(last.day()));
        prop_assert_eq!(ym.day(MonthDay::Last), last);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        if month == 2 {
            prop_assert_eq!(last.day(), if leap { 29 } else { 28 });
        }
    }

    #[test]
    fn london_local_times_stay_on_their_day(days in 0i64..(366 * 4), hour in 0u32..24, minute in 0u32..60) {
        let tz: Tz = "Europe/London".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(days);
        let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap();
        let at = local_instant(tz, date, time);
        let local = at.with_timezone(&tz);
        prop_assert_eq!(local.date_naive(), date);
        // Exactly the wall time asked for, unless it falls in the spring-forward gap.
        if local.time() != time {
            prop_assert_eq!(hour, 1, "only 01:xx can be missing in London");
            prop_assert_eq!(local.time(), NaiveTime::from_hms_opt(2, 0, 0).unwrap());
        }
    }
}

#[test]
fn a_missed_monthly_catches_up_once_inside_its_month_and_never_after() {
    let text = r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[{"id":"c","label":"c","msisdn":"+8613800138000","currency":"CNY",
      "provider":{"kind":"manual"},"executor":{"kind":"demo"},
      "rules":[{"id":"m","mode":"auto","amount":"10","trigger":{"kind":"monthly","day":5,"at":"09:00"}}]}]}"#;
    let config = parse(text.as_bytes()).unwrap();
    let tz = config.timezone;
    let at = |m: u32, d: u32, h: u32| {
        tz.with_ymd_and_hms(2026, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    let state = State::new(tz);
    assert!(
        agenda(&state, &config, at(3, 5, 8)).due.is_empty(),
        "not before 09:00"
    );
    let due = agenda(&state, &config, at(3, 9, 12)).due;
    assert_eq!(due.len(), 1, "caught up on the 9th");
    assert_eq!(due[0].key, "m:2026-03");
    // Down all of April's window? Then April's key is only current in April.
    let due = agenda(&state, &config, at(5, 1, 0)).due;
    assert!(
        due.is_empty(),
        "April 30th-May 1st: May not yet due, April never: {due:?}"
    );
}

#[test]
fn budget_and_caps_block_visibly() {
    let text = r#"{"version":1,"timezone":"UTC","numbers":[{"id":"c","label":"c","msisdn":"+8613800138000","currency":"CNY",
      "monthly_budget":"15.00",
      "provider":{"kind":"manual"},"executor":{"kind":"demo"},
      "rules":[{"id":"m","mode":"auto","amount":"10","trigger":{"kind":"monthly","day":1,"at":"00:00"}},
               {"id":"n","mode":"auto","amount":"10","trigger":{"kind":"monthly","day":1,"at":"00:00"}},
               {"id":"r","mode":"remind","amount":"10","trigger":{"kind":"monthly","day":1,"at":"00:00"}}]}]}"#;
    let config = parse(text.as_bytes()).unwrap();
    let state = State::new(config.timezone);
    let p = agenda(
        &state,
        &config,
        Utc.with_ymd_and_hms(2026, 6, 2, 0, 0, 0).unwrap(),
    );
    assert_eq!(
        p.due.iter().map(|d| d.rule.as_str()).collect::<Vec<_>>(),
        ["m", "r"],
        "reminders are not charges"
    );
    assert_eq!(p.blocked.len(), 1);
    assert_eq!(p.blocked[0].rule, "n");
}

/// A number's readings and verdicts as a reader sees them (readings appended in
/// any order must read as the same readings in time order).
fn readings_view(state: &State, now: DateTime<Utc>) -> impl PartialEq + std::fmt::Debug {
    let ns = state.number("a").unwrap();
    let checks: Vec<_> = ns
        .verify
        .checks()
        .map(|c| {
            (
                c.at,
                c.amount,
                c.possible_duplicate,
                [0, 20, 47, 49, 200].map(|h| c.verification(10, now + Duration::hours(h))),
            )
        })
        .collect();
    (
        ns.observed.clone(),
        ns.expected_balance(),
        ns.observed_validity,
        ns.readings.iter().copied().collect::<Vec<_>>(),
        checks,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Readings appended in any order give the same current balance, trend and
    /// verifications as the same readings appended in time order.
    #[test]
    fn readings_in_any_order_read_as_in_time_order(
        readings in proptest::collection::btree_map(0i64..(60 * 24 * 12), (0i64..5000, any::<bool>()), 1..30),
        top_ups in proptest::collection::btree_map(0i64..(60 * 24 * 12), 1i64..3000, 0..8),
        positions in proptest::collection::vec(any::<proptest::sample::Index>(), 30),
    ) {
        let gbp = Currency::new("GBP").unwrap();
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let at = |m: i64| (start + Duration::minutes(m)).fixed_offset();
        let reading = |(m, (balance, valid)): (&i64, &(i64, bool))| Event {
            id: format!("r{m}"),
            at: at(*m),
            number: "a".into(),
            body: EventBody::Balance {
                balance_minor: *balance,
                currency: gbp,
                validity_until: valid.then(|| NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + Duration::days(*m % 50)),
                source: "test".into(),
            },
        };
        // Each top-up one minute off the readings' minutes (no two events at one time).
        let top_up = |(m, amount): (&i64, &i64)| Event {
            id: format!("t{m}"),
            at: at(*m) + Duration::seconds(30),
            number: "a".into(),
            body: EventBody::Manual { amount_minor: *amount, currency: gbp, note: None, intent: None },
        };
        let mut in_time: Vec<Event> = readings.iter().map(reading).chain(top_ups.iter().map(top_up)).collect();
        in_time.sort_by_key(|e| e.at);
        // The top-ups in time order, each reading put anywhere among them.
        let mut shuffled: Vec<Event> = top_ups.iter().map(top_up).collect();
        for (r, p) in readings.iter().map(reading).zip(positions.iter()) {
            let i = p.index(shuffled.len() + 1);
            shuffled.insert(i, r);
        }
        let tz: Tz = "Europe/London".parse().unwrap();
        let now = start + Duration::days(12);
        let a = State::replay(tz, &in_time);
        let b = State::replay(tz, &shuffled);
        prop_assert_eq!(readings_view(&a, now), readings_view(&b, now));
    }

    /// Under clock jumps backwards (a few minutes, weeks, to 1970 at boot) and forwards
    /// again, no intent is ever written for a period that had passed by the newest time in
    /// the log, and no key is charged twice.
    #[test]
    fn clock_jumps_backwards_charge_no_passed_period(start_day in 0i64..800, ops in proptest::collection::vec(prop_oneof![
        8 => op(),
        2 => (1i64..=15).prop_map(|m| Op::Clock(-m)),
        1 => Just(Op::Boot),
        2 => (0i64..=60 * 24 * 3).prop_map(Op::Resync),
    ], 1..120)) {
        let start = Utc.with_ymd_and_hms(2026, 1, 20, 12, 0, 0).unwrap() + Duration::days(start_day);
        let mut w = World::new(start);
        for op in ops {
            w.apply(op)?;
            w.check()?;
        }
    }
}

/// A log as the current release writes it, with a key of every shape (a month, a reading's
/// id, a validity date, a keep-alive day): the engine still names those periods with the
/// same keys, so it reads them as charged and asks for none of them again.
#[test]
fn a_log_written_today_reads_unchanged() {
    let c = config("Europe/London");
    let now = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
    let mut lines = vec![
        r#"{"v":1,"id":"01first0000000000","at":"2026-01-01T00:00:00Z","number":"a","type":"activity"}"#.to_string(),
        r#"{"v":1,"id":"01reading0000000","at":"2026-01-31T11:00:00Z","number":"a","type":"balance","balance_minor":300,"currency":"GBP","validity_until":"2026-02-02","source":"manual"}"#.to_string(),
    ];
    let keys = [
        ("m31", "m31:2026-01", 500),
        ("rem", "rem:2026-01", 200),
        ("low", "low:01reading0000000", 1000),
        ("exp", "exp:2026-02-02", 700),
        ("alive", "alive:2026-01-21", 100),
    ];
    let replay = |lines: &[String]| {
        let mut s = State::new(c.timezone);
        for l in lines {
            let e = Event::parse_line(l.as_bytes())
                .expect("a line of today's format")
                .expect("an event");
            s.apply(&e);
        }
        s
    };
    let mut due: Vec<(String, String)> = agenda(&replay(&lines), &c, now)
        .due
        .into_iter()
        .filter(|d| d.number == "a")
        .map(|d| (d.rule, d.key))
        .collect();
    due.sort();
    let mut want: Vec<(String, String)> = keys
        .iter()
        .map(|(r, k, _)| (r.to_string(), k.to_string()))
        .collect();
    want.sort();
    assert_eq!(due, want, "the keys the engine names today's periods with");
    for (n, (rule, key, amount)) in keys.iter().enumerate() {
        let mode = if *rule == "rem" { "remind" } else { "auto" };
        lines.push(format!(
            r#"{{"v":1,"id":"i{n}","at":"2026-01-31T11:30:00Z","number":"a","type":"intent","rule":"{rule}","key":"{key}","attempt":1,"amount_minor":{amount},"currency":"GBP","mode":"{mode}"}}"#
        ));
        if mode == "auto" {
            lines.push(format!(
                r#"{{"v":1,"id":"o{n}","at":"2026-01-31T11:31:00Z","number":"a","type":"outcome","intent":"i{n}","status":"succeeded"}}"#
            ));
        }
    }
    let p = agenda(&replay(&lines), &c, now);
    assert!(
        p.due.iter().all(|d| d.number != "a"),
        "charged keys are due again: {:?}",
        p.due
    );
}

/// A number's state from readings and activities, then every charge due at `now` run and
/// succeeded (as the worker would), so that what the forecast plans next is all in the
/// future.
fn settled_state(
    c: &Config,
    now: DateTime<Utc>,
    readings: &[(usize, i64, i64, Option<i64>)],
    activity: Option<i64>,
) -> State {
    let gbp = Currency::new("GBP").unwrap();
    let cny = Currency::new("CNY").unwrap();
    let mut s = State::new(c.timezone);
    let mut seq = 0;
    let mut push = |s: &mut State, at: DateTime<Utc>, number: &str, body: EventBody| {
        seq += 1;
        let id = format!("e{seq:06}");
        s.apply(&Event {
            id: id.clone(),
            at: at.fixed_offset(),
            number: number.into(),
            body,
        });
        id
    };
    if let Some(days) = activity {
        push(
            &mut s,
            now - Duration::days(days),
            "a",
            EventBody::Activity {
                note: None,
                intent: None,
            },
        );
    }
    let mut readings = readings.to_vec();
    readings.sort_by_key(|r| std::cmp::Reverse(r.1));
    for &(n, minutes_ago, balance, valid_days) in &readings {
        let (number, currency) = if n == 0 { ("a", gbp) } else { ("b", cny) };
        let today = local_date(c.timezone, now);
        push(
            &mut s,
            now - Duration::minutes(minutes_ago),
            number,
            EventBody::Balance {
                balance_minor: balance,
                currency,
                validity_until: valid_days.map(|d| today + Duration::days(d)),
                source: "test".into(),
            },
        );
    }
    for _ in 0..8 {
        let plan = agenda(&s, c, now);
        if plan.due.is_empty() {
            break;
        }
        for d in &plan.due {
            if let Some(body) = intent_for(&s, c, d, now) {
                let intent = push(&mut s, now, &d.number, body);
                if d.mode == Mode::Auto {
                    push(
                        &mut s,
                        now,
                        &d.number,
                        EventBody::Outcome {
                            intent,
                            status: OutcomeStatus::Succeeded,
                            reference: None,
                            error: None,
                        },
                    );
                }
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The forecast and the agenda know when a trigger fires from one place: moving the
    /// clock to the next planned recharge makes the agenda list exactly the recharges
    /// planned for that instant. (Planned on a known calendar or a known date; a date
    /// estimated from a projected balance is not the agenda's to confirm.)
    #[test]
    fn the_next_forecast_item_is_what_the_agenda_lists_then(
        start_minutes in 0i64..(60 * 24 * 400),
        readings in proptest::collection::vec((0usize..2, 0i64..(60 * 24 * 30), -500i64..3000, proptest::option::of(-5i64..40)), 0..4),
        activity in proptest::option::of(0i64..40),
    ) {
        let c = config("Europe/London");
        let now = Utc.with_ymd_and_hms(2026, 1, 20, 12, 0, 0).unwrap() + Duration::minutes(start_minutes);
        let s = settled_state(&c, now, &readings, activity);
        prop_assume!(agenda(&s, &c, now).due.is_empty());
        let f = baohao::engine::forecast(&s, &c, now, 120);
        let Some(first) = f.items.iter().find(|i| i.at > now) else {
            return Ok(());
        };
        prop_assume!(!first.estimated);
        let t = first.at;
        let mut planned: Vec<(String, String)> = f
            .items
            .iter()
            .filter(|i| i.at == t && !i.estimated)
            .map(|i| (i.number.clone(), i.rule.clone()))
            .collect();
        planned.sort();
        let mut listed: Vec<(String, String)> = agenda(&s, &c, t)
            .due
            .into_iter()
            .map(|d| (d.number, d.rule))
            .collect();
        listed.sort();
        prop_assert_eq!(listed, planned, "at {}", t);
    }
}

/// A keep-alive due at the start of a day stays planned when a monthly charge comes later
/// that day (found by the property above: the monthly charge moved keep-alive's base first).
#[test]
fn a_later_charge_the_same_day_does_not_hide_a_keep_alive_due_at_its_start() {
    let c = config("Europe/London");
    let now = Utc.with_ymd_and_hms(2026, 10, 30, 4, 58, 0).unwrap();
    let s = settled_state(&c, now, &[(0, 26279, 0, None)], None);
    let f = baohao::engine::forecast(&s, &c, now, 120);
    let day_start = Utc.with_ymd_and_hms(2026, 10, 31, 0, 0, 0).unwrap();
    assert!(
        f.items
            .iter()
            .any(|i| i.rule == "alive" && i.at == day_start),
        "{:?}",
        f.items.iter().take(4).collect::<Vec<_>>()
    );
    let listed: Vec<_> = agenda(&s, &c, day_start)
        .due
        .into_iter()
        .map(|d| d.rule)
        .collect();
    assert_eq!(listed, vec!["alive".to_string()]);
}
