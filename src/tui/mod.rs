//! The TUI: `run` sets up the terminal and the loop. The loop waits for anything (a key, a
//! worker report, the log growing, the config changing), drains everything else that is
//! pending, updates the one `App`, and draws once — only if something changed — inside the
//! terminal's synchronized-update codes, in a single write. Nothing is drawn while idle.

pub mod app;
mod dialogs;
mod forecast;
pub mod form;
pub mod forms;
pub mod history;
pub mod keys;
mod numbers;
mod rules;
pub mod theme;
pub mod update;
pub mod view;
mod widgets;

use std::io::{self, Write};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute, queue};
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::context::Home;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::store::lock::{Holder, WorkerLock};
use crate::tr;
use crate::tui::app::{App, WorkerMode};
use crate::tui::update::{Msg, update};
use crate::worker::{self, Handle, Report};

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

pub fn run(home: Home, mouse: bool) -> Result<()> {
    use std::io::IsTerminal;
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        return Err(Error::input(tr!(T::TuiNeedsTerminal)));
    }
    let clock = Clock::from_env()?;
    let mut app = App::open(home.paths.clone(), clock, theme::Theme::from_env())?;
    app.mouse = mouse;
    if home.demo {
        app.say(tr!(T::TuiDemo), app::Level::Info);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::input(tr!(T::NoRuntime, crate::error::io_reason(&e))))?;
    let result = rt.block_on(run_loop(app, mouse));
    drop(home);
    result
}

fn start_worker(
    app: &mut App,
) -> Result<Option<(Handle, tokio::sync::mpsc::UnboundedReceiver<Report>)>> {
    match WorkerLock::try_acquire(&app.paths.worker_lock)? {
        Ok(lock) => {
            app.worker = WorkerMode::Session;
            Ok(Some(worker::spawn(
                app.paths.clone(),
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

async fn next_report(
    rx: &mut Option<tokio::sync::mpsc::UnboundedReceiver<Report>>,
) -> Option<Report> {
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
    let log = std::fs::metadata(&app.paths.log)
        .map(|m| m.len())
        .unwrap_or(0);
    let cfg = std::fs::metadata(&app.paths.config)
        .ok()
        .and_then(|m| Some((m.len(), m.modified().ok()?)));
    (log, cfg)
}

async fn run_loop(mut app: App, mouse: bool) -> Result<()> {
    let mut worker = start_worker(&mut app)?;
    let (mut handle, mut reports) = match worker.take() {
        Some((h, r)) => (Some(h), Some(r)),
        None => (None, None),
    };
    install_panic_hook();
    enable_raw_mode()
        .map_err(|e| Error::input(tr!(T::TuiNoTerminal, crate::error::io_reason(&e))))?;
    let mut stdout = io::stdout();
    let _ = execute!(stdout, EnterAlternateScreen, cursor::Hide);
    if mouse {
        let _ = execute!(stdout, EnableMouseCapture);
    }
    let mut term = match Terminal::new(CrosstermBackend::new(FrameWriter::new(io::stdout()))) {
        Ok(t) => t,
        Err(e) => {
            restore_terminal();
            return Err(Error::input(tr!(
                T::TuiNoTerminal,
                crate::error::io_reason(&e)
            )));
        }
    };
    let result = event_loop(&mut app, &mut term, &mut handle, &mut reports, mouse).await;
    restore_terminal();
    if let Some(h) = handle {
        if app.busy {
            eprintln!("baohao: {}", tr!(T::TuiFinishing));
        }
        h.stop().await;
    }
    result
}

async fn event_loop<W: Write>(
    app: &mut App,
    term: &mut Term<W>,
    handle: &mut Option<Handle>,
    reports: &mut Option<tokio::sync::mpsc::UnboundedReceiver<Report>>,
    mouse: bool,
) -> Result<()> {
    let io_err = |e: io::Error| Error::input(tr!(T::TuiNoTerminal, crate::error::io_reason(&e)));
    let mut events = EventStream::new();
    let mut hup = signal(SignalKind::hangup()).map_err(|e| Error::input(tr!(T::NoRuntime, e)))?;
    let mut term_sig =
        signal(SignalKind::terminate()).map_err(|e| Error::input(tr!(T::NoRuntime, e)))?;
    let mut poll = tokio::time::interval(Duration::from_millis(250));
    let mut minute = tokio::time::interval(Duration::from_secs(60));
    poll.tick().await;
    minute.tick().await;
    let mut marks = file_marks(app);
    let mut polls = 0u32;
    draw(term, app).map_err(io_err)?;
    app.dirty = false;
    // A test hook: proves that a panic restores the terminal before its report.
    if std::env::var_os("BAOHAO_TEST_PANIC").is_some() {
        panic!("BAOHAO_TEST_PANIC asked for a panic after the first frame");
    }
    loop {
        let mut msgs = Vec::new();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(e)) => msgs.extend(to_msg(e, mouse)),
                Some(Err(_)) | None => break,
            },
            r = next_report(reports) => match r {
                Some(r) => msgs.push(Msg::Worker(r)),
                None => *reports = None,
            },
            _ = poll.tick() => {
                let now = file_marks(app);
                if now.0 != app.cursor.offset && now.0 != marks.0 {
                    msgs.push(Msg::LogGrew);
                }
                if now.1 != marks.1 {
                    msgs.push(Msg::ConfigTouched);
                }
                marks = now;
                polls += 1;
                // Every few seconds: if the other worker went away, take over.
                if polls.is_multiple_of(20) && matches!(app.worker, WorkerMode::Other(_) | WorkerMode::None) && handle.is_none() {
                    if let Ok(Some((h, r))) = start_worker(app) {
                        *handle = Some(h);
                        *reports = Some(r);
                    }
                    app.dirty = true;
                }
            },
            _ = minute.tick() => msgs.push(Msg::Minute),
            _ = hup.recv() => break,
            _ = term_sig.recv() => break,
        }
        // Drain whatever else is already waiting, so a burst costs one frame.
        while let Some(Some(Ok(e))) = events.next().now_or_never() {
            msgs.extend(to_msg(e, mouse));
        }
        if let Some(r) = reports.as_mut() {
            while let Ok(rep) = r.try_recv() {
                msgs.push(Msg::Worker(rep));
            }
        }
        for m in msgs {
            update(app, m);
        }
        if let Some(h) = handle.as_ref() {
            for c in app.outbox.drain(..) {
                let _ = h.commands.send(c);
            }
        } else {
            app.outbox.clear();
        }
        if app.quit {
            break;
        }
        if app.dirty {
            draw(term, app).map_err(io_err)?;
            app.dirty = false;
        }
    }
    Ok(())
}

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
