//! The command line: argument definitions and dispatch. Each subcommand lives in its own
//! file and returns text for stdout; errors are one sentence for stderr.

pub mod history;
pub mod import;
pub mod modems;
pub mod plan;
pub mod presets;
pub mod status;
pub mod write;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::error::Result;
use crate::session::Session;
use crate::store::Paths;

/// Opens the home for a one-shot command; log problems (bad lines, a torn tail) are said
/// on stderr, never fatal.
pub fn open(paths: &Paths) -> Result<Session> {
    let mut s = Session::open(paths.clone())?;
    for p in s.take_problems() {
        eprintln!("baohao: {p}");
    }
    Ok(s)
}

#[derive(Parser, Debug)]
#[command(
    name = "baohao",
    version,
    about = "Keeps your phone numbers alive: balances, deadlines, recharge rules and a log that proves each recharge happened once."
)]
pub struct Cli {
    /// Work on a fresh temporary demo home (never touches your files); with `init`, write the demo into --home.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Keep every file in DIR (also: env BAOHAO_HOME).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Language: en or zh (default: from LANG).
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    /// Turn mouse capture on in the TUI.
    #[arg(long, global = true)]
    pub mouse: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a starter config and an empty log (or, with --demo, the demo) into the home.
    Init,
    /// One row a number: balance, validity, next recharge, what needs attention.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Recharges, top-ups, readings and activity, in log order.
    History(HistoryArgs),
    /// Upcoming recharges and their cost per currency.
    Plan(PlanArgs),
    /// Record a manual top-up (settles an open reminder of that number).
    Record {
        number: String,
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Settle an in-doubt recharge: did it go through?
    Resolve {
        intent: String,
        /// succeeded or failed
        status: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record a keep-alive use of a number (a call, a text, data).
    Activity {
        number: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record a balance you read yourself (for numbers with a manual provider).
    Balance {
        number: String,
        #[arg(allow_hyphen_values = true)]
        amount: String,
        /// The validity end the carrier told you (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        valid_until: Option<String>,
    },
    /// Run the worker until SIGTERM or SIGINT, without the TUI.
    Daemon,
    /// One refresh-and-recharge pass (for cron).
    Tick,
    /// Check the config and the log; every problem with its line.
    Validate,
    /// Starting points for common carriers' plans and rules.
    Presets {
        #[arg(long)]
        json: bool,
    },
    /// Read a payment statement (Alipay, WeChat Pay, a mapped CSV) or carrier texts into the log.
    Import(import::ImportArgs),
    /// The modems ModemManager sees and which number each serves.
    Modems {
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    #[arg(long, conflicts_with_all = ["csv", "ledger"])]
    pub json: bool,
    #[arg(long, conflicts_with = "ledger")]
    pub csv: bool,
    /// A journal that hledger and ledger read.
    #[arg(long)]
    pub ledger: bool,
    #[arg(long, value_name = "ID")]
    pub number: Option<String>,
    /// Only entries on or after DATE (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// How many days ahead (default 30).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub days: Option<i64>,
    #[arg(long, conflicts_with = "ical")]
    pub json: bool,
    /// An RFC 5545 calendar, one event per planned recharge.
    #[arg(long)]
    pub ical: bool,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
