//! A form draws itself: its state (`OpenForm`) and how it looks live side by side.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::i18n::T;
use crate::tr;
use crate::tui::bindings;
use crate::tui::dialogs::popup;
use crate::tui::form::Value;
use crate::tui::forms::OpenForm;
use crate::tui::theme::Theme;
use crate::tui::widgets::centered;

impl OpenForm {
    /// Draws the form as a centred popup: fields with their errors beside them, the rule
    /// preview, and the keys; the cursor goes to the focused field.
    pub fn draw(&self, f: &mut Frame, area: Rect, t: Theme) {
        let of = self;
        let form = &of.form;
        let w = 78.min(area.width);
        let inner_w = w.saturating_sub(2) as usize;
        let label_w = form
            .fields
            .iter()
            .filter(|x| x.visible)
            .map(|x| x.label.width())
            .max()
            .unwrap_or(8)
            .min(20);
        let value_w = inner_w.saturating_sub(label_w + 3).max(4);
        // Build every line, remembering where the focused field is.
        let mut lines: Vec<Line> = Vec::new();
        let mut focus_line = 0;
        let mut cursor: Option<(u16, usize)> = None;
        for (i, field) in form.fields.iter().enumerate().filter(|(_, x)| x.visible) {
            let focused = i == form.focus;
            if let Value::Row(text) = &field.value {
                if focused {
                    focus_line = lines.len();
                }
                lines.push(row_line(text, field.locked, focused, inner_w, t));
                continue;
            }
            let label_style = if focused {
                t.focus()
            } else if field.locked {
                t.dim()
            } else {
                Style::new()
            };
            // Padded in terminal cells, not characters: CJK labels are two cells a character.
            let name = crate::text::table::truncate(&field.label, label_w);
            let label = format!(
                "{}{}",
                if focused { "›" } else { " " },
                crate::text::table::pad(&name, label_w, crate::text::table::Align::Right)
            );
            let mut spans = vec![Span::styled(label, label_style), Span::raw("  ")];
            let (value, used) = value_span(field, focused, value_w, t);
            if focused && let Value::Text(input) = &field.value {
                let scroll = input.visual_scroll(value_w.saturating_sub(1));
                cursor = Some((
                    lines.len() as u16,
                    label_w + 3 + input.visual_cursor().saturating_sub(scroll),
                ));
            }
            spans.push(value);
            let room = inner_w.saturating_sub(label_w + 3 + used + 2);
            let error = form
                .shows_error(field)
                .then(|| field.error.clone())
                .flatten();
            match (&error, &field.hint) {
                (Some(e), _) if e.width() <= room => {
                    spans.push(Span::styled(format!("  {e}"), t.error()))
                }
                // A placeholder: it goes once the field has text.
                (None, Some(h)) if h.width() <= room && field.get().is_empty() => {
                    spans.push(Span::styled(format!("  {h}"), t.dim()))
                }
                _ => {}
            }
            if focused {
                focus_line = lines.len();
            }
            lines.push(Line::from(spans));
            if let Some(e) = error.filter(|e| e.width() > room) {
                lines.extend(long_error(&e, label_w, value_w, t));
            }
        }
        let tail = self.tail_lines(t, inner_w);
        let want = (lines.len() + tail.len()) as u16 + 2;
        let h = want.min(area.height);
        let inner = popup(t, f, centered(area, w, h), &form.title);
        let room_for_fields = (inner.height as usize).saturating_sub(tail.len()).max(1);
        // Scroll so that the focused field shows.
        let skip = focus_line.saturating_sub(room_for_fields.saturating_sub(1));
        let shown: Vec<Line> = lines
            .into_iter()
            .skip(skip)
            .take(room_for_fields)
            .chain(tail)
            .collect();
        f.render_widget(Paragraph::new(shown), inner);
        if let Some((row, col)) = cursor
            && !of.confirm_discard
            && (row as usize) >= skip
            && (row as usize - skip) < room_for_fields
        {
            let x = inner.x + (col as u16).min(inner.width.saturating_sub(1));
            f.set_cursor_position((x, inner.y + row - skip as u16));
        }
    }

    /// Below the fields: the notes, the form's own error (whole, three lines at most), and
    /// the question it asks or the keys it takes.
    fn tail_lines(&self, t: Theme, inner_w: usize) -> Vec<Line<'static>> {
        let of = self;
        let form = &of.form;
        let mut tail: Vec<Line> = Vec::new();
        if !form.notes.is_empty() {
            tail.push(Line::raw(""));
            for n in &form.notes {
                tail.push(Line::styled(
                    crate::text::table::truncate(n, inner_w),
                    t.dim(),
                ));
            }
        }
        if let Some(e) = &form.error {
            // Whole: a reason's end says what to do (three lines at most, then cut with …).
            let wrapped = crate::tui::widgets::wrap(e, inner_w);
            let n = wrapped.len();
            for (i, l) in wrapped.into_iter().take(3).enumerate() {
                let l = if i == 2 && n > 3 {
                    crate::text::table::truncate(&format!("{l} …"), inner_w)
                } else {
                    l
                };
                tail.push(Line::styled(l, t.error()));
            }
        }
        tail.push(Line::raw(""));
        if of.confirm_discard {
            tail.push(Line::styled(tr!(T::FormDiscard), t.warn()));
        } else if let Some(url) = &of.channels.confirm_delete {
            let q = tr!(T::ChanConfirmDelete, crate::channels::label_of(url));
            tail.push(Line::styled(
                crate::text::table::truncate(&q, inner_w),
                t.warn(),
            ));
        } else {
            let mut spans = Vec::new();
            let mut used = 0;
            for (k, h) in bindings::FORM {
                let (k, h) = (format!("{k} "), format!("{}  ", h.s()));
                used += k.width() + h.width();
                if used > inner_w + 2 {
                    break;
                }
                spans.push(Span::styled(k, t.key()));
                spans.push(Span::raw(h));
            }
            tail.push(Line::from(spans));
        }
        tail
    }
}

/// A field's value as the form shows it (a secret as dots, a choice between ‹ ›), and
/// the cells it takes.
fn value_span(
    field: &crate::tui::form::Field,
    focused: bool,
    value_w: usize,
    t: Theme,
) -> (Span<'static>, usize) {
    match &field.value {
        Value::Text(input) => {
            let scroll = input.visual_scroll(value_w.saturating_sub(1));
            let hidden =
                field.masked && !crate::channels::compose::is_reference(input.value().trim());
            let visible: String = if hidden {
                input.value().chars().skip(scroll).map(|_| '•').collect()
            } else {
                input.value().chars().skip(scroll).collect()
            };
            let shown = crate::text::table::truncate(&visible, value_w);
            let used = shown.width();
            (
                Span::styled(shown, if field.locked { t.dim() } else { Style::new() }),
                used,
            )
        }
        Value::Choice { options, index } => {
            let label = options.get(*index).map_or(String::new(), |o| o.1.clone());
            let s = if focused {
                format!("‹ {label} ›")
            } else {
                label
            };
            let used = s.width();
            (
                Span::styled(s, if focused { t.focus() } else { Style::new() }),
                used,
            )
        }
        Value::Row(_) => (Span::raw(""), 0),
    }
}

/// A long error wraps under its field (four lines at most) rather than losing its end at
/// the form's edge.
fn long_error(e: &str, label_w: usize, value_w: usize, t: Theme) -> Vec<Line<'static>> {
    let indent = " ".repeat(label_w + 3);
    let wrapped = crate::tui::widgets::wrap(e, value_w);
    let n = wrapped.len();
    wrapped
        .into_iter()
        .take(4)
        .enumerate()
        .map(|(i, l)| {
            let l = if i == 3 && n > 4 {
                crate::text::table::truncate(&format!("{l} …"), value_w)
            } else {
                l
            };
            Line::styled(format!("{indent}{l}"), t.error())
        })
        .collect()
}

/// A row spans the form: a heading (dim) or a line keys act on.
fn row_line(text: &str, locked: bool, focused: bool, inner_w: usize, t: Theme) -> Line<'static> {
    let style = if focused {
        t.focus()
    } else if locked {
        t.dim()
    } else {
        Style::new()
    };
    let mark = if focused { "›" } else { " " };
    Line::styled(
        crate::text::table::truncate(&format!("{mark}{text}"), inner_w),
        style,
    )
}
