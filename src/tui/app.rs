//! The TUI's one state: the live home (a [`Session`]), each tab's own state, overlays and
//! what the worker says. Views read it; `update` changes it and returns effects for the
//! loop to run. Data derived from it (plan, forecast, statuses, the rows of each tab) is
//! recomputed only when the state, the config or the minute changes.

use std::cell::Cell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tui_input::Input;

use crate::clock::Clock;
use crate::engine::{Agenda, Forecast, NumberStatus, Row, State, agenda, forecast};
use crate::error::Result;
use crate::i18n::T;
use crate::session::{Reload, Session};
use crate::store::Paths;
use crate::tr;
use crate::tui::forms::OpenForm;
use crate::tui::theme::Theme;
pub use crate::tui::widgets::ListState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tab {
    Numbers,
    Rules,
    History,
    Forecast,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Numbers, Tab::Rules, Tab::History, Tab::Forecast];

    /// The tab's number, as its key and its title show it (1–4).
    pub fn number(self) -> usize {
        match self {
            Tab::Numbers => 1,
            Tab::Rules => 2,
            Tab::History => 3,
            Tab::Forecast => 4,
        }
    }

    /// The tab after this one (wrapping).
    pub fn next(self) -> Tab {
        match self {
            Tab::Numbers => Tab::Rules,
            Tab::Rules => Tab::History,
            Tab::History => Tab::Forecast,
            Tab::Forecast => Tab::Numbers,
        }
    }

    /// The tab before this one (wrapping).
    pub fn prev(self) -> Tab {
        match self {
            Tab::Numbers => Tab::Forecast,
            Tab::Rules => Tab::Numbers,
            Tab::History => Tab::Rules,
            Tab::Forecast => Tab::History,
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
    DeleteRule {
        number: String,
        rule: String,
    },
    /// Dismiss an open reminder (intent id, its description): it needs nothing more.
    DismissReminder {
        intent: String,
        text: String,
    },
}

#[derive(Clone, Debug)]
pub enum Overlay {
    None,
    /// The key list, scrolled down this many lines.
    Help(u16),
    Form(Box<OpenForm>),
    Confirm(Confirm),
    /// Did this in-doubt recharge go through? (intent id, its description; `external`: a
    /// missed recharge made elsewhere, which baohao never retries)
    Resolve {
        intent: String,
        text: String,
        external: bool,
    },
    /// What importing a file would do; y adds it, n or Esc leaves the log as it is.
    Import(Box<ImportPreview>),
    /// One history entry in full (title, lines); any key closes it.
    Details(String, Vec<String>),
}

/// A file read and checked for import (nothing written yet).
#[derive(Clone, Debug)]
pub struct ImportPreview {
    /// The path as the person typed it.
    pub name: String,
    /// Every event the file holds (those already in the log are skipped when adding).
    pub events: Vec<crate::model::Event>,
    pub added: usize,
    pub already: usize,
    pub unmatched: crate::import::Listed,
    pub skipped: crate::import::Listed,
    /// What would look charged twice once these rows are in (as `import --dry-run` says
    /// it), shown before the person adds them.
    pub duplicates: Vec<String>,
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

/// The History tab's own state: its list and its filter.
#[derive(Debug, Default)]
pub struct HistoryTab {
    pub list: ListState,
    pub filter: Input,
    pub editing: bool,
    /// Rows matching the filter, newest first (indices into the history's rows); while
    /// `pending`, those found so far.
    pub filtered: Option<Vec<u32>>,
    /// A filter still looking through older rows (see [`App::advance_filter`]).
    pub pending: Option<FilterJob>,
}

/// Where a filter over many rows has got to: it looks at a slice of rows per loop turn,
/// so a keypress never waits for a search of the whole history.
#[derive(Debug)]
pub struct FilterJob {
    terms: Vec<String>,
    /// Rows not yet looked at: the places in the time order below this one (the search
    /// goes newest first).
    next: usize,
}

/// Rows a new filter looks at before `refilter` returns: a short history is filtered at
/// once; a long one goes on in the loop, a slice per turn.
pub const FILTER_FIRST_ROWS: usize = 4096;

/// Each tab's own state.
#[derive(Debug, Default)]
pub struct Tabs {
    pub numbers: ListState,
    pub rules: ListState,
    pub history: HistoryTab,
    pub forecast: ListState,
}

impl Tabs {
    pub fn list(&self, tab: Tab) -> &ListState {
        match tab {
            Tab::Numbers => &self.numbers,
            Tab::Rules => &self.rules,
            Tab::History => &self.history.list,
            Tab::Forecast => &self.forecast,
        }
    }

    pub fn list_mut(&mut self, tab: Tab) -> &mut ListState {
        match tab {
            Tab::Numbers => &mut self.numbers,
            Tab::Rules => &mut self.rules,
            Tab::History => &mut self.history.list,
            Tab::Forecast => &mut self.forecast,
        }
    }
}

/// What the views show that is computed from state, config and the time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Derived {
    pub plan: Agenda,
    pub forecast: Forecast,
    pub statuses: Vec<NumberStatus>,
    pub rule_rows: Vec<RuleRow>,
    /// The Rules tab's looked-up cells, made when first drawn.
    pub rule_cells: crate::tui::rules::RuleCells,
}

pub struct App {
    /// The live home: config with its stamp (and the problem, when the file does not
    /// read: the last good one is shown), history, cursor.
    pub session: Session,
    pub clock: Clock,
    pub now: DateTime<Utc>,
    pub tab: Tab,
    pub tabs: Tabs,
    pub overlay: Overlay,
    pub masked: bool,
    pub message: Option<(String, Level)>,
    pub worker: WorkerMode,
    pub busy: bool,
    pub last_refresh: Option<DateTime<Utc>>,
    pub refresh_errors: HashMap<String, String>,
    /// Each modem number's modem as the worker last saw it (empty until it looked).
    pub modems: HashMap<String, crate::link::ModemSeen>,
    /// Each forwarder as the worker last looked at it (its file, or the hosted worker's
    /// report).
    pub forwarders: Vec<crate::forwarder::seen::Seen>,
    /// Log problems already shown (a torn tail is met again on every read until cut).
    pub log_problems_said: std::collections::HashSet<String>,
    /// When this session's worker last read each number's balance (even if unchanged).
    pub checked: HashMap<String, DateTime<Utc>>,
    pub derived: Derived,
    /// What `update` asked for, handed to the loop when it returns.
    pub effects: Vec<crate::tui::effect::Effect>,
    pub quit: bool,
    pub theme: Theme,
    pub mouse: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// The log is still being read (`App::open_reading`): how long it was when reading
    /// began, in bytes. Nothing acts on a half-read log: keys other than quitting wait,
    /// and the worker starts once it is whole.
    pub loading: Option<u64>,
    /// Push-channel tests sent from Settings: each answer comes back here (the loop takes
    /// the receiver and turns answers into `Msg::ChannelTested`).
    pub channel_tests: ChannelTests,
    /// The History rows, still being read behind the rest (see [`HistoryLoad`]): the state
    /// is whole, so every tab but the rows works meanwhile.
    pub history_loading: Option<HistoryLoad>,
    /// The rows' percentage last drawn (to redraw only when it moves).
    pub history_shown: Cell<Option<u64>>,
}

/// The log's rows, read on a thread of their own while the state (from the checkpoint and
/// the tail) is already shown: the History tab, the Numbers pane's last entries, the `/`
/// filter and export wait for them. Dropped, it tells the thread to stop.
#[derive(Debug)]
pub struct HistoryLoad {
    /// The log's length when reading began, in bytes.
    total: u64,
    /// How far the thread has read, in bytes.
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The reading thread, once started ([`App::start_history`]).
    job: Option<std::thread::JoinHandle<Result<Session>>>,
}

impl Drop for HistoryLoad {
    fn drop(&mut self) {
        self.cancel
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How long the rows thread reads between two looks at whether it should stop.
const ROWS_SLICE: std::time::Duration = std::time::Duration::from_millis(50);

/// The rows thread: reads `reader` to the log's end, saying how far in `read`; stops early
/// (its reader then only part read, and thrown away) once `cancel` is set.
fn read_rows(
    mut reader: Session,
    read: &std::sync::atomic::AtomicU64,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Session> {
    use std::sync::atomic::Ordering::Relaxed;
    lower_this_threads_priority();
    while !cancel.load(Relaxed) {
        let whole = reader.catch_up_for(ROWS_SLICE)?;
        read.store(reader.cursor.offset, Relaxed);
        if whole {
            break;
        }
    }
    Ok(reader)
}

/// The rows are behind everything else: keys, drawing and the worker go first on a busy
/// machine (on Linux a thread's nice value is its own).
fn lower_this_threads_priority() {
    // SAFETY: `gettid` and `setpriority` take plain integers and touch no memory of ours.
    unsafe {
        let tid = nix::libc::gettid();
        let _ = nix::libc::setpriority(nix::libc::PRIO_PROCESS, tid as nix::libc::id_t, 10);
    }
}

/// Where the answer to a channel test goes: the URL tried and the service's answer.
pub type TestAnswer = (String, std::result::Result<(), String>);

#[derive(Debug)]
pub struct ChannelTests {
    pub tx: tokio::sync::mpsc::UnboundedSender<TestAnswer>,
    pub rx: Option<tokio::sync::mpsc::UnboundedReceiver<TestAnswer>>,
}

impl Default for ChannelTests {
    fn default() -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        ChannelTests { tx, rx: Some(rx) }
    }
}

impl App {
    /// Opens a home: its config (written as a starter if there is none) and its log, read
    /// whole.
    pub fn open(paths: Paths, clock: Clock, theme: Theme) -> Result<App> {
        let mut app = App::open_reading(paths, clock, theme)?;
        app.advance_loading(std::time::Duration::MAX)?;
        app.wait_history()?;
        Ok(app)
    }

    /// [`App::open`] that reads no log yet: the first frame says the log is being read,
    /// and the loop reads it in slices ([`App::advance_loading`]), so a long log shows a
    /// frame at once and `q` works while it is read. What is read so is the state only,
    /// from the checkpoint when it holds; the rows are read behind it
    /// ([`App::start_history`]), so a long log with a checkpoint is shown at once.
    pub fn open_reading(paths: Paths, clock: Clock, theme: Theme) -> Result<App> {
        let created = crate::home::write_starter_if_new(&paths, clock.now())?
            .then(|| tr!(T::TuiCreatedConfig, paths.config.display()));
        let total = std::fs::metadata(&paths.log).map_or(0, |m| m.len());
        let session = Session::open_unread_from_checkpoint(paths)?;
        let mut app = App::new(session, clock, theme);
        app.loading = Some(total);
        app.history_loading = Some(HistoryLoad {
            total,
            read: Default::default(),
            cancel: Default::default(),
            job: None,
        });
        if let Some(m) = created {
            app.say(m, Level::Info);
        }
        Ok(app)
    }

    /// Reads the log for about `budget` while it is being read. Once it is whole, checks
    /// it against the config (an error ends the TUI, as it ends `App::open`), says its
    /// problems and shows it. Returns whether the log is whole.
    pub fn advance_loading(&mut self, budget: std::time::Duration) -> Result<bool> {
        let Some(total) = self.loading else {
            return Ok(true);
        };
        let before = self.loading_percent(total);
        if !self.session.catch_up_for(budget)? {
            self.dirty |= self.loading_percent(total) != before;
            return Ok(false);
        }
        self.session.check_history()?;
        self.loading = None;
        self.recompute();
        self.say_log_problems();
        self.dirty = true;
        Ok(true)
    }

    /// Starts reading the rows behind the rest, if they are still to be read and not
    /// being read yet.
    pub fn start_history(&mut self) -> Result<()> {
        let Some(load) = self.history_loading.as_mut() else {
            return Ok(());
        };
        if load.job.is_some() {
            return Ok(());
        }
        let (read, cancel) = (load.read.clone(), load.cancel.clone());
        let (here_read, here_cancel) = (read.clone(), cancel.clone());
        let reader = self.session.rows_reader();
        let spawned = std::thread::Builder::new()
            .name("history-rows".into())
            .spawn(move || read_rows(reader, &read, &cancel));
        match spawned {
            Ok(j) => {
                if let Some(load) = self.history_loading.as_mut() {
                    load.job = Some(j);
                }
                Ok(())
            }
            // No thread to be had: they are read here, now.
            Err(_) => {
                let reader = read_rows(self.session.rows_reader(), &here_read, &here_cancel)?;
                self.adopt_history(reader)
            }
        }
    }

    /// How far the rows are read, in percent, while they are being read.
    pub fn history_percent(&self) -> Option<u64> {
        let load = self.history_loading.as_ref()?;
        let read = load.read.load(std::sync::atomic::Ordering::Relaxed);
        Some(
            (read.min(load.total) * 100)
                .checked_div(load.total)
                .unwrap_or(100)
                .min(99),
        )
    }

    /// Takes the rows in if the thread has read them (and reads on from where it
    /// stopped); else marks the screen dirty when the percentage moved. An error reading
    /// them ends the TUI, as one reading the log at the start does.
    pub fn advance_history(&mut self) -> Result<()> {
        let Some(load) = self.history_loading.as_mut() else {
            return Ok(());
        };
        if load.job.as_ref().is_some_and(|j| j.is_finished()) {
            return self.take_history();
        }
        // The percentage on screen (History, the Numbers pane) is redrawn when it moves.
        if matches!(self.tab, Tab::History | Tab::Numbers) {
            self.dirty |= self.history_percent() != self.history_shown.get();
        }
        Ok(())
    }

    /// Waits for the rows (starting their thread if needed) and takes them in.
    pub fn wait_history(&mut self) -> Result<()> {
        if self.history_loading.is_none() {
            return Ok(());
        }
        self.start_history()?;
        self.take_history()
    }

    /// Joins the rows thread and takes its rows in place of the state-only history.
    fn take_history(&mut self) -> Result<()> {
        let Some(job) = self.history_loading.as_mut().and_then(|l| l.job.take()) else {
            return Ok(());
        };
        let reader = match job.join() {
            Ok(r) => r?,
            Err(p) => std::panic::resume_unwind(p),
        };
        self.adopt_history(reader)
    }

    fn adopt_history(&mut self, reader: Session) -> Result<()> {
        if self.session.adopt_rows(reader)?.is_none() {
            // The time zone changed while they were read: they are read again.
            return self.start_history();
        }
        self.history_loading = None;
        self.say_log_problems();
        self.after_log_change();
        self.dirty = true;
        Ok(())
    }

    /// How much of the log is read, in percent of its length when reading began.
    pub fn loading_percent(&self, total: u64) -> u64 {
        (self.session.cursor.offset.min(total) * 100)
            .checked_div(total)
            .unwrap_or(100)
    }

    /// An app over a session already read (tests build one from memory, without a home).
    pub fn new(session: Session, clock: Clock, theme: Theme) -> App {
        let now = clock.now();
        let mut app = App {
            session,
            clock,
            now,
            tab: Tab::Numbers,
            tabs: Tabs::default(),
            overlay: Overlay::None,
            masked: true,
            message: None,
            worker: WorkerMode::None,
            busy: false,
            last_refresh: None,
            refresh_errors: HashMap::new(),
            modems: HashMap::new(),
            forwarders: Vec::new(),
            checked: HashMap::new(),
            log_problems_said: Default::default(),
            derived: Derived::default(),
            effects: Vec::new(),
            quit: false,
            theme,
            mouse: false,
            dirty: true,
            loading: None,
            channel_tests: ChannelTests::default(),
            history_loading: None,
            history_shown: Cell::new(None),
        };
        app.load_forwarders();
        app.recompute();
        app
    }

    /// Reads what the worker (this session's or a daemon) last saw of the forwarders.
    pub fn load_forwarders(&mut self) {
        if !self.session.config.forwarders.is_empty() {
            self.forwarders = crate::forwarder::seen::load(&self.session.paths);
        }
    }

    pub fn say(&mut self, text: impl Into<String>, level: Level) {
        self.message = Some((text.into(), level));
        self.dirty = true;
    }

    /// Today in the config's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::engine::calendar::local_date(self.session.config.timezone, self.now)
    }

    pub fn state(&self) -> &State {
        self.session.state()
    }

    /// Reads what was appended to the log since last time. Returns how many events. A
    /// problem in the log (a bad line, a torn tail) is said once.
    pub fn tail(&mut self) -> Result<usize> {
        let n = self.session.catch_up();
        self.say_log_problems();
        let n = n?;
        if n > 0 {
            self.after_log_change();
        }
        Ok(n)
    }

    /// After the log changed: the filter and the derived views see the new entries.
    pub fn after_log_change(&mut self) {
        self.refilter();
        self.recompute();
    }

    /// Says each log problem met (once each).
    pub fn say_log_problems(&mut self) {
        for p in self.session.take_problems() {
            if self.log_problems_said.insert(p.clone()) {
                self.say(p, Level::Warn);
            }
        }
    }

    /// Recomputes what the views show from state, config and the time; marks the screen
    /// dirty only if any of it changed.
    pub fn recompute(&mut self) {
        self.now = self.clock.now();
        let config = &self.session.config;
        let state = self.session.state();
        let p = agenda(state, config, self.now);
        let f = forecast(state, config, self.now, 366);
        let mut statuses = crate::engine::number_statuses(state, config, self.now, &p, &f);
        crate::forwarder::seen::mark(&mut statuses, config, state, &self.forwarders, self.now);
        let mut rule_rows = Vec::new();
        for (i, n) in config.numbers.iter().enumerate() {
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
            rule_cells: Default::default(),
        };
        if let Overlay::Form(of) = &mut self.overlay
            && super::forms::refresh_settings_rows(
                of,
                &self.session.config,
                self.session.state(),
                &self.forwarders,
                self.now,
            )
        {
            self.dirty = true;
        }
        if derived != self.derived {
            self.derived = derived;
            self.dirty = true;
        } else {
            // The same views, but what a rule says (its description, whether it is on)
            // may have changed with the config: its cells are made again when drawn.
            self.derived.rule_cells = Default::default();
        }
        self.clamp();
    }

    /// Keeps every selection on a row that exists.
    pub fn clamp(&mut self) {
        for tab in Tab::ALL {
            let n = self.rows(tab);
            let s = &mut self.tabs.list_mut(tab).sel;
            *s = (*s).min(n.saturating_sub(1));
        }
        if self.tab == Tab::Rules || !self.derived.rule_rows.is_empty() {
            let rows = &self.derived.rule_rows;
            let s = &mut self.tabs.rules.sel;
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
            Tab::Numbers => self.session.config.numbers.len(),
            Tab::Rules => self.derived.rule_rows.len(),
            Tab::History => self
                .tabs
                .history
                .filtered
                .as_ref()
                .map_or(self.session.history.rows_by_time(), Vec::len),
            Tab::Forecast => self.derived.forecast.items.len(),
        }
    }

    /// The history row at `i` of the History tab (newest first by the entries' own time,
    /// filtered).
    pub fn history_row(&self, i: usize) -> Option<Row> {
        self.history_row_index(i)
            .and_then(|r| self.session.history.row(r))
    }

    /// The index in the log's rows of the History tab's row `i`.
    fn history_row_index(&self, i: usize) -> Option<usize> {
        match &self.tabs.history.filtered {
            Some(f) => f.get(i).map(|r| *r as usize),
            None => self.session.history.row_newest(i),
        }
    }

    pub fn selected_number(&self) -> Option<usize> {
        let numbers = &self.session.config.numbers;
        match self.tab {
            Tab::Numbers => Some(self.tabs.numbers.sel).filter(|s| *s < numbers.len()),
            Tab::Rules => self
                .derived
                .rule_rows
                .get(self.tabs.rules.sel)
                .map(|r| r.number()),
            Tab::History => {
                let row = self.history_row_index(self.tabs.history.list.sel)?;
                let (number, _) = self.session.history.rows().number_of(row)?;
                numbers.iter().position(|n| n.id == number)
            }
            Tab::Forecast => {
                let item = self.derived.forecast.items.get(self.tabs.forecast.sel)?;
                numbers.iter().position(|n| n.id == item.number)
            }
        }
    }

    /// Re-applies the History filter (after typing or new rows): looks at the newest
    /// [`FILTER_FIRST_ROWS`] rows now; the loop goes on with the rest
    /// ([`App::advance_filter`]).
    pub fn refilter(&mut self) {
        self.start_filter();
        self.advance_filter(FILTER_FIRST_ROWS);
    }

    /// Starts the History filter over from the newest row, without looking at any yet.
    pub fn start_filter(&mut self) {
        let h = &mut self.tabs.history;
        let text = h.filter.value().trim().to_lowercase();
        h.list.sel = 0;
        h.list.offset.set(0);
        if text.is_empty() {
            h.filtered = None;
            h.pending = None;
            return;
        }
        h.filtered = Some(Vec::new());
        h.pending = Some(FilterJob {
            terms: filter_terms(&text),
            next: self.session.history.rows_by_time(),
        });
    }

    /// Whether the filter still has older rows to look at.
    pub fn filter_pending(&self) -> bool {
        self.tabs.history.pending.is_some()
    }

    /// Looks at up to `rows` more rows for the filter (newest first); matches are added
    /// below those found so far.
    pub fn advance_filter(&mut self, rows: usize) {
        let h = &mut self.tabs.history;
        let Some(job) = h.pending.as_mut() else {
            return;
        };
        let history = &self.session.history;
        let config = &self.session.config;
        let found = h.filtered.get_or_insert_with(Vec::new);
        let stop = job.next.saturating_sub(rows);
        for place in (stop..job.next).rev() {
            let Some(i) = history.row_by_time(place) else {
                continue;
            };
            let Some(e) = history
                .row(i)
                .and_then(|r| history.entry(&r, config, self.now))
            else {
                continue;
            };
            if filter_keeps(&job.terms, &e, config) {
                found.push(i as u32);
            }
        }
        job.next = stop;
        if stop == 0 {
            h.pending = None;
        }
        self.dirty = true;
    }

    /// Finishes the filter now (before something that needs every match, like an export).
    pub fn finish_filter(&mut self) {
        self.advance_filter(usize::MAX);
    }

    /// Applies what re-reading the config found; says what a person must know.
    pub fn reloaded(&mut self, r: Reload) {
        match r {
            Reload::Unchanged => {}
            Reload::Changed { fixed, .. } => {
                self.after_log_change();
                self.dirty = true;
                if fixed {
                    self.say(tr!(T::TuiConfigFixed), Level::Info);
                }
            }
            Reload::Broken { new, .. } => {
                if new {
                    self.dirty = true;
                }
            }
        }
        self.say_log_problems();
    }
}

/// The words of the History filter's text: an entry is kept when it has every one.
pub fn filter_terms(text: &str) -> Vec<String> {
    text.trim()
        .to_lowercase()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Whether the History filter of `terms` keeps `e`: every term is in its words or its
/// number's label.
pub fn filter_keeps(
    terms: &[String],
    e: &crate::engine::Entry,
    config: &crate::model::Config,
) -> bool {
    let label = config.number(&e.number).map_or("", |n| n.label.as_str());
    let hay = crate::text::labels::search_text(e, label);
    terms.iter().all(|t| hay.contains(t.as_str()))
}
