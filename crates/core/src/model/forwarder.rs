//! A phone or a board that hosts a SIM and talks HTTP: an SMS forwarder app (SmsForwarder,
//! SMS Gateway for Android) or anything that can POST a webhook. Validated data only; the
//! secrets are the names of environment variables, never their values.

/// The forwarders baohao knows how to talk to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwarderKind {
    SmsForwarder,
    SmsGateway,
    Webhook,
}

impl ForwarderKind {
    pub const ALL: [ForwarderKind; 3] = [
        ForwarderKind::SmsForwarder,
        ForwarderKind::SmsGateway,
        ForwarderKind::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ForwarderKind::SmsForwarder => "smsforwarder",
            ForwarderKind::SmsGateway => "sms-gateway",
            ForwarderKind::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<ForwarderKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether baohao can send through it (and so it needs the phone's `url`).
    pub fn sends(self) -> bool {
        !matches!(self, ForwarderKind::Webhook)
    }
}

/// One entry of the top-level `forwarders` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forwarder {
    pub id: String,
    pub kind: ForwarderKind,
    /// The phone on the LAN, or SMS Gateway's cloud server; `None` for a webhook board.
    pub url: Option<String>,
    /// SmsForwarder's signing secret.
    pub secret_env: Option<String>,
    /// SMS Gateway's Basic-auth user and password, and its webhook signing key.
    pub user_env: Option<String>,
    pub password_env: Option<String>,
    pub signing_key_env: Option<String>,
    /// A webhook board's token (`Authorization: Bearer …` or `?token=`).
    pub token_env: Option<String>,
    /// A webhook board's field names (JSON members or form fields).
    pub fields: WebhookFields,
    /// Seconds one request to the phone may take.
    pub timeout_secs: u64,
    /// Hours without a word from the phone before `forwarder_silent` is raised.
    pub quiet_hours: u32,
}

/// `"fields": {"sender", "message", "timestamp", "slot"}`: the names a webhook forwarder
/// posts its text's parts under, each defaulting to its own name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookFields {
    pub sender: String,
    pub message: String,
    pub timestamp: String,
    pub slot: String,
}

impl Default for WebhookFields {
    fn default() -> WebhookFields {
        WebhookFields {
            sender: "sender".into(),
            message: "message".into(),
            timestamp: "timestamp".into(),
            slot: "slot".into(),
        }
    }
}

pub const DEFAULT_FORWARDER_REQUEST_SECS: u64 = 30;
pub const DEFAULT_QUIET_HOURS: u32 = 24;

impl Forwarder {
    /// The names of the environment variables that hold this forwarder's secrets.
    pub fn env_names(&self) -> impl Iterator<Item = &String> {
        [
            &self.secret_env,
            &self.user_env,
            &self.password_env,
            &self.signing_key_env,
            &self.token_env,
        ]
        .into_iter()
        .flatten()
    }

    /// The variable whose value proves a webhook came from this forwarder.
    pub fn webhook_secret_env(&self) -> Option<&str> {
        match self.kind {
            ForwarderKind::SmsForwarder => self.secret_env.as_deref(),
            ForwarderKind::SmsGateway => self.signing_key_env.as_deref(),
            ForwarderKind::Webhook => self.token_env.as_deref(),
        }
    }
}

/// `"inbox": {"listen": "127.0.0.1:8787", "window_secs"?}`: where the worker takes
/// webhooks, and how far a signed timestamp may be from its clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbox {
    pub listen: std::net::SocketAddr,
    pub window_secs: u64,
}

/// A signed webhook's timestamp may be this far from the clock, either way.
pub const DEFAULT_WINDOW_SECS: u64 = 300;

/// A number's `"forwarder": {"id", "slot"?}`: which forwarder holds its SIM, in which slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwarderRef {
    pub id: String,
    pub slot: Option<u8>,
}

pub const DEFAULT_FORWARDER_TIMEOUT_SECS: u64 = 180;

/// The provider `{"kind": "forwarder", "sms": {to, text}, "reply_from", "timeout_secs"}`:
/// the balance read by a query text sent through the number's forwarder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwarderProvider {
    pub to: String,
    pub text: String,
    pub reply_from: String,
    pub timeout_secs: u64,
}

/// One forwarder as last looked at.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    pub id: String,
    pub kind: String,
    /// The first look of this worker's home at it: silence is counted from here at most.
    pub watched_since: chrono::DateTime<chrono::Utc>,
    pub looked_at: chrono::DateTime<chrono::Utc>,
    /// The last look it answered (never for a webhook board: nothing is asked of it).
    pub answered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub reachable: Option<bool>,
    pub problem: Option<String>,
    pub battery: Option<u32>,
    pub charging: Option<bool>,
}
