//! A notification as a phone's lock screen shows it: a short title and a short body, in
//! the process's language. Each service cuts it to its own limit (`cut_chars`, `cut_bytes`).

use crate::i18n::T;
use crate::tr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub body: String,
    /// The notify event's name (`recharge_failed`, `digest`, `test`), for webhooks and tags.
    pub event: String,
    /// The number's id (empty for the digest and the test).
    pub number: String,
    /// Whether the service should raise it above the ordinary (failures, doubts).
    pub urgent: bool,
}

impl Message {
    /// What `notify test` and the TUI's `t` send.
    pub fn test() -> Message {
        Message {
            title: tr!(T::ChanTestTitle),
            body: tr!(T::ChanTestBody),
            event: "test".to_string(),
            number: String::new(),
            urgent: false,
        }
    }

    /// Title and body as plain text (services that do not render Markdown).
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.body)
    }

    /// Title and body as Markdown (ServerChan, PushPlus, WeCom, DingTalk render it).
    pub fn markdown(&self) -> String {
        format!("**{}**\n\n{}", self.title, self.body.replace('\n', "\n\n"))
    }
}
