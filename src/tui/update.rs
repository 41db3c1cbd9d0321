//! `update(app, msg)`: every key, worker report and timer tick goes through here. Overlays
//! (forms, dialogs, the filter) get keys first; then the view's bindings; then global ones.
//! It does no I/O: what must touch the world is returned as [`Effect`]s for the loop.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind,
};
use tui_input::backend::crossterm::EventHandler;

use crate::engine::{EntryStatus, Row};
use crate::i18n::T;
use crate::link::{Report, Request};
use crate::model::Provider;
use crate::session::Resolution;
use crate::tr;
use crate::tui::app::{App, Confirm, Level, Overlay, RuleRow, Tab, WorkerMode};
use crate::tui::bindings::{self, Action};
use crate::tui::effect::{self, ConfigChange, Effect};
use crate::tui::form::FormEvent;
use crate::tui::forms::{self, Built, Original, Purpose};
use crate::tui::operation::Operation;

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
    /// A push channel's test came back (the URL tried, the service's answer).
    ChannelTested(crate::tui::app::TestAnswer),
}

/// Presses one key, as a person would, and runs what it asks for (tests, benchmarks and
/// the screenshot tool drive the app this way). Requests for a worker are dropped.
pub fn press(app: &mut App, code: KeyCode) {
    let fx = update(
        app,
        Msg::Key(KeyEvent::new(
            code,
            ratatui::crossterm::event::KeyModifiers::NONE,
        )),
    );
    effect::run_all(app, fx);
}

/// Types `text`, a key a character.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// Changes the app for `msg`; returns what the loop must do about it.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    step(app, msg);
    std::mem::take(&mut app.effects)
}

fn step(app: &mut App, msg: Msg) {
    if app.loading.is_some() {
        // Nothing acts on a half-read log: quitting and resizing only. What changed on
        // disk meanwhile is read with the rest of the log.
        match msg {
            Msg::Key(k) if quits_while_loading(&k) => app.quit = true,
            Msg::Resize => app.dirty = true,
            _ => {}
        }
        return;
    }
    match msg {
        Msg::Key(k) if k.kind != KeyEventKind::Release => key(app, k),
        Msg::Key(_) => {}
        Msg::Mouse(m) => mouse(app, m),
        Msg::Resize => app.dirty = true,
        Msg::Worker(r) => worker(app, r),
        Msg::LogGrew => app.effects.push(Effect::Tail),
        Msg::ConfigTouched => app.effects.push(Effect::ReloadConfig),
        Msg::Minute => {
            app.load_forwarders();
            app.recompute();
        }
        Msg::ChannelTested((url, answer)) => channel_tested(app, &url, answer),
    }
}

/// A test's answer is shown where it was asked for: on the channel's row in Settings, or
/// under the add-a-channel form that still holds the values it tried; else on the
/// message line.
fn channel_tested(app: &mut App, url: &str, answer: Result<(), String>) {
    app.dirty = true;
    if let Overlay::Form(of) = &mut app.overlay {
        let shown = match of.purpose {
            Purpose::AddChannel => forms::tested(of, url, &answer),
            Purpose::Settings if of.channels.test.as_ref().is_some_and(|(u, _)| u == url) => {
                of.channels.test = Some((url.to_string(), Some(answer.clone())));
                forms::refresh_channel_rows(of, &app.session.config, app.session.state());
                true
            }
            _ => false,
        };
        if shown {
            return;
        }
    }
    let label = crate::channels::label_of(url);
    match answer {
        Ok(()) => app.say(
            format!("{label}: {}", forms::test_line(Some(&Ok(())))),
            Level::Info,
        ),
        Err(why) => app.say(
            format!("{label}: {}", forms::test_line(Some(&Err(why)))),
            Level::Warn,
        ),
    }
}

/// What a key did to a form with push channels in it.
enum Taken {
    /// Not a channel key: the form handles it.
    No(Box<forms::OpenForm>),
    /// Taken; this form stays open.
    Open(Box<forms::OpenForm>),
    /// Taken; the form went with an effect (it comes back when the effect is done).
    Gone,
}

/// Keys Settings' channel rows and the add-a-channel form act on before the form does:
/// `a` adds, `t` tests, `d` deletes (asking first) on a channel row; Ctrl-T (or `t` on a
/// choice) tests the add-a-channel form's values.
fn channel_key(app: &mut App, mut of: Box<forms::OpenForm>, k: KeyEvent) -> Taken {
    use crate::tui::form::Value;
    let ctrl = k
        .modifiers
        .contains(ratatui::crossterm::event::KeyModifiers::CONTROL);
    if let Some(url) = of.channels.confirm_delete.take() {
        match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                app.effects.push(Effect::SaveConfig {
                    change: ConfigChange::DeleteChannel(url),
                    form: Some(of),
                });
                return Taken::Gone;
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {}
            _ => of.channels.confirm_delete = Some(url),
        }
        return Taken::Open(of);
    }
    let focused = of.form.focused();
    let on_row = focused.is_some_and(|f| matches!(f.value, Value::Row(_)));
    let on_choice = focused.is_some_and(|f| matches!(f.value, Value::Choice { .. }));
    match (&of.purpose, k.code) {
        (Purpose::Settings, KeyCode::Char('a')) if on_row && !ctrl => {
            let mut child = forms::channel_form(*of);
            forms::validate(
                &mut child,
                &app.session.config,
                app.session.state(),
                app.now,
            );
            Taken::Open(Box::new(child))
        }
        (Purpose::Settings, KeyCode::Char('t')) if on_row && !ctrl => {
            if let Some(url) = forms::focused_channel(&of, &app.session.config) {
                of.channels.test = Some((url.clone(), None));
                forms::refresh_channel_rows(&mut of, &app.session.config, app.session.state());
                app.effects.push(Effect::TestChannel(url));
            }
            Taken::Open(of)
        }
        // Enter on a channel's row: that channel in the channel form, to change.
        (Purpose::Settings, KeyCode::Enter) if on_row && !ctrl => {
            let Some(url) = forms::focused_channel(&of, &app.session.config) else {
                return Taken::No(of);
            };
            let parent = (*of).clone();
            match forms::edit_channel_form(parent, &url) {
                Some(mut child) => {
                    forms::validate(
                        &mut child,
                        &app.session.config,
                        app.session.state(),
                        app.now,
                    );
                    Taken::Open(Box::new(child))
                }
                None => {
                    of.form.error = Some(tr!(T::ChanCannotEdit));
                    Taken::Open(of)
                }
            }
        }
        (Purpose::Settings, KeyCode::Char('d')) if on_row && !ctrl => {
            of.channels.confirm_delete = forms::focused_channel(&of, &app.session.config);
            Taken::Open(of)
        }
        (Purpose::AddChannel, KeyCode::Char('t')) if ctrl || on_choice => {
            forms::validate(&mut of, &app.session.config, app.session.state(), app.now);
            match forms::test_url(&mut of) {
                Some(url) => app.effects.push(Effect::TestChannel(url)),
                None => {
                    of.form.tried = true;
                    if of.form.error.is_none() {
                        of.form.error = Some(tr!(T::ChanTestNothing));
                    }
                    of.form.focus_first_error();
                }
            }
            Taken::Open(of)
        }
        _ => Taken::No(of),
    }
}

/// While the log is being read, `q`, Esc and Ctrl-C leave; other keys wait for it.
fn quits_while_loading(k: &KeyEvent) -> bool {
    k.kind != KeyEventKind::Release
        && match k.code {
            KeyCode::Char('q') | KeyCode::Esc => true,
            KeyCode::Char('c') => k
                .modifiers
                .contains(ratatui::crossterm::event::KeyModifiers::CONTROL),
            _ => false,
        }
}

fn worker(app: &mut App, r: Report) {
    match r {
        Report::Busy(b) => {
            app.busy = b;
            app.dirty = true;
        }
        Report::LogChanged => app.effects.push(Effect::Tail),
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
        Report::Modems(seen) => {
            if seen.iter().any(|s| app.modems.get(&s.number) != Some(s)) {
                app.dirty = true;
            }
            app.modems = seen.into_iter().map(|s| (s.number.clone(), s)).collect();
        }
        Report::Forwarders(seen) => {
            app.forwarders = seen;
            app.recompute();
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
        Overlay::Resolve {
            intent,
            text,
            external,
        } => return resolve_key(app, intent, text, external, k),
        Overlay::Form(f) => return form_key(app, f, k),
        Overlay::Import(p) => return import_key(app, p, k),
        // Any key closes the details.
        Overlay::Details(..) => return,
    }
    if app.tabs.history.editing {
        return filter_key(app, k);
    }
    if let Some(a) = bindings::lookup(app.tab, &k) {
        act(app, a);
    }
}

fn filter_key(app: &mut App, k: KeyEvent) {
    match k.code {
        KeyCode::Enter => app.tabs.history.editing = false,
        KeyCode::Esc => {
            app.tabs.history.editing = false;
            app.tabs.history.filter.reset();
            app.refilter();
        }
        _ => {
            if app
                .tabs
                .history
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
            let change = match c {
                Confirm::DeleteNumber(id) => ConfigChange::DeleteNumber(id),
                Confirm::DeleteRule { number, rule } => ConfigChange::DeleteRule { number, rule },
                Confirm::DismissReminder { intent, .. } => {
                    return app.effects.push(Effect::Append {
                        op: Operation::Resolve {
                            intent,
                            resolution: Resolution::Dismissed,
                        },
                        form: None,
                    });
                }
            };
            app.effects.push(Effect::SaveConfig { change, form: None });
        }
        KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
            app.say(tr!(T::TuiCancelled), Level::Info)
        }
        _ => app.overlay = Overlay::Confirm(c),
    }
}

/// y adds what the file holds that the log does not; n or Esc leaves the log as it is.
fn import_key(app: &mut App, p: Box<crate::tui::app::ImportPreview>, k: KeyEvent) {
    match k.code {
        KeyCode::Char('y') | KeyCode::Char('Y') if p.added > 0 => {
            app.effects.push(Effect::ImportAdd {
                name: p.name,
                events: p.events,
            });
        }
        KeyCode::Char('y') | KeyCode::Char('Y') => {
            app.say(tr!(T::ImportNothingNew, p.name), Level::Info)
        }
        KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
            app.say(tr!(T::TuiCancelled), Level::Info)
        }
        _ => app.overlay = Overlay::Import(p),
    }
}

/// The History filters a person reaches for after an import, in the order `f` cycles
/// through them (then back to no filter). Machine words: they match in every language.
pub const QUICK_FILTERS: [&str; 4] = ["missed", "unexpected", "possible_duplicate", "message"];

fn quick_filter(app: &mut App) {
    let current = app.tabs.history.filter.value().trim().to_string();
    let next = match QUICK_FILTERS.iter().position(|f| *f == current) {
        Some(i) => QUICK_FILTERS.get(i + 1).copied().unwrap_or(""),
        None => QUICK_FILTERS[0],
    };
    app.tabs.history.filter = tui_input::Input::new(next.to_string());
    app.refilter();
    if next.is_empty() {
        app.say(tr!(T::TuiFilterCleared), Level::Info);
    } else {
        app.say(
            tr!(T::TuiQuickFilter, next, app.rows(Tab::History)),
            Level::Info,
        );
    }
}

fn resolve_key(app: &mut App, intent: String, text: String, external: bool, k: KeyEvent) {
    let resolution = match k.code {
        KeyCode::Char('s') | KeyCode::Char('S') => Resolution::Succeeded,
        // baohao never retries a recharge made elsewhere: "it did not come" is final.
        KeyCode::Char('f') | KeyCode::Char('F') if !external => Resolution::Failed,
        KeyCode::Char('d') | KeyCode::Char('D') => Resolution::FailedFinal,
        KeyCode::Esc | KeyCode::Char('q') => return app.say(tr!(T::TuiCancelled), Level::Info),
        _ => {
            app.overlay = Overlay::Resolve {
                intent,
                text,
                external,
            };
            return;
        }
    };
    app.effects.push(Effect::Append {
        op: Operation::Resolve { intent, resolution },
        form: None,
    });
}

fn form_key(app: &mut App, mut of: Box<forms::OpenForm>, k: KeyEvent) {
    if of.confirm_discard {
        match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                return close_form(app, of, tr!(T::TuiDiscarded));
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => of.confirm_discard = false,
            _ => {}
        }
        app.overlay = Overlay::Form(of);
        return;
    }
    let mut of = match channel_key(app, of, k) {
        Taken::No(of) => of,
        Taken::Open(of) => {
            app.overlay = Overlay::Form(of);
            return;
        }
        Taken::Gone => return,
    };
    let focused = of.form.focused().map(|f| f.id);
    match of.form.handle_key(k) {
        FormEvent::Changed => {
            if let Some(id) = focused {
                of.form.touch(id);
                forms::changed(&mut of, id, &app.session.config);
            }
            forms::validate(&mut of, &app.session.config, app.session.state(), app.now);
        }
        FormEvent::Cancel => {
            if of.form.dirty() {
                of.confirm_discard = true;
            } else {
                return close_form(app, of, tr!(T::TuiCancelled));
            }
        }
        FormEvent::Save => {
            of.form.tried = true;
            match forms::validate(&mut of, &app.session.config, app.session.state(), app.now) {
                Some(built) => {
                    // The form goes with its effect: a failed save reopens it with the error.
                    let e = save(&of, built);
                    app.effects.push(match e {
                        Saving::Config(change) => Effect::SaveConfig {
                            change,
                            form: Some(of),
                        },
                        Saving::Op(op) => Effect::Append { op, form: Some(of) },
                        Saving::Import {
                            path,
                            format,
                            number,
                            password,
                        } => Effect::ImportRead {
                            path,
                            format,
                            number,
                            password,
                            form: Some(of),
                        },
                    });
                    return;
                }
                None => {
                    // Enter never does nothing: the reason stands by its field, and the
                    // foot of the form says so too (the field may be scrolled away).
                    if of.form.error.is_none() && of.form.has_errors() {
                        of.form.error = Some(tr!(T::FormCannotSaveFields));
                    }
                    of.form.focus_first_error()
                }
            }
        }
        FormEvent::Moved | FormEvent::Nothing => {}
    }
    app.overlay = Overlay::Form(of);
}

/// Closes a form without saving it: the form it was opened over (if any) comes back.
fn close_form(app: &mut App, of: Box<forms::OpenForm>, said: String) {
    if let Some(mut parent) = of.channels.parent {
        forms::refresh_channel_rows(&mut parent, &app.session.config, app.session.state());
        app.overlay = Overlay::Form(parent);
    }
    app.say(said, Level::Info);
}

/// What saving a form means.
enum Saving {
    Config(ConfigChange),
    Op(Operation),
    /// Read the file and show what it would add (nothing is written yet).
    Import {
        path: String,
        format: Option<crate::import::Format>,
        number: Option<String>,
        password: Option<String>,
    },
}

/// What a valid form built, as a change to save or an operation to append.
fn save(of: &forms::OpenForm, built: Built) -> Saving {
    match built {
        Built::Number(n) => Saving::Config(ConfigChange::PutNumber {
            original: match (&of.purpose, &of.original) {
                (Purpose::EditNumber(_), Original::Number(o)) => Some(o.clone()),
                _ => None,
            },
            edited: Box::new(n),
        }),
        Built::Rule { number, rule } => Saving::Config(ConfigChange::PutRule {
            number,
            original: match (&of.purpose, &of.original) {
                (Purpose::EditRule { .. }, Original::Rule(r)) => Some(Box::new(r.clone())),
                _ => None,
            },
            edited: Box::new(rule),
        }),
        Built::Op(op) => Saving::Op(op),
        Built::Settings(edited) => Saving::Config(ConfigChange::Settings {
            original: match &of.original {
                Original::Settings(o) => o.clone(),
                _ => edited.clone(),
            },
            edited,
        }),
        Built::Channel(url) => Saving::Config(match &of.channels.editing {
            Some(old) => ConfigChange::ReplaceChannel {
                old: old.clone(),
                new: url,
            },
            None => ConfigChange::AddChannel(url),
        }),
        Built::Import {
            path,
            format,
            number,
            password,
        } => Saving::Import {
            path,
            format,
            number,
            password,
        },
    }
}

fn open_form(app: &mut App, mut of: forms::OpenForm) {
    forms::validate(&mut of, &app.session.config, app.session.state(), app.now);
    app.overlay = Overlay::Form(Box::new(of));
}

fn refresh_all(app: &mut App) {
    match app.worker.clone() {
        WorkerMode::Session => {
            app.effects.push(Effect::Worker(Request::RefreshAll));
            app.say(tr!(T::TuiRefreshing), Level::Info);
        }
        WorkerMode::Other(Some(pid)) => app.effects.push(Effect::SignalDaemon(pid)),
        _ => app.say(tr!(T::TuiNoWorker), Level::Warn),
    }
}

pub fn act(app: &mut App, a: Action) {
    let rows = app.rows(app.tab);
    let page = app.tabs.list(app.tab).page.get().max(1);
    match a {
        Action::Quit => app.quit = true,
        Action::Tab(t) => app.tab = t,
        Action::NextTab => app.tab = app.tab.next(),
        Action::PrevTab => app.tab = app.tab.prev(),
        Action::Down => move_sel(app, 1),
        Action::Up => move_sel(app, -1),
        Action::PageDown => move_sel(app, page as isize),
        Action::PageUp => move_sel(app, -(page as isize)),
        Action::Top => select_at(app, 0),
        Action::Bottom => select_at(app, rows.saturating_sub(1)),
        Action::Help => app.overlay = Overlay::Help(0),
        Action::Mask => toggle_mask(app),
        Action::RefreshAll => refresh_all(app),
        Action::Refresh => refresh_selected(app),
        Action::Filter => {
            if !history_waits(app) {
                app.tabs.history.editing = true;
            }
        }
        Action::Add => add(app),
        Action::Edit => edit(app),
        Action::Delete => delete(app),
        Action::Toggle => toggle_rule(app),
        Action::TopUp => top_up(app),
        Action::Activity => activity(app),
        Action::Details if history_waits(app) => {}
        Action::Resolve if history_waits(app) => {}
        Action::QuickFilter if history_waits(app) => {}
        Action::Details => details(app),
        Action::Resolve => resolve(app),
        Action::Export => {
            if !history_waits(app) {
                export(app)
            }
        }
        Action::Import => open_form(app, forms::import_form(&app.session.config)),
        Action::QuickFilter => quick_filter(app),
        Action::Settings => settings(app),
    }
}

/// Selects row `i` of the tab (the nearest selectable one).
fn select_at(app: &mut App, i: usize) {
    app.tabs.list_mut(app.tab).sel = i;
    move_sel(app, 0);
}

fn toggle_mask(app: &mut App) {
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

/// A manual number is read by the person (the balance form); another is asked of the
/// worker, this one alone if it runs here.
fn refresh_selected(app: &mut App) {
    let Some(i) = app.selected_number() else {
        return;
    };
    let n = app.session.config.numbers[i].clone();
    if n.provider == Provider::Manual {
        open_form(app, forms::balance_form(&n));
    } else if app.worker == WorkerMode::Session {
        app.effects
            .push(Effect::Worker(Request::Refresh(n.id.clone())));
        app.say(tr!(T::TuiRefreshingOne, n.label), Level::Info);
    } else {
        refresh_all(app);
    }
}

fn add(app: &mut App) {
    match app.tab {
        Tab::Numbers => open_form(app, forms::number_form(None, &app.session.config)),
        Tab::Rules => match app
            .selected_number()
            .map(|i| app.session.config.numbers[i].clone())
        {
            Some(n) => open_form(app, forms::rule_form(&app.session.config, &n, None)),
            None => app.say(tr!(T::TuiAddNumberFirst), Level::Warn),
        },
        _ => {}
    }
}

fn edit(app: &mut App) {
    match app.tab {
        Tab::Numbers => {
            if let Some(i) = app.selected_number() {
                let n = app.session.config.numbers[i].clone();
                open_form(app, forms::number_form(Some(&n), &app.session.config));
            }
        }
        Tab::Rules => match app.derived.rule_rows.get(app.tabs.rules.sel).copied() {
            Some(RuleRow::Rule(ni, ri)) => {
                let n = app.session.config.numbers[ni].clone();
                let r = n.rules[ri].clone();
                open_form(app, forms::rule_form(&app.session.config, &n, Some(&r)));
            }
            Some(RuleRow::Empty(ni)) | Some(RuleRow::Number(ni)) => {
                let n = app.session.config.numbers[ni].clone();
                open_form(app, forms::rule_form(&app.session.config, &n, None));
            }
            None => app.say(tr!(T::TuiAddNumberFirst), Level::Warn),
        },
        _ => {}
    }
}

fn delete(app: &mut App) {
    match app.tab {
        Tab::Numbers => {
            if let Some(i) = app.selected_number() {
                app.overlay = Overlay::Confirm(Confirm::DeleteNumber(
                    app.session.config.numbers[i].id.clone(),
                ));
            }
        }
        Tab::Rules => {
            if let Some(RuleRow::Rule(ni, ri)) =
                app.derived.rule_rows.get(app.tabs.rules.sel).copied()
            {
                let n = &app.session.config.numbers[ni];
                app.overlay = Overlay::Confirm(Confirm::DeleteRule {
                    number: n.id.clone(),
                    rule: n.rules[ri].id.clone(),
                });
            }
        }
        _ => {}
    }
}

fn toggle_rule(app: &mut App) {
    if let Some(RuleRow::Rule(ni, ri)) = app.derived.rule_rows.get(app.tabs.rules.sel).copied() {
        // Sets the state the person saw turned over, whatever the file says now.
        let n = &app.session.config.numbers[ni];
        let r = &n.rules[ri];
        let change = ConfigChange::SetEnabled {
            number: n.id.clone(),
            rule: r.id.clone(),
            enabled: !r.enabled,
        };
        app.effects.push(Effect::SaveConfig { change, form: None });
    }
}

fn top_up(app: &mut App) {
    if let Some(i) = app.selected_number() {
        let n = app.session.config.numbers[i].clone();
        let f = forms::topup_form(&n, app.session.state());
        open_form(app, f);
    } else {
        app.say(tr!(T::TuiAddNumberFirst), Level::Warn);
    }
}

fn activity(app: &mut App) {
    if let Some(i) = app.selected_number() {
        let n = app.session.config.numbers[i].clone();
        open_form(app, forms::activity_form(&n));
    }
}

fn details(app: &mut App) {
    let entry = app.history_row(app.tabs.history.list.sel).and_then(|row| {
        app.session
            .history
            .entry(&row, &app.session.config, app.now)
    });
    if let Some(e) = entry {
        let label = app
            .session
            .config
            .number(&e.number)
            .map_or("", |n| n.label.as_str());
        let lines = crate::text::labels::entry_lines(&e, label, app.session.config.timezone);
        app.overlay = Overlay::Details(tr!(T::DetailTitle, e.id), lines);
    }
}

/// The selected History entry, if it is one a person can answer: an open reminder
/// (dismiss it?), a recharge in doubt or a missed external one (resolve it?).
fn resolve(app: &mut App) {
    let entry = app.history_row(app.tabs.history.list.sel).and_then(|row| {
        let e = app
            .session
            .history
            .entry(&row, &app.session.config, app.now)?;
        Some((e, row))
    });
    let Some((e, row)) = entry else {
        return app.say(tr!(T::TuiNotInDoubt), Level::Warn);
    };
    let recharge = matches!(row, Row::Recharge { .. });
    let open_reminder = e.shown_status()
        == Some(crate::engine::ShownStatus::Entry(EntryStatus::Reminder))
        && recharge;
    if open_reminder {
        let (label, amount) = label_and_amount(app, &e);
        let text = tr!(T::TuiDismissQuestion, amount, label);
        app.overlay = Overlay::Confirm(Confirm::DismissReminder { intent: e.id, text });
    } else if e.status == Some(EntryStatus::InDoubt) && recharge {
        let (label, amount) = label_and_amount(app, &e);
        let text = tr!(
            T::TuiResolveQuestion,
            amount,
            label,
            crate::text::format::local_minute(e.at, app.session.config.timezone)
        );
        app.overlay = Overlay::Resolve {
            intent: e.id,
            text,
            external: false,
        };
    } else if e.status == Some(EntryStatus::Missed) && recharge {
        let text = missed_question(app, &e);
        app.overlay = Overlay::Resolve {
            intent: e.id,
            text,
            external: true,
        };
    } else {
        app.say(tr!(T::TuiNotInDoubt), Level::Warn);
    }
}

/// The question about a missed external recharge: the money, the number, where it was to
/// be paid and when the rule made it due.
fn missed_question(app: &App, e: &crate::engine::Entry) -> String {
    let (label, amount) = label_and_amount(app, e);
    let tz = app.session.config.timezone;
    let number = app.session.config.number(&e.number);
    let rule = app
        .session
        .state()
        .number(&e.number)
        .and_then(|ns| ns.key_of_intent(&e.id));
    let via = rule
        .as_ref()
        .and_then(|k| number?.rule(k.rule)?.via.clone())
        .unwrap_or_default();
    let due = rule
        .as_ref()
        .and_then(|k| crate::engine::reconcile::due_of(k, number, tz))
        .map_or(e.at, |d| d.min(e.at));
    tr!(
        T::TuiResolveMissedQuestion,
        amount,
        label,
        via,
        crate::text::format::local_minute(due, tz)
    )
}

fn settings(app: &mut App) {
    let fwd = forms::forwarder_lines(&app.session.config, app.state(), &app.forwarders, app.now);
    open_form(
        app,
        forms::settings_form(&app.session.config, app.state(), fwd),
    )
}

/// The number's label and the entry's amount, as a question about it names them.
fn label_and_amount(app: &App, e: &crate::engine::Entry) -> (String, String) {
    let label = app
        .session
        .config
        .number(&e.number)
        .map_or(e.number.clone(), |n| n.label.clone());
    let amount = e
        .amount_minor
        .zip(e.currency)
        .map(|(a, c)| crate::model::Money::new(a, c).display())
        .unwrap_or_default();
    (label, amount)
}

fn move_sel(app: &mut App, step: isize) {
    let n = app.rows(app.tab);
    if n == 0 {
        return;
    }
    let mut s = (app.tabs.list(app.tab).sel as isize + step).clamp(0, n as isize - 1) as usize;
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
    app.tabs.list_mut(app.tab).sel = s;
}

/// Whether the History rows are still being read; if so, says so (one sentence), for
/// anything that needs all of them.
fn history_waits(app: &mut App) -> bool {
    let Some(p) = app.history_percent() else {
        return false;
    };
    app.say(tr!(T::TuiHistoryNotReady, p), Level::Info);
    true
}

/// The History view (as filtered) as CSV, oldest first as the log reads, listed as
/// `history --csv` lists; the loop writes it.
fn export(app: &mut App) {
    let tz = app.session.config.timezone;
    let terms = crate::tui::app::filter_terms(app.tabs.history.filter.value());
    let config = &app.session.config;
    let keep = |e: &crate::engine::Entry| crate::tui::app::filter_keeps(&terms, e, config);
    let mut entries = Vec::new();
    let listed = app.session.list_history(&keep, app.now, &mut |e| {
        entries.push(e);
        std::ops::ControlFlow::Continue(())
    });
    if let Err(e) = listed {
        return app.say(e.message, Level::Error);
    }
    let n = entries.len();
    let csv = crate::text::export::csv(&entries, tz);
    let name = format!(
        "baohao-history-{}.csv",
        app.now.with_timezone(&tz).format("%Y%m%d-%H%M%S")
    );
    app.effects.push(Effect::Export { csv, rows: n, name });
}
