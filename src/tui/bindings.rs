//! Key bindings: one table per view of (keys, action, description). The footer hints and
//! the help overlay are generated from these tables, so they cannot drift from behaviour.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::i18n::T;
use crate::tui::app::Tab;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Tab(Tab),
    NextTab,
    PrevTab,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Help,
    Filter,
    RefreshAll,
    Refresh,
    Add,
    Edit,
    Delete,
    Toggle,
    TopUp,
    Activity,
    Resolve,
    Export,
    Import,
    QuickFilter,
    Settings,
    Mask,
    Details,
}

/// A key as bindings name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    pub fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Char(c) => !ctrl && ev.code == KeyCode::Char(c),
            Key::Ctrl(c) => ctrl && ev.code == KeyCode::Char(c),
            Key::Code(code) => ev.code == code && (!ctrl || code == KeyCode::BackTab),
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    /// How the keys are written in hints and help.
    pub shown: &'static str,
    pub action: Action,
    pub help: T,
    /// A short word for the footer; `None` keeps it out of the footer (help only).
    pub hint: Option<T>,
}

macro_rules! b {
    ($shown:expr, [$($k:expr),+], $action:expr, $help:expr) => {
        Binding { keys: &[$($k),+], shown: $shown, action: $action, help: $help, hint: None }
    };
    ($shown:expr, [$($k:expr),+], $action:expr, $help:expr, $hint:expr) => {
        Binding { keys: &[$($k),+], shown: $shown, action: $action, help: $help, hint: Some($hint) }
    };
}

use Key::{Char, Code, Ctrl};

pub const GLOBAL: &[Binding] = &[
    b!(
        "1 2 3 4",
        [Char('1'), Char('2'), Char('3'), Char('4')],
        Action::Tab(Tab::Numbers),
        T::HelpTabs
    ),
    b!("Tab", [Code(KeyCode::Tab)], Action::NextTab, T::HelpNextTab),
    b!(
        "Shift-Tab",
        [Code(KeyCode::BackTab)],
        Action::PrevTab,
        T::HelpPrevTab
    ),
    b!("R", [Char('R')], Action::RefreshAll, T::HelpRefreshAll),
    b!("m", [Char('m')], Action::Mask, T::HelpMask),
    b!(
        ", S",
        [Char(','), Char('S')],
        Action::Settings,
        T::HelpSettings
    ),
    b!("?", [Char('?')], Action::Help, T::HelpHelp, T::HintHelp),
    b!(
        "q",
        [Char('q'), Ctrl('c')],
        Action::Quit,
        T::HelpQuit,
        T::HintQuit
    ),
];

pub const MOVE: &[Binding] = &[
    b!(
        "j/↓",
        [Char('j'), Code(KeyCode::Down)],
        Action::Down,
        T::HelpDown
    ),
    b!("k/↑", [Char('k'), Code(KeyCode::Up)], Action::Up, T::HelpUp),
    b!(
        "g",
        [Char('g'), Code(KeyCode::Home)],
        Action::Top,
        T::HelpTop
    ),
    b!(
        "G",
        [Char('G'), Code(KeyCode::End)],
        Action::Bottom,
        T::HelpBottom
    ),
    b!(
        "PgUp",
        [Code(KeyCode::PageUp)],
        Action::PageUp,
        T::HelpPageUp
    ),
    b!(
        "PgDn",
        [Code(KeyCode::PageDown)],
        Action::PageDown,
        T::HelpPageDown
    ),
];

pub const NUMBERS: &[Binding] = &[
    b!("a", [Char('a')], Action::Add, T::HelpAddNumber, T::HintAdd),
    b!(
        "e/Enter",
        [Char('e'), Code(KeyCode::Enter)],
        Action::Edit,
        T::HelpEditNumber,
        T::HintEdit
    ),
    b!(
        "d",
        [Char('d')],
        Action::Delete,
        T::HelpDeleteNumber,
        T::HintDelete
    ),
    b!("t", [Char('t')], Action::TopUp, T::HelpTopUp, T::HintTopUp),
    b!("A", [Char('A')], Action::Activity, T::HelpActivity),
    b!(
        "r",
        [Char('r')],
        Action::Refresh,
        T::HelpRefresh,
        T::HintRefresh
    ),
];

pub const RULES: &[Binding] = &[
    b!(
        "Space",
        [Char(' ')],
        Action::Toggle,
        T::HelpToggle,
        T::HintToggle
    ),
    b!("a", [Char('a')], Action::Add, T::HelpAddRule, T::HintAdd),
    b!(
        "e/Enter",
        [Char('e'), Code(KeyCode::Enter)],
        Action::Edit,
        T::HelpEditRule,
        T::HintEdit
    ),
    b!(
        "d",
        [Char('d')],
        Action::Delete,
        T::HelpDeleteRule,
        T::HintDelete
    ),
];

pub const HISTORY: &[Binding] = &[
    b!(
        "/",
        [Char('/')],
        Action::Filter,
        T::HelpFilter,
        T::HintFilter
    ),
    b!(
        "u",
        [Char('u')],
        Action::Resolve,
        T::HelpResolve,
        T::HintResolve
    ),
    b!(
        "x",
        [Char('x')],
        Action::Export,
        T::HelpExport,
        T::HintExport
    ),
    b!(
        "i",
        [Char('i')],
        Action::Import,
        T::HelpImport,
        T::HintImport
    ),
    b!("f", [Char('f')], Action::QuickFilter, T::HelpQuickFilter),
    b!("t", [Char('t')], Action::TopUp, T::HelpTopUp),
    b!(
        "Enter",
        [Code(KeyCode::Enter)],
        Action::Details,
        T::HelpDetails,
        T::HintDetails
    ),
];

pub const FORECAST: &[Binding] = &[];

/// The bindings of `tab`, most specific first.
pub fn view(tab: Tab) -> &'static [Binding] {
    match tab {
        Tab::Numbers => NUMBERS,
        Tab::Rules => RULES,
        Tab::History => HISTORY,
        Tab::Forecast => FORECAST,
    }
}

/// The action `ev` means in `tab`: the view's table, then moving, then global.
pub fn lookup(tab: Tab, ev: &KeyEvent) -> Option<Action> {
    for table in [view(tab), MOVE, GLOBAL] {
        for b in table {
            if let Some(k) = b.keys.iter().find(|k| k.matches(ev)) {
                // The tab keys share one binding: each digit picks its own tab.
                if b.action == Action::Tab(Tab::Numbers) {
                    return Some(Action::Tab(match k {
                        Char('2') => Tab::Rules,
                        Char('3') => Tab::History,
                        Char('4') => Tab::Forecast,
                        _ => Tab::Numbers,
                    }));
                }
                return Some(b.action);
            }
        }
    }
    None
}

/// Keys inside a form; shown at the bottom of every form.
/// Most needed first: a form's footer shows as many as fit.
pub const FORM: &[(&str, T)] = &[
    ("Tab/↓", T::FormHintNext),
    ("Enter", T::FormHintSave),
    ("Esc", T::FormHintCancel),
    ("←/→", T::FormHintChoice),
    ("Ctrl-U", T::FormHintClear),
    ("Shift-Tab/↑", T::FormHintPrev),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things_in_one_view() {
        for tab in [Tab::Numbers, Tab::Rules, Tab::History, Tab::Forecast] {
            let mut seen: Vec<Key> = Vec::new();
            for table in [view(tab), MOVE, GLOBAL] {
                for b in table {
                    for k in b.keys {
                        assert!(!seen.contains(k), "{tab:?}: {k:?} is bound twice");
                        seen.push(*k);
                    }
                }
            }
        }
    }
}
