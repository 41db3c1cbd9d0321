//! The add-a-channel form (Settings' `a`): the kind, then the fields of that kind (topic,
//! key, secret, chat id…), which compose the channel's URL. Secrets are shown as dots
//! unless written as `${NAME}`; Ctrl-T (or `t` on a choice) sends a test with the values
//! as they are, unsaved.

use crate::channels::compose::{self, Part};
use crate::i18n::T;
use crate::model::Config;
use crate::tr;
use crate::tui::form::{Field, FieldId, Form, Value};

use super::{Built, ChannelsPart, OpenForm, Original, Purpose};

/// Every part a kind may ask for, in the form's order.
const PARTS: [Part; 11] = [
    Part::Host,
    Part::Key,
    Part::Secret,
    Part::Chat,
    Part::User,
    Part::Password,
    Part::To,
    Part::From,
    Part::Path,
    Part::Secure,
    Part::Base,
];

/// The name a person knows each kind by.
fn kind_label(kind: &str) -> String {
    match kind {
        "ntfy" => "ntfy".into(),
        "bark" => "Bark".into(),
        "schan" => "ServerChan (Server酱)".into(),
        "pushplus" => "PushPlus (推送加)".into(),
        "wecombot" => tr!(T::ChanKindWeCom),
        "dingtalk" => tr!(T::ChanKindDingTalk),
        "feishu" => tr!(T::ChanKindFeishu),
        "lark" => "Lark".into(),
        "tgram" => "Telegram".into(),
        "gotify" => "Gotify".into(),
        "pover" => "Pushover".into(),
        "mailto" => tr!(T::ChanKindEmail),
        "json" => tr!(T::ChanKindJson),
        "form" => tr!(T::ChanKindForm),
        other => other.to_string(),
    }
}

/// What `part` is called for `kind`.
fn part_label(kind: &str, part: Part) -> String {
    match (part, kind) {
        (Part::Host, "mailto") => tr!(T::ChanFieldSmtpHost),
        (Part::Host, _) => tr!(T::ChanFieldHost),
        (Part::Key, "ntfy") => tr!(T::ChanFieldTopic),
        (Part::Key, "bark") => tr!(T::ChanFieldDeviceKey),
        (Part::Key, "schan") => "SendKey".into(),
        (Part::Key, "wecombot") => tr!(T::ChanFieldWebhookKey),
        (Part::Key, "dingtalk") => "access_token".into(),
        (Part::Key, "feishu" | "lark") => tr!(T::ChanFieldHookToken),
        (Part::Key, "tgram") => tr!(T::ChanFieldBotToken),
        (Part::Key, "gotify" | "pover") => tr!(T::ChanFieldAppToken),
        (Part::Key, _) => tr!(T::ChanFieldToken),
        (Part::Secret, "ntfy") => tr!(T::ChanFieldAccessToken),
        (Part::Secret, _) => tr!(T::ChanFieldSignSecret),
        (Part::Chat, _) => "chat_id".into(),
        (Part::User, "pover") => tr!(T::ChanFieldUserKey),
        (Part::User, _) => tr!(T::ChanFieldUser),
        (Part::Password, _) => tr!(T::ChanFieldPassword),
        (Part::To, _) => tr!(T::ChanFieldTo),
        (Part::From, _) => tr!(T::ChanFieldFrom),
        (Part::Path, _) => tr!(T::ChanFieldPath),
        (Part::Secure, _) => "TLS".into(),
        (Part::Base, _) => tr!(T::ChanFieldBase),
    }
}

/// The choices of the TLS field for `kind`.
fn secure_options(kind: &str) -> Vec<(String, String)> {
    let mut o = vec![
        ("yes".to_string(), tr!(T::Yes)),
        ("no".to_string(), tr!(T::No)),
    ];
    if kind == "mailto" {
        o.insert(1, ("starttls".to_string(), "STARTTLS".to_string()));
    }
    o
}

/// The channel form on an existing channel (Enter on its row in Settings), filled in from
/// its URL; `None` when the URL holds something the form has no field for.
pub fn edit_channel_form(parent: OpenForm, url: &str) -> Option<OpenForm> {
    let (kind, values) = compose::decompose(url)?;
    let mut of = channel_form(parent);
    of.form.title = tr!(T::FormEditChannel, crate::channels::label_of(url));
    of.form.set(FieldId::ChanKind, kind);
    arrange_channel(&mut of);
    for (part, value) in values {
        of.form.set(FieldId::Chan(part), &value);
    }
    of.channels.editing = Some(url.to_string());
    Some(of)
}

pub fn channel_form(parent: OpenForm) -> OpenForm {
    let kinds = compose::KINDS
        .iter()
        .map(|k| (k.to_string(), kind_label(k)))
        .collect();
    let mut fields = vec![Field::choice(
        FieldId::ChanKind,
        tr!(T::ChanFieldKind),
        kinds,
        "ntfy",
    )];
    for p in PARTS {
        let field = if p == Part::Secure {
            Field::choice(
                FieldId::Chan(p),
                "TLS".into(),
                secure_options("ntfy"),
                "yes",
            )
        } else {
            Field::text(FieldId::Chan(p), String::new(), "")
        };
        fields.push(field);
    }
    let mut form = Form::new(tr!(T::FormAddChannel), fields);
    form.notes.push(tr!(T::FormAddChannelNote));
    let mut of = OpenForm {
        purpose: Purpose::AddChannel,
        form,
        preset_rules: Vec::new(),
        confirm_discard: false,
        preset_fill: None,
        original: Original::None,
        channels: ChannelsPart {
            parent: Some(Box::new(parent)),
            ..Default::default()
        },
    };
    arrange_channel(&mut of);
    of
}

/// Shows the fields of the chosen kind, named as that kind names them.
pub(super) fn arrange_channel(of: &mut OpenForm) {
    let kind = of.form.get(FieldId::ChanKind).to_string();
    let specs = compose::parts(&kind);
    for p in PARTS {
        let spec = specs.iter().find(|s| s.part == p);
        let Some(f) = of.form.field_mut(FieldId::Chan(p)) else {
            continue;
        };
        f.visible = spec.is_some();
        f.label = part_label(&kind, p);
        f.masked = spec.is_some_and(|s| s.secret);
        f.hint = spec.map(|s| {
            if s.secret {
                tr!(T::HintChannelSecret)
            } else if p == Part::Base {
                tr!(T::HintChannelBase)
            } else if !s.required {
                tr!(T::HintOptional)
            } else {
                String::new()
            }
        });
        if p == Part::Secure
            && let Value::Choice { options, index } = &mut f.value
        {
            let chosen = options.get(*index).map(|o| o.0.clone());
            *options = secure_options(&kind);
            *index = chosen
                .and_then(|c| options.iter().position(|o| o.0 == c))
                .unwrap_or(0);
        }
    }
}

/// The URL the form's values make, or the part that is missing and why.
pub fn composed(form: &Form) -> Result<String, (Part, String)> {
    let kind = form.get(FieldId::ChanKind);
    let values: Vec<(Part, &str)> = compose::parts(kind)
        .iter()
        .map(|s| (s.part, form.get(FieldId::Chan(s.part))))
        .collect();
    compose::compose(kind, &values)
}

pub(super) fn validate_channel(of: &mut OpenForm, config: &Config) -> Option<Built> {
    let url = match composed(&of.form) {
        Ok(url) => url,
        Err((part, why)) => {
            of.form.set_error(FieldId::Chan(part), Some(why));
            set_preview(of, None);
            return None;
        }
    };
    set_preview(of, Some(&url));
    if let Err(why) = crate::channels::check(&url) {
        of.form.error = Some(why);
        return None;
    }
    let editing = of.channels.editing.as_deref().map(str::trim);
    let known = editing != Some(url.as_str())
        && config
            .notify
            .as_ref()
            .is_some_and(|n| n.channels.iter().any(|c| c.trim() == url));
    if known {
        of.form.error = Some(tr!(T::ChanAlreadyThere));
        return None;
    }
    Some(Built::Channel(url))
}

/// The form's notes: what it is for, the URL without its secrets, and the last test.
fn set_preview(of: &mut OpenForm, url: Option<&str>) {
    let mut notes = vec![tr!(T::FormAddChannelNote)];
    if let Some(u) = url {
        notes.push(tr!(T::ChanPreview, crate::channels::label_of(u)));
    }
    if let Some((tried, answer)) = &of.channels.test
        && url == Some(tried.as_str())
    {
        notes.push(test_line(answer.as_ref()));
    }
    of.form.notes = notes;
}

/// How a test stands, as a line.
pub fn test_line(answer: Option<&Result<(), String>>) -> String {
    match answer {
        None => tr!(T::ChanTesting),
        Some(Ok(())) => tr!(T::ChanTestOk),
        Some(Err(why)) => tr!(T::ChanTestFailed, why),
    }
}

/// The URL to test from the add-a-channel form now, or why there is none (the form's
/// own errors say it).
pub fn test_url(of: &mut OpenForm) -> Option<String> {
    let url = composed(&of.form).ok()?;
    crate::channels::check(&url).ok()?;
    of.channels.test = Some((url.clone(), None));
    set_preview(of, Some(&url));
    Some(url)
}

/// A test's answer arrived: shown if the form still holds the values it tried.
pub fn tested(of: &mut OpenForm, url: &str, answer: &Result<(), String>) -> bool {
    match &mut of.channels.test {
        Some((tried, slot)) if tried == url => {
            *slot = Some(answer.clone());
            let now = composed(&of.form).ok();
            set_preview(of, now.as_deref());
            true
        }
        _ => false,
    }
}
