//! Alerts: which events deserve a notification now, each with a key so that it is sent
//! once, ever (recorded as a `notified` log event for the command, a `delivered` one per
//! push channel). Computing them, their lock-screen wording and the weekly digest is pure;
//! sending is the worker's.

use chrono::{DateTime, Duration, Utc};

use crate::channels::Message;
use crate::engine::calendar::local_date;
use crate::engine::state::AttemptStatus;
use crate::engine::status::{RECENT_DAYS, low_threshold};
use crate::engine::verify::Verification;
use crate::engine::{KeyStatus, State};
use crate::i18n::T;
use crate::model::{Config, Money, NotifyEvent};
use crate::tr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub event: NotifyEvent,
    pub number: String,
    /// Unique per event kind and number: sent once.
    pub key: String,
    pub message: String,
}

/// Every alert that the config asks for and that was not sent before, forwarders aside.
pub fn due_alerts(state: &State, config: &Config, now: DateTime<Utc>) -> Vec<Alert> {
    due_alerts_with(state, config, &[], now)
}

/// [`due_alerts`], with `seen` what the worker last saw of the forwarders
/// (`forwarder::seen`): a silent one is an alert too.
pub fn due_alerts_with(
    state: &State,
    config: &Config,
    seen: &[crate::forwarder::seen::Seen],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let Some(notify) = &config.notify else {
        return Vec::new();
    };
    let tz = config.timezone;
    let behind = crate::engine::due::clock_behind(state, now);
    let channel_ids: Vec<String> = notify.channels.iter().map(|c| channel_id(c)).collect();
    let mut out = Vec::new();
    for n in &config.numbers {
        let Some(ns) = state.number(&n.id) else {
            continue;
        };
        // Notifications go to third parties: the whole number only if the config says so,
        // wherever it appears (an executor's error may quote it).
        let shown = if config.mask_numbers {
            n.masked_msisdn()
        } else {
            n.msisdn.clone()
        };
        let mut candidates = Vec::new();
        // Once per episode: the newest own time names it (it only grows while right).
        if let Some(own) = behind {
            candidates.push((
                NotifyEvent::ClockBehind,
                format!("clock:{}", own.to_rfc3339()),
                tr!(
                    T::AlertClockBehind,
                    crate::text::format::rfc3339(now, tz),
                    crate::text::format::rfc3339(own, tz),
                    n.label
                ),
            ));
        }
        candidates.extend(charge_alerts(ns, n, &shown, now));
        candidates.extend(deadline_alerts(ns, n, config, now));
        candidates.extend(evidence_alerts(ns, n, tz, now));
        for (event, key, message) in candidates {
            let message = if config.mask_numbers {
                mask_in(&message, &n.msisdn, &shown)
            } else {
                message
            };
            if notify.events.contains(&event) && owed(notify, &channel_ids, ns, event, &key) {
                out.push(Alert {
                    event,
                    number: n.id.clone(),
                    key,
                    message,
                });
            }
        }
    }
    if notify.events.contains(&NotifyEvent::ForwarderSilent) {
        out.extend(silent_alerts(state, config, &channel_ids, seen, now));
    }
    out
}

/// An alert before the config's events and the log's records of it are asked: its event,
/// its key and its sentence.
type Candidate = (NotifyEvent, String, String);

/// Recharges that need a person: a reminder standing, a charge in doubt, a recent
/// failure.
fn charge_alerts(
    ns: &crate::engine::state::NumberState,
    n: &crate::model::Number,
    shown: &str,
    now: DateTime<Utc>,
) -> Vec<Candidate> {
    let recent = now - Duration::days(RECENT_DAYS);
    let mut out = Vec::new();
    for (k, a) in crate::engine::reminders::standing(ns, n) {
        let amount = Money::new(k.amount_minor, k.currency).display();
        out.push((
            NotifyEvent::ReminderDue,
            a.intent.to_string(),
            tr!(T::AlertReminder, n.label, shown, amount, k.rule),
        ));
    }
    for (k, a) in ns.in_doubt() {
        let amount = Money::new(k.amount_minor, k.currency).display();
        // Give a fresh intent time to finish before calling it in doubt.
        if a.outcome.is_some() || now - a.at > Duration::minutes(30) {
            out.push((
                NotifyEvent::InDoubt,
                a.intent.to_string(),
                tr!(T::AlertInDoubt, n.label, amount, a.intent),
            ));
        }
    }
    for k in ns.failed_keys() {
        if let (KeyStatus::Failed { attempts }, Some(last)) = (k.status(), k.last())
            && last.status() == AttemptStatus::Failed
            && last.at > recent
        {
            let amount = Money::new(k.amount_minor, k.currency).display();
            let why = last.error.unwrap_or("-");
            out.push((
                NotifyEvent::RechargeFailed,
                format!("{}#{attempts}", k.key),
                tr!(T::AlertFailed, n.label, amount, attempts, why),
            ));
        }
    }
    out
}

/// The number's money and deadlines: a low expected balance, validity or activity ending
/// within the warning days.
fn deadline_alerts(
    ns: &crate::engine::state::NumberState,
    n: &crate::model::Number,
    config: &Config,
    now: DateTime<Utc>,
) -> Vec<Candidate> {
    let tz = config.timezone;
    let today = local_date(tz, now);
    let mut out = Vec::new();
    if let (Some(obs), Some(expected)) = (&ns.observed, ns.expected_balance())
        && obs.currency == n.currency
        && expected < low_threshold(n)
    {
        out.push((
            NotifyEvent::LowBalance,
            obs.id.clone(),
            tr!(
                T::AlertLow,
                n.label,
                Money::new(expected, n.currency).display()
            ),
        ));
    }
    if let Some(v) = ns.validity_in(&n.plan, tz) {
        let left = (v - today).num_days();
        if left <= config.deadline_days.warn as i64 {
            out.push((
                NotifyEvent::DeadlineNear,
                format!("validity:{v}"),
                tr!(T::AlertValidity, n.label, v, days_left(left)),
            ));
        }
    }
    if let (Some(days), Some(last)) = (
        n.plan.keep_alive_days,
        crate::engine::start::keep_alive_base(Some(ns), n, tz),
    ) {
        let on = crate::engine::calendar::add_days(local_date(tz, last), days);
        let left = (on - today).num_days();
        if left <= config.deadline_days.warn as i64 {
            out.push((
                NotifyEvent::DeadlineNear,
                format!("inactive:{on}"),
                tr!(T::AlertInactive, n.label, on, days_left(left)),
            ));
        }
    }
    out
}

/// What the evidence says: an external recharge missed, a charge seen twice (said once
/// each, while it is recent), a recent top-up the balance never showed.
fn evidence_alerts(
    ns: &crate::engine::state::NumberState,
    n: &crate::model::Number,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Vec<Candidate> {
    let recent = now - Duration::days(RECENT_DAYS);
    let mut out = Vec::new();
    let via_of = |rule: &str| n.rule(rule).and_then(|r| r.via.clone()).unwrap_or_default();
    let recon = crate::engine::reconcile::reconcile(ns, Some(n), tz, now);
    for v in &recon.keys {
        let Some(k) = ns.key_at(v.key) else { continue };
        let amount = Money::new(k.amount_minor, k.currency).display();
        if v.verdict == crate::engine::reconcile::Verdict::Missed {
            out.push((
                NotifyEvent::ExternalMissed,
                k.key.to_string(),
                tr!(T::AlertExternalMissed, n.label, amount, via_of(k.rule)),
            ));
        }
    }
    for d in crate::engine::duplicate::duplicates(ns, &recon, n.currency) {
        if d.at <= recent {
            continue;
        }
        let amount = Money::new(d.amount_minor, d.currency).display();
        let message = match d.expected.and_then(|k| ns.key_at(k)) {
            Some(k) => tr!(T::AlertDuplicateCharge, n.label, amount, via_of(k.rule)),
            None => {
                let when = crate::text::format::local_minute(d.at, tz);
                tr!(T::AlertDuplicateTopUp, n.label, amount, when)
            }
        };
        out.push((NotifyEvent::DuplicateCharge, d.key, message));
    }
    for c in ns
        .verify
        .checks()
        .rev()
        .take_while(|c| c.at > recent.timestamp())
    {
        if c.verification(n.verify_tolerance, now) == Verification::Unverified {
            let amount = Money::new(c.amount, n.currency).display();
            let when = DateTime::from_timestamp(c.at, 0)
                .map(|t| crate::text::format::local_minute(t, tz))
                .unwrap_or_default();
            out.push((
                NotifyEvent::Unverified,
                format!("{}:{}", c.at, c.amount),
                tr!(T::AlertUnverified, n.label, amount, when),
            ));
        }
    }
    out
}

/// A silent forwarder is said once per silence (named by the time it is counted from),
/// on the first number it holds: one phone, one notification.
fn silent_alerts(
    state: &State,
    config: &Config,
    channel_ids: &[String],
    seen: &[crate::forwarder::seen::Seen],
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let Some(notify) = &config.notify else {
        return Vec::new();
    };
    let tz = config.timezone;
    let mut out = Vec::new();
    let empty = crate::engine::state::NumberState::default();
    for (id, since) in crate::forwarder::seen::silent(config, state, seen, now) {
        let held: Vec<&crate::model::Number> = config
            .numbers
            .iter()
            .filter(|n| n.forwarder.as_ref().is_some_and(|r| r.id == id))
            .collect();
        let Some(first) = held.first() else { continue };
        let ns = state.number(&first.id).unwrap_or(&empty);
        let key = format!("silent:{id}:{}", since.to_rfc3339());
        let event = NotifyEvent::ForwarderSilent;
        if !owed(notify, channel_ids, ns, event, &key) {
            continue;
        }
        let labels: Vec<&str> = held.iter().map(|n| n.label.as_str()).collect();
        out.push(Alert {
            event,
            number: first.id.clone(),
            key,
            message: tr!(
                T::AlertForwarderSilent,
                id,
                labels.join(", "),
                crate::text::format::local_minute(since, tz),
                (now - since).num_hours()
            ),
        });
    }
    out
}

/// Whether an alert is still owed: to the command if it has not heard it, or to a channel
/// that has neither delivered it nor given up on it.
fn owed(
    notify: &crate::model::Notify,
    channel_ids: &[String],
    ns: &crate::engine::state::NumberState,
    event: NotifyEvent,
    key: &str,
) -> bool {
    let name = event.as_str().to_string();
    let for_command =
        notify.command.is_some() && !ns.notified.contains(&(name.clone(), key.to_string()));
    for_command
        || channel_ids.iter().any(|c| {
            ns.deliveries
                .get(&(name.clone(), key.to_string(), c.clone()))
                .is_none_or(|d| !d.delivered && !d.gave_up())
        })
}

fn channel_id(written: &str) -> String {
    crate::channels::id_of(written)
}

/// How far a deadline is, as a sentence says it: today, tomorrow, in 5 days, passed.
fn days_left(left: i64) -> String {
    match left {
        ..0 => tr!(T::AlertDaysPast),
        0 => tr!(T::AlertDaysLeftToday),
        1 => tr!(T::AlertDaysLeftOne),
        n => tr!(T::AlertDaysLeft, n),
    }
}

/// The alert as a lock screen shows it: a title naming the number and what happened, the
/// alert's sentence as the body.
pub fn message(a: &Alert, config: &Config, now: DateTime<Utc>) -> Message {
    let label = config
        .number(&a.number)
        .map_or(a.number.as_str(), |n| n.label.as_str());
    let today = local_date(config.timezone, now);
    let days_to = |prefix: &str| {
        a.key
            .strip_prefix(prefix)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| (d - today).num_days())
    };
    let title = match a.event {
        NotifyEvent::ReminderDue => tr!(T::TitleReminder, label),
        NotifyEvent::RechargeFailed => tr!(T::TitleFailed, label),
        NotifyEvent::InDoubt => tr!(T::TitleInDoubt, label),
        NotifyEvent::LowBalance => tr!(T::TitleLow, label),
        NotifyEvent::DeadlineNear => match (days_to("validity:"), days_to("inactive:")) {
            (Some(d), _) if d < 0 => tr!(T::TitleExpired, label),
            (Some(0), _) => tr!(T::TitleExpiresToday, label),
            (Some(1), _) => tr!(T::TitleExpiresTomorrow, label),
            (Some(d), _) => tr!(T::TitleExpires, label, d),
            (_, Some(d)) if d < 0 => tr!(T::TitleInactivePast, label),
            (_, Some(0)) => tr!(T::TitleInactiveToday, label),
            (_, Some(1)) => tr!(T::TitleInactiveTomorrow, label),
            (_, Some(d)) => tr!(T::TitleInactive, label, d),
            _ => tr!(T::TitleDeadline, label),
        },
        NotifyEvent::Unverified => tr!(T::TitleUnverified, label),
        NotifyEvent::ExternalMissed => tr!(T::TitleExternalMissed, label),
        NotifyEvent::DuplicateCharge => tr!(T::TitleDuplicate, label),
        NotifyEvent::ClockBehind => tr!(T::TitleClockBehind, label),
        NotifyEvent::ForwarderSilent => tr!(T::TitleForwarderSilent, label),
    };
    let urgent = matches!(
        a.event,
        NotifyEvent::RechargeFailed
            | NotifyEvent::InDoubt
            | NotifyEvent::DuplicateCharge
            | NotifyEvent::ClockBehind
            | NotifyEvent::ForwarderSilent
    );
    Message {
        title,
        body: a.message.clone(),
        event: a.event.as_str().to_string(),
        number: a.number.clone(),
        urgent,
    }
}

/// The weekly digest due at `now`, if the config asks for one: its key (the digest day)
/// and one message with every number's balance and nearest deadline.
pub fn digest(state: &State, config: &Config, now: DateTime<Utc>) -> Option<(String, Message)> {
    let d = config.notify.as_ref()?.digest?;
    let tz = config.timezone;
    let key = format!("digest:{}", crate::channels::digest::latest(&d, tz, now));
    let today = local_date(tz, now);
    let mut lines = Vec::new();
    let mut needs = Vec::new();
    for n in &config.numbers {
        let ns = state.number(&n.id);
        let mut parts = Vec::new();
        match ns.and_then(|s| {
            s.expected_balance().filter(|_| {
                s.observed
                    .as_ref()
                    .is_some_and(|o| o.currency == n.currency)
            })
        }) {
            Some(b) => parts.push(Money::new(b, n.currency).display()),
            None => parts.push(tr!(T::ChanDigestNoBalance)),
        }
        let validity = ns.and_then(|s| s.validity_in(&n.plan, tz));
        let inactive = match (
            n.plan.keep_alive_days,
            crate::engine::start::keep_alive_base(ns, n, tz),
        ) {
            (Some(days), Some(last)) => Some(crate::engine::calendar::add_days(
                local_date(tz, last),
                days,
            )),
            _ => None,
        };
        // The nearest deadline only: a lock screen has room for one.
        match (validity, inactive) {
            (Some(v), Some(i)) if i < v => parts.push(tr!(
                T::ChanDigestInactive,
                i,
                days_left((i - today).num_days())
            )),
            (Some(v), _) => parts.push(tr!(
                T::ChanDigestValidity,
                v,
                days_left((v - today).num_days())
            )),
            (None, Some(i)) => parts.push(tr!(
                T::ChanDigestInactive,
                i,
                days_left((i - today).num_days())
            )),
            (None, None) => {}
        }
        lines.push(tr!(T::ChanDigestLine, n.label, parts.join(" · ")));
        if let Some(ns) = ns
            && (ns.in_doubt_count() > 0 || ns.failed_keys().next().is_some())
        {
            needs.push(n.label.clone());
        }
    }
    lines.push(if needs.is_empty() {
        tr!(T::ChanDigestAllWell)
    } else {
        tr!(T::ChanDigestNeeds, needs.join(", "))
    });
    Some((
        key,
        Message {
            title: tr!(T::ChanDigestTitle),
            body: lines.join("\n"),
            event: "digest".to_string(),
            number: String::new(),
            urgent: false,
        },
    ))
}

/// `text` with every spelling of `msisdn` (with or without `+`, or its last 9+ digits, as a
/// local form would show) replaced by `masked`.
fn mask_in(text: &str, msisdn: &str, masked: &str) -> String {
    let digits = msisdn.trim_start_matches('+');
    let mut out = text.replace(msisdn, masked).replace(digits, masked);
    // A local form (13800138000, 07700900123) ends with the national number.
    if digits.len() > 9 {
        for start in 1..=digits.len().saturating_sub(9) {
            let tail = &digits[start..];
            if out.contains(tail) {
                out = out.replace(tail, masked);
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod mask_tests {
    #[test]
    fn every_spelling_of_the_number_is_masked() {
        let m = "+86•••000";
        for text in [
            "refused +8613800138000",
            "refused 8613800138000",
            "refused 13800138000",
        ] {
            let out = super::mask_in(text, "+8613800138000", m);
            assert_eq!(out, format!("refused {m}"), "{text}");
        }
    }
}

#[cfg(test)]
mod lock_screen_tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    fn alert(config: &Config, event: NotifyEvent, key: &str, message: &str) -> Alert {
        Alert {
            event,
            number: config.numbers[0].id.clone(),
            key: key.into(),
            message: message.into(),
        }
    }

    #[test]
    fn a_deadline_title_says_how_far_it_is_in_each_language() {
        let config = crate::home::demo::config();
        let label = config.numbers[0].label.clone();
        let now: DateTime<Utc> = "2026-12-04T04:00:00Z".parse().expect("time");
        let title = |lang, key: &str| {
            with_lang(lang, || {
                message(
                    &alert(&config, NotifyEvent::DeadlineNear, key, "x"),
                    &config,
                    now,
                )
                .title
            })
        };
        // The config's zone decides what today is; 04:00 UTC is the 4th in every demo zone.
        for (key, en, zh) in [
            ("validity:2026-12-06", "expires in 2 days", "2 天后到期"),
            ("validity:2026-12-05", "expires tomorrow", "明天到期"),
            ("validity:2026-12-04", "expires today", "今天到期"),
            ("validity:2026-12-01", "has expired", "已到期"),
            ("inactive:2026-12-09", "within 5 days", "需在 5 天内使用"),
            ("inactive:2026-12-05", "by tomorrow", "需在明天前使用"),
            (
                "inactive:2026-11-30",
                "past its use-by date",
                "已超过使用期限",
            ),
        ] {
            let (e, z) = (title(Lang::En, key), title(Lang::Zh, key));
            assert!(
                e.starts_with("baohao: ") && e.contains(&label) && e.ends_with(en),
                "{key}: {e}"
            );
            assert!(
                z.starts_with("保号：") && z.contains(&label) && z.ends_with(zh),
                "{key}: {z}"
            );
        }
        // The issue's own words.
        assert_eq!(
            title(Lang::En, "validity:2026-12-06"),
            format!("baohao: {label} expires in 2 days")
        );
        assert_eq!(
            title(Lang::Zh, "validity:2026-12-06"),
            format!("保号：{label} 2 天后到期")
        );
    }

    #[test]
    fn each_alert_body_says_what_to_do_and_never_1_days() {
        assert_eq!(with_lang(Lang::En, || days_left(1)), "tomorrow");
        assert_eq!(with_lang(Lang::En, || days_left(3)), "in 3 days");
        assert_eq!(with_lang(Lang::Zh, || days_left(3)), "还剩 3 天");
        assert_eq!(with_lang(Lang::En, || days_left(-2)), "already passed");
        with_lang(Lang::En, || {
            for (body, action) in [
                (
                    tr!(T::AlertFailed, "giffgaff", "£10.00", 3, "declined"),
                    "baohao record",
                ),
                (tr!(T::AlertLow, "giffgaff", "£1.00"), "Top it up"),
                (
                    tr!(T::AlertValidity, "giffgaff", "2026-12-05", days_left(1)),
                    "Top it up before",
                ),
                (
                    tr!(T::AlertInactive, "giffgaff", "2026-12-05", days_left(1)),
                    "baohao activity",
                ),
                (
                    tr!(T::AlertUnverified, "giffgaff", "£10.00", "2026-12-01"),
                    "Check the balance",
                ),
            ] {
                assert!(body.contains(action), "{body}");
                assert!(!body.contains("1 days"), "{body}");
            }
        });
    }
}
