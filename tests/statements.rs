//! Statements as people really export them, through the binary: the number wherever it
//! stands in the text, both Alipay layouts, China time, rows that are not phone top-ups,
//! and files that are not statements at all. Every fixture is written here by hand.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// A person in London: a China Mobile 保号 number, a Unicom one and a giffgaff one.
const CONFIG: &str = r#"{"version":1,"timezone":"Europe/London","numbers":[
  {"id":"cmcc","label":"移动保号卡","msisdn":"+8613912345678","carrier":"China Mobile","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"cu","label":"联通","msisdn":"+8613012345678","carrier":"China Unicom","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"gg","label":"giffgaff","msisdn":"+447700900123","carrier":"giffgaff","currency":"GBP",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}}],
 "import":{"csv":{"date":"Date","amount":"Amount","description":"Details","date_format":"%d/%m/%Y %H:%M"}}}"#;

const NOW: &str = "2026-12-01T02:00:00Z";

fn home_with(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    dir
}

fn home() -> tempfile::TempDir {
    home_with(CONFIG)
}

fn run(home: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baohao"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .current_dir(home)
        .env("BAOHAO_NOW", NOW)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .env_remove("LC_ALL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            input.write_all(bytes).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn write(home: &Path, name: &str, bytes: &[u8]) -> String {
    let p = home.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

fn ok(home: &Path, args: &[&str]) -> String {
    let o = run(home, args, None);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(home: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(home, args)).expect("JSON output")
}

fn log(home: &Path) -> String {
    std::fs::read_to_string(home.join("log.jsonl")).unwrap()
}

fn statements(home: &Path) -> Vec<Value> {
    log(home)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "statement")
        .collect()
}

/// Refused with one sentence on stderr that says each of `says`; nothing written.
fn refused(home: &Path, args: &[&str], says: &[&str]) -> String {
    let before = log(home);
    let o = run(home, args, None);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "{args:?} should be refused");
    assert_eq!(err.trim_end().lines().count(), 1, "one sentence: {err:?}");
    for s in says {
        assert!(err.contains(s), "{err:?} should say {s:?}");
    }
    assert_eq!(log(home), before, "nothing appended");
    err
}

const APP_HEAD: &str = "\u{feff}支付宝交易记录明细查询
账号:[example@example.com]
起始日期:[2026-10-01 00:00:00]    终止日期:[2026-12-01 00:00:00]
---------------------------------交易记录明细列表------------------------------------
交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,商家订单号,备注,
";

/// One app-export row: time, category, counterpart, goods, direction, amount, status, order.
type AppRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

/// An Alipay app export with these rows.
fn app_export(rows: &[AppRow]) -> String {
    let mut s = APP_HEAD.to_string();
    for (time, cat, who, goods, dir, amount, status, order) in rows {
        s.push_str(&format!(
            "{time} ,{cat} ,{who} ,acct***@example.com ,{goods} ,{dir} ,{amount} ,余额宝 ,{status} ,{order}\t,M{order}\t, ,\n"
        ));
    }
    s.push_str(
        "------------------------------------------------------------------------------------\n",
    );
    s.push_str(&format!("共{}笔记录\n已收入:0笔,0.00元\n待收入:0笔,0.00元\n已支出:0笔,0.00元\n导出时间:[2026-12-01 10:00:00]\n", rows.len()));
    s
}

#[test]
fn a_number_is_found_wherever_it_stands_in_the_text() {
    let h = home();
    let goods = [
        "话费充值 139****5678 30元",
        "话费充值-139****5678-50元",
        "手机充值 13912345678 充值30元",
        "13912345678 话费充值",
        "话费充值 2026-11-01 139 1234 5678 2026-11-01",
        "话费充值 139-1234-5678",
        "充值30元13912345678话费",
    ];
    let rows: Vec<_> = goods
        .iter()
        .enumerate()
        .map(|(i, g)| {
            (
                "2026-11-01 00:00:05",
                "充值缴费",
                "中国移动",
                *g,
                "支出",
                "30.00",
                "交易成功",
                Box::leak(format!("20261101220014{i:05}").into_boxed_str()) as &str,
            )
        })
        .collect();
    let f = write(h.path(), "bill.csv", app_export(&rows).as_bytes());
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["added"], goods.len(), "{r}");
    assert_eq!(r["unmatched"], serde_json::json!([]), "{r}");
    for s in statements(h.path()) {
        assert_eq!(s["number"], "cmcc", "{s}");
    }
    // A number with more digits glued to it is another number.
    let h = home();
    let f = write(
        h.path(),
        "bill.csv",
        app_export(&[(
            "2026-11-01 00:00:05",
            "充值缴费",
            "中国移动",
            "话费充值 1391234567830",
            "支出",
            "30.00",
            "交易成功",
            "2026110122001400001",
        )])
        .as_bytes(),
    );
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["added"], 0, "{r}");
    assert_eq!(r["unmatched"].as_array().unwrap().len(), 1, "{r}");
}

#[test]
fn with_number_a_row_naming_another_number_is_not_hers() {
    let h = home();
    let f = write(
        h.path(),
        "bill.csv",
        app_export(&[
            (
                "2026-11-01 00:00:05",
                "充值缴费",
                "中国移动",
                "话费充值 138****1234 50元",
                "支出",
                "50.00",
                "交易成功",
                "2026110122001400001",
            ),
            (
                "2026-11-02 00:00:05",
                "充值缴费",
                "中国移动",
                "话费充值 139****5678",
                "支出",
                "30.00",
                "交易成功",
                "2026110222001400002",
            ),
            (
                "2026-11-03 00:00:05",
                "充值缴费",
                "中国移动",
                "话费充值",
                "支出",
                "10.00",
                "交易成功",
                "2026110322001400003",
            ),
        ])
        .as_bytes(),
    );
    let r = json(h.path(), &["import", "--json", "--number", "cmcc", &f]);
    assert_eq!(r["added"], 2, "{r}");
    let unmatched = r["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{r}");
    assert!(
        unmatched[0].as_str().unwrap().contains("138****1234"),
        "{r}"
    );
    let refs: Vec<String> = statements(h.path())
        .iter()
        .map(|s| s["ref"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(refs, ["2026110222001400002", "2026110322001400003"]);
}

const CLASSIC: &str = "支付宝交易记录明细查询
账号:[example@example.com]
起始日期:[2026-10-01 00:00:00]    终止日期:[2026-12-01 00:00:00]
---------------------------------交易记录明细列表------------------------------------
交易号                  ,商家订单号               ,交易创建时间              ,付款时间                ,最近修改时间              ,交易来源地     ,类型              ,交易对方            ,商品名称                ,金额（元）   ,收/支     ,交易状态    ,服务费（元）   ,成功退款（元）  ,备注                  ,资金状态     ,
2026110122001400011 ,T200P2026110100011 ,2026-11-01 00:03:12 ,2026-11-01 00:03:13 ,2026-11-01 00:03:13 ,其他（包括阿里巴巴和外部商家）,即时到账交易 ,中国移动 ,话费充值 139****5678 30元 ,30.00 ,支出 ,交易成功 ,0.00 ,0.00 , ,已支出 ,
2026110522001400012 ,T200P2026110500012 ,2026-11-05 12:00:00 ,2026-11-05 12:00:01 ,2026-11-06 09:00:00 ,其他（包括阿里巴巴和外部商家）,即时到账交易 ,中国联通 ,手机充值 13012345678 ,50.00 ,支出 ,交易关闭 ,0.00 ,50.00 , ,资金转移 ,
2026110722001400013 ,T200P2026110700013 ,2026-11-07 08:00:00 , ,2026-11-07 08:30:00 ,其他（包括阿里巴巴和外部商家）,即时到账交易 ,中国移动 ,话费充值 139****5678 ,20.00 ,支出 ,交易关闭 ,0.00 ,0.00 , , ,
2026111022001400014 ,T200P2026111000014 ,2026-11-10 19:00:00 ,2026-11-10 19:00:00 ,2026-11-10 19:00:00 ,其他（包括阿里巴巴和外部商家）,即时到账交易 ,示例朋友 ,转账红包 ,222228.50 ,支出 ,交易成功 ,0.00 ,0.00 , ,已支出 ,
------------------------------------------------------------------------------------
共4笔记录
已收入:0笔,0.00元
待收入:0笔,0.00元
已支出:3笔,302258.50元
导出时间:[2026-12-01 10:00:00]
";

#[test]
fn the_classic_alipay_export_is_read_with_its_refunds_in_china_time() {
    let h = home();
    let (gbk, _, bad) = encoding_rs::GBK.encode(CLASSIC);
    assert!(!bad);
    let f = write(h.path(), "alipay_record_20261201.csv", &gbk);
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["format"], "alipay", "{r}");
    // The recharge, the Unicom order and its refund; the closed unpaid one set aside.
    assert_eq!(r["added"], 3, "{r}");
    assert_eq!(r["skipped"].as_array().unwrap().len(), 1, "{r}");
    assert!(
        r["skipped"][0].as_str().unwrap().contains("交易关闭"),
        "{r}"
    );
    let s = statements(h.path());
    assert_eq!(s[0]["ref"], "2026110122001400011");
    assert_eq!(s[0]["number"], "cmcc");
    assert_eq!(s[0]["amount_minor"], 3000);
    // China Standard Time, although the person lives in London.
    assert_eq!(s[0]["at"], "2026-11-01T00:03:12+08:00");
    assert_eq!(s[1]["number"], "cu");
    assert_eq!(s[2]["refund_of"], "2026110522001400012", "{:?}", s[2]);
    assert_eq!(s[2]["amount_minor"], 5000);
    let hist = json(h.path(), &["history", "--json", "--number", "cu"]);
    assert!(
        hist.as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "refunded"),
        "{hist}"
    );
}

#[test]
fn an_unknown_layout_names_the_layouts_tried_and_their_columns() {
    let h = home();
    let f = write(
        h.path(),
        "odd.csv",
        "支付宝交易记录明细查询\n时间,对方,金额\n2026-11-01 00:00:00,中国移动,30.00\n".as_bytes(),
    );
    refused(
        h.path(),
        &["import", &f],
        &["交易订单号", "交易创建时间", "交易号", "Alipay"],
    );

    // No title line and none of the known columns: the sentence still says what was tried
    // and what each layout needs, the mapped CSV of the config among them.
    let f = write(
        h.path(),
        "bare.csv",
        "时间,对方,金额\n2026-11-01 00:00:00,中国移动,30.00\n".as_bytes(),
    );
    let err = refused(
        h.path(),
        &["import", &f],
        &[
            "bare.csv",
            "the Alipay app export",
            "交易订单号",
            "the classic Alipay export",
            "交易创建时间",
            "the WeChat Pay export",
            "交易单号",
            "Date, Amount, Details",
            "--format",
        ],
    );
    assert!(!err.contains("cannot tell the format;"), "{err}");
    // Without a mapping, it says a generic CSV needs one.
    let unmapped = CONFIG.split(",\n \"import\"").next().unwrap().to_string() + "}";
    assert!(!unmapped.contains("import"), "{unmapped}");
    let bare = home_with(&unmapped);
    let f = write(
        bare.path(),
        "bare.csv",
        "时间,对方,金额\n2026-11-01 00:00:00,中国移动,30.00\n".as_bytes(),
    );
    refused(
        bare.path(),
        &["import", &f],
        &["交易订单号", "交易创建时间", "交易单号", "import.csv"],
    );
}

#[test]
fn a_classic_alipay_export_without_its_header_lines_is_known_by_its_columns() {
    let h = home();
    // As it is after the header lines were cut off in a spreadsheet: the column row first.
    let start = CLASSIC.find("交易号").unwrap();
    let (gbk, _, bad) = encoding_rs::GBK.encode(&CLASSIC[start..]);
    assert!(!bad);
    let f = write(h.path(), "cut.csv", &gbk);
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["format"], "alipay", "{r}");
    assert_eq!(r["added"], 3, "{r}");
    assert_eq!(statements(h.path())[0]["at"], "2026-11-01T00:03:12+08:00");
}

#[test]
fn a_row_whose_date_does_not_read_stops_nothing_but_itself() {
    // A bank CSV: a pending card payment and a row in another date shape are not top-ups
    // and are passed over; a top-up whose date does not read is that row's problem.
    let h = home();
    let csv = "Date,Details,Amount
Pending,Coffee,-3.00
2026-10-31,Tesco,-12.00
01/11/2026 09:30,giffgaff top up 07700 900123,-10.00
Pending,giffgaff top up 07700 900123,-10.00
";
    let f = write(h.path(), "bank.csv", csv.as_bytes());
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["added"], 1, "{r}");
    assert_eq!(r["unmatched"], serde_json::json!([]), "{r}");
    let skipped = r["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{r}");
    let s = skipped[0].as_str().unwrap();
    assert!(s.contains("line 5") && s.contains("Pending"), "{s}");
    assert_eq!(statements(h.path())[0]["at"], "2026-11-01T09:30:00+00:00");

    // The same in an Alipay export: a purchase with a time that does not read is passed
    // over, a top-up with one is listed with its line.
    let h = home();
    let f = write(
        h.path(),
        "bill.csv",
        app_export(&[
            (
                "待定",
                "日用百货",
                "示例超市",
                "购物",
                "支出",
                "23.50",
                "交易成功",
                "2026110122001400001",
            ),
            (
                "2026-11-02 10:00:00",
                "充值缴费",
                "中国移动",
                "话费充值 139****5678",
                "支出",
                "30.00",
                "交易成功",
                "2026110222001400002",
            ),
            (
                "2026年11月03日",
                "充值缴费",
                "中国移动",
                "话费充值 139****5678",
                "支出",
                "30.00",
                "交易成功",
                "2026110322001400003",
            ),
        ])
        .as_bytes(),
    );
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["added"], 1, "{r}");
    let skipped = r["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{r}");
    let s = skipped[0].as_str().unwrap();
    assert!(s.contains("line 8") && s.contains("2026年11月03日"), "{s}");
    assert_eq!(statements(h.path())[0]["ref"], "2026110222001400002");
}

#[test]
fn wechat_times_are_china_time_and_a_mapped_csv_has_its_own_zone() {
    let h = home();
    let wechat = "微信支付账单明细,,,,,,,,,,
----------------------微信支付账单明细列表--------------------,,,,,,,,,,
交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注
2026-11-01 00:01:00,商户消费,中国联通,手机话费充值 13012345678,支出,¥30.00,零钱,支付成功,4200001111202611010001	,M2026110100001	,/
";
    let f = write(h.path(), "wechat.csv", wechat.as_bytes());
    ok(h.path(), &["import", &f]);
    assert_eq!(statements(h.path())[0]["at"], "2026-11-01T00:01:00+08:00");

    // A mapped CSV is in the config's zone unless its mapping names one.
    let csv = "Date,Details,Amount\n01/11/2026 09:30,giffgaff top up 07700 900123,-10.00\n";
    let h = home();
    let f = write(h.path(), "bank.csv", csv.as_bytes());
    ok(h.path(), &["import", &f]);
    assert_eq!(statements(h.path())[0]["at"], "2026-11-01T09:30:00+00:00");
    let h = home_with(&CONFIG.replace(
        r#""date_format":"%d/%m/%Y %H:%M"}"#,
        r#""date_format":"%d/%m/%Y %H:%M","timezone":"Asia/Hong_Kong"}"#,
    ));
    let f = write(h.path(), "bank.csv", csv.as_bytes());
    ok(h.path(), &["import", &f]);
    assert_eq!(statements(h.path())[0]["at"], "2026-11-01T09:30:00+08:00");
    let h = home_with(&CONFIG.replace(
        r#""date_format":"%d/%m/%Y %H:%M"}"#,
        r#""date_format":"%d/%m/%Y %H:%M","timezone":"Asia/Shanghia"}"#,
    ));
    let o = run(h.path(), &["validate"], None);
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("import.csv.timezone"), "{out}");
}

#[test]
fn rows_that_are_not_phone_top_ups_never_stop_or_crowd_the_import() {
    let h = home();
    let f = write(
        h.path(),
        "bill.csv",
        app_export(&[
            // A transfer far beyond any recharge: passed over unread.
            (
                "2026-11-01 10:00:00",
                "转账红包",
                "示例朋友",
                "转账",
                "支出",
                "222228.50",
                "交易成功",
                "2026110122001400001",
            ),
            // A fund purchase and a wallet top-up: not listed at all.
            (
                "2026-11-02 10:00:00",
                "投资理财",
                "理财通",
                "购买理财通 鹏华增值宝(000569)",
                "支出",
                "10000.00",
                "交易成功",
                "2026110222001400002",
            ),
            (
                "2026-11-03 10:00:00",
                "充值",
                "零钱",
                "零钱充值 充值完成",
                "支出",
                "500.00",
                "交易成功",
                "2026110322001400003",
            ),
            (
                "2026-11-04 10:00:00",
                "信用卡还款",
                "招商银行",
                "信用卡还款",
                "支出",
                "3000.00",
                "交易成功",
                "2026110422001400004",
            ),
            // A phone top-up whose amount baohao would never accept as a recharge: its own problem.
            (
                "2026-11-05 10:00:00",
                "充值缴费",
                "中国移动",
                "话费充值 139****5678",
                "支出",
                "222228.50",
                "交易成功",
                "2026110522001400005",
            ),
            (
                "2026-11-06 10:00:00",
                "充值缴费",
                "中国移动",
                "话费充值 139****5678",
                "支出",
                "30.00",
                "交易成功",
                "2026110622001400006",
            ),
            // A bare quote inside an unquoted cell, as WeChat writes it.
            (
                "2026-11-07 10:00:00",
                "日用百货",
                "示例超市",
                "超值\"大礼包",
                "支出",
                "23.50",
                "交易成功",
                "2026110722001400007",
            ),
        ])
        .as_bytes(),
    );
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["added"], 1, "{r}");
    assert_eq!(r["unmatched"], serde_json::json!([]), "{r}");
    let skipped = r["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{r}");
    let s = skipped[0].as_str().unwrap();
    assert!(s.contains("line 10") && s.contains("222228.50"), "{s}");
}

#[test]
fn empty_files_files_without_top_ups_and_files_that_are_no_csv() {
    let h = home();
    let empty = write(h.path(), "empty.csv", b"");
    refused(h.path(), &["import", &empty], &["empty.csv: no rows"]);
    let none = app_export(&[
        (
            "2026-11-01 10:00:00",
            "日用百货",
            "示例超市",
            "购物",
            "支出",
            "23.50",
            "交易成功",
            "2026110122001400001",
        ),
        (
            "2026-11-02 10:00:00",
            "餐饮美食",
            "示例餐厅",
            "午餐",
            "支出",
            "48.00",
            "交易成功",
            "2026110222001400002",
        ),
    ]);
    let f = write(h.path(), "shopping.csv", none.as_bytes());
    let out = ok(h.path(), &["import", &f]);
    assert!(
        out.contains("shopping.csv: 2 rows, none of them a phone top-up"),
        "{out}"
    );
    let pdf = write(
        h.path(),
        "bill.csv",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    );
    refused(h.path(), &["import", &pdf], &["PDF", "CSV"]);
    let mut xls = vec![0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
    xls.extend([0u8; 504]);
    let xls = write(h.path(), "bill2.csv", &xls);
    refused(h.path(), &["import", &xls], &[".xls", "CSV"]);
    let html = write(
        h.path(),
        "bill3.csv",
        b"<!DOCTYPE html>\n<html><head><title>\xe6\x94\xaf\xe4\xbb\x98\xe5\xae\x9d</title></head></html>\n",
    );
    refused(h.path(), &["import", &html], &["HTML", "CSV"]);
}

#[test]
fn a_long_description_is_cut_with_a_mark() {
    let h = home();
    let goods = format!("话费充值 138****1234 {}", "月度自动充值套餐说明".repeat(30));
    let f = write(
        h.path(),
        "bill.csv",
        app_export(&[(
            "2026-11-01 00:00:05",
            "充值缴费",
            "中国移动",
            &goods,
            "支出",
            "30.00",
            "交易成功",
            "2026110122001400001",
        )])
        .as_bytes(),
    );
    let r = json(h.path(), &["import", "--json", &f]);
    let unmatched = r["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{r}");
    let u = unmatched[0].as_str().unwrap();
    assert!(u.contains("138****1234") && u.contains('…'), "{u}");
    assert!(!u.contains(&goods), "{u}");
}

#[test]
fn a_row_or_text_dated_more_than_a_day_ahead_is_set_aside() {
    let h = home();
    // The clock reads 2026-12-01 10:00 in China.
    let f = write(
        h.path(),
        "bill.csv",
        app_export(&[
            (
                "2026-12-02 09:00:00",
                "充值缴费",
                "中国移动",
                "话费充值 139****5678",
                "支出",
                "30.00",
                "交易成功",
                "2026120222001400001",
            ),
            (
                "2027-01-05 09:00:00",
                "充值缴费",
                "中国移动",
                "话费充值 139****5678",
                "支出",
                "50.00",
                "交易成功",
                "2027010522001400002",
            ),
        ])
        .as_bytes(),
    );
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["added"], 1, "{r}");
    let skipped = r["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{r}");
    let s = skipped[0].as_str().unwrap();
    assert!(s.contains("2027-01-05") && s.contains("ahead"), "{s}");
    let refs: Vec<Value> = statements(h.path())
        .iter()
        .map(|s| s["ref"].clone())
        .collect();
    assert_eq!(refs, [serde_json::json!("2026120222001400001")]);

    // A text from next year gives neither evidence nor a reading.
    let h = home();
    let sms = "From: 10086\nDate: 2027-06-01 12:00:00\n【中国移动】您于2027年06月01日通过支付宝充值50.00元已到账，当前可用余额为58.00元。\n";
    let f = write(h.path(), "sms.txt", sms.as_bytes());
    let r = json(h.path(), &["import", "--json", "--number", "cmcc", &f]);
    assert_eq!(r["added"], 0, "{r}");
    assert!(
        r["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("ahead")),
        "{r}"
    );
    assert!(
        !std::path::Path::new(&h.path().join("log.jsonl")).exists()
            || log(h.path()).trim().is_empty(),
        "{}",
        log(h.path())
    );
}

#[test]
fn an_app_layout_refund_undoes_its_top_up_and_refunds_of_other_purchases_are_not_listed() {
    let h = home();
    let f = write(
        h.path(),
        "alipay_app.csv",
        app_export(&[
            (
                "2026-11-01 00:00:05",
                "充值缴费",
                "中国移动",
                "话费充值 139****5678",
                "支出",
                "30.00",
                "交易成功",
                "2026110122001400101",
            ),
            // The app writes a refund as a row of its own: the order's number and `_R1`.
            (
                "2026-11-02 09:00:00",
                "退款",
                "中国移动",
                "退款-话费充值 139****5678",
                "不计收支",
                "30.00",
                "退款成功",
                "2026110122001400101_R1",
            ),
            // Top-ups that name the phone without 话费: a carrier beside 充值, or 流量.
            (
                "2026-11-03 10:00:00",
                "充值缴费",
                "中国联通",
                "充值 130****5678",
                "支出",
                "50.00",
                "交易成功",
                "2026110322001400102",
            ),
            (
                "2026-11-04 10:00:00",
                "生活服务",
                "示例便民服务",
                "移动充值 13912345678",
                "支出",
                "20.00",
                "交易成功",
                "2026110422001400103",
            ),
            (
                "2026-11-05 10:00:00",
                "数码电器",
                "示例流量商城",
                "流量包 5GB 139-1234-5678",
                "支出",
                "10.00",
                "交易成功",
                "2026110522001400104",
            ),
            // A purchase and its refund, and the refund of an electricity bill: not the
            // phone's, so in none of the lists.
            (
                "2026-11-06 10:00:00",
                "日用百货",
                "示例超市",
                "超值大礼包",
                "支出",
                "23.50",
                "交易成功",
                "2026110622001400105",
            ),
            (
                "2026-11-07 10:00:00",
                "退款",
                "示例超市",
                "退款-超值大礼包",
                "不计收支",
                "23.50",
                "退款成功",
                "2026110622001400105_R1",
            ),
            (
                "2026-11-08 10:00:00",
                "充值缴费",
                "国家电网",
                "退款-电费 户号 3100123456",
                "不计收支",
                "100.00",
                "退款成功",
                "2026110122001400099_R1",
            ),
        ])
        .as_bytes(),
    );
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["format"], "alipay", "{r}");
    assert_eq!(r["added"], 5, "{r}");
    assert_eq!(r["top_ups"], 5, "{r}");
    for list in ["unmatched", "skipped", "duplicates"] {
        assert_eq!(r[list], serde_json::json!([]), "{list}: {r}");
    }
    let s = statements(h.path());
    let of = |reference: &str| {
        s.iter()
            .find(|e| e["ref"] == reference)
            .unwrap_or_else(|| panic!("{reference} imported: {s:?}"))
            .clone()
    };
    assert_eq!(of("2026110122001400101")["number"], "cmcc");
    let refund = of("2026110122001400101_R1");
    assert_eq!(refund["refund_of"], "2026110122001400101", "{refund}");
    assert_eq!(refund["amount_minor"], 3000, "{refund}");
    assert_eq!(of("2026110322001400102")["number"], "cu");
    assert_eq!(of("2026110422001400103")["number"], "cmcc");
    assert_eq!(of("2026110522001400104")["number"], "cmcc");
    assert!(
        !log(h.path()).contains("大礼包") && !log(h.path()).contains("电费"),
        "no other purchase is kept"
    );
    let hist = json(h.path(), &["history", "--json", "--number", "cmcc"]);
    let hist = hist.as_array().unwrap();
    let top_up = hist
        .iter()
        .find(|e| e["amount_minor"] == 3000)
        .unwrap_or_else(|| panic!("{hist:?}"));
    assert_eq!(top_up["status"], "refunded", "{top_up}");
    // The person reads the same: nothing about the other purchases.
    let said = ok(h.path(), &["import", &f]);
    assert!(!said.contains("大礼包") && !said.contains("电费"), "{said}");
}

#[test]
fn a_bare_quote_inside_a_wechat_row_stops_nothing() {
    let h = home();
    let f = write(
        h.path(),
        "wechat.csv",
        "微信支付账单明细,,,,,,,,,,\n\
         微信昵称：[示例],,,,,,,,,,\n\
         ----------------------微信支付账单明细列表--------------------,,,,,,,,,,\n\
         交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注\n\
         2026-11-07 10:00:00,商户消费,示例超市,超值\"大礼包,支出,¥23.50,零钱,支付成功,4200001111202611070001\t,M1\t,/\n\
         2026-11-08 10:00:00,商户消费,示例数码,27\" 显示器,支出,¥999.00,零钱,支付成功,4200001111202611080002\t,M2\t,/\n\
         2026-11-09 10:00:00,商户消费,中国移动,话费充值\"快充\" 139****5678,支出,¥30.00,零钱,支付成功,4200001111202611090003\t,M3\t,/\n\
         2026-11-10 10:00:00,商户消费,中国移动,话费充值 13912345678,支出,¥20.00,零钱,支付成功,4200001111202611100004\t,M4\t,/\n"
            .as_bytes(),
    );
    let r = json(h.path(), &["import", "--json", &f]);
    assert_eq!(r["format"], "wechat", "{r}");
    assert_eq!(r["added"], 2, "{r}");
    for list in ["unmatched", "skipped", "duplicates"] {
        assert_eq!(r[list], serde_json::json!([]), "{list}: {r}");
    }
    let s = statements(h.path());
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(s[0]["ref"], "4200001111202611090003", "{s:?}");
    assert_eq!(s[0]["number"], "cmcc");
    assert_eq!(s[0]["amount_minor"], 3000);
    assert!(
        s[0]["text"].as_str().unwrap().contains("\"快充\""),
        "the quotes kept as written: {s:?}"
    );
    assert_eq!(s[1]["ref"], "4200001111202611100004");
}
