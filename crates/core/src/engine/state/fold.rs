//! The fold of one event into one number, a function per event kind. `State::apply_event_at`
//! keeps what every event does (counts, times, which number) and hands the rest here.

use super::*;

/// One event being folded: the number it is about, the parts of the state beside the
/// numbers that an event kind may touch, and the event's id and time.
pub(super) struct Fold<'a, S> {
    pub ns: &'a mut NumberState,
    pub oddities: &'a mut Vec<Oddity>,
    pub months: &'a mut MonthCache,
    pub tz: Tz,
    pub references: References,
    pub id: S,
    pub at: DateTime<Utc>,
}

impl<S: EventStr> Fold<'_, S> {
    pub(crate) fn on_balance(
        self,
        balance_minor: i64,
        currency: Currency,
        validity_until: Option<NaiveDate>,
    ) {
        let (ns, at) = (self.ns, self.at);
        // The current balance is the reading with the latest time, not the one appended
        // last: an old text imported today is history.
        if ns.observed.as_ref().is_none_or(|o| at >= o.at) {
            match &mut ns.observed {
                Some(o) => {
                    // Reuse the id's buffer: one reading replaces the last.
                    o.id.clear();
                    o.id.push_str(self.id.as_ref());
                    o.at = at;
                    o.balance = balance_minor;
                    o.currency = currency;
                }
                None => {
                    ns.observed = Some(Observation {
                        id: self.id.into(),
                        at,
                        balance: balance_minor,
                        currency,
                    })
                }
            }
            ns.recharged_since_observed = ns.moved_since(at, currency);
        }
        if let Some(v) = validity_until
            && ns.observed_validity.is_none_or(|(_, seen)| at >= seen)
        {
            ns.observed_validity = Some((v, at));
        }
        // The trend in time order (readings are almost always appended in it).
        let i = ns.readings.partition_point(|(t, _)| *t <= at);
        ns.readings.insert(i, (at, balance_minor));
        if ns.readings.len() > KEEP_READINGS {
            ns.readings.pop_front();
        }
        ns.verify.reading(at, balance_minor);
    }

    /// `spend`: the intent's action spends its amount (a keep-alive text).
    pub(crate) fn on_intent(
        self,
        rule: S,
        key: S,
        attempt: u32,
        amount: Money,
        mode: Mode,
        spend: bool,
    ) {
        let (ns, id, at) = (self.ns, self.id, self.at);
        let k = ns.key_entry(
            rule.as_ref(),
            key.as_ref(),
            mode,
            amount.currency,
            amount.minor,
        );
        if spend {
            ns.mark_spend(k);
        }
        let ks = ns.view(k);
        let had_attempts = !ks.attempts.is_empty();
        if had_attempts && !matches!(ks.status(), KeyStatus::Failed { .. }) {
            self.oddities.push(Oddity {
                event: id.as_ref().to_string(),
                what: OddityKind::KeyReused(ks.key.to_string()),
            });
        }
        let a = ns.push_attempt(k, id.as_ref(), attempt, at);
        let rule = ns.keys[k as usize].rule();
        match ns.rule_last_intent.iter_mut().find(|(r, _)| *r == rule) {
            Some(slot) => slot.1 = at,
            None => ns.rule_last_intent.push((rule, at)),
        }
        ns.last_intent = Some((k, a));
        if had_attempts {
            State::refile_failed(ns, k);
        }
        match mode {
            Mode::Auto => ns.in_doubt.insert((k, a)),
            Mode::Remind => ns.open_reminders.insert((k, a)),
            // Evidence settles it; reconcile judges it at `now`.
            Mode::External => {}
        };
    }

    pub(crate) fn on_outcome(
        self,
        intent: S,
        status: OutcomeStatus,
        reference: Option<S>,
        error: Option<S>,
        reference_at: Option<RefAt>,
    ) {
        let reference = reference.filter(|_| self.references != References::Dropped);
        let reference_at = reference_at.filter(|_| self.references == References::Places);
        let told = Told::Outcome {
            status,
            at: self.at,
            reference: reference.as_ref().map(|r| (r.as_ref(), reference_at)),
            error: error.as_ref().map(|e| e.as_ref()),
        };
        change_attempt(
            self.ns,
            self.oddities,
            self.months,
            self.tz,
            self.id,
            intent,
            told,
        );
    }

    pub(crate) fn on_resolved(self, intent: S, status: ResolvedStatus, retry: bool) {
        if !retry && let Some((k, _)) = self.ns.intent_idx(intent.as_ref()) {
            self.ns.forbid_retry(k);
        }
        let told = Told::Resolved {
            status,
            at: self.at,
        };
        change_attempt(
            self.ns,
            self.oddities,
            self.months,
            self.tz,
            self.id,
            intent,
            told,
        );
    }

    pub(crate) fn on_dismissed(self, intent: S, reason: S) {
        let ns = self.ns;
        match ns.intent_idx(intent.as_ref()) {
            Some((k, a)) => {
                ns.dismiss_key(k, reason.as_ref());
                ns.open_reminders.remove(&(k, a));
            }
            None => self.oddities.push(Oddity {
                event: self.id.into(),
                what: OddityKind::UnknownIntent(intent.into()),
            }),
        }
    }

    pub(crate) fn on_manual(self, amount: Money, intent: Option<S>) {
        let ns = self.ns;
        let mut by_rule = false;
        if let Some(i) = intent
            && let Some((k, a)) = ns.intent_idx(i.as_ref())
        {
            ns.settle_key(k, self.id.as_ref());
            ns.open_reminders.remove(&(k, a));
            by_rule = true;
        }
        State::top_up(
            ns,
            self.months,
            self.tz,
            self.at,
            amount.minor,
            amount.currency,
            by_rule,
        );
    }

    pub(crate) fn on_activity(self, intent: Option<S>) {
        let (ns, at) = (self.ns, self.at);
        ns.last_activity = Some(ns.last_activity.map_or(at, |l| l.max(at)));
        if let Some(i) = intent
            && let Some((k, a)) = ns.intent_idx(i.as_ref())
            && ns.view(k).status() == KeyStatus::ReminderOpen
        {
            ns.settle_key(k, self.id.as_ref());
            ns.open_reminders.remove(&(k, a));
        }
    }

    pub(crate) fn on_notified(self, event: S, key: S) {
        self.ns.notified.insert((event.into(), key.into()));
    }

    pub(crate) fn on_delivered(self, event: S, key: S, channel: S, error: Option<S>, retry: bool) {
        let d = self
            .ns
            .deliveries
            .entry((event.into(), key.into(), channel.into()))
            .or_default();
        d.last_at = Some(self.at);
        match error {
            None => d.delivered = true,
            Some(e) => {
                d.failures += 1;
                d.final_failure |= !retry;
                d.error = Some(e.into());
            }
        }
    }

    pub(crate) fn on_statement(self, source: S, reference: S, amount: Money, refund_of: Option<S>) {
        let (ns, tz, at) = (self.ns, self.tz, self.at);
        let source = source.as_ref();
        if let Some(of) = refund_of {
            if let Some(ev) = ns
                .evidence
                .iter_mut()
                .rev()
                .find(|ev| !ev.refunded && *ev.reference == *of.as_ref())
            {
                ev.refunded = true;
                if ev.counts_as_money() {
                    let (when, cur, amount) = (ev.at, ev.currency, ev.amount);
                    let month = self.months.month_of(tz, when);
                    ns.add_spend(month, cur, -amount);
                }
            } else {
                ns.refunded_refs.insert(of.into());
            }
            return;
        }
        if !ns
            .evidence_refs
            .insert(evidence_key(source, reference.as_ref()))
        {
            return;
        }
        let refunded = ns.refunded_refs.remove(reference.as_ref());
        let ev = Evidence {
            id: self.id.into(),
            at,
            amount: amount.minor,
            currency: amount.currency,
            source: source.into(),
            reference: reference.into(),
            refunded,
        };
        if ev.counts_as_money() && !refunded {
            // A statement is itself the proof of payment: no verification check.
            State::money_in(ns, self.months, tz, at, amount.minor, amount.currency);
        }
        ns.evidence.push(ev);
    }
}
