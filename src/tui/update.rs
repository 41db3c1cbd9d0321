//! `update(app, msg)`: every key, worker report and timer tick goes through here. Overlays
//! (forms, dialogs, the filter) get keys first; then the view's bindings; then global ones.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind,
};
use tui_input::backend::crossterm::EventHandler;

use crate::engine::{EntryStatus, Row};
use crate::error::ErrorKind;
use crate::i18n::T;
use crate::model::{Provider, ResolvedStatus};
use crate::tr;
use crate::tui::app::{App, Confirm, Level, Overlay, RuleRow, Tab, WorkerMode};
use crate::tui::form::FormEvent;
use crate::tui::forms::{self, Built, Purpose};
use crate::tui::keys::{self, Action};
use crate::worker::{Command, Report};

/// Something that happened.
#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize,
    Worker(Report),
    /// The log file grew: read the new lines.
    LogGrew,
    /// The config file may have changed on disk.
    ConfigTouched,
    /// A minute passed: deadlines and "next" may have moved.
    Minute,
}

/// Presses one key, as a person would (tests, benchmarks and the screenshot tool drive the
/// app this way).
pub fn press(app: &mut App, code: KeyCode) {
    update(
        app,
        Msg::Key(KeyEvent::new(
            code,
            ratatui::crossterm::event::KeyModifiers::NONE,
        )),
    );
}

/// Types `text`, a key a character.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

pub fn update(app: &mut App, msg: Msg) {
    match msg {
        Msg::Key(k) if k.kind != KeyEventKind::Release => key(app, k),
        Msg::Key(_) => {}
        Msg::Mouse(m) => mouse(app, m),
        Msg::Resize => app.dirty = true,
        Msg::Worker(r) => worker(app, r),
        Msg::LogGrew => {
            if let Err(e) = app.tail() {
                app.say(e.message, Level::Error);
            }
        }
        Msg::ConfigTouched => match app.reload_config(false) {
            Ok(true) => app.say(tr!(T::TuiConfigReloaded), Level::Info),
            Ok(false) => {}
            Err(e) => app.say(e.message, Level::Error),
        },
        Msg::Minute => app.recompute(),
    }
}

fn worker(app: &mut App, r: Report) {
    match r {
        Report::Busy(b) => {
            app.busy = b;
            app.dirty = true;
        }
        Report::LogChanged => {
            if let Err(e) = app.tail() {
                app.say(e.message, Level::Error);
            }
        }
        Report::Refreshed { number, .. } => {
            app.refresh_errors.remove(&number);
            app.checked.insert(number, app.clock.now());
            app.dirty = true;
        }
        Report::RefreshFailed { number, reason } => {
            app.say(tr!(T::LogRefreshFailed, number, reason), Level::Warn);
            app.refresh_errors.insert(number, reason);
        }
        Report::Recharged { .. } => {}
        Report::Notice(s) => app.say(s, Level::Info),
        Report::Problem(s) => app.say(s, Level::Error),
        Report::Idle { at, .. } => {
            app.last_refresh = Some(at);
            app.dirty = true;
        }
        Report::Stopped => {
            app.worker = WorkerMode::None;
            app.dirty = true;
        }
    }
}

fn mouse(app: &mut App, m: MouseEvent) {
    if !matches!(app.overlay, Overlay::None) {
        return;
    }
    match m.kind {
        MouseEventKind::ScrollDown => act(app, Action::Down),
        MouseEventKind::ScrollUp => act(app, Action::Up),
        _ => {}
    }
}

fn key(app: &mut App, k: KeyEvent) {
    app.dirty = true;
    // Ctrl-C quits from anywhere, forms included: it is how people get out of a terminal app.
    if k.code == KeyCode::Char('c')
        && k.modifiers
            .contains(ratatui::crossterm::event::KeyModifiers::CONTROL)
    {
        app.quit = true;
        return;
    }
    // Overlays take every key first.
    match std::mem::replace(&mut app.overlay, Overlay::None) {
        Overlay::None => {}
        Overlay::Help(scroll) => {
            // j/k and the arrows scroll a long list; any other key closes it.
            let step = |k: KeyCode| {
                if matches!(k, KeyCode::PageDown | KeyCode::PageUp) {
                    8
                } else {
                    1
                }
            };
            match k.code {
                KeyCode::Char('j') | KeyCode::Down | KeyCode::PageDown => {
                    app.overlay = Overlay::Help(scroll.saturating_add(step(k.code)))
                }
                KeyCode::Char('k') | KeyCode::Up | KeyCode::PageUp => {
                    app.overlay = Overlay::Help(scroll.saturating_sub(step(k.code)))
                }
                _ => {}
            }
            return;
        }
        Overlay::Confirm(c) => return confirm(app, c, k),
        Overlay::Resolve { intent, text } => return resolve_key(app, intent, text, k),
        Overlay::Form(f) => return form_key(app, f, k),
    }
    if app.filter_editing {
        return filter_key(app, k);
    }
    if let Some(a) = keys::lookup(app.tab, &k) {
        act(app, a);
    }
}

fn filter_key(app: &mut App, k: KeyEvent) {
    match k.code {
        KeyCode::Enter => app.filter_editing = false,
        KeyCode::Esc => {
            app.filter_editing = false;
            app.filter.reset();
            app.refilter();
        }
        _ => {
            if app
                .filter
                .handle_event(&Event::Key(k))
                .is_some_and(|c| c.value)
            {
                app.refilter();
            }
        }
    }
}

fn confirm(app: &mut App, c: Confirm, k: KeyEvent) {
    match k.code {
        KeyCode::Char('y') | KeyCode::Char('Y') => {
            let mut new = app.config.clone();
            let done = match &c {
                Confirm::DeleteNumber(id) => {
                    new.numbers.retain(|n| &n.id != id);
                    tr!(T::TuiDeletedNumber, id)
                }
                Confirm::DeleteRule { number, rule } => {
                    if let Some(n) = new.numbers.iter_mut().find(|n| &n.id == number) {
                        n.rules.retain(|r| &r.id != rule);
                    }
                    tr!(T::TuiDeletedRule, rule, number)
                }
            };
            match app.save_config(new) {
                Ok(()) => app.say(done, Level::Info),
                Err(e) => app.say(e.message, Level::Error),
            }
        }
        KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
            app.say(tr!(T::TuiCancelled), Level::Info)
        }
        _ => app.overlay = Overlay::Confirm(c),
    }
}

fn resolve_key(app: &mut App, intent: String, text: String, k: KeyEvent) {
    let status = match k.code {
        KeyCode::Char('s') | KeyCode::Char('S') => ResolvedStatus::Succeeded,
        KeyCode::Char('f') | KeyCode::Char('F') => ResolvedStatus::Failed,
        KeyCode::Esc | KeyCode::Char('q') => return app.say(tr!(T::TuiCancelled), Level::Info),
        _ => {
            app.overlay = Overlay::Resolve { intent, text };
            return;
        }
    };
    let now = app.clock.now();
    let result = app
        .writer()
        .resolve(&intent, status, Some(tr!(T::TuiResolvedNote)), now);
    match result {
        Ok((_, what)) => {
            after_write(app);
            let st = match status {
                ResolvedStatus::Succeeded => tr!(T::StSucceeded),
                ResolvedStatus::Failed => tr!(T::StFailed),
            };
            app.say(tr!(T::ResolveDone, intent, what, st), Level::Info);
        }
        Err(e) => app.say(e.message, Level::Error),
    }
}

fn form_key(app: &mut App, mut of: Box<forms::OpenForm>, k: KeyEvent) {
    if of.confirm_discard {
        match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                return app.say(tr!(T::TuiDiscarded), Level::Info);
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => of.confirm_discard = false,
            _ => {}
        }
        app.overlay = Overlay::Form(of);
        return;
    }
    let focused = of.form.focused().map(|f| f.id);
    match of.form.handle_key(k) {
        FormEvent::Changed => {
            if let Some(id) = focused {
                of.form.touch(id);
                forms::changed(&mut of, id, &app.config);
            }
            forms::validate(&mut of, &app.config, app.state(), app.now);
        }
        FormEvent::Cancel => {
            if of.form.dirty() {
                of.confirm_discard = true;
            } else {
                return app.say(tr!(T::TuiCancelled), Level::Info);
            }
        }
        FormEvent::Save => {
            of.form.tried = true;
            match forms::validate(&mut of, &app.config, app.state(), app.now) {
                Some(built) => match save(app, &of.purpose, built) {
                    Ok(msg) => return app.say(msg, Level::Info),
                    Err(e) => {
                        of.form.error = Some(e.message.clone());
                        if e.kind == ErrorKind::Conflict {
                            // Reloaded underneath: the edit is still here to save again.
                            forms::validate(&mut of, &app.config, app.state(), app.now);
                        }
                    }
                },
                None => of.form.focus_first_error(),
            }
        }
        FormEvent::Moved | FormEvent::Nothing => {}
    }
    app.overlay = Overlay::Form(of);
}

/// Saves what a valid form built; the message to show.
fn save(app: &mut App, purpose: &Purpose, built: Built) -> crate::Result<String> {
    let now = app.clock.now();
    match built {
        Built::Number(n) => {
            let mut new = app.config.clone();
            let msg = match purpose {
                Purpose::EditNumber(id) => {
                    if let Some(slot) = new.numbers.iter_mut().find(|x| &x.id == id) {
                        *slot = n.clone();
                    }
                    tr!(T::TuiSavedNumber, n.label)
                }
                _ => {
                    new.numbers.push(n.clone());
                    tr!(T::TuiAddedNumber, n.label)
                }
            };
            app.save_config(new)?;
            if matches!(purpose, Purpose::AddNumber) {
                app.sel[Tab::Numbers.index()] = app.config.numbers.len().saturating_sub(1);
            }
            Ok(msg)
        }
        Built::Rule { number, rule } => {
            let mut new = app.config.clone();
            let Some(n) = new.numbers.iter_mut().find(|x| x.id == number) else {
                return Err(crate::Error::input(tr!(T::UnknownNumber, number, "-")));
            };
            match purpose {
                Purpose::EditRule { rule: old, .. } => {
                    if let Some(slot) = n.rules.iter_mut().find(|r| &r.id == old) {
                        *slot = rule.clone();
                    }
                }
                _ => n.rules.push(rule.clone()),
            }
            app.save_config(new)?;
            if let Some(i) = app.derived.rule_rows.iter().position(|r| match r {
                RuleRow::Rule(ni, ri) => {
                    app.config.numbers[*ni].id == number
                        && app.config.numbers[*ni].rules[*ri].id == rule.id
                }
                _ => false,
            }) {
                app.sel[Tab::Rules.index()] = i;
            }
            Ok(tr!(T::TuiSavedRule, rule.describe()))
        }
        Built::TopUp {
            number,
            amount,
            note,
        } => {
            let n = number_of(app, &number)?;
            let (_, settles) = app.writer().top_up(&n, amount, note, now)?;
            after_write(app);
            let mut msg = tr!(T::TuiToppedUp, amount.display(), n.label);
            if settles.is_some() {
                msg.push(' ');
                msg.push_str(&tr!(T::TuiSettledReminder));
            }
            Ok(msg)
        }
        Built::Balance {
            number,
            amount,
            validity,
        } => {
            let n = number_of(app, &number)?;
            app.writer().balance(&n, amount, validity, now)?;
            after_write(app);
            Ok(tr!(T::BalanceDone, n.label, amount.display()))
        }
        Built::Activity { number, note } => {
            let n = number_of(app, &number)?;
            app.writer().activity(&n, note, now)?;
            after_write(app);
            Ok(tr!(T::ActivityDone, n.id, n.label))
        }
    }
}

fn number_of(app: &App, id: &str) -> crate::Result<crate::model::Number> {
    app.config
        .number(id)
        .cloned()
        .ok_or_else(|| crate::Error::input(tr!(T::UnknownNumber, id, "-")))
}

/// After an append: the filter and the derived views see the new entry.
fn after_write(app: &mut App) {
    app.refilter();
    app.recompute();
}

fn open_form(app: &mut App, mut of: forms::OpenForm) {
    forms::validate(&mut of, &app.config, app.state(), app.now);
    app.overlay = Overlay::Form(Box::new(of));
}

fn refresh_all(app: &mut App) {
    match app.worker.clone() {
        WorkerMode::Session => {
            app.outbox.push(Command::RefreshAll);
            app.say(tr!(T::TuiRefreshing), Level::Info);
        }
        WorkerMode::Other(Some(pid)) => {
            let sent = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGUSR1,
            )
            .is_ok();
            if sent {
                app.say(tr!(T::TuiAskedDaemon, pid), Level::Info);
            } else {
                app.say(tr!(T::TuiDaemonGone, pid), Level::Warn);
            }
        }
        _ => app.say(tr!(T::TuiNoWorker), Level::Warn),
    }
}

pub fn act(app: &mut App, a: Action) {
    let tab = app.tab.index();
    let rows = app.rows(app.tab);
    let page = app.page[tab].get().max(1);
    match a {
        Action::Quit => app.quit = true,
        Action::Tab(t) => app.tab = t,
        Action::NextTab => app.tab = Tab::ALL[(tab + 1) % 4],
        Action::PrevTab => app.tab = Tab::ALL[(tab + 3) % 4],
        Action::Down => move_sel(app, 1),
        Action::Up => move_sel(app, -1),
        Action::PageDown => move_sel(app, page as isize),
        Action::PageUp => move_sel(app, -(page as isize)),
        Action::Top => {
            app.sel[tab] = 0;
            move_sel(app, 0);
        }
        Action::Bottom => {
            app.sel[tab] = rows.saturating_sub(1);
            move_sel(app, 0);
        }
        Action::Help => app.overlay = Overlay::Help(0),
        Action::Mask => {
            app.masked = !app.masked;
            app.say(
                if app.masked {
                    tr!(T::TuiMasked)
                } else {
                    tr!(T::TuiUnmasked)
                },
                Level::Info,
            );
        }
        Action::RefreshAll => refresh_all(app),
        Action::Refresh => {
            let Some(i) = app.selected_number() else {
                return;
            };
            let n = app.config.numbers[i].clone();
            if n.provider == Provider::Manual {
                open_form(app, forms::balance_form(&n));
            } else if app.worker == WorkerMode::Session {
                app.outbox.push(Command::Refresh(n.id.clone()));
                app.say(tr!(T::TuiRefreshingOne, n.label), Level::Info);
            } else {
                refresh_all(app);
            }
        }
        Action::Filter => {
            app.filter_editing = true;
        }
        Action::Add => match app.tab {
            Tab::Numbers => open_form(app, forms::number_form(None)),
            Tab::Rules => match app.selected_number().map(|i| app.config.numbers[i].clone()) {
                Some(n) => open_form(app, forms::rule_form(&app.config, &n, None)),
                None => app.say(tr!(T::TuiAddNumberFirst), Level::Warn),
            },
            _ => {}
        },
        Action::Edit => match app.tab {
            Tab::Numbers => {
                if let Some(i) = app.selected_number() {
                    let n = app.config.numbers[i].clone();
                    open_form(app, forms::number_form(Some(&n)));
                }
            }
            Tab::Rules => match app.derived.rule_rows.get(app.sel[1]).copied() {
                Some(RuleRow::Rule(ni, ri)) => {
                    let n = app.config.numbers[ni].clone();
                    let r = n.rules[ri].clone();
                    open_form(app, forms::rule_form(&app.config, &n, Some(&r)));
                }
                Some(RuleRow::Empty(ni)) | Some(RuleRow::Number(ni)) => {
                    let n = app.config.numbers[ni].clone();
                    open_form(app, forms::rule_form(&app.config, &n, None));
                }
                None => app.say(tr!(T::TuiAddNumberFirst), Level::Warn),
            },
            _ => {}
        },
        Action::Delete => match app.tab {
            Tab::Numbers => {
                if let Some(i) = app.selected_number() {
                    app.overlay =
                        Overlay::Confirm(Confirm::DeleteNumber(app.config.numbers[i].id.clone()));
                }
            }
            Tab::Rules => {
                if let Some(RuleRow::Rule(ni, ri)) = app.derived.rule_rows.get(app.sel[1]).copied()
                {
                    let n = &app.config.numbers[ni];
                    app.overlay = Overlay::Confirm(Confirm::DeleteRule {
                        number: n.id.clone(),
                        rule: n.rules[ri].id.clone(),
                    });
                }
            }
            _ => {}
        },
        Action::Toggle => {
            if let Some(RuleRow::Rule(ni, ri)) = app.derived.rule_rows.get(app.sel[1]).copied() {
                let mut new = app.config.clone();
                let r = &mut new.numbers[ni].rules[ri];
                r.enabled = !r.enabled;
                let msg = if r.enabled {
                    tr!(T::TuiRuleOn, r.id)
                } else {
                    tr!(T::TuiRuleOff, r.id)
                };
                match app.save_config(new) {
                    Ok(()) => app.say(msg, Level::Info),
                    Err(e) => app.say(e.message, Level::Error),
                }
            }
        }
        Action::TopUp => {
            if let Some(i) = app.selected_number() {
                let n = app.config.numbers[i].clone();
                let f = forms::topup_form(&n, app.state());
                open_form(app, f);
            } else {
                app.say(tr!(T::TuiAddNumberFirst), Level::Warn);
            }
        }
        Action::Activity => {
            if let Some(i) = app.selected_number() {
                let n = app.config.numbers[i].clone();
                open_form(app, forms::activity_form(&n));
            }
        }
        Action::Resolve => {
            let entry = app
                .history_row(app.sel[2])
                .cloned()
                .and_then(|row| Some((app.history.entry(&row, &app.config, app.now)?, row)));
            let Some((e, row)) = entry else {
                return app.say(tr!(T::TuiNotInDoubt), Level::Warn);
            };
            if e.status == Some(EntryStatus::InDoubt) && matches!(row, Row::Recharge { .. }) {
                let label = app
                    .config
                    .number(&e.number)
                    .map_or(e.number.clone(), |n| n.label.clone());
                let amount = e
                    .amount_minor
                    .zip(e.currency)
                    .map(|(a, c)| crate::model::Money::new(a, c).display())
                    .unwrap_or_default();
                let text = tr!(
                    T::TuiResolveQuestion,
                    amount,
                    label,
                    crate::cli::format::local_minute(e.at, app.config.timezone)
                );
                app.overlay = Overlay::Resolve { intent: e.id, text };
            } else {
                app.say(tr!(T::TuiNotInDoubt), Level::Warn);
            }
        }
        Action::Export => export(app),
    }
}

fn move_sel(app: &mut App, step: isize) {
    let tab = app.tab.index();
    let n = app.rows(app.tab);
    if n == 0 {
        return;
    }
    let mut s = (app.sel[tab] as isize + step).clamp(0, n as isize - 1) as usize;
    if app.tab == Tab::Rules {
        // Skip the number headers, in the direction of travel.
        let rows = &app.derived.rule_rows;
        let dir = if step < 0 { -1 } else { 1 };
        while rows.get(s).is_some_and(|r| !r.selectable()) {
            let next = s as isize + dir;
            if next < 0 || next >= n as isize {
                // Nothing selectable that way: go the other way.
                s = (s as isize - dir).clamp(0, n as isize - 1) as usize;
                break;
            }
            s = next as usize;
        }
    }
    app.sel[tab] = s;
}

/// Writes the History view (as filtered) to a CSV file and says where.
fn export(app: &mut App) {
    let tz = app.config.timezone;
    let mut out = String::from(crate::cli::export::CSV_HEADER);
    out.push('\n');
    let n = app.rows(Tab::History);
    // Oldest first in the file, as the log reads.
    for i in (0..n).rev() {
        if let Some(e) = app
            .history_row(i)
            .and_then(|r| app.history.entry(r, &app.config, app.now))
        {
            out.push_str(&crate::cli::export::csv_row(&e, tz));
            out.push('\n');
        }
    }
    let name = format!(
        "baohao-history-{}.csv",
        app.now.with_timezone(&tz).format("%Y%m%d-%H%M%S")
    );
    let dirs = [
        std::env::current_dir().ok(),
        dirs::home_dir(),
        Some(std::env::temp_dir()),
    ];
    let mut last_err = None;
    for dir in dirs.into_iter().flatten() {
        let path = dir.join(&name);
        match std::fs::write(&path, &out) {
            Ok(()) => return app.say(tr!(T::TuiExported, n, path.display()), Level::Info),
            Err(e) => last_err = Some(crate::Error::io(T::WhatWrite, &path, &e).message),
        }
    }
    app.say(last_err.unwrap_or_default(), Level::Error);
}
