//! The text the core itself needs: the cleaner every stored or shown string passes through,
//! and the names of statement sources. Presentation (widths, labels, tables) lives above.

pub mod clean;

use crate::i18n::T;
use crate::tr;

/// A statement's or text's source as a person knows it (`alipay` is 支付宝 in Chinese);
/// a source baohao has no name for (a forwarder's id) as it is.
pub fn platform_name(source: &str) -> String {
    match source {
        "alipay" => tr!(T::StmtPlatformAlipay),
        "wechat" => tr!(T::StmtPlatformWechat),
        "sms" => tr!(T::SourceTexts),
        "csv" => tr!(T::SourceCsv),
        other => other.to_string(),
    }
}
