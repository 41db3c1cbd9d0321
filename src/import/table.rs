//! Statement tables: Alipay and WeChat Pay bill exports (CSV, and XLSX for WeChat) and a
//! generic CSV mapped in the config. A block of header lines may come before the column
//! row; cells may be padded with spaces and tabs. Rows stream through one at a time.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

use crate::i18n::T;
use crate::import::sms::clean;
use crate::import::{Format, ImportError, Reading, event_id, hash_ref, is_top_up, number_for};
use crate::model::{Config, Currency, Event, EventBody, Money, Number};
use crate::tr;

/// Where each needed column is.
#[derive(Clone, Debug, Default)]
struct Columns {
    time: usize,
    amount: usize,
    /// Cells whose text may name a top-up and a number (counterpart, goods, category…).
    texts: Vec<usize>,
    /// The cells kept as the statement's text: counterpart and goods.
    label: Vec<usize>,
    direction: Option<usize>,
    status: Option<usize>,
    order: Option<usize>,
    merchant: Option<usize>,
    kind: Option<usize>,
}

/// One data row, cells trimmed.
struct Row<'a> {
    cells: &'a [String],
}

impl Row<'_> {
    fn get(&self, i: Option<usize>) -> &str {
        i.and_then(|i| self.cells.get(i)).map_or("", String::as_str)
    }
}

fn trim(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_string()
}

/// The column row of `format`: its index, or `None` when `cells` is not it. A row that has
/// the time column but lacks others is an error naming what is missing.
fn columns(
    format: Format,
    config: &Config,
    cells: &[String],
    line: u64,
) -> Result<Option<Columns>, ImportError> {
    let find = |name: &str| cells.iter().position(|c| c == name);
    let (time, required, texts, optional): (&str, Vec<&str>, Vec<&str>, [&str; 5]) = match format {
        Format::Alipay => (
            "交易时间",
            vec![
                "交易时间",
                "交易分类",
                "交易对方",
                "商品说明",
                "收/支",
                "金额",
                "交易状态",
                "交易订单号",
            ],
            vec!["交易对方", "对方账号", "商品说明", "交易分类", "备注"],
            ["收/支", "交易状态", "交易订单号", "商家订单号", "交易分类"],
        ),
        Format::Wechat => (
            "交易时间",
            vec![
                "交易时间",
                "交易类型",
                "交易对方",
                "商品",
                "收/支",
                "金额(元)",
                "当前状态",
                "交易单号",
            ],
            vec!["交易对方", "商品", "交易类型", "备注"],
            ["收/支", "当前状态", "交易单号", "商户单号", "交易类型"],
        ),
        Format::Csv | Format::Sms => {
            let Some(m) = &config.import_csv else {
                return Err(ImportError::whole(tr!(T::ImportNoCsvMapping)));
            };
            let mut required = vec![m.date.as_str(), m.amount.as_str(), m.description.as_str()];
            if let Some(r) = &m.reference {
                required.push(r);
            }
            let Some(time) = find(&m.date) else {
                return Ok(None);
            };
            let missing: Vec<&str> = required
                .iter()
                .copied()
                .filter(|c| find(c).is_none())
                .collect();
            if !missing.is_empty() {
                return Err(ImportError::at(
                    line,
                    tr!(T::ImportMissingColumns, missing.join(", ")),
                ));
            }
            return Ok(Some(Columns {
                time,
                amount: find(&m.amount).unwrap_or(0),
                texts: vec![find(&m.description).unwrap_or(0)],
                label: vec![find(&m.description).unwrap_or(0)],
                order: m.reference.as_deref().and_then(find),
                ..Columns::default()
            }));
        }
    };
    let Some(time_at) = find(time) else {
        return Ok(None);
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| find(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::at(
            line,
            tr!(T::ImportMissingColumns, missing.join(", ")),
        ));
    }
    let amount_name = if format == Format::Wechat {
        "金额(元)"
    } else {
        "金额"
    };
    let goods = if format == Format::Wechat {
        "商品"
    } else {
        "商品说明"
    };
    Ok(Some(Columns {
        time: time_at,
        amount: find(amount_name).unwrap_or(0),
        texts: texts.iter().filter_map(|t| find(t)).collect(),
        label: ["交易对方", goods].iter().filter_map(|t| find(t)).collect(),
        direction: find(optional[0]),
        status: find(optional[1]),
        order: find(optional[2]),
        merchant: find(optional[3]),
        kind: find(optional[4]),
    }))
}

/// Reads a statement table row by row.
struct Builder<'a> {
    config: &'a Config,
    number: Option<&'a Number>,
    format: Format,
    columns: Option<Columns>,
    out: Reading,
    ids: HashSet<String>,
    /// Top-up orders seen, by merchant order number (for refunds naming only that).
    orders: HashMap<String, String>,
    /// Refunds whose order was not seen yet (rows may come in any order).
    pending_refunds: Vec<(u64, Event, String)>,
}

impl<'a> Builder<'a> {
    fn new(config: &'a Config, number: Option<&'a Number>, format: Format) -> Builder<'a> {
        Builder {
            config,
            number,
            format,
            columns: None,
            out: Reading::default(),
            ids: HashSet::new(),
            orders: HashMap::new(),
            pending_refunds: Vec::new(),
        }
    }

    fn source(&self) -> &'static str {
        self.format.as_str()
    }

    fn row(&mut self, line: u64, cells: Vec<String>) -> Result<(), ImportError> {
        if cells.iter().any(|c| c.contains('\u{fffd}')) {
            return Err(ImportError::at(line, tr!(T::ImportEncoding)));
        }
        let Some(cols) = &self.columns else {
            self.columns = columns(self.format, self.config, &cells, line)?;
            return Ok(());
        };
        // A footer or note line, not a data row: too few cells for the columns.
        let widest = cols
            .texts
            .iter()
            .chain([&cols.time, &cols.amount])
            .max()
            .copied();
        if widest.is_some_and(|w| cells.len() <= w) {
            return Ok(());
        }
        let row = Row { cells: &cells };
        let first = row.get(Some(cols.time));
        // Blank lines and the footer block ("-----", notes) end or pad the table.
        if first.is_empty() || first.starts_with('-') || first.starts_with('#') {
            return Ok(());
        }
        let at = self
            .when(first)
            .ok_or_else(|| ImportError::at(line, tr!(T::ImportBadDate, first)))?;
        let amount_text = row.get(Some(cols.amount));
        let bad_amount = || ImportError::at(line, tr!(T::ImportBadAmount, amount_text));
        // Checked on every row; read in the number's currency once the number is known.
        parse_amount(amount_text, self.check_currency()).ok_or_else(bad_amount)?;
        let mut currency = self.currency();
        let texts: Vec<&str> = cols.texts.iter().map(|&i| row.get(Some(i))).collect();
        let joined = texts.join(" ");
        if !is_top_up(&joined) {
            return Ok(());
        }
        let direction = row.get(cols.direction);
        let status = row.get(cols.status);
        let kind = row.get(cols.kind);
        let refund = is_refund(status, kind, &joined);
        let label: Vec<&str> = cols
            .label
            .iter()
            .map(|&i| row.get(Some(i)))
            .filter(|t| !t.is_empty() && *t != "/")
            .collect();
        let label = clean(&label.join(" "), 200);
        let format = self.format;
        let shown = |currency| match parse_amount(amount_text, currency) {
            Some(a) if format != Format::Csv => clean(
                &format!("{label} {}", Money::new(a, currency).display()),
                160,
            ),
            _ => clean(&format!("{label} {amount_text}"), 160),
        };
        if direction == "收入" && !refund {
            return Ok(());
        }
        if let Some(why) = unusable(self.format, status, refund) {
            self.out
                .skipped
                .push(tr!(T::ImportRowSet, line, shown(currency), why));
            return Ok(());
        }
        let number = match self.number {
            Some(n) => n,
            None => match number_for(self.config, &texts) {
                Some(n) => n,
                None => {
                    self.out
                        .unmatched
                        .push(tr!(T::ImportRowUnmatched, line, shown(currency)));
                    return Ok(());
                }
            },
        };
        if self.format == Format::Csv {
            currency = number.currency;
        }
        let Some(amount) = parse_amount(amount_text, currency) else {
            return Err(bad_amount());
        };
        if number.currency != currency {
            self.out
                .unmatched
                .push(tr!(T::ImportRowUnmatched, line, shown(currency)));
            return Ok(());
        }
        let order = row.get(cols.order).to_string();
        let merchant = row.get(cols.merchant).to_string();
        let reference = if order.is_empty() {
            hash_ref(&cells.iter().map(String::as_str).collect::<Vec<_>>())
        } else {
            order.clone()
        };
        let text = label;
        let event = Event {
            id: event_id("statement", self.source(), &reference),
            at,
            number: number.id.clone(),
            body: EventBody::Statement {
                source: self.source().to_string(),
                reference: reference.clone(),
                amount_minor: amount,
                currency,
                text,
                refund_of: None,
            },
        };
        if refund {
            // `原订单号_退款号`: the refunded order is in the refund's own number.
            let of = order
                .split_once(['_', '*'])
                .map(|(o, _)| o.to_string())
                .filter(|o| !o.is_empty());
            match of {
                Some(of) => self.push_refund(event, of),
                None => self.pending_refunds.push((line, event, merchant)),
            }
            return Ok(());
        }
        if !merchant.is_empty() {
            self.orders.insert(merchant, reference);
        }
        if self.ids.insert(event.id.clone()) {
            self.out.events.push(event);
        }
        Ok(())
    }

    fn push_refund(&mut self, mut event: Event, of: String) {
        if let EventBody::Statement { refund_of, .. } = &mut event.body {
            *refund_of = Some(of);
        }
        if self.ids.insert(event.id.clone()) {
            self.out.events.push(event);
        }
    }

    fn finish(mut self, lines: u64) -> Result<Reading, ImportError> {
        if self.columns.is_none() {
            return Err(ImportError::at(
                lines.max(1),
                tr!(T::ImportNoColumns, self.format.as_str()),
            ));
        }
        for (line, event, merchant) in std::mem::take(&mut self.pending_refunds) {
            match self.orders.get(&merchant).cloned() {
                Some(of) if !merchant.is_empty() => self.push_refund(event, of),
                _ => {
                    let shown = match &event.body {
                        EventBody::Statement {
                            text,
                            amount_minor,
                            currency,
                            ..
                        } => {
                            format!("{text} {}", Money::new(*amount_minor, *currency).display())
                        }
                        _ => String::new(),
                    };
                    self.out.skipped.push(tr!(
                        T::ImportRowSet,
                        line,
                        shown,
                        tr!(T::ImportRefundUnknown)
                    ));
                }
            }
        }
        Ok(self.out)
    }

    /// The currency amounts are checked against before the row's number is known: the
    /// statement's own, or for a generic CSV the most decimals any currency has.
    fn check_currency(&self) -> Currency {
        match self.format {
            Format::Csv | Format::Sms => Currency::new("KWD").unwrap_or_else(|_| cny()),
            _ => cny(),
        }
    }

    fn currency(&self) -> Currency {
        match self.format {
            Format::Csv | Format::Sms => self
                .number
                .or(self.config.numbers.first())
                .map_or_else(cny, |n| n.currency),
            _ => cny(),
        }
    }

    /// The row's time in the config's zone.
    fn when(&self, text: &str) -> Option<DateTime<FixedOffset>> {
        let tz = self.config.timezone;
        let naive = match (self.format, &self.config.import_csv) {
            (Format::Csv, Some(m)) => NaiveDateTime::parse_from_str(text, &m.date_format)
                .ok()
                .or_else(|| {
                    NaiveDate::parse_from_str(text, &m.date_format)
                        .ok()
                        .and_then(|d| d.and_hms_opt(12, 0, 0))
                })?,
            _ => [
                "%Y-%m-%d %H:%M:%S",
                "%Y/%m/%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y/%m/%d %H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())?,
        };
        let local = tz.from_local_datetime(&naive).earliest()?;
        Some(local.fixed_offset())
    }
}

fn cny() -> Currency {
    Currency::new("CNY").expect("CNY is a currency")
}

/// `¥50.00`, `50.00`, `-50.00` (a bank's debit), `1,050.00`: exact, in minor units.
fn parse_amount(text: &str, currency: Currency) -> Option<i64> {
    let t: String = text
        .chars()
        .filter(|c| !matches!(c, '¥' | '￥' | ',' | ' ' | '+'))
        .collect();
    let t = t.strip_prefix('-').unwrap_or(&t);
    Money::parse(t, currency).ok().map(|m| m.minor)
}

fn is_refund(status: &str, kind: &str, text: &str) -> bool {
    kind.contains("退款")
        || status.contains("退款成功")
        || status == "已退款"
        || text.starts_with("退款")
        || text.to_lowercase().contains("refund")
}

/// Why a top-up row does not count, if it does not: closed, failed, waiting, refunded whole.
fn unusable(format: Format, status: &str, refund: bool) -> Option<String> {
    if format == Format::Csv || status.is_empty() {
        return None;
    }
    if refund {
        return None;
    }
    let ok = [
        "交易成功",
        "支付成功",
        "成功",
        "已完成",
        "充值成功",
        "缴费成功",
        "对方已收钱",
        "已转账",
        "已支付",
    ];
    if ok.contains(&status) || (status.starts_with("已退款") && status.contains('(')) {
        return None;
    }
    Some(status.to_string())
}

/// A CSV statement (UTF-8 or GBK), read record by record.
pub fn read_csv<R: Read + Send + 'static>(
    config: &Config,
    number: Option<&Number>,
    format: Format,
    input: crate::import::decode::Sniffed<R>,
) -> Result<Reading, ImportError> {
    let utf8 = input
        .into_utf8()
        .ok_or_else(|| ImportError::at(1, tr!(T::ImportEncoding)))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(utf8);
    let mut b = Builder::new(config, number, format);
    let mut record = csv::ByteRecord::new();
    let mut last = 1;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(last, |p| p.line());
                last = line;
                let mut cells = Vec::with_capacity(record.len());
                for c in record.iter() {
                    let s = std::str::from_utf8(c)
                        .map_err(|_| ImportError::at(line, tr!(T::ImportEncoding)))?;
                    cells.push(trim(s));
                }
                b.row(line, cells)?;
            }
            Err(e) => {
                let line = e.position().map_or(last, |p| p.line());
                return Err(ImportError::at(line, tr!(T::ImportCsv, e)));
            }
        }
    }
    b.finish(last)
}

/// A statement spreadsheet (the first sheet), as WeChat Pay exports it.
pub fn read_xlsx(
    config: &Config,
    number: Option<&Number>,
    format: Format,
    bytes: &[u8],
) -> Result<Reading, ImportError> {
    use calamine::{Data, DataType, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| ImportError::whole(tr!(T::ImportXlsx, e)))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| ImportError::whole(tr!(T::ImportXlsx, "no sheet")))?
        .map_err(|e| ImportError::whole(tr!(T::ImportXlsx, e)))?;
    let start = range.start().map_or(0, |(r, _)| r as u64);
    let mut b = Builder::new(config, number, format);
    let mut last = 1;
    for (i, row) in range.rows().enumerate() {
        let line = start + i as u64 + 1;
        last = line;
        let cells = row
            .iter()
            .map(|c| match c {
                Data::String(s) => trim(s),
                Data::Int(n) => n.to_string(),
                // The cell's own shortest decimal form, parsed exactly from there on.
                Data::Float(f) => format!("{f}"),
                Data::DateTime(_) | Data::DateTimeIso(_) => c
                    .as_datetime()
                    .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default(),
                Data::Bool(v) => v.to_string(),
                _ => String::new(),
            })
            .collect();
        b.row(line, cells)?;
    }
    b.finish(last)
}
