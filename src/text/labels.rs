//! The words a person reads for kinds, statuses, flags and attention codes, and the text
//! the History filter searches. Shared by the command line, the TUI and the notifier, so a
//! label changes in one place.

use crate::engine::{Attention, Entry, EntryKind, EntryStatus, Flag};
use crate::i18n::T;
use crate::model::Money;
use crate::tr;

pub use baohao_core::text::platform_name;

/// A carrier's name in the person's language where baohao knows it (the config keeps
/// what was typed: `China Mobile` shows as 中国移动 in Chinese).
pub fn carrier_name(carrier: &str) -> String {
    let known = match carrier.trim().to_ascii_lowercase().as_str() {
        "china mobile" | "cmcc" | "中国移动" => Some(tr!(T::CarrierChinaMobile)),
        "china unicom" | "中国联通" => Some(tr!(T::CarrierChinaUnicom)),
        "china telecom" | "中国电信" => Some(tr!(T::CarrierChinaTelecom)),
        _ => None,
    };
    known.unwrap_or_else(|| carrier.to_string())
}

pub fn kind_label(k: EntryKind) -> String {
    match k {
        EntryKind::Recharge => tr!(T::KindRecharge),
        EntryKind::Manual => tr!(T::KindManual),
        EntryKind::Balance => tr!(T::KindBalance),
        EntryKind::Activity => tr!(T::KindActivity),
        EntryKind::Statement => tr!(T::KindStatement),
        EntryKind::Message => tr!(T::KindMessage),
    }
}

/// The status a person reads: a reminder already answered by a top-up says "settled".
pub fn entry_status_label(e: &Entry) -> String {
    match e.status {
        Some(EntryStatus::Reminder) => match &e.reminder_end {
            Some(crate::engine::ReminderEnd::Settled) => tr!(T::StSettled),
            Some(crate::engine::ReminderEnd::Dismissed(_)) => tr!(T::StDismissed),
            None => tr!(T::StReminder),
        },
        Some(s) => status_label(s),
        None => String::new(),
    }
}

/// What the reference column shows a person (a settled reminder's link is not for people).
pub fn entry_detail(e: &Entry) -> Option<String> {
    // Each part says what it is: a reference, a person's note and an error never read as
    // one another, and none is left out.
    let mut parts = Vec::new();
    if let Some(r) = &e.reference {
        parts.push(tr!(T::DetailRef, r));
    }
    if let Some(err) = &e.error {
        parts.push(tr!(T::DetailError, err));
    }
    if let Some(n) = &e.note {
        parts.push(tr!(T::DetailNote, n));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

pub fn status_label(s: EntryStatus) -> String {
    match s {
        EntryStatus::Succeeded => tr!(T::StSucceeded),
        EntryStatus::Failed => tr!(T::StFailed),
        EntryStatus::InDoubt => tr!(T::StInDoubt),
        EntryStatus::Reminder => tr!(T::StReminder),
        EntryStatus::Expected => tr!(T::StExpected),
        EntryStatus::Missed => tr!(T::StMissed),
        EntryStatus::Refunded => tr!(T::StRefunded),
    }
}

pub fn flag_label(f: Flag) -> String {
    match f {
        Flag::Verified => tr!(T::FlagVerified),
        Flag::Unverified => tr!(T::FlagUnverified),
        Flag::PossibleDuplicate => tr!(T::FlagDuplicate),
        Flag::Late => tr!(T::FlagLate),
        Flag::Unexpected => tr!(T::FlagUnexpected),
    }
}

/// Lower-case text the filter matches against: ids, labels, kinds and statuses in both
/// languages, rule, reference, note and amount.
pub fn search_text(e: &Entry, label: &str) -> String {
    // The engine's words (status, every attempt's status and error, rule, reference,
    // note, error, flags), then what a person sees of them in their language.
    let mut s = e.search_text();
    s.push_str(&format!(" {} {}", label, kind_label(e.kind)));
    if let Some(st) = e.status {
        s.push_str(&format!(
            " {} {}",
            st.as_str().replace('_', " "),
            entry_status_label(e)
        ));
    }
    for f in &e.flags {
        s.push(' ');
        s.push_str(&flag_label(*f));
    }
    if let (Some(a), Some(c)) = (e.amount_minor, e.currency) {
        s.push_str(&format!(
            " {} {}",
            Money::new(a, c).display(),
            Money::new(a, c).decimal()
        ));
    }
    s.push(' ');
    s.push_str(&e.id);
    s.to_lowercase()
}

pub fn attention_label(a: Attention) -> String {
    use Attention::*;
    match a {
        Low => tr!(T::AttLow),
        Expiring => tr!(T::AttExpiring),
        Inactive => tr!(T::AttInactive),
        InDoubt => tr!(T::AttInDoubt),
        Failed => tr!(T::AttFailed),
        Duplicate => tr!(T::AttDuplicate),
        Unverified => tr!(T::AttUnverified),
        OverBudget => tr!(T::AttOverBudget),
        Due => tr!(T::AttDue),
        Missed => tr!(T::AttMissed),
        ClockBehind => tr!(T::AttClockBehind),
        NotifyFailed => tr!(T::AttNotifyFailed),
        ForwarderSilent => tr!(T::AttForwarderSilent),
    }
}

/// One entry in full, line by line, as the TUI's details show it: what, when, where, the
/// reference, error and note, then every attempt with its status and error.
pub fn entry_lines(e: &Entry, label: &str, tz: chrono_tz::Tz) -> Vec<String> {
    let when = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let mut head = format!("{} · {}", when(e.at), kind_label(e.kind));
    if let (Some(a), Some(c)) = (e.amount_minor, e.currency) {
        head.push_str(&format!(" · {}", Money::new(a, c).display()));
    }
    if e.status.is_some() {
        head.push_str(&format!(" · {}", entry_status_label(e)));
    }
    let mut lines = vec![head];
    let number = if label.is_empty() {
        e.number.clone()
    } else {
        format!("{label} ({})", e.number)
    };
    lines.push(format!(
        "{}{number}",
        colon(tr!(T::ColNumber).to_lowercase())
    ));
    if let Some(r) = &e.rule {
        let mut l = format!("{}{r}", colon(tr!(T::ColRule).to_lowercase()));
        if let Some(k) = &e.key {
            l.push_str(&format!(" · {}{k}", colon(tr!(T::DetailKey))));
        }
        lines.push(l);
    }
    if let Some(r) = &e.reference {
        lines.push(tr!(T::DetailRef, r));
    }
    if let Some(err) = &e.error {
        lines.push(tr!(T::DetailError, err));
    }
    if let Some(n) = &e.note {
        lines.push(tr!(T::DetailNote, n));
    }
    if let Some(v) = e.validity_until {
        lines.push(format!("{}{v}", colon(tr!(T::DetailValidUntil))));
    }
    if !e.flags.is_empty() {
        let flags: Vec<String> = e.flags.iter().map(|f| flag_label(*f)).collect();
        lines.push(format!(
            "{}{}",
            colon(tr!(T::ColFlags).to_lowercase()),
            flags.join(", ")
        ));
    }
    if !e.attempt_list.is_empty() {
        lines.push(colon(tr!(T::DetailAttempts)).trim_end().to_string());
        for a in &e.attempt_list {
            let status = match a.status {
                "succeeded" => status_label(EntryStatus::Succeeded),
                "failed" => status_label(EntryStatus::Failed),
                "in_doubt" => status_label(EntryStatus::InDoubt),
                "reminder" => status_label(EntryStatus::Reminder),
                "expected" => status_label(EntryStatus::Expected),
                "missed" => status_label(EntryStatus::Missed),
                "refunded" => status_label(EntryStatus::Refunded),
                "settled" => tr!(T::StSettled),
                "dismissed" => tr!(T::StDismissed),
                other => other.to_string(),
            };
            let mut l = format!("  #{} {} {status}", a.n, when(a.at));
            if a.resolved {
                l.push_str(&format!(" {}", tr!(T::DetailResolvedByHand)));
            }
            if let Some(r) = &a.reference {
                l.push_str(&format!(" · {}", tr!(T::DetailRef, r)));
            }
            if let Some(err) = &a.error {
                l.push_str(&format!(" · {}", tr!(T::DetailError, err)));
            }
            lines.push(l);
        }
    }
    lines
        .into_iter()
        .map(|l| crate::text::clean::line(&l).into_owned())
        .collect()
}

/// How a modem's line should look: ready, not ready, or not seen at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    Good,
    Unsure,
    Bad,
}

/// ModemManager's state names in the person's language.
pub fn modem_state_label(state: &str) -> String {
    match state {
        "failed" => tr!(T::MmFailed),
        "initializing" => tr!(T::MmInitializing),
        "locked" => tr!(T::MmLocked),
        "disabled" => tr!(T::MmDisabled),
        "disabling" => tr!(T::MmDisabling),
        "enabling" => tr!(T::MmEnabling),
        "enabled" => tr!(T::MmEnabled),
        "searching" => tr!(T::MmSearching),
        "registered" => tr!(T::MmRegistered),
        "disconnecting" => tr!(T::MmDisconnecting),
        "connecting" => tr!(T::MmConnecting),
        "connected" => tr!(T::MmConnected),
        _ => tr!(T::MmUnknown),
    }
}

/// "modem registered · signal 72%", or "modem unknown: why", for the Numbers pane.
pub fn modem_seen(seen: Option<&crate::link::ModemSeen>) -> (String, Seen) {
    let Some(s) = seen else {
        return (tr!(T::TuiModem, tr!(T::MmUnknown)), Seen::Unsure);
    };
    match &s.state {
        Some(state) => {
            let mut text = tr!(T::TuiModem, modem_state_label(state));
            if let Some(sig) = s.signal {
                text.push_str(&format!(" · {}", tr!(T::TuiModemSignal, sig)));
            }
            let ready = matches!(
                state.as_str(),
                "registered" | "connected" | "connecting" | "disconnecting"
            );
            (
                crate::text::clean::line(&text).into_owned(),
                if ready { Seen::Good } else { Seen::Unsure },
            )
        }
        None => {
            let why = s.problem.as_deref().unwrap_or_default();
            (
                crate::text::clean::line(&tr!(T::TuiModemUnseen, why)).into_owned(),
                Seen::Bad,
            )
        }
    }
}

/// How long ago `t` was, in the unit that fits: "seen 2 min ago", "seen 3 h ago".
fn seen_ago(t: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let m = (now - t).num_minutes().max(0);
    match m {
        0 => tr!(T::TuiFwdSeenJustNow),
        1..=59 => tr!(T::TuiFwdSeenMinutes, m),
        60..=2879 => tr!(T::TuiFwdSeenHours, m / 60),
        _ => tr!(T::TuiFwdSeenDays, m / 1440),
    }
}

/// "phone pixel · battery 78% charging · seen 2 min ago" for the Numbers pane: the
/// forwarder holding a number's SIM as the worker last looked at it (`seen`), when it was
/// last heard (`heard`) and whether that is long enough to call it silent.
pub fn forwarder_seen(
    f: &crate::model::forwarder::Forwarder,
    seen: Option<&crate::forwarder::seen::Seen>,
    heard: Option<chrono::DateTime<chrono::Utc>>,
    silent: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, Seen) {
    use crate::model::forwarder::ForwarderKind;
    let mut parts = vec![match f.kind {
        ForwarderKind::Webhook => tr!(T::TuiFwdBoard, f.id),
        _ => tr!(T::TuiFwdPhone, f.id),
    }];
    let mut style = Seen::Good;
    match seen {
        None if f.kind != ForwarderKind::Webhook => {
            parts.push(tr!(T::TuiFwdNotLooked));
            style = Seen::Unsure;
        }
        Some(s) if s.reachable == Some(false) => {
            let why = s.problem.as_deref().unwrap_or_default();
            parts.push(tr!(T::TuiFwdUnreachable, why));
            style = Seen::Unsure;
        }
        Some(s) => {
            if let Some(level) = s.battery {
                parts.push(match s.charging {
                    Some(true) => tr!(T::FwdBatteryCharging, level),
                    _ => tr!(T::FwdBattery, level),
                });
            }
            if let Some(p) = &s.problem {
                parts.push(p.clone());
                style = Seen::Unsure;
            }
        }
        None => {}
    }
    match heard {
        Some(t) => parts.push(seen_ago(t, now)),
        None if seen.is_some() || f.kind == ForwarderKind::Webhook => {
            parts.push(tr!(T::TuiFwdNeverHeard));
            style = Seen::Unsure;
        }
        None => {}
    }
    if silent {
        parts.push(tr!(T::TuiFwdSilent));
        style = Seen::Bad;
    }
    (
        crate::text::clean::line(&parts.join(" · ")).into_owned(),
        style,
    )
}

/// "label: " in the person's language (a full-width colon in Chinese).
pub fn colon(s: String) -> String {
    match crate::i18n::lang() {
        crate::i18n::Lang::Zh => format!("{s}："),
        crate::i18n::Lang::En => format!("{s}: "),
    }
}
