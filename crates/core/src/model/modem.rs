//! What a number asks of its modem: which modem holds the SIM, how a balance is queried
//! (USSD or a query text), and a keep-alive text. Pure data; talking to modems is the modem client's job.

/// Which modem holds a number's SIM.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModemMatch {
    /// The only modem ModemManager sees.
    Any,
    /// The SIM's IMSI or ICCID, or the modem's equipment identifier (IMEI).
    Id(String),
}

impl ModemMatch {
    pub fn parse(s: &str) -> ModemMatch {
        if s.eq_ignore_ascii_case("any") {
            ModemMatch::Any
        } else {
            ModemMatch::Id(s.trim().to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ModemMatch::Any => "any",
            ModemMatch::Id(s) => s,
        }
    }

    /// Whether a modem with these identifiers (the SIM's IMSI and ICCID, the modem's
    /// equipment id) is the one this number names.
    pub fn matches(&self, ids: [Option<&str>; 3]) -> bool {
        match self {
            ModemMatch::Any => true,
            ModemMatch::Id(id) => ids.into_iter().any(|v| v == Some(id.as_str())),
        }
    }
}

pub const DEFAULT_MODEM_TIMEOUT_SECS: u64 = 60;

/// What a modem is asked for a balance: a USSD code, or a query text and the reply's sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModemQuery {
    Ussd(String),
    Sms {
        to: String,
        text: String,
        reply_from: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModemProvider {
    pub query: ModemQuery,
    pub timeout_secs: u64,
}

/// A keep-alive rule's action: a text sent through the number's modem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsAction {
    pub to: String,
    pub text: String,
}

/// Only `[0-9*#]` reaches a USSD request: older ModemManager puts the string into an AT
/// command unquoted, so anything else could become a second command.
pub fn ussd_code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 160
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}
