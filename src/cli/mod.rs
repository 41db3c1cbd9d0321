//! The command line: argument definitions and dispatch. Each subcommand lives in its own
//! file and returns text for stdout; errors are one sentence for stderr.

pub mod forwarders;
pub mod history;
pub mod import;
pub mod modems;
pub mod notify;
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

/// [`open`] without history rows: for commands that need only the state.
pub fn open_state_only(paths: &Paths) -> Result<Session> {
    said(Session::open_state_only(paths.clone())?)
}

/// [`open`] for a streamed listing: the state, and what makes the rows on a second pass
/// (`Session::open_for_listing`).
pub fn open_for_listing(paths: &Paths) -> Result<Session> {
    said(Session::open_for_listing(paths.clone())?)
}

fn said(mut s: Session) -> Result<Session> {
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
    /// Turn mouse capture on in the TUI (only when opening the TUI).
    #[arg(long)]
    pub mouse: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a starter config and an empty log (or, with --demo, the demo) into the home.
    Init,
    /// One row a number: balance, validity, use-by date, next recharge, what needs attention.
    Status {
        /// Print a JSON array, one object a number (full phone numbers), for scripts.
        #[arg(long)]
        json: bool,
        /// Show whole phone numbers in the table (they are masked by default).
        #[arg(long)]
        show_numbers: bool,
        /// Keep every column, however narrow the terminal (by default the table fits the
        /// terminal's width, or COLUMNS, dropping the least needed columns first).
        #[arg(long)]
        wide: bool,
        /// One line (at most 80 columns) for an SSH login banner, a tmux status line or a
        /// shell prompt: what needs you, else the next recharge.
        #[arg(long, conflicts_with = "json")]
        brief: bool,
        /// Exit 1 when any number needs attention (for cron and monitoring); prints the one
        /// line of --brief unless --json is given.
        #[arg(long)]
        check: bool,
    },
    /// Recharges, top-ups, readings and activity, in log order.
    History(HistoryArgs),
    /// Upcoming recharges and their cost per currency.
    Plan(PlanArgs),
    /// Record a manual top-up (settles the number's newest open reminder).
    Record {
        /// The number's id (as in `baohao status`) or its phone number (+8613800138000).
        number: String,
        /// How much went in, in the number's currency: 10, 10.50, ¥10 or "10 CNY".
        #[arg(allow_hyphen_values = true)]
        amount: String,
        /// A note kept with the entry (where, how, an order number).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// When it happened, if not now: YYYY-MM-DD, "YYYY-MM-DD HH:MM", today or yesterday
        /// (config time zone).
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Say what became of an in-doubt recharge, stop a failed one, or dismiss a reminder.
    Resolve {
        /// The intent's id (or an unambiguous start of it), as `baohao history` shows it.
        intent: String,
        /// succeeded (it went through); failed (it did not: the rule WILL try again, up to 3
        /// attempts); failed-final (it did not, and must not be tried again this period);
        /// dismissed (a reminder that needs nothing more).
        status: String,
        /// A note kept with the resolution.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Record a keep-alive use of a number (a call, a text, data); settles its keep-alive reminder.
    Activity {
        /// The number's id (as in `baohao status`) or its phone number (+8613800138000).
        number: String,
        /// A note kept with the entry ("sent a text").
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// When it happened, if not now: YYYY-MM-DD, "YYYY-MM-DD HH:MM", today or yesterday
        /// (config time zone).
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Record a balance you read yourself (for numbers with a manual provider).
    Balance {
        /// The number's id (as in `baohao status`) or its phone number (+8613800138000).
        number: String,
        /// The balance, in the number's currency (may be negative: -1.20).
        #[arg(allow_hyphen_values = true)]
        amount: String,
        /// The validity end the carrier told you (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        valid_until: Option<String>,
        /// When you read it, if not now: YYYY-MM-DD, "YYYY-MM-DD HH:MM", today or yesterday
        /// (config time zone).
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Run the worker until SIGTERM or SIGINT, without the TUI.
    Daemon,
    /// One refresh-and-recharge pass (for cron).
    Tick,
    /// Check the config and the log; every problem with its line.
    Validate {
        /// Throw the checkpoint away (the next worker pass writes a fresh one).
        #[arg(long)]
        rebuild: bool,
    },
    /// Starting points for common carriers' plans and rules.
    Presets {
        /// Print the presets as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read a payment statement (Alipay, WeChat Pay, a mapped CSV) or carrier texts into the log.
    Import(import::ImportArgs),
    /// The modems ModemManager sees and which number each serves.
    Modems {
        /// Print the modems and the numbers they serve as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Each forwarder (a phone app or a board holding a SIM): whether it answers, its
    /// battery and SIMs, its last text and the numbers it serves.
    Forwarders {
        /// Print each forwarder's state as JSON.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<ForwardersAction>,
    },
    /// Push notifications: try the channels in notify.channels.
    Notify {
        #[command(subcommand)]
        command: NotifyCommand,
    },
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
pub enum ForwardersAction {
    /// What to enter in the app for forwarder ID, in your language.
    Setup {
        /// The forwarder's id in the config (`forwarders[].id`).
        id: String,
        /// The inbox's address as the phone reaches it (a reverse proxy's https URL);
        /// without it, `inbox.listen`.
        #[arg(long)]
        public_url: Option<String>,
        /// Ask SMS Gateway to post received texts to baohao (POST /webhooks).
        #[arg(long)]
        register: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum NotifyCommand {
    /// Send a test message through each channel now; per channel `ok` or the service's own
    /// reason, exit 1 if any failed.
    Test {
        /// Only the channel with this number (1 is the first in notify.channels).
        #[arg(long, value_name = "N")]
        channel: Option<usize>,
    },
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Print a JSON array of entries (each with every attempt), for scripts.
    #[arg(long, conflicts_with_all = ["csv", "ledger"])]
    pub json: bool,
    /// Print CSV (a header row, then one row an entry).
    #[arg(long, conflicts_with = "ledger")]
    pub csv: bool,
    /// A journal that hledger and ledger read.
    #[arg(long)]
    pub ledger: bool,
    /// With --csv: begin with a UTF-8 byte-order mark, so Excel (a Chinese Windows's
    /// too) reads the Chinese text instead of guessing the encoding. --bom is the same.
    #[arg(long, alias = "bom", requires = "csv")]
    pub excel: bool,
    /// Only the number with this id.
    #[arg(long, value_name = "ID")]
    pub number: Option<String>,
    /// Only entries on or after DATE (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only entries whose text holds TEXT (any case): status, every attempt's status and
    /// error, rule, reference, note.
    #[arg(long, value_name = "TEXT")]
    pub find: Option<String>,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// How many days ahead (default 30).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub days: Option<i64>,
    /// Print a JSON array sorted by time, for scripts.
    #[arg(long, conflicts_with = "ical")]
    pub json: bool,
    /// An RFC 5545 calendar, one event per planned recharge.
    #[arg(long)]
    pub ical: bool,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
