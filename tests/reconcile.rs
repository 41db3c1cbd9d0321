//! Crafted timelines for recharges made elsewhere: an external rule's expectation settled by
//! a statement, a text or a balance rise; missed; late; charged twice; refunded; unexpected.

use baohao::engine::agenda;
use baohao::engine::reconcile::{Verdict, reconcile};
use baohao::engine::{Attention, Entry, EntryKind, EntryStatus, Flag, History, Keep, State};
use baohao::model::{Config, Currency, Event, EventBody, Mode, ResolvedStatus};
use baohao::store::config::parse;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn config() -> Config {
    parse(
        r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
        {"id":"cmcc","label":"移动","msisdn":"+8613800138000","currency":"CNY",
         "provider":{"kind":"manual"},"executor":{"kind":"remind"},"monthly_budget":"100.00",
         "rules":[{"id":"alipay","mode":"external","via":"支付宝自动充值","amount":"50.00",
                   "trigger":{"kind":"monthly","day":1,"at":"00:00"}}]}],
        "notify":{"program":"/bin/true","events":["external_missed","duplicate_charge"]}}"#
            .as_bytes(),
    )
    .expect("valid config")
}

fn cny() -> Currency {
    Currency::new("CNY").unwrap()
}

/// 2026-11-01 00:00 Shanghai, when the rule is due.
fn due() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap()
}

struct Timeline {
    events: Vec<Event>,
}

impl Timeline {
    fn new() -> Timeline {
        let mut t = Timeline { events: Vec::new() };
        t.push(
            due(),
            EventBody::Intent {
                rule: "alipay".into(),
                key: "alipay:2026-11".into(),
                attempt: 1,
                amount_minor: 5000,
                currency: cny(),
                mode: Mode::External,
                action: None,
            },
        );
        t
    }

    fn push(&mut self, at: DateTime<Utc>, body: EventBody) -> &mut Self {
        let id = format!("e{}", self.events.len());
        self.events.push(Event {
            id,
            at: at.fixed_offset(),
            number: "cmcc".into(),
            body,
        });
        self
    }

    fn statement(&mut self, hours: i64, amount: i64, reference: &str) -> &mut Self {
        self.push(
            due() + Duration::hours(hours),
            EventBody::Statement {
                source: "alipay".into(),
                reference: reference.into(),
                amount_minor: amount,
                currency: cny(),
                text: "话费充值".into(),
                refund_of: None,
            },
        )
    }

    fn refund(&mut self, hours: i64, of: &str) -> &mut Self {
        self.push(
            due() + Duration::hours(hours),
            EventBody::Statement {
                source: "alipay".into(),
                reference: format!("refund-{of}"),
                amount_minor: 5000,
                currency: cny(),
                text: "退款".into(),
                refund_of: Some(of.into()),
            },
        )
    }

    fn balance(&mut self, hours: i64, minor: i64) -> &mut Self {
        self.push(
            due() + Duration::hours(hours),
            EventBody::Balance {
                balance_minor: minor,
                currency: cny(),
                validity_until: None,
                source: "manual".into(),
            },
        )
    }

    fn history(&self) -> History {
        let mut h = History::new(State::new(config().timezone), Keep::Rows);
        for e in &self.events {
            h.apply(e, None);
        }
        h
    }

    fn entries(&self, hours: i64) -> Vec<Entry> {
        self.history()
            .entries(&config(), due() + Duration::hours(hours))
    }

    fn recharge(&self, hours: i64) -> Entry {
        self.entries(hours)
            .into_iter()
            .find(|e| e.kind == EntryKind::Recharge)
            .expect("a recharge row")
    }

    fn statements(&self, hours: i64) -> Vec<Entry> {
        self.entries(hours)
            .into_iter()
            .filter(|e| e.kind == EntryKind::Statement)
            .collect()
    }

    fn attention(&self, hours: i64) -> Vec<Attention> {
        let c = config();
        let h = self.history();
        let now = due() + Duration::hours(hours);
        let p = agenda(h.state(), &c, now);
        let f = baohao::engine::forecast(h.state(), &c, now, 30);
        baohao::engine::number_status(h.state(), &c, &c.numbers[0], now, &p, &f).attention
    }
}

#[test]
fn a_statement_in_the_window_verifies_it_with_its_reference() {
    let mut t = Timeline::new();
    t.statement(1, 5000, "A1");
    let r = t.recharge(100);
    assert_eq!(r.status, Some(EntryStatus::Succeeded));
    assert_eq!(r.flags, vec![Flag::Verified]);
    assert_eq!(r.reference.as_deref(), Some("A1"));
    let s = t.statements(100);
    assert_eq!(s.len(), 1);
    assert!(s[0].flags.is_empty(), "{:?}", s[0].flags);
    assert_eq!(s[0].rule.as_deref(), Some("alipay"));
    assert!(!t.attention(100).contains(&Attention::Missed));
}

#[test]
fn a_balance_rise_verifies_it() {
    let mut t = Timeline::new();
    t.balance(-2, 300).balance(3, 8200);
    let r = t.recharge(100);
    assert_eq!(r.status, Some(EntryStatus::Succeeded));
    assert_eq!(r.flags, vec![Flag::Verified]);
}

#[test]
fn a_small_rise_does_not() {
    let mut t = Timeline::new();
    t.balance(-2, 300).balance(3, 2300);
    assert_eq!(t.recharge(100).status, Some(EntryStatus::Missed));
}

#[test]
fn nothing_by_the_deadline_is_missed_and_notified_once() {
    let t = Timeline::new();
    assert_eq!(t.recharge(47).status, Some(EntryStatus::Expected));
    assert!(!t.attention(47).contains(&Attention::Missed));
    assert_eq!(t.recharge(49).status, Some(EntryStatus::Missed));
    assert!(t.attention(49).contains(&Attention::Missed));
    let c = config();
    let h = t.history();
    let alerts = baohao::worker::notify::due_alerts(h.state(), &c, due() + Duration::hours(49));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].event.as_str(), "external_missed");
    // Once sent (a `notified` event), never again.
    let mut t2 = Timeline::new();
    t2.push(
        due() + Duration::hours(49),
        EventBody::Notified {
            event: "external_missed".into(),
            key: alerts[0].key.clone(),
        },
    );
    let h2 = t2.history();
    assert!(
        baohao::worker::notify::due_alerts(h2.state(), &c, due() + Duration::hours(50)).is_empty()
    );
}

#[test]
fn late_evidence_turns_it_succeeded_and_late() {
    let mut t = Timeline::new();
    t.statement(60, 5000, "A1");
    let r = t.recharge(70);
    assert_eq!(r.status, Some(EntryStatus::Succeeded));
    assert_eq!(r.flags, vec![Flag::Verified, Flag::Late]);
    assert!(!t.attention(70).contains(&Attention::Missed));
}

#[test]
fn two_rows_for_one_expectation_are_possible_duplicates_on_both() {
    let mut t = Timeline::new();
    t.statement(1, 5000, "A1").statement(2, 5000, "A2");
    let r = t.recharge(100);
    assert!(r.has(Flag::PossibleDuplicate));
    let s = t.statements(100);
    assert_eq!(s.len(), 2);
    assert!(s.iter().all(|e| e.has(Flag::PossibleDuplicate)));
    assert!(s.iter().all(|e| !e.has(Flag::Unexpected)));
    let h = t.history();
    let alerts =
        baohao::worker::notify::due_alerts(h.state(), &config(), due() + Duration::hours(3));
    assert_eq!(
        alerts.iter().map(|a| a.event.as_str()).collect::<Vec<_>>(),
        vec!["duplicate_charge"]
    );
}

#[test]
fn a_rise_of_twice_the_amount_is_a_possible_duplicate() {
    let mut t = Timeline::new();
    t.balance(-2, 0).balance(3, 10000);
    assert!(t.recharge(100).has(Flag::PossibleDuplicate));
}

#[test]
fn a_refund_cancels_the_evidence_it_refunds() {
    let mut t = Timeline::new();
    t.statement(1, 5000, "A1").refund(5, "A1");
    assert_eq!(t.recharge(100).status, Some(EntryStatus::Missed));
    let s = t.statements(100);
    assert_eq!(s[0].status, Some(EntryStatus::Refunded));
    // Spend goes back too.
    let h = t.history();
    let spent: i64 = h.state().number("cmcc").unwrap().spend().values().sum();
    assert_eq!(spent, 0);
}

#[test]
fn a_refund_of_a_duplicate_leaves_the_first_verified() {
    let mut t = Timeline::new();
    t.statement(1, 5000, "A1")
        .statement(2, 5000, "A2")
        .refund(20, "A2");
    let r = t.recharge(100);
    assert_eq!(r.status, Some(EntryStatus::Succeeded));
    assert!(!r.has(Flag::PossibleDuplicate));
}

#[test]
fn a_top_up_no_rule_expected_is_unexpected() {
    let mut t = Timeline::new();
    t.statement(24 * 10, 3000, "B1");
    let s = t.statements(24 * 11);
    assert_eq!(s[0].flags, vec![Flag::Unexpected]);
    assert_eq!(s[0].status, Some(EntryStatus::Succeeded));
}

#[test]
fn the_same_reference_twice_is_one_row() {
    let mut t = Timeline::new();
    t.statement(1, 5000, "A1").statement(1, 5000, "A1");
    assert_eq!(t.statements(100).len(), 1);
    assert!(!t.recharge(100).has(Flag::PossibleDuplicate));
}

#[test]
fn resolving_a_missed_recharge_settles_it() {
    let mut t = Timeline::new();
    t.push(
        due() + Duration::hours(50),
        EventBody::Resolved {
            intent: "e0".into(),
            status: ResolvedStatus::Succeeded,
            note: None,
            retry: true,
        },
    );
    assert_eq!(t.recharge(60).status, Some(EntryStatus::Succeeded));
    assert!(!t.attention(60).contains(&Attention::Missed));
}

#[test]
fn an_external_rule_comes_due_as_an_external_intent_once() {
    let c = config();
    let state = State::new(c.timezone);
    let p = agenda(&state, &c, due() + Duration::minutes(5));
    assert_eq!(p.due.len(), 1);
    assert_eq!(p.due[0].mode, Mode::External);
    let t = Timeline::new();
    let h = t.history();
    assert!(
        agenda(h.state(), &c, due() + Duration::hours(100))
            .due
            .is_empty()
    );
    // A missed key is not retried either.
    let r = reconcile(
        h.state().number("cmcc").unwrap(),
        Some(&c.numbers[0]),
        c.timezone,
        due() + Duration::hours(100),
    );
    assert_eq!(r.keys[0].verdict, Verdict::Missed);
}

#[test]
fn an_external_rule_says_who_runs_it() {
    let bad = |rule: &str| {
        let text = format!(
            r#"{{"version":1,"numbers":[{{"id":"x","label":"X","msisdn":"+8613800138000","currency":"CNY",
            "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},"rules":[{rule}]}}]}}"#
        );
        parse(text.as_bytes()).err().map(|e| format!("{e:?}"))
    };
    let e = bad(
        r#"{"id":"a","mode":"external","amount":"5","trigger":{"kind":"monthly","day":1,"at":"00:00"}}"#,
    );
    assert!(e.as_deref().is_some_and(|e| e.contains("via")), "{e:?}");
    let e = bad(
        r#"{"id":"a","mode":"auto","via":"x","amount":"5","trigger":{"kind":"monthly","day":1,"at":"00:00"}}"#,
    );
    assert!(e.as_deref().is_some_and(|e| e.contains("via")), "{e:?}");
    let e = bad(
        r#"{"id":"a","mode":"external","via":"x","confirm_hours":0,"amount":"5","trigger":{"kind":"monthly","day":1,"at":"00:00"}}"#,
    );
    assert!(
        e.as_deref().is_some_and(|e| e.contains("confirm_hours")),
        "{e:?}"
    );
    assert_eq!(
        bad(
            r#"{"id":"a","mode":"external","via":"WeChat Pay","confirm_hours":12,"amount":"5","trigger":{"kind":"low_balance","below":"5","cooldown_hours":1}}"#
        ),
        None
    );
}

#[test]
fn a_catch_up_intent_still_finds_evidence_from_the_due_date() {
    // The worker was down from the 1st to the 5th: the intent is late, the payment was not.
    let mut t = Timeline { events: Vec::new() };
    t.push(
        due() + Duration::hours(96),
        EventBody::Intent {
            rule: "alipay".into(),
            key: "alipay:2026-11".into(),
            attempt: 1,
            amount_minor: 5000,
            currency: cny(),
            mode: Mode::External,
            action: None,
        },
    );
    t.statement(1, 5000, "A1");
    let r = t.recharge(100);
    assert_eq!(r.status, Some(EntryStatus::Succeeded));
    assert_eq!(r.flags, vec![Flag::Verified]);
    // Without evidence it is missed as soon as it is written: its window has passed.
    let mut t = Timeline { events: Vec::new() };
    t.push(
        due() + Duration::hours(96),
        EventBody::Intent {
            rule: "alipay".into(),
            key: "alipay:2026-11".into(),
            attempt: 1,
            amount_minor: 5000,
            currency: cny(),
            mode: Mode::External,
            action: None,
        },
    );
    assert_eq!(t.recharge(97).status, Some(EntryStatus::Missed));
}

#[test]
fn an_evidenced_recharge_is_money_in_once() {
    let spent = |t: &Timeline, hours: i64| -> i64 {
        t.entries(hours)
            .iter()
            .filter(|e| e.is_spend())
            .filter_map(|e| e.amount_minor)
            .sum()
    };
    let mut t = Timeline::new();
    t.statement(1, 5000, "A1");
    assert_eq!(spent(&t, 100), 5000);
    let state_spend: i64 = t
        .history()
        .state()
        .number("cmcc")
        .unwrap()
        .spend()
        .values()
        .sum();
    assert_eq!(state_spend, 5000);
    // Resolved by hand with no statement: the recharge itself is the money.
    let mut t = Timeline::new();
    t.push(
        due() + Duration::hours(50),
        EventBody::Resolved {
            intent: "e0".into(),
            status: ResolvedStatus::Succeeded,
            note: None,
            retry: true,
        },
    );
    assert_eq!(spent(&t, 100), 5000);
    // Missed: nothing went in.
    assert_eq!(spent(&Timeline::new(), 100), 0);
}

#[test]
fn a_carrier_text_for_the_same_money_corroborates_a_statement_row() {
    let mut t = Timeline::new();
    t.statement(1, 5000, "A1");
    t.push(
        due() + Duration::hours(1),
        EventBody::Statement {
            source: "sms".into(),
            reference: "h1".into(),
            amount_minor: 5000,
            currency: cny(),
            text: "充值50.00元已到账".into(),
            refund_of: None,
        },
    );
    let r = t.recharge(100);
    assert_eq!(r.flags, vec![Flag::Verified]);
    let s = t.statements(100);
    assert_eq!(s.len(), 2);
    assert!(s.iter().all(|e| e.flags.is_empty()), "{s:?}");
    // Two texts and one row: the second text is a second charge.
    t.push(
        due() + Duration::hours(2),
        EventBody::Statement {
            source: "sms".into(),
            reference: "h2".into(),
            amount_minor: 5000,
            currency: cny(),
            text: "充值50.00元已到账".into(),
            refund_of: None,
        },
    );
    assert!(t.recharge(100).has(Flag::PossibleDuplicate));
    let s = t.statements(100);
    let flagged: Vec<bool> = s.iter().map(|e| e.has(Flag::PossibleDuplicate)).collect();
    assert_eq!(
        flagged,
        vec![false, true, true],
        "the two texts, not the row"
    );
}

/// The same number and rule id as [`config`], but the rule's trigger was changed since its
/// monthly intents were written: from monthly to every-N-days.
fn config_after_trigger_change() -> Config {
    parse(
        r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
        {"id":"cmcc","label":"移动","msisdn":"+8613800138000","currency":"CNY",
         "provider":{"kind":"manual"},"executor":{"kind":"remind"},"monthly_budget":"100.00",
         "rules":[{"id":"alipay","mode":"external","via":"支付宝自动充值","amount":"50.00",
                   "trigger":{"kind":"keep_alive","every_days":30}}]}],
        "notify":{"program":"/bin/true","events":["external_missed","duplicate_charge"]}}"#
            .as_bytes(),
    )
    .expect("valid config")
}

#[test]
fn an_old_monthly_key_reads_as_its_month_after_the_trigger_changed() {
    // Written late (the worker was down), paid on time: the key names the month, and the
    // month says when it came due, whatever the rule's trigger is today.
    let mut t = Timeline { events: Vec::new() };
    t.push(
        due() + Duration::hours(96),
        EventBody::Intent {
            rule: "alipay".into(),
            key: "alipay:2026-11".into(),
            attempt: 1,
            amount_minor: 5000,
            currency: cny(),
            mode: Mode::External,
            action: None,
        },
    );
    t.statement(1, 5000, "A1");
    let r = t
        .history()
        .entries(&config_after_trigger_change(), due() + Duration::hours(100))
        .into_iter()
        .find(|e| e.kind == EntryKind::Recharge)
        .expect("a recharge row");
    assert_eq!(r.status, Some(EntryStatus::Succeeded));
    assert_eq!(r.flags, vec![Flag::Verified]);
    assert_eq!(r.reference.as_deref(), Some("A1"));
}
