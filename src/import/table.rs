//! Statement tables: Alipay and WeChat Pay bill exports (CSV, and XLSX for WeChat) and a
//! generic CSV mapped in the config. A block of header lines may come before the column
//! row; cells may be padded with spaces and tabs. Rows stream through one at a time.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

use crate::i18n::T;
use crate::import::limits::MAX_COLUMNS;
use crate::import::records::Records;
use crate::import::sms::clean;
use crate::import::topup::names_phone;
use crate::import::{
    Format, ImportError, Reading, archive, event_id, hash_ref, is_top_up, match_number, number_for,
};
use crate::model::{Config, Currency, Event, EventBody, Money, Number};
use crate::text::clean::value as clean_value;
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
    /// The classic Alipay export's `成功退款（元）`: how much of the order was refunded.
    refunded: Option<usize>,
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

/// A column layout a platform exports. Names are compared with full-width brackets made
/// ASCII; `a|b` accepts either name.
struct Layout {
    /// How the person knows it, for messages.
    name: T,
    time: &'static str,
    required: &'static [&'static str],
    texts: &'static [&'static str],
    label: &'static [&'static str],
    amount: &'static str,
    direction: &'static str,
    status: &'static str,
    order: &'static str,
    merchant: &'static str,
    kind: &'static str,
    refunded: Option<&'static str>,
}

/// Alipay's app export (交易时间 … 交易订单号) and its classic web export (交易号 …
/// 资金状态), then WeChat Pay's.
const ALIPAY: &[Layout] = &[
    Layout {
        name: T::LayoutAlipayApp,
        time: "交易时间",
        required: &[
            "交易时间",
            "交易分类",
            "交易对方",
            "商品说明",
            "收/支",
            "金额|金额(元)",
            "交易状态",
            "交易订单号",
        ],
        texts: &["交易对方", "对方账号", "商品说明", "交易分类", "备注"],
        label: &["交易对方", "商品说明"],
        amount: "金额|金额(元)",
        direction: "收/支",
        status: "交易状态",
        order: "交易订单号",
        merchant: "商家订单号",
        kind: "交易分类",
        refunded: None,
    },
    Layout {
        name: T::LayoutAlipayClassic,
        time: "交易创建时间|付款时间",
        required: &[
            "交易号",
            "交易创建时间|付款时间",
            "类型",
            "交易对方",
            "商品名称",
            "金额(元)|金额",
            "收/支",
            "交易状态",
        ],
        texts: &["交易对方", "商品名称", "类型", "备注"],
        label: &["交易对方", "商品名称"],
        amount: "金额(元)|金额",
        direction: "收/支",
        status: "交易状态",
        order: "交易号",
        merchant: "商家订单号",
        kind: "类型",
        refunded: Some("成功退款(元)|成功退款"),
    },
];

const WECHAT: &[Layout] = &[Layout {
    name: T::LayoutWechat,
    time: "交易时间",
    required: &[
        "交易时间",
        "交易类型",
        "交易对方",
        "商品",
        "收/支",
        "金额(元)",
        "当前状态",
        "交易单号",
    ],
    texts: &["交易对方", "商品", "交易类型", "备注"],
    label: &["交易对方", "商品"],
    amount: "金额(元)",
    direction: "收/支",
    status: "当前状态",
    order: "交易单号",
    merchant: "商户单号",
    kind: "交易类型",
    refunded: None,
}];

fn layouts(format: Format) -> &'static [Layout] {
    match format {
        Format::Alipay => ALIPAY,
        Format::Wechat => WECHAT,
        Format::Csv | Format::Sms => &[],
    }
}

/// The layouts tried for `format` and the columns each needs, for the sentence that says
/// none of them was found.
fn layouts_tried(format: Format) -> String {
    layouts(format)
        .iter()
        .map(|l| {
            let cols: Vec<&str> = l
                .required
                .iter()
                .map(|c| c.split('|').next().unwrap_or(c))
                .collect();
            tr!(T::LayoutNeeds, tr!(l.name), cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Every layout `import` knows and the columns each needs, the mapped CSV of the config
/// last (or that a generic CSV needs a mapping): for a file of none of them.
pub(super) fn every_layout(config: &Config) -> String {
    let csv = match &config.import_csv {
        Some(m) => {
            let mut cols = vec![m.date.as_str(), m.amount.as_str(), m.description.as_str()];
            cols.extend(m.reference.as_deref());
            tr!(T::LayoutNeeds, tr!(T::LayoutCsvMapped), cols.join(", "))
        }
        None => tr!(T::LayoutCsvUnmapped),
    };
    [
        layouts_tried(Format::Alipay),
        layouts_tried(Format::Wechat),
        csv,
    ]
    .join("; ")
}

/// The column row of `format`: its index, or `None` when `cells` is not it. A row that has
/// a layout's time column but lacks others is an error naming what is missing.
fn columns(
    format: Format,
    config: &Config,
    cells: &[String],
    line: u64,
) -> Result<Option<Columns>, ImportError> {
    let cells: Vec<String> = cells
        .iter()
        .map(|c| c.replace('（', "(").replace('）', ")"))
        .collect();
    let find = |names: &str| {
        names
            .split('|')
            .find_map(|name| cells.iter().position(|c| c == name))
    };
    let missing_of = |required: &[&str]| -> Vec<String> {
        required
            .iter()
            .filter(|c| find(c).is_none())
            .map(|c| c.split('|').next().unwrap_or(c).to_string())
            .collect()
    };
    if matches!(format, Format::Csv | Format::Sms) {
        let Some(m) = &config.import_csv else {
            return Err(ImportError::whole(tr!(T::ImportNoCsvMapping)));
        };
        let mut required = vec![m.date.as_str(), m.amount.as_str(), m.description.as_str()];
        if let Some(r) = &m.reference {
            required.push(r);
        }
        let exact = |name: &str| cells.iter().position(|c| c == name);
        let Some(time) = exact(&m.date) else {
            return Ok(None);
        };
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| exact(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ImportError::at(
                line,
                tr!(T::ImportMissingColumns, missing.join(", ")),
            ));
        }
        return Ok(Some(Columns {
            time,
            amount: exact(&m.amount).unwrap_or(0),
            texts: vec![exact(&m.description).unwrap_or(0)],
            label: vec![exact(&m.description).unwrap_or(0)],
            order: m.reference.as_deref().and_then(exact),
            ..Columns::default()
        }));
    }
    // The layout whose time column this row has, and then all of its columns.
    let mut near: Option<Vec<String>> = None;
    for l in layouts(format) {
        let Some(time) = find(l.time) else {
            continue;
        };
        let missing = missing_of(l.required);
        if !missing.is_empty() {
            if near.as_ref().is_none_or(|n| n.len() > missing.len()) {
                near = Some(missing);
            }
            continue;
        }
        return Ok(Some(Columns {
            time,
            amount: find(l.amount).unwrap_or(0),
            texts: l.texts.iter().filter_map(|t| find(t)).collect(),
            label: l.label.iter().filter_map(|t| find(t)).collect(),
            direction: find(l.direction),
            status: find(l.status),
            order: find(l.order),
            merchant: find(l.merchant),
            kind: find(l.kind),
            refunded: l.refunded.and_then(find),
        }));
    }
    match near {
        Some(missing) => Err(ImportError::at(
            line,
            tr!(T::ImportMissingColumns, missing.join(", ")),
        )),
        None => Ok(None),
    }
}

/// Reads a statement table row by row.
/// Whether a line has too few cells for the columns: a footer or a note, not a data row.
fn too_few_cells(cols: &Columns, cells: &[String]) -> bool {
    let widest = cols
        .texts
        .iter()
        .chain([&cols.time, &cols.amount])
        .max()
        .copied();
    widest.is_some_and(|w| cells.len() <= w)
}

/// What a row says it is for, from its label columns, cut to 80 characters.
fn label_of(cols: &Columns, row: &Row) -> String {
    let label: Vec<&str> = cols
        .label
        .iter()
        .map(|&i| row.get(Some(i)))
        .filter(|t| !t.is_empty() && *t != "/")
        .collect();
    cut(&label.join(" "), 80)
}

/// A top-up row read whole, as [`Builder::keep`] takes it.
struct Kept {
    at: DateTime<FixedOffset>,
    number: String,
    reference: String,
    order: String,
    merchant: String,
    amount: i64,
    currency: Currency,
    text: String,
    refund: bool,
    refunded: Option<i64>,
    line: u64,
}

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
    /// The configured numbers' carriers: their names make a top-up a phone top-up.
    carriers: Vec<&'a str>,
    /// Rows without an order number, by their content: how many so far, and the first
    /// one's line.
    same: HashMap<String, (u32, u64)>,
    /// Data rows read, and of them phone top-ups.
    rows: u64,
    top_ups: u64,
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
            carriers: config.numbers.iter().map(|n| n.carrier.as_str()).collect(),
            same: HashMap::new(),
            rows: 0,
            top_ups: 0,
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
        if too_few_cells(cols, &cells) {
            return Ok(());
        }
        self.rows += 1;
        let row = Row { cells: &cells };
        let first = row.get(Some(cols.time));
        // Blank lines and the footer block ("-----", notes) end or pad the table.
        if first.is_empty() || first.starts_with('-') || first.starts_with('#') {
            return Ok(());
        }
        let texts: Vec<&str> = cols.texts.iter().map(|&i| row.get(Some(i))).collect();
        let joined = texts.join(" ");
        // Only a phone top-up must carry a date and an amount baohao reads; every other
        // row is passed over unread, whatever its date says (`Pending`, another shape).
        if !is_top_up(&joined, &self.carriers) {
            return Ok(());
        }
        self.top_ups += 1;
        let amount_text = row.get(Some(cols.amount));
        let mut currency = self.currency();
        let direction = row.get(cols.direction);
        let status = row.get(cols.status);
        let kind = row.get(cols.kind);
        let refund = is_refund(status, kind, &joined);
        let label = label_of(cols, &row);
        let format = self.format;
        let shown = |currency| match parse_amount(amount_text, currency) {
            Ok(a) if format != Format::Csv => {
                shorten(&format!("{label} {}", Money::new(a, currency).display()))
            }
            _ => shorten(&format!("{label} {amount_text}")),
        };
        if direction == "收入" && !refund {
            return Ok(());
        }
        // A top-up whose time does not read is that row's problem, never the file's.
        let Some(at) = self.when(first) else {
            self.skip(
                line,
                shown(currency),
                tr!(T::ImportBadDate, clean_value(first)),
            );
            return Ok(());
        };
        if let Err(why) = parse_amount(amount_text, self.check_currency()) {
            self.skip_bad_amount(line, shown(currency), why);
            return Ok(());
        }
        // The classic Alipay export: the part of the order refunded, in its own column.
        let refunded = cols
            .refunded
            .map(|i| row.get(Some(i)))
            .filter(|t| !t.is_empty())
            .and_then(|t| parse_amount(t, cny()).ok())
            .filter(|&r| r > 0);
        if refunded.is_none()
            && let Some(why) = unusable(self.format, status, refund)
        {
            self.skip(line, shown(currency), why);
            return Ok(());
        }
        let order = row.get(cols.order).to_string();
        let merchant = row.get(cols.merchant).to_string();
        let Some(number) = self.number_of(&joined, &texts, line, || shown(currency)) else {
            return Ok(());
        };
        if self.format == Format::Csv {
            currency = number.currency;
        }
        let amount = match parse_amount(amount_text, currency) {
            Ok(a) => a,
            Err(why) => {
                self.skip_bad_amount(line, shown(currency), why);
                return Ok(());
            }
        };
        if number.currency != currency {
            self.out
                .unmatched
                .push(tr!(T::ImportRowUnmatched, line, shown(currency)));
            return Ok(());
        }
        let reference = self.reference_for(&order, &cells, line, || shown(currency));
        self.keep(Kept {
            at,
            number: number.id.clone(),
            reference,
            order,
            merchant,
            amount,
            currency,
            text: label,
            refund,
            refunded,
            line,
        });
        Ok(())
    }

    /// The number a row is for: the person's (unless the row names another phone), or the
    /// one its texts name. `None` (and the row said as unmatched) when there is none.
    fn number_of(
        &mut self,
        joined: &str,
        texts: &[&str],
        line: u64,
        shown: impl Fn() -> String,
    ) -> Option<&'a Number> {
        match self.number {
            // Assigned to the person's number, unless the row names another phone.
            Some(n) if names_phone(joined) && !texts.iter().any(|t| match_number(t, &n.msisdn)) => {
                self.out
                    .unmatched
                    .push(tr!(T::ImportRowOtherNumber, line, shown(), n.id));
                None
            }
            Some(n) => Some(n),
            None => {
                let found = number_for(self.config, texts);
                if found.is_none() {
                    self.out
                        .unmatched
                        .push(tr!(T::ImportRowUnmatched, line, shown()));
                }
                found
            }
        }
    }

    /// The row's reference: its order number, or for a row without one a hash of its
    /// cells. Identical rows are told apart by their place among their twins in this
    /// file, so a second import of it finds each of them again.
    fn reference_for(
        &mut self,
        order: &str,
        cells: &[String],
        line: u64,
        shown: impl Fn() -> String,
    ) -> String {
        if !order.is_empty() {
            return order.to_string();
        }
        let base = hash_ref(&cells.iter().map(String::as_str).collect::<Vec<_>>());
        let (n, first) = self.same.entry(base.clone()).or_insert((0, line));
        *n += 1;
        if *n == 1 {
            base
        } else {
            let (n, first) = (*n, *first);
            self.out
                .duplicates
                .push(tr!(T::ImportRowTwice, line, first, shown()));
            format!("{base}-{n}")
        }
    }

    /// Keeps a top-up row read whole: its statement event (a refund waits for the order it
    /// undoes), and the refund the classic export writes beside its order.
    fn keep(&mut self, row: Kept) {
        let Kept {
            at,
            number,
            reference,
            order,
            merchant,
            amount,
            currency,
            text,
            refund,
            refunded,
            line,
        } = row;
        let event = Event {
            id: event_id("statement", self.source(), &reference),
            at,
            number: number.clone(),
            body: EventBody::Statement {
                source: self.source().to_string(),
                reference: reference.clone(),
                amount_minor: amount,
                currency,
                text: text.clone(),
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
            return;
        }
        if !merchant.is_empty() {
            self.orders.insert(merchant, reference.clone());
        }
        if self.ids.insert(event.id.clone()) {
            self.out.events.push(event);
        }
        if let Some(r) = refunded {
            // The refund the classic export writes beside its order, as a row of its own.
            let refund_ref = format!("{reference}_refund");
            let event = Event {
                id: event_id("statement", self.source(), &refund_ref),
                at,
                number: number.clone(),
                body: EventBody::Statement {
                    source: self.source().to_string(),
                    reference: refund_ref,
                    amount_minor: r.min(amount),
                    currency,
                    text,
                    refund_of: None,
                },
            };
            self.push_refund(event, reference);
        }
    }

    /// Says a top-up row is passed over for an amount that does not read.
    fn skip_bad_amount(&mut self, line: u64, shown: String, why: String) {
        self.skip(line, shown, tr!(T::ImportRowBadAmount, why));
    }

    /// Says a top-up row is passed over, and why.
    fn skip(&mut self, line: u64, shown: String, why: String) {
        self.out
            .skipped
            .push(tr!(T::ImportRowSet, line, shown, why));
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
            let message = match self.format {
                Format::Alipay | Format::Wechat => tr!(
                    T::ImportNoLayout,
                    self.format.display(),
                    layouts_tried(self.format)
                ),
                _ => tr!(T::ImportNoColumns, self.format.as_str()),
            };
            return Err(ImportError::at(lines.max(1), message));
        }
        self.out.rows = Some(self.rows);
        self.out.top_ups = Some(self.top_ups);
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

    /// The row's time: Alipay and WeChat Pay write China Standard Time whatever the
    /// person's zone; a mapped CSV is in its `timezone`, by default the config's.
    fn when(&self, text: &str) -> Option<DateTime<FixedOffset>> {
        let tz = match (self.format, &self.config.import_csv) {
            (Format::Alipay | Format::Wechat, _) => chrono_tz::Asia::Shanghai,
            (_, Some(m)) => m
                .timezone
                .as_ref()
                .map_or(self.config.timezone, |(_, tz)| *tz),
            _ => self.config.timezone,
        };
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

/// `¥50.00`, `50.00`, `-50.00` (a bank's debit), `1,050.00`: exact, in minor units; or
/// why it is not an amount baohao accepts as a recharge.
fn parse_amount(text: &str, currency: Currency) -> Result<i64, String> {
    let t: String = text
        .chars()
        .filter(|c| !matches!(c, '¥' | '￥' | ',' | ' ' | '+'))
        .collect();
    let t = t.strip_prefix('-').unwrap_or(&t);
    Money::parse(t, currency)
        .map(|m| m.minor)
        .map_err(|e| crate::text::clean::value(&e.to_string()))
}

/// A row's text as it is listed: one line, cut with `…`.
fn shorten(s: &str) -> String {
    cut(s, 120)
}

/// `s` on one line, at most `chars` characters, ending in `…` when it was cut. `clean`
/// keeps room for one character more than that (4 bytes each), so its own unmarked cut
/// never decides.
fn cut(s: &str, chars: usize) -> String {
    crate::text::clean::cut_chars(&clean(s, 4 * (chars + 1)), chars).into_owned()
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

/// A CSV statement (UTF-8 or GBK, decided at its first byte that is not ASCII), read
/// record by record ([`Records`]: capped, lines counted as an editor counts them, a quote
/// left open an error naming its line).
pub fn read_csv<R: Read + Send + 'static>(
    config: &Config,
    number: Option<&Number>,
    format: Format,
    input: crate::import::decode::Sniffed<R>,
) -> Result<Reading, ImportError> {
    let mut records = Records::new(crate::import::decode::Utf8Text::new(input));
    let mut b = Builder::new(config, number, format);
    let mut cells = Vec::new();
    let mut last = 1;
    while let Some(line) = records.next(&mut cells)? {
        last = line;
        let trimmed = cells.iter().map(|c| trim(c)).collect();
        b.row(line, trimmed)?;
    }
    b.finish(last)
}

/// A statement spreadsheet (the first sheet), as WeChat Pay exports it: checked part by
/// part first ([`archive::check_workbook`]), then read cell by cell, one row held at a
/// time, whatever the dimension the sheet declares.
pub fn read_xlsx(
    config: &Config,
    number: Option<&Number>,
    format: Format,
    bytes: &[u8],
) -> Result<Reading, ImportError> {
    use calamine::{DataRef, DataType, Reader};
    let mut zip = archive::open(bytes)?;
    archive::check_workbook(&mut zip)?;
    drop(zip);
    let xlsx_error = |e: calamine::XlsxError| ImportError::whole(tr!(T::ImportXlsx, e));
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(xlsx_error)?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| ImportError::whole(tr!(T::ImportXlsx, "no sheet")))?;
    let mut cells_of = book.worksheet_cells_reader(&first).map_err(xlsx_error)?;
    let mut b = Builder::new(config, number, format);
    let mut row: Option<u32> = None;
    let mut cells: Vec<String> = Vec::new();
    // Rows are padded to the widest row so far, as a range of the whole sheet would be:
    // a data row whose last cells are empty is still a data row.
    let mut width = 0;
    let mut last = 1;
    let mut flush = |b: &mut Builder, line: u64, mut cells: Vec<String>| {
        width = width.max(cells.len());
        cells.resize(width, String::new());
        b.row(line, cells)
    };
    while let Some(cell) = cells_of.next_cell().map_err(xlsx_error)? {
        let (r, c) = cell.get_position();
        if row != Some(r) {
            if let Some(prev) = row {
                flush(&mut b, u64::from(prev) + 1, std::mem::take(&mut cells))?;
            }
            row = Some(r);
            last = u64::from(r) + 1;
        }
        if c >= MAX_COLUMNS {
            return Err(ImportError::at(
                last,
                tr!(T::ImportXlsxColumn, c + 1, MAX_COLUMNS),
            ));
        }
        let v = cell.get_value();
        let text = match v {
            DataRef::String(s) => trim(s),
            DataRef::SharedString(s) => trim(s),
            DataRef::Int(n) => n.to_string(),
            // The cell's own shortest decimal form, parsed exactly from there on.
            DataRef::Float(f) => format!("{f}"),
            DataRef::DateTime(_) | DataRef::DateTimeIso(_) => v
                .as_datetime()
                .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            DataRef::Bool(v) => v.to_string(),
            _ => String::new(),
        };
        if text.is_empty() {
            continue;
        }
        let c = c as usize;
        if cells.len() <= c {
            cells.resize(c + 1, String::new());
        }
        cells[c] = text;
    }
    if let Some(prev) = row {
        flush(&mut b, u64::from(prev) + 1, cells)?;
    }
    b.finish(last)
}
