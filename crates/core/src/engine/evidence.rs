//! A top-up seen in a record made elsewhere: what the state keeps of a `statement`, and
//! what reconciliation judges against. Plain data, below both of them.

use chrono::{DateTime, Utc};

use crate::model::Currency;

/// A top-up seen in a record made elsewhere (a `statement` event).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// The statement event's id.
    pub id: Box<str>,
    /// When the money went in, as the record says.
    pub at: DateTime<Utc>,
    pub amount: i64,
    pub currency: Currency,
    pub source: Box<str>,
    pub reference: Box<str>,
    /// A later refund row undid it.
    pub refunded: bool,
}

impl Evidence {
    /// Payment records are money in; a carrier's text only confirms money that a reading or
    /// a statement also shows, so it is not counted twice.
    pub(crate) fn counts_as_money(&self) -> bool {
        &*self.source != "sms"
    }
}
