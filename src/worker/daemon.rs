//! Headless entry points: `baohao daemon` (the worker until SIGTERM/SIGINT, plain log
//! lines on stderr) and `baohao tick` (one pass, for cron). Both take the worker lock.

use chrono::{SecondsFormat, Utc};
use tokio::signal::unix::{SignalKind, signal};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::link::runtime;
use crate::store::Paths;
use crate::store::lock::{WorkerLock, held_message};
use crate::tr;
use crate::worker::{Report, Request, Which, Worker, spawn};

/// A plain log line for a report (None for the chatter people need not see).
pub fn log_line(r: &Report) -> Option<String> {
    let text = match r {
        Report::Refreshed { number, balance } => tr!(T::LogRefreshed, number, balance.display()),
        Report::RefreshFailed { number, reason } => tr!(T::LogRefreshFailed, number, reason),
        Report::Notice(s) | Report::Problem(s) => s.clone(),
        Report::Stopped => tr!(T::LogStopped),
        Report::Busy(_)
        | Report::LogChanged
        | Report::Idle { .. }
        | Report::Recharged { .. }
        | Report::Modems(_)
        | Report::Forwarders(_) => {
            return None;
        }
    };
    Some(format!(
        "{} {}",
        Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        crate::text::clean::message(&text)
    ))
}

/// A worker that could not record what it does must not start: one sentence instead.
fn log_must_be_writable(paths: &Paths) -> Result<()> {
    crate::store::Log::new(&paths.log)
        .check_writable()
        .map_err(|e| Error::io(T::WhatWrite, &paths.log, &e))
}

pub fn daemon(paths: &Paths) -> Result<String> {
    let clock = Clock::from_env()?;
    crate::session::Session::open_state_only(paths.clone())?;
    let lock = WorkerLock::acquire_or_explain(&paths.worker_lock)?;
    log_must_be_writable(paths)?;
    let rt = runtime()?;
    rt.block_on(async move {
        let mut term =
            signal(SignalKind::terminate()).map_err(|e| Error::input(tr!(T::NoRuntime, e)))?;
        let mut int =
            signal(SignalKind::interrupt()).map_err(|e| Error::input(tr!(T::NoRuntime, e)))?;
        eprintln!(
            "{} {}",
            Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            tr!(T::LogStarted, std::process::id(), paths.log.display())
        );
        let mut handle = spawn(paths.clone(), clock, lock);
        let mut reports = std::mem::replace(
            &mut handle.reports,
            tokio::sync::mpsc::unbounded_channel().1,
        );
        let printer = tokio::spawn(async move {
            while let Some(r) = reports.recv().await {
                if let Some(line) = log_line(&r) {
                    eprintln!("{line}");
                }
            }
        });
        let mut usr1 =
            signal(SignalKind::user_defined1()).map_err(|e| Error::input(tr!(T::NoRuntime, e)))?;
        // SIGUSR1 (sent by a TUI watching this daemon) asks for a refresh now.
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = usr1.recv() => {
                    let _ = handle.requests.send(Request::RefreshAll);
                }
            }
        }
        handle.stop().await;
        let _ = printer.await;
        Ok::<(), Error>(())
    })?;
    Ok(String::new())
}

pub fn tick(paths: &Paths) -> Result<String> {
    let clock = Clock::from_env()?;
    crate::session::Session::open_state_only(paths.clone())?;
    let lock = match WorkerLock::try_acquire(&paths.worker_lock)? {
        Ok(l) => l,
        Err(holder) => {
            // Not an error for cron: the running worker does this work.
            eprintln!("baohao: {}", tr!(T::TickSkipped, held_message(holder)));
            return Ok(String::new());
        }
    };
    log_must_be_writable(paths)?;
    let rt = runtime()?;
    rt.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut worker = Worker::new(paths.clone(), clock, tx, Default::default());
        worker.pass(Which::All).await;
        worker.finish_deliveries().await;
        let failure = worker.log_failure().map(str::to_string);
        drop(worker);
        drop(lock);
        while let Ok(r) = rx.try_recv() {
            if let Some(line) = log_line(&r) {
                eprintln!("{line}");
            }
        }
        // A pass that could not read or write the log did not do its work: cron must know.
        match failure {
            Some(why) => Err(Error::input(why)),
            None => Ok(String::new()),
        }
    })
}
