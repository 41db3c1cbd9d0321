//! What a person does that goes into the log: a form builds an [`Operation`], `update`
//! asks for it as an effect, and `effect` appends it. Below both `forms` and `effect`.

use chrono::NaiveDate;

use crate::model::Money;
use crate::session::Resolution;

/// Something a person does that is appended to the log.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    TopUp {
        number: String,
        amount: Money,
        note: Option<String>,
        /// When the money went in (`None`: now).
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    Balance {
        number: String,
        amount: Money,
        validity: Option<NaiveDate>,
    },
    Activity {
        number: String,
        note: Option<String>,
    },
    Resolve {
        intent: String,
        resolution: Resolution,
    },
}
