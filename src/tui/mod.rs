//! The TUI: `run` sets up the terminal and the loop. The loop waits for anything (a key, a
//! worker report, the log growing, the config changing), drains everything else that is
//! pending, updates the one `App`, runs the effects `update` returned, and draws once —
//! only if something changed — inside the terminal's synchronized-update codes, in a single
//! write. Nothing is drawn while idle.
//!
//! The TUI never outlives its terminal: end of input, a read error, a terminal that no
//! longer answers (checked every 250 ms), SIGHUP and SIGTERM all end it at once. Keys still
//! queued are dropped, nothing more is saved, the worker is stopped with a short grace
//! (an in-flight recharge is recorded as the daemon records it on SIGTERM), the worker
//! lock is released, and the process exits.

pub mod app;
pub mod bindings;
pub(crate) mod dialogs;
pub mod effect;
mod forecast;
pub mod form;
pub mod forms;
pub mod history;
mod numbers;
pub mod operation;
mod rules;
pub mod theme;
pub mod update;
pub mod view;
mod widgets;

use std::io::{self, Write};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event};
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute, queue};
use tokio::signal::unix::{SignalKind, signal};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::home::Home;
use crate::i18n::T;
use crate::link::{LOST_TERMINAL_GRACE, Link, Report, Spawn, runtime};
use crate::store::lock::{Holder, WorkerLock};
use crate::tr;
use crate::tui::app::{App, WorkerMode};
use crate::tui::update::{Msg, update};

/// The end of a synchronized update (DEC mode 2026).
const END_SYNC: &[u8] = b"\x1b[?2026l";

/// A writer that holds a frame until it is complete: ratatui flushes after drawing, but the
/// bytes leave — in one `write` — only once the end-of-synchronized-update code is queued.
pub struct FrameWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> FrameWriter<W> {
    pub fn new(inner: W) -> Self {
        FrameWriter {
            inner,
            buf: Vec::with_capacity(64 * 1024),
        }
    }
}

impl<W: Write> Write for FrameWriter<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.ends_with(END_SYNC) {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
            self.inner.flush()?;
        }
        Ok(())
    }
}

pub type Term<W> = Terminal<CrosstermBackend<FrameWriter<W>>>;

/// Draws one frame of `app` on `term`, wrapped in synchronized-update codes, one write.
pub fn draw<W: Write>(term: &mut Term<W>, app: &App) -> io::Result<()> {
    queue!(term.backend_mut(), BeginSynchronizedUpdate)?;
    term.draw(|f| view::view(app, f))?;
    queue!(term.backend_mut(), EndSynchronizedUpdate)?;
    Write::flush(term.backend_mut())
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
}

/// Restores the terminal before color-eyre prints a panic report.
fn install_panic_hook() {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    let _ = eyre_hook.install();
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        panic_hook(info);
    }));
}

/// Why the loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The person quit.
    Quit,
    /// The terminal went away (end of input, an error, a hang-up) or SIGTERM came.
    Lost,
}

/// Terminal events, read on a thread of their own. crossterm's reader can spin forever,
/// holding its lock, once the terminal is gone (crossterm #793); on its own thread that
/// cannot stall the loop, which notices the loss by itself and leaves.
fn read_terminal() -> tokio::sync::mpsc::UnboundedReceiver<io::Result<Event>> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || {
            loop {
                let ev = ratatui::crossterm::event::read();
                let failed = ev.is_err();
                if tx.send(ev).is_err() || failed {
                    break;
                }
            }
        });
    // Without the thread, `rx` is closed at once and the loop ends as on a lost terminal.
    drop(spawned);
    rx
}

/// Whether the terminal on standard input still answers. A hung-up terminal (its SSH
/// connection dropped, its pty master closed) fails every ioctl with EIO.
fn terminal_alive() -> bool {
    let mut ws = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own.
    let r = unsafe { nix::libc::ioctl(0, nix::libc::TIOCGWINSZ, &mut ws) };
    r == 0
}

/// Runs the TUI on `home`; `spawn` starts a worker when this session may run one.
pub fn run(home: Home, mouse: bool, spawn: Spawn) -> Result<()> {
    use std::io::IsTerminal;
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        return Err(Error::terminal(tr!(T::TuiNeedsTerminal)));
    }
    one_malloc_arena();
    let clock = Clock::from_env()?;
    let mut app = App::open_reading(home.paths.clone(), clock, theme::Theme::from_env())?;
    app.mouse = mouse;
    if home.demo {
        app.say(tr!(T::TuiDemo), app::Level::Info);
    }
    let rt = runtime()?;
    let result = rt.block_on(run_loop(app, mouse, spawn));
    match result {
        Ok(End::Lost) => {
            // Nothing is left to say to a terminal that is gone, and crossterm's reader
            // thread may be spinning on it (crossterm #793): leave now, cleanly.
            drop(home);
            rt.shutdown_timeout(Duration::from_millis(200));
            std::process::exit(0);
        }
        Ok(End::Quit) => {
            drop(home);
            Ok(())
        }
        Err(e) => {
            drop(home);
            Err(e)
        }
    }
}

/// One malloc arena for the whole process, set before any thread starts. The History
/// rows are read on a thread of their own while the view's state and the worker's are
/// held; in an arena of its own that thread's freed parse buffers stayed mapped beside
/// them, about 13 MiB more at the peak (208–210 against 194–197 MiB on 1M events), for
/// An explicit `MALLOC_ARENA_MAX` is left to glibc.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: `mallopt` takes two integers; called before this process starts threads.
        unsafe {
            let _ = nix::libc::mallopt(nix::libc::M_ARENA_MAX, 1);
        }
    }
}

fn start_worker(app: &mut App, spawn: Spawn) -> Result<Option<Link>> {
    match WorkerLock::try_acquire(&app.session.paths.worker_lock)? {
        Ok(lock) => {
            app.worker = WorkerMode::Session;
            Ok(Some(spawn(
                app.session.paths.clone(),
                app.clock.clone(),
                lock,
            )))
        }
        Err(Holder::Other(pid)) => {
            app.worker = WorkerMode::Other(pid);
            Ok(None)
        }
        Err(Holder::Free) => {
            app.worker = WorkerMode::None;
            Ok(None)
        }
    }
}

async fn next_report(link: &mut Option<Link>) -> Option<Report> {
    match link {
        Some(l) => l.reports.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_test(
    rx: &mut Option<tokio::sync::mpsc::UnboundedReceiver<crate::tui::app::TestAnswer>>,
) -> Option<crate::tui::app::TestAnswer> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

fn to_msg(ev: Event, mouse: bool) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Resize(..) => Some(Msg::Resize),
        Event::Mouse(m) if mouse => Some(Msg::Mouse(m)),
        _ => None,
    }
}

/// The log's length and the config's (length, mtime), to notice changes by others cheaply.
fn file_marks(app: &App) -> (u64, Option<(u64, std::time::SystemTime)>) {
    let paths = &app.session.paths;
    let log = std::fs::metadata(&paths.log).map(|m| m.len()).unwrap_or(0);
    let cfg = std::fs::metadata(&paths.config)
        .ok()
        .and_then(|m| Some((m.len(), m.modified().ok()?)));
    (log, cfg)
}

/// How often the TUI looks at the terminal, the log's length and the config's stamp.
const POLL: Duration = Duration::from_millis(25);
/// Every 5 s of polls: whether the other worker went away.
const TAKE_OVER_POLLS: u32 = 200;

async fn run_loop(mut app: App, mouse: bool, spawn: Spawn) -> Result<End> {
    // A worker plans on the whole log: it starts once the log is read (`read_log`).
    let mut link = None;
    install_panic_hook();
    enable_raw_mode()
        .map_err(|e| Error::terminal(tr!(T::TuiNoTerminal, crate::error::io_reason(&e))))?;
    let mut stdout = io::stdout();
    let _ = execute!(stdout, EnterAlternateScreen, cursor::Hide);
    if mouse {
        let _ = execute!(stdout, EnableMouseCapture);
    }
    let mut term = match Terminal::new(CrosstermBackend::new(FrameWriter::new(io::stdout()))) {
        Ok(t) => t,
        Err(e) => {
            restore_terminal();
            return Err(Error::terminal(tr!(
                T::TuiNoTerminal,
                crate::error::io_reason(&e)
            )));
        }
    };
    let result = event_loop(&mut app, &mut term, &mut link, spawn, mouse).await;
    let lost = matches!(result, Ok(End::Lost));
    if !lost {
        restore_terminal();
    }
    if let Some(l) = link {
        if lost {
            l.stop_within(LOST_TERMINAL_GRACE).await;
        } else {
            if app.busy {
                eprintln!("baohao: {}", tr!(T::TuiFinishing));
            }
            l.stop().await;
        }
    }
    result
}

async fn event_loop<W: Write>(
    app: &mut App,
    term: &mut Term<W>,
    link: &mut Option<Link>,
    spawn: Spawn,
    mouse: bool,
) -> Result<End> {
    let mut events = read_terminal();
    let sig = |k: SignalKind| {
        signal(k).map_err(|e| Error::runtime(tr!(T::NoRuntime, crate::error::io_reason(&e))))
    };
    let mut hup = sig(SignalKind::hangup())?;
    let mut term_sig = sig(SignalKind::terminate())?;
    // What others write to the log (a daemon's inbox, above all) shows within a poll: a
    // text a forwarder posts is on screen in tens of milliseconds (a `stat` of
    // two files and a `TIOCGWINSZ` each time, nothing read unless the log grew).
    let mut poll = tokio::time::interval(POLL);
    // A turn that took long (a big log read) is followed by one poll, not a burst of them.
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut minute = tokio::time::interval(Duration::from_secs(60));
    poll.tick().await;
    minute.tick().await;
    let mut marks = file_marks(app);
    let mut tested = app.channel_tests.rx.take();
    let mut polls = 0u32;
    // A log read within the first frame's budget shows whole at once (no flash of the
    // reading frame); a longer one shows how far it is, and goes on in slices.
    read_log(app, link, spawn, first_frame_budget())?;
    if draw(term, app).is_err() {
        return Ok(End::Lost);
    }
    // The rows are read behind everything else, once the first frame is out (the state
    // alone is what it waits for).
    app.start_history()?;
    app.dirty = false;
    // A test hook: proves that a panic restores the terminal before its report.
    if std::env::var_os("BAOHAO_TEST_PANIC").is_some() {
        panic!("BAOHAO_TEST_PANIC asked for a panic after the first frame");
    }
    loop {
        let mut msgs = Vec::new();
        tokio::select! {
            // Keys first; a filter still looking through rows goes on when nothing waits.
            biased;
            ev = events.recv() => match ev {
                Some(Ok(e)) => msgs.extend(to_msg(e, mouse)),
                Some(Err(_)) | None => return Ok(End::Lost),
            },
            r = next_report(link) => match r {
                Some(r) => msgs.push(Msg::Worker(r)),
                None => {
                    if let Some(l) = link.take() {
                        l.stop().await;
                    }
                }
            },
            _ = poll.tick() => {
                if !terminal_alive() {
                    return Ok(End::Lost);
                }
                if app.loading.is_some() {
                    // Read with the rest of the log; a changed config is noticed after.
                    continue;
                }
                polls += 1;
                msgs.extend(polled(app, link, spawn, &mut marks, polls));
            },
            _ = minute.tick() => msgs.push(Msg::Minute),
            Some(answer) = next_test(&mut tested) => msgs.push(Msg::ChannelTested(answer)),
            _ = hup.recv() => return Ok(End::Lost),
            _ = term_sig.recv() => return Ok(End::Lost),
            _ = std::future::ready(()), if app.filter_pending() || app.loading.is_some() => {}
        }
        // Drain whatever else is already waiting, so a burst costs one frame.
        if !drain(&mut events, link, mouse, &mut msgs) {
            return Ok(End::Lost);
        }
        if let Some(end) = handle(app, link, msgs) {
            return Ok(end);
        }
        // A slice of the log per turn while it is being read; the worker starts once it
        // is whole.
        if app.loading.is_some() {
            read_log(app, link, spawn, load_slice())?;
        }
        // The rows taken in once their thread has read them (the poll wakes the loop).
        app.advance_history()?;
        // A slice of the filter's search per turn, so no key waits for all of it.
        let slice = std::time::Instant::now();
        while app.filter_pending() && slice.elapsed() < FILTER_SLICE {
            app.advance_filter(FILTER_STEP_ROWS);
        }
        if app.dirty {
            if draw(term, app).is_err() {
                return Ok(End::Lost);
            }
            app.dirty = false;
        }
    }
}

/// What a poll finds: the log grown by another process, the config touched. Every few
/// seconds, if the other worker went away, this session takes over.
fn polled(
    app: &mut App,
    link: &mut Option<Link>,
    spawn: Spawn,
    marks: &mut (u64, Option<(u64, std::time::SystemTime)>),
    polls: u32,
) -> Vec<Msg> {
    let mut msgs = Vec::new();
    let now = file_marks(app);
    if now.0 != app.session.cursor.offset && now.0 != marks.0 {
        msgs.push(Msg::LogGrew);
    }
    if now.1 != marks.1 {
        msgs.push(Msg::ConfigTouched);
    }
    *marks = now;
    if polls.is_multiple_of(TAKE_OVER_POLLS)
        && matches!(app.worker, WorkerMode::Other(_) | WorkerMode::None)
        && link.is_none()
    {
        if let Ok(Some(l)) = start_worker(app, spawn) {
            *link = Some(l);
        }
        app.dirty = true;
    }
    msgs
}

/// Adds every key and report already waiting to `msgs`; false when the terminal went away
/// (with keys queued: none of them is acted on).
fn drain(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<io::Result<Event>>,
    link: &mut Option<Link>,
    mouse: bool,
    msgs: &mut Vec<Msg>,
) -> bool {
    loop {
        match events.try_recv() {
            Ok(Ok(e)) => msgs.extend(to_msg(e, mouse)),
            Ok(Err(_)) | Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                return false;
            }
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
        }
    }
    if let Some(l) = link.as_mut() {
        while let Ok(rep) = l.reports.try_recv() {
            msgs.push(Msg::Worker(rep));
        }
    }
    true
}

/// Acts on each message in turn, sending the worker what it asks; how the loop ends, if
/// one of them ends it. A key is acted on only while its terminal is still there.
fn handle(app: &mut App, link: &Option<Link>, msgs: Vec<Msg>) -> Option<End> {
    for m in msgs {
        if matches!(m, Msg::Key(_)) && !terminal_alive() {
            return Some(End::Lost);
        }
        let effects = update(app, m);
        let requests = effect::run_all(app, effects);
        if let Some(l) = link.as_ref() {
            for r in requests {
                let _ = l.requests.send(r);
            }
        }
        if app.quit {
            return Some(End::Quit);
        }
    }
    None
}

/// Reads the log for about `budget`; once it is whole, starts this session's worker.
fn read_log(app: &mut App, link: &mut Option<Link>, spawn: Spawn, budget: Duration) -> Result<()> {
    if app.advance_loading(budget)? && link.is_none() {
        *link = start_worker(app, spawn)?;
    }
    Ok(())
}

/// How long one loop turn reads the log while it is being read (keys wait at most this).
/// Tests set `BAOHAO_TEST_LOAD_SLICE_MS=0` (each turn then reads `STOP_EVERY` lines) to
/// see the reading frame on a short log.
fn load_slice() -> Duration {
    test_millis("BAOHAO_TEST_LOAD_SLICE_MS").unwrap_or(Duration::from_millis(30))
}

/// How long the log may take before the first frame is drawn anyway.
fn first_frame_budget() -> Duration {
    test_millis("BAOHAO_TEST_LOAD_SLICE_MS").unwrap_or(Duration::from_millis(250))
}

fn test_millis(var: &str) -> Option<Duration> {
    std::env::var(var)
        .ok()?
        .parse()
        .ok()
        .map(Duration::from_millis)
}

/// How long one loop turn may search for the History filter, and in steps of how many
/// rows it checks the time.
const FILTER_SLICE: Duration = Duration::from_millis(20);
const FILTER_STEP_ROWS: usize = 512;

/// A `Terminal` over any writer, for tests and benchmarks (bytes can be counted).
pub fn terminal_on<W: Write>(w: W, width: u16, height: u16) -> io::Result<Term<W>> {
    let backend = CrosstermBackend::new(FrameWriter::new(w));
    Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, width, height)),
        },
    )
}
