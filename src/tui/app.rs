//! The TUI's one state: config, history, selection, overlays, what the worker says. Views
//! read it; `update` changes it. Data derived from it (plan, forecast, statuses, the rows of
//! each tab) is recomputed only when the state, the config or the minute changes.

use std::cell::Cell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tui_input::Input;

use crate::clock::Clock;
use crate::engine::{
    Forecast, History, NumberStatus, Plan, Row, State, forecast, number_status, plan,
};
use crate::error::{ErrorKind, Result};
use crate::i18n::T;
use crate::model::Config;
use crate::ops::Writer;
use crate::store::config::{self, Stamp};
use crate::store::{Cursor, Paths};
use crate::tr;
use crate::tui::forms::OpenForm;
use crate::tui::theme::Theme;
use crate::worker::Command;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tab {
    Numbers,
    Rules,
    History,
    Forecast,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Numbers, Tab::Rules, Tab::History, Tab::Forecast];

    pub fn index(self) -> usize {
        match self {
            Tab::Numbers => 0,
            Tab::Rules => 1,
            Tab::History => 2,
            Tab::Forecast => 3,
        }
    }

    pub fn title(self) -> String {
        match self {
            Tab::Numbers => tr!(T::TabNumbers),
            Tab::Rules => tr!(T::TabRules),
            Tab::History => tr!(T::TabHistory),
            Tab::Forecast => tr!(T::TabForecast),
        }
    }
}

/// Who runs the worker for this home.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerMode {
    /// This session runs it.
    Session,
    /// Another process (a daemon, another session) holds the lock.
    Other(Option<u32>),
    /// Nobody: this session could not start one.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A question to answer with y or n.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirm {
    DeleteNumber(String),
    DeleteRule { number: String, rule: String },
}

#[derive(Clone, Debug)]
pub enum Overlay {
    None,
    /// The key list, scrolled down this many lines.
    Help(u16),
    Form(Box<OpenForm>),
    Confirm(Confirm),
    /// Did this in-doubt recharge go through? (intent id, its description)
    Resolve {
        intent: String,
        text: String,
    },
}

/// A row of the Rules tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleRow {
    Number(usize),
    Rule(usize, usize),
    /// A number without rules (press a to add one).
    Empty(usize),
}

impl RuleRow {
    pub fn selectable(self) -> bool {
        !matches!(self, RuleRow::Number(_))
    }

    pub fn number(self) -> usize {
        match self {
            RuleRow::Number(n) | RuleRow::Rule(n, _) | RuleRow::Empty(n) => n,
        }
    }
}

/// What the views show that is computed from state, config and the time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Derived {
    pub plan: Plan,
    pub forecast: Forecast,
    pub statuses: Vec<NumberStatus>,
    pub rule_rows: Vec<RuleRow>,
}

pub struct App {
    pub paths: Paths,
    pub clock: Clock,
    pub config: Config,
    pub stamp: Option<Stamp>,
    /// The config on disk does not read; the last good one is shown.
    pub config_problem: Option<String>,
    pub history: History,
    pub cursor: Cursor,
    pub now: DateTime<Utc>,
    pub tab: Tab,
    /// Selected row per tab (in that tab's row order).
    pub sel: [usize; 4],
    /// First row shown per tab, kept by the views (render state, like a TableState).
    pub offset: [Cell<usize>; 4],
    /// Rows the last frame could show per tab (for PgUp/PgDn).
    pub page: [Cell<usize>; 4],
    pub filter: Input,
    pub filter_editing: bool,
    /// History rows matching the filter, newest first (indices into `history.rows`).
    pub filtered: Option<Vec<u32>>,
    pub overlay: Overlay,
    pub masked: bool,
    pub message: Option<(String, Level)>,
    pub worker: WorkerMode,
    pub busy: bool,
    pub last_refresh: Option<DateTime<Utc>>,
    pub refresh_errors: HashMap<String, String>,
    /// Log problems already shown (a torn tail is met again on every read until cut).
    pub log_problems_said: std::collections::HashSet<String>,
    /// When this session's worker last read each number's balance (even if unchanged).
    pub checked: HashMap<String, DateTime<Utc>>,
    pub derived: Derived,
    /// Commands for the in-process worker, sent by the event loop.
    pub outbox: Vec<Command>,
    pub quit: bool,
    pub theme: Theme,
    pub mouse: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
}

impl App {
    /// Opens a home: its config (written as a starter if there is none) and its log.
    pub fn open(paths: Paths, clock: Clock, theme: Theme) -> Result<App> {
        let mut created = None;
        if !paths.config.exists() && !paths.log.exists() {
            let tz = iana_time_zone::get_timezone()
                .ok()
                .filter(|t| t.parse::<chrono_tz::Tz>().is_ok())
                .unwrap_or_else(|| "UTC".into());
            let c = Config::empty(Some(tz.clone()), tz.parse().unwrap_or(chrono_tz::Tz::UTC));
            crate::cli::context::write_new_pair(&paths, &config::render(&c), "")?;
            created = Some(tr!(T::TuiCreatedConfig, paths.config.display()));
        }
        let loaded = config::load(&paths)?;
        let now = clock.now();
        let mut app = App {
            history: History::new(State::new(loaded.config.timezone)),
            config: loaded.config,
            stamp: Some(loaded.stamp),
            config_problem: None,
            paths,
            clock,
            cursor: Cursor::default(),
            now,
            tab: Tab::Numbers,
            sel: [0; 4],
            offset: Default::default(),
            page: [Cell::new(10), Cell::new(10), Cell::new(10), Cell::new(10)],
            filter: Input::default(),
            filter_editing: false,
            filtered: None,
            overlay: Overlay::None,
            masked: true,
            message: created.map(|m| (m, Level::Info)),
            worker: WorkerMode::None,
            busy: false,
            last_refresh: None,
            refresh_errors: HashMap::new(),
            checked: HashMap::new(),
            log_problems_said: Default::default(),
            derived: Derived::default(),
            outbox: Vec::new(),
            quit: false,
            theme,
            mouse: false,
            dirty: true,
        };
        app.tail()?;
        app.recompute();
        Ok(app)
    }

    pub fn say(&mut self, text: impl Into<String>, level: Level) {
        self.message = Some((text.into(), level));
        self.dirty = true;
    }

    pub fn state(&self) -> &State {
        &self.history.state
    }

    /// Reads what was appended to the log since last time. Returns how many events. A
    /// problem in the log (a bad line, a torn tail) is said once.
    pub fn tail(&mut self) -> Result<usize> {
        let mut w = self.writer();
        let n = w.catch_up()?;
        let problems = std::mem::take(&mut w.problems);
        for p in problems {
            if self.log_problems_said.insert(p.clone()) {
                self.say(p, Level::Warn);
            }
        }
        if n > 0 {
            self.refilter();
            self.recompute();
        }
        Ok(n)
    }

    pub fn writer(&mut self) -> Writer<'_> {
        Writer::new(
            &self.paths,
            &self.config,
            &mut self.history,
            &mut self.cursor,
        )
    }

    /// Recomputes what the views show from state, config and the time; marks the screen
    /// dirty only if any of it changed.
    pub fn recompute(&mut self) {
        self.now = self.clock.now();
        let state = &self.history.state;
        let p = plan(state, &self.config, self.now);
        let f = forecast(state, &self.config, self.now, 366);
        let statuses = self
            .config
            .numbers
            .iter()
            .map(|n| number_status(state, &self.config, n, self.now, &p, &f))
            .collect();
        let mut rule_rows = Vec::new();
        for (i, n) in self.config.numbers.iter().enumerate() {
            rule_rows.push(RuleRow::Number(i));
            if n.rules.is_empty() {
                rule_rows.push(RuleRow::Empty(i));
            }
            rule_rows.extend((0..n.rules.len()).map(|r| RuleRow::Rule(i, r)));
        }
        let derived = Derived {
            plan: p,
            forecast: f,
            statuses,
            rule_rows,
        };
        if derived != self.derived {
            self.derived = derived;
            self.dirty = true;
        }
        self.clamp();
    }

    /// Keeps every selection on a row that exists.
    pub fn clamp(&mut self) {
        for tab in Tab::ALL {
            let n = self.rows(tab);
            let s = &mut self.sel[tab.index()];
            *s = (*s).min(n.saturating_sub(1));
        }
        if self.tab == Tab::Rules || !self.derived.rule_rows.is_empty() {
            let rows = &self.derived.rule_rows;
            let s = &mut self.sel[Tab::Rules.index()];
            if let Some(r) = rows.get(*s)
                && !r.selectable()
            {
                *s = (*s + 1).min(rows.len().saturating_sub(1));
            }
        }
    }

    /// How many rows `tab` has.
    pub fn rows(&self, tab: Tab) -> usize {
        match tab {
            Tab::Numbers => self.config.numbers.len(),
            Tab::Rules => self.derived.rule_rows.len(),
            Tab::History => self
                .filtered
                .as_ref()
                .map_or(self.history.rows.len(), Vec::len),
            Tab::Forecast => self.derived.forecast.items.len(),
        }
    }

    /// The history row at `i` of the History tab (newest first, filtered).
    pub fn history_row(&self, i: usize) -> Option<&Row> {
        match &self.filtered {
            Some(f) => f.get(i).and_then(|r| self.history.rows.get(*r as usize)),
            None => self
                .history
                .rows
                .len()
                .checked_sub(i + 1)
                .and_then(|r| self.history.rows.get(r)),
        }
    }

    pub fn selected_number(&self) -> Option<usize> {
        match self.tab {
            Tab::Numbers => Some(self.sel[0]).filter(|s| *s < self.config.numbers.len()),
            Tab::Rules => self.derived.rule_rows.get(self.sel[1]).map(|r| r.number()),
            Tab::History => {
                let row = self.history_row(self.sel[2])?;
                self.config
                    .numbers
                    .iter()
                    .position(|n| n.id == row_number(row))
            }
            Tab::Forecast => {
                let item = self.derived.forecast.items.get(self.sel[3])?;
                self.config.numbers.iter().position(|n| n.id == item.number)
            }
        }
    }

    /// Re-applies the History filter (after typing or new rows).
    pub fn refilter(&mut self) {
        let text = self.filter.value().trim().to_lowercase();
        if text.is_empty() {
            self.filtered = None;
            return;
        }
        let terms: Vec<&str> = text.split_whitespace().collect();
        let rows = &self.history.rows;
        let matches = (0..rows.len())
            .rev()
            .filter(|&i| {
                let hay = crate::tui::history::search_text(self, &rows[i]);
                terms.iter().all(|t| hay.contains(t))
            })
            .map(|i| i as u32)
            .collect();
        self.filtered = Some(matches);
        self.sel[Tab::History.index()] = 0;
        self.offset[Tab::History.index()].set(0);
    }

    /// Saves `new` as the config, unless someone else changed the file since we read it:
    /// then the file is reloaded and the error says so.
    pub fn save_config(&mut self, new: Config) -> Result<()> {
        match config::save(&self.paths, &new, self.stamp) {
            Ok(stamp) => {
                let tz_changed = new.timezone != self.config.timezone;
                self.config = new;
                self.stamp = Some(stamp);
                self.config_problem = None;
                if tz_changed {
                    self.rebuild()?;
                }
                self.recompute();
                self.outbox.push(Command::ConfigChanged);
                Ok(())
            }
            Err(e) => {
                if e.kind == ErrorKind::Conflict {
                    let _ = self.reload_config(true);
                }
                Err(e)
            }
        }
    }

    /// Reads the config again if it changed on disk (`force`: even if the stamp matches).
    /// Returns whether it changed.
    pub fn reload_config(&mut self, force: bool) -> Result<bool> {
        let bytes = match std::fs::read(&self.paths.config) {
            Ok(b) => b,
            Err(e) => return Err(crate::Error::io(T::WhatRead, &self.paths.config, &e)),
        };
        let stamp = Stamp::of(&bytes);
        if !force && self.stamp == Some(stamp) {
            return Ok(false);
        }
        match config::parse(&bytes) {
            Ok(c) => {
                let tz_changed = c.timezone != self.config.timezone;
                self.config = c;
                self.stamp = Some(stamp);
                self.config_problem = None;
                if tz_changed {
                    self.rebuild()?;
                }
                self.recompute();
                self.dirty = true;
                Ok(true)
            }
            Err(problems) => {
                let e = config::problems_error(&self.paths.config, &problems);
                if self.config_problem.as_deref() != Some(&e.message) {
                    self.config_problem = Some(e.message);
                    self.dirty = true;
                }
                Ok(false)
            }
        }
    }

    /// Replays the log from the start (the time zone changed).
    fn rebuild(&mut self) -> Result<()> {
        self.history = History::new(State::new(self.config.timezone));
        self.cursor = Cursor::default();
        self.tail()?;
        Ok(())
    }
}

pub fn row_number(row: &Row) -> &str {
    match row {
        Row::Recharge { number, .. }
        | Row::Manual { number, .. }
        | Row::Balance { number, .. }
        | Row::Activity { number, .. }
        | Row::Statement { number, .. }
        | Row::Message { number, .. } => number,
    }
}
