//! Forms: labelled fields (text inputs or choices), one focused at a time. A focused field
//! gets every key first, so typing `q`, `d` or `1` into a label never quits, deletes or
//! switches tabs. Tab/Shift-Tab or Up/Down move, Left/Right cycle a choice, Enter asks to
//! save, Esc asks to cancel (and the owner asks before losing edits).

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldId {
    Preset,
    Id,
    Label,
    Msisdn,
    Carrier,
    Currency,
    MonthlyFee,
    ValidityDays,
    KeepAliveDays,
    Budget,
    ProviderKind,
    ProviderProgram,
    ProviderArgs,
    ExecutorKind,
    ExecutorProgram,
    ExecutorArgs,
    Number,
    Kind,
    Amount,
    Mode,
    Enabled,
    Day,
    At,
    Below,
    Cooldown,
    Days,
    EveryDays,
    MaxPerMonth,
    Note,
    ValidUntil,
    Path,
    Format,
    Timezone,
    RefreshMinutes,
    WarnDays,
    UrgentDays,
    NotifyProgram,
    NotifyArgs,
    NotifyTimeout,
    NotifyEvents,
    ProviderTimeout,
    ExecutorTimeout,
    Since,
    Via,
    ConfirmHours,
    /// Settings: the forwarders' heading (with the inbox's address) and one row each.
    ForwardersHeader,
    Forwarder(usize),
    /// The number form: where the SIM is (none, a modem, a forwarder), the modem's match
    /// and the forwarder's slot.
    SimHost,
    ModemMatch,
    Slot,
    /// The import form: a zipped statement's password (masked).
    Password,
    /// The top-up form: when the money went in.
    When,
    /// Settings: the push channels' heading, each channel (its place in the config), and
    /// the row that adds one.
    ChannelsHeader,
    Channel(usize),
    AddChannel,
    /// The add-a-channel form: the kind, then each part of its URL.
    ChanKind,
    Chan(crate::channels::compose::Part),
}

#[derive(Clone, Debug)]
pub enum Value {
    Text(Input),
    /// (stored value, label shown) pairs and the chosen index.
    Choice {
        options: Vec<(String, String)>,
        index: usize,
    },
    /// A line that is not edited: keys act on it (Settings' channel rows).
    Row(String),
}

#[derive(Clone, Debug)]
pub struct Field {
    pub id: FieldId,
    pub label: String,
    pub value: Value,
    pub visible: bool,
    /// Shown but not editable (ids once saved: renaming would change recharge keys).
    pub locked: bool,
    pub error: Option<String>,
    /// A grey hint after the value (units, an example), shown while the field is empty.
    pub hint: Option<String>,
    /// The value was put there for the person (a default, a preset, the saved value) and
    /// they have not touched it yet: the first letter they type replaces it.
    pub prefilled: bool,
    /// A secret: shown as dots unless it is a `${NAME}` reference.
    pub masked: bool,
}

impl Field {
    pub fn text(id: FieldId, label: String, value: &str) -> Field {
        Field {
            id,
            label,
            value: Value::Text(Input::new(value.to_string())),
            visible: true,
            locked: false,
            error: None,
            hint: None,
            prefilled: !value.is_empty(),
            masked: false,
        }
    }

    /// A line keys act on while it has the focus (`locked`: a heading, never focused).
    pub fn row(id: FieldId, text: String) -> Field {
        Field {
            id,
            label: String::new(),
            value: Value::Row(text),
            visible: true,
            locked: false,
            error: None,
            hint: None,
            prefilled: false,
            masked: false,
        }
    }

    pub fn masked(mut self) -> Field {
        self.masked = true;
        self
    }

    pub fn choice(
        id: FieldId,
        label: String,
        options: Vec<(String, String)>,
        selected: &str,
    ) -> Field {
        let index = options.iter().position(|o| o.0 == selected).unwrap_or(0);
        Field {
            id,
            label,
            value: Value::Choice { options, index },
            visible: true,
            locked: false,
            error: None,
            hint: None,
            prefilled: false,
            masked: false,
        }
    }

    pub fn with_hint(mut self, hint: String) -> Field {
        self.hint = Some(hint);
        self
    }

    pub fn locked(mut self) -> Field {
        self.locked = true;
        self
    }

    /// The field's value as text (a choice's stored value).
    pub fn get(&self) -> &str {
        match &self.value {
            Value::Text(i) => i.value(),
            Value::Choice { options, index } => options.get(*index).map_or("", |o| o.0.as_str()),
            Value::Row(_) => "",
        }
    }

    fn focusable(&self) -> bool {
        self.visible && !self.locked
    }
}

/// What a key did to a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormEvent {
    /// A value changed: validate again.
    Changed,
    /// The focus moved.
    Moved,
    Save,
    Cancel,
    Nothing,
}

#[derive(Clone, Debug)]
pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// A problem with the whole form (a save conflict, a file error).
    pub error: Option<String>,
    /// Lines shown under the fields (the rule preview).
    pub notes: Vec<String>,
    /// Fields the person has changed: their errors show as they type.
    pub touched: Vec<FieldId>,
    /// A save was tried: every error shows.
    pub tried: bool,
    initial: Vec<String>,
}

impl Form {
    pub fn new(title: String, fields: Vec<Field>) -> Form {
        let mut f = Form {
            title,
            fields,
            focus: 0,
            error: None,
            notes: Vec::new(),
            touched: Vec::new(),
            tried: false,
            initial: Vec::new(),
        };
        f.initial = f.values();
        if !f.fields.get(f.focus).is_some_and(Field::focusable) {
            f.move_focus(1);
        }
        f
    }

    pub fn touch(&mut self, id: FieldId) {
        if !self.touched.contains(&id) {
            self.touched.push(id);
        }
    }

    /// Whether `field`'s error should show now (once touched, or after a save was tried).
    /// A field emptied by hand shows its placeholder until a save is tried: a hint of what
    /// goes there, not a complaint about what is missing.
    pub fn shows_error(&self, field: &Field) -> bool {
        field.error.is_some()
            && (self.tried || (self.touched.contains(&field.id) && !field.get().is_empty()))
    }

    /// The values of the fields a person edits (rows are not edited: Settings adds and
    /// removes channel rows without making the form dirty).
    pub fn values(&self) -> Vec<String> {
        self.fields
            .iter()
            .filter(|f| !matches!(f.value, Value::Row(_)))
            .map(|f| f.get().to_string())
            .collect()
    }

    /// Whether anything changed since the form opened.
    pub fn dirty(&self) -> bool {
        self.values() != self.initial
    }

    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn field_mut(&mut self, id: FieldId) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.id == id)
    }

    pub fn get(&self, id: FieldId) -> &str {
        self.field(id).map_or("", Field::get)
    }

    pub fn set(&mut self, id: FieldId, value: &str) {
        if let Some(f) = self.field_mut(id) {
            match &mut f.value {
                Value::Text(i) => {
                    *i = Input::new(value.to_string());
                    f.prefilled = !value.is_empty();
                }
                Value::Choice { options, index } => {
                    if let Some(p) = options.iter().position(|o| o.0 == value) {
                        *index = p;
                    }
                }
                Value::Row(_) => {}
            }
        }
    }

    pub fn show(&mut self, id: FieldId, visible: bool) {
        if let Some(f) = self.field_mut(id) {
            f.visible = visible;
        }
    }

    pub fn set_hint(&mut self, id: FieldId, hint: Option<String>) {
        if let Some(f) = self.field_mut(id) {
            f.hint = hint;
        }
    }

    pub fn set_error(&mut self, id: FieldId, error: Option<String>) {
        if let Some(f) = self.field_mut(id) {
            f.error = error;
        }
    }

    pub fn clear_errors(&mut self) {
        for f in &mut self.fields {
            f.error = None;
        }
        self.error = None;
    }

    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.visible && f.error.is_some())
    }

    pub fn focused(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    /// Moves the focus to the next (or previous) visible, editable field, wrapping.
    pub fn move_focus(&mut self, step: isize) {
        let n = self.fields.len() as isize;
        if n == 0 {
            return;
        }
        let mut i = self.focus as isize;
        for _ in 0..n {
            i = (i + step).rem_euclid(n);
            if self.fields[i as usize].focusable() {
                self.focus = i as usize;
                return;
            }
        }
    }

    /// Focuses the first visible field with an error (after a refused save).
    pub fn focus_first_error(&mut self) {
        if let Some(i) = self
            .fields
            .iter()
            .position(|f| f.visible && f.error.is_some() && !f.locked)
        {
            self.focus = i;
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> FormEvent {
        match key.code {
            KeyCode::Esc => return FormEvent::Cancel,
            KeyCode::Enter => return FormEvent::Save,
            KeyCode::Tab | KeyCode::Down => {
                self.move_focus(1);
                return FormEvent::Moved;
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.move_focus(-1);
                return FormEvent::Moved;
            }
            _ => {}
        }
        let Some(field) = self.fields.get_mut(self.focus) else {
            return FormEvent::Nothing;
        };
        if field.locked {
            return FormEvent::Nothing;
        }
        match &mut field.value {
            Value::Choice { options, index } => {
                let n = options.len().max(1);
                match key.code {
                    KeyCode::Left => *index = (*index + n - 1) % n,
                    KeyCode::Right | KeyCode::Char(' ') => *index = (*index + 1) % n,
                    _ => return FormEvent::Nothing,
                }
                FormEvent::Changed
            }
            Value::Row(_) => FormEvent::Nothing,
            Value::Text(input) => {
                // A letter typed over a value the person did not write replaces it
                // (typing a date into today's date must not give `2026-12-022026-06-03`).
                let typing = matches!(key.code, KeyCode::Char(_))
                    && !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
                let replace = std::mem::take(&mut field.prefilled) && typing;
                if replace {
                    *input = Input::default();
                }
                match input.handle_event(&Event::Key(key)) {
                    Some(change) if change.value || replace => FormEvent::Changed,
                    Some(_) => FormEvent::Moved,
                    None if replace => FormEvent::Changed,
                    None => FormEvent::Nothing,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventKind;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: ratatui::crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn typed_letters_go_into_the_field_and_focus_skips_hidden_and_locked_fields() {
        let mut f = Form::new(
            "t".into(),
            vec![
                Field::text(FieldId::Id, "id".into(), "x").locked(),
                Field::text(FieldId::Label, "label".into(), ""),
                Field::choice(
                    FieldId::Mode,
                    "mode".into(),
                    vec![
                        ("auto".into(), "auto".into()),
                        ("remind".into(), "remind".into()),
                    ],
                    "auto",
                ),
                Field::text(FieldId::Note, "note".into(), ""),
            ],
        );
        f.show(FieldId::Note, false);
        assert_eq!(f.focused().unwrap().id, FieldId::Label);
        for c in "qd1?".chars() {
            assert_eq!(f.handle_key(key(KeyCode::Char(c))), FormEvent::Changed);
        }
        assert_eq!(f.get(FieldId::Label), "qd1?");
        assert!(f.dirty());
        f.handle_key(key(KeyCode::Tab));
        assert_eq!(f.focused().unwrap().id, FieldId::Mode);
        f.handle_key(key(KeyCode::Right));
        assert_eq!(f.get(FieldId::Mode), "remind");
        f.handle_key(key(KeyCode::Tab));
        assert_eq!(
            f.focused().unwrap().id,
            FieldId::Label,
            "wraps, skipping hidden and locked"
        );
        assert_eq!(f.handle_key(key(KeyCode::Enter)), FormEvent::Save);
        assert_eq!(f.handle_key(key(KeyCode::Esc)), FormEvent::Cancel);
    }
}
