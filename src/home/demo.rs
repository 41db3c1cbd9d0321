//! Demo data: four numbers in four currencies and a year of history made by running the
//! real engine day by day, with one failed attempt, one in-doubt intent, one duplicate.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::{local_date, local_instant};
use crate::engine::state::NumberState;
use crate::engine::{State, agenda};
use crate::model::{Config, Event, EventBody, Mode, Number, OutcomeStatus};

pub const DEMO_CONFIG: &str = r#"{
  "version": 1,
  "timezone": "Europe/London",
  "refresh_minutes": 60,
  "numbers": [
    {
      "id": "cmcc",
      "label": "移动保号卡",
      "msisdn": "+8613800138000",
      "carrier": "China Mobile",
      "currency": "CNY",
      "plan": { "monthly_fee": "8.00", "validity_days": null, "keep_alive_days": null },
      "monthly_budget": "30.00",
      "provider": { "kind": "demo" },
      "executor": { "kind": "remind" },
      "rules": [
        { "id": "monthly", "enabled": true, "mode": "remind", "amount": "10.00",
          "trigger": { "kind": "monthly", "day": 5, "at": "09:00" } }
      ]
    },
    {
      "id": "giffgaff",
      "label": "UK bank codes",
      "msisdn": "+447700900123",
      "carrier": "giffgaff",
      "currency": "GBP",
      "plan": { "monthly_fee": null, "validity_days": null, "keep_alive_days": 180 },
      "provider": { "kind": "demo" },
      "executor": { "kind": "demo" },
      "rules": [
        { "id": "keepalive", "enabled": true, "mode": "auto", "amount": "10.00",
          "trigger": { "kind": "keep_alive", "every_days": 150 } }
      ]
    },
    {
      "id": "hk",
      "label": "香港储值卡",
      "msisdn": "+85251234567",
      "carrier": "CSL",
      "currency": "HKD",
      "plan": { "monthly_fee": null, "validity_days": 180, "keep_alive_days": null },
      "monthly_budget": "200.00",
      "provider": { "kind": "demo" },
      "executor": { "kind": "demo" },
      "rules": [
        { "id": "expiry", "enabled": true, "mode": "auto", "amount": "50.00",
          "trigger": { "kind": "before_expiry", "days": 14 } }
      ]
    },
    {
      "id": "us",
      "label": "US prepaid",
      "msisdn": "+12025550123",
      "carrier": "Tello",
      "currency": "USD",
      "plan": { "monthly_fee": "10.00", "validity_days": null, "keep_alive_days": null },
      "monthly_budget": "40.00",
      "provider": { "kind": "demo" },
      "executor": { "kind": "demo" },
      "rules": [
        { "id": "monthly", "enabled": true, "mode": "auto", "amount": "10.00",
          "trigger": { "kind": "monthly", "day": 15, "at": "12:00" } },
        { "id": "low", "enabled": true, "mode": "auto", "amount": "15.00",
          "trigger": { "kind": "low_balance", "below": "5.00", "cooldown_hours": 24 } }
      ]
    }
  ]
}
"#;

pub fn config() -> Config {
    // The text above is part of the program; a test keeps it valid.
    crate::store::config::parse(DEMO_CONFIG.as_bytes()).unwrap_or_else(|_| {
        let (name, tz) = crate::store::config::system_timezone();
        Config::empty(name, tz)
    })
}

/// What the demo carrier reports at `at`: what the balance should be, less the monthly fee
/// for every first of the month since the last reading. Deterministic per number.
pub fn demo_balance(ns: Option<&NumberState>, number: &Number, tz: Tz, at: DateTime<Utc>) -> i64 {
    let start = match number.currency.code() {
        "CNY" => 1200,
        "GBP" => 1000,
        "HKD" => 8000,
        _ => 800,
    };
    let Some(ns) = ns else { return start };
    let (Some(expected), Some(obs)) = (ns.expected_balance(), ns.observed.as_ref()) else {
        return start;
    };
    let fee = number.plan.monthly_fee.map_or(0, |f| f.minor);
    let mut firsts = 0;
    let mut d = local_date(tz, obs.at);
    let until = local_date(tz, at);
    while d < until {
        d = d.succ_opt().unwrap_or(until);
        if d.day() == 1 {
            firsts += 1;
        }
    }
    expected - fee * firsts
}

struct Gen {
    config: Config,
    state: State,
    events: Vec<Event>,
    seq: u32,
}

impl Gen {
    fn push(&mut self, at: DateTime<Utc>, number: &str, body: EventBody) -> String {
        self.seq += 1;
        let id = format!("demo{:05}", self.seq);
        let e = Event {
            id: id.clone(),
            at: at.with_timezone(&self.config.timezone).fixed_offset(),
            number: number.to_string(),
            body,
        };
        self.state.apply(&e);
        self.events.push(e);
        id
    }

    fn reading(&mut self, at: DateTime<Utc>, idx: usize, adjust: i64) {
        let number = self.config.numbers[idx].clone();
        let ns = self.state.number(&number.id);
        let balance = demo_balance(ns, &number, self.config.timezone, at) + adjust;
        if ns
            .and_then(|n| n.observed.as_ref())
            .is_some_and(|o| o.balance == balance)
        {
            return;
        }
        let validity_until = (number.id == "hk" && ns.is_none())
            .then(|| local_date(self.config.timezone, at) + Duration::days(100));
        self.push(
            at,
            &number.id,
            EventBody::Balance {
                balance_minor: balance,
                currency: number.currency,
                validity_until,
                source: "demo".into(),
            },
        );
    }
}

/// Something the generator will write when its clock reaches `at`.
enum Later {
    Event {
        number: String,
        body: EventBody,
        hk_adjust: i64,
    },
    Reading(usize),
}

/// A year of history up to `now`.
pub fn events(now: DateTime<Utc>) -> (Config, Vec<Event>) {
    let config = config();
    let tz = config.timezone;
    let mut g = Gen {
        state: State::new(tz),
        config: config.clone(),
        events: Vec::new(),
        seq: 0,
    };
    let today = local_date(tz, now);
    let first = today - Duration::days(365);
    for i in 0..config.numbers.len() {
        g.reading(at(tz, first, 8, 0), i, 0);
    }
    let mut s = Script {
        hk: config
            .numbers
            .iter()
            .position(|x| x.id == "hk")
            .unwrap_or(0),
        tz,
        today,
        fail_after: now - Duration::days(200),
        doubt_after: now - Duration::days(35),
        failed_once: false,
        in_doubt_once: false,
        duplicate_done: false,
        hk_adjust: 0,
        later: Vec::new(),
    };
    let mut day = first;
    while day <= today {
        let n = (day - first).num_days();
        if n == 40 {
            s.later.push((
                at(tz, day, 18, 30),
                Later::Event {
                    number: "giffgaff".into(),
                    body: EventBody::Activity {
                        note: Some("sent a text".into()),
                        intent: None,
                    },
                    hk_adjust: 0,
                },
            ));
        }
        for (pass, (h, m)) in [(9, 0), (10, 15), (12, 5)].into_iter().enumerate() {
            let t = at(tz, day, h, m);
            if t > now {
                break;
            }
            s.flush(&mut g, t);
            if pass == 0 && (n % 7 == 0 || day.day() == 2) {
                for i in 0..config.numbers.len() {
                    let adjust = if i == s.hk {
                        std::mem::take(&mut s.hk_adjust)
                    } else {
                        0
                    };
                    g.reading(t, i, adjust);
                }
            }
            for d in agenda(&g.state, &g.config, t).due {
                s.run(&mut g, &d, t, day);
            }
        }
        day += Duration::days(1);
    }
    s.flush(&mut g, now);
    (config, g.events)
}

/// `h:m` on day `d` in `tz`.
fn at(tz: Tz, d: chrono::NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    local_instant(
        tz,
        d,
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN),
    )
}

/// The demo's script under way: what is still to be written, and which of its one-off
/// episodes (a failure, a charge in doubt, a top-up the carrier never credited) happened.
struct Script {
    hk: usize,
    tz: Tz,
    today: chrono::NaiveDate,
    fail_after: DateTime<Utc>,
    doubt_after: DateTime<Utc>,
    failed_once: bool,
    in_doubt_once: bool,
    duplicate_done: bool,
    /// A top-up the carrier never credited: taken off the next reading once.
    hk_adjust: i64,
    later: Vec<(DateTime<Utc>, Later)>,
}

impl Script {
    /// Writes everything due by `t`, oldest first.
    fn flush(&mut self, g: &mut Gen, t: DateTime<Utc>) {
        self.later.sort_by_key(|l| l.0);
        while self.later.first().is_some_and(|l| l.0 <= t) {
            let (when, item) = self.later.remove(0);
            match item {
                Later::Event {
                    number,
                    body,
                    hk_adjust: adj,
                } => {
                    self.hk_adjust += adj;
                    g.push(when, &number, body);
                }
                Later::Reading(i) => {
                    let adjust = if i == self.hk {
                        std::mem::take(&mut self.hk_adjust)
                    } else {
                        0
                    };
                    g.reading(when, i, adjust);
                }
            }
        }
    }

    /// Writes the intent of due `d` at `t` and what follows it: a reminder paid in the app
    /// a day later (but not this month's), or the executor's outcome and the reading that
    /// shows the money.
    fn run(
        &mut self,
        g: &mut Gen,
        d: &crate::engine::Due,
        t: DateTime<Utc>,
        day: chrono::NaiveDate,
    ) {
        let intent = g.push(
            t,
            &d.number,
            EventBody::Intent {
                rule: d.rule.clone(),
                key: d.key.clone(),
                attempt: d.attempt,
                amount_minor: d.amount.minor,
                currency: d.amount.currency,
                mode: d.mode,
                action: None,
            },
        );
        let idx = g
            .config
            .numbers
            .iter()
            .position(|x| x.id == d.number)
            .unwrap_or(0);
        if d.mode == Mode::Remind {
            let local = local_date(self.tz, t);
            if (local.year(), local.month()) != (self.today.year(), self.today.month()) {
                let body = EventBody::Manual {
                    amount_minor: d.amount.minor,
                    currency: d.amount.currency,
                    note: Some("paid in the 和包 app".into()),
                    intent: Some(intent),
                };
                self.later.push((
                    t + Duration::hours(26),
                    Later::Event {
                        number: d.number.clone(),
                        body,
                        hk_adjust: 0,
                    },
                ));
                self.later
                    .push((t + Duration::hours(30), Later::Reading(idx)));
            }
            return;
        }
        let (status, error, after) = self.outcome(t);
        let reference = (status == OutcomeStatus::Succeeded).then(|| format!("DEMO-{:04}", g.seq));
        g.push(
            t + Duration::seconds(after),
            &d.number,
            EventBody::Outcome {
                intent,
                status,
                reference,
                error,
            },
        );
        if status == OutcomeStatus::Failed {
            return;
        }
        if idx == self.hk && !self.duplicate_done {
            self.duplicate_done = true;
            // Topped up again by hand at a 7-Eleven; the carrier never credited it.
            let body = EventBody::Manual {
                amount_minor: d.amount.minor,
                currency: d.amount.currency,
                note: Some("7-Eleven card".into()),
                intent: None,
            };
            self.later.push((
                t + Duration::hours(3),
                Later::Event {
                    number: "hk".into(),
                    body,
                    hk_adjust: -d.amount.minor,
                },
            ));
        }
        // The carrier's next reading shows the money (or not).
        self.later.push((
            at(self.tz, day + Duration::days(1), 8, 30),
            Later::Reading(idx),
        ));
    }

    /// The executor's answer at `t`, its error and how many seconds it took: one failure
    /// after `fail_after`, one charge in doubt after `doubt_after`, success otherwise.
    fn outcome(&mut self, t: DateTime<Utc>) -> (OutcomeStatus, Option<String>, i64) {
        if !self.failed_once && t >= self.fail_after {
            self.failed_once = true;
            (
                OutcomeStatus::Failed,
                Some("carrier gateway answered HTTP 502".to_string()),
                4,
            )
        } else if !self.in_doubt_once && t >= self.doubt_after {
            self.in_doubt_once = true;
            (
                OutcomeStatus::Unknown,
                Some("timed out after 30 s".to_string()),
                30,
            )
        } else {
            (OutcomeStatus::Succeeded, None, 4)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EntryStatus, Flag, History, Keep};
    use chrono::TimeZone;

    #[test]
    fn the_demo_has_what_it_promises() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let (config, events) = events(now);
        assert_eq!(config.numbers.len(), 4);
        let mut h = History::new(State::new(config.timezone), Keep::Rows);
        for e in &events {
            h.apply(e, None);
        }
        assert!(h.state().oddities.is_empty());
        let entries = h.entries(&config, now);
        let status = |s| entries.iter().filter(|e| e.status == Some(s)).count();
        assert!(status(EntryStatus::InDoubt) == 1, "one in doubt");
        assert!(
            entries.iter().any(|e| e.attempts == Some(2)),
            "a failed attempt retried"
        );
        assert!(status(EntryStatus::Reminder) >= 10);
        assert!(entries.iter().any(|e| e.has(Flag::PossibleDuplicate)));
        assert!(entries.iter().any(|e| e.has(Flag::Unverified)));
        assert!(entries.iter().any(|e| e.has(Flag::Verified)));
        let first = events.first().unwrap().at;
        assert!((now - first.with_timezone(&Utc)).num_days() >= 364);
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    }
}
