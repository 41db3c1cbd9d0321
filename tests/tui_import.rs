//! History's `i`: a file typed in a form, what it would add shown first, `y` to add it
//! (once: the same file again adds nothing), and the filters a person reaches for after.

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::{App, Overlay};
use baohao::tui::effect::Effect;
use baohao::tui::theme::Theme;
use baohao::tui::update::{Msg, press as key, type_text as keys, update};
use baohao::tui::view::view;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn now() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

fn demo() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let app = App::open(paths, Clock::Fixed(now()), Theme { color: false }).unwrap();
    (dir, app)
}

fn log_lines(dir: &tempfile::TempDir) -> usize {
    std::fs::read_to_string(dir.path().join("log.jsonl"))
        .unwrap()
        .lines()
        .count()
}

#[test]
fn importing_shows_what_it_adds_first_and_adds_it_once() {
    let (dir, mut app) = demo();
    let before = log_lines(&dir);
    let rows_before = app.session.history.rows().len();
    keys(&mut app, "3i");
    assert!(
        screen(&app).contains("Import a statement"),
        "{}",
        screen(&app)
    );
    keys(&mut app, &fixture("alipay.csv"));
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(matches!(app.overlay, Overlay::Import(_)), "{s}");
    assert!(s.contains("to add"), "{s}");
    assert!(s.contains("unmatched"), "{s}");
    assert_eq!(log_lines(&dir), before, "reading the file wrote nothing");
    // n leaves the log as it is.
    keys(&mut app, "n");
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(log_lines(&dir), before);

    keys(&mut app, "i");
    keys(&mut app, &fixture("alipay.csv"));
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "y");
    let added = log_lines(&dir) - before;
    assert!(added > 0);
    assert!(
        screen(&app).contains(&format!("added {added}")),
        "{}",
        screen(&app)
    );
    assert!(
        app.session.history.rows().len() > rows_before,
        "the new rows are read back"
    );

    // The same file again: nothing new, and y adds nothing.
    keys(&mut app, "i");
    keys(&mut app, &fixture("alipay.csv"));
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains(": 0 to add"), "{s}");
    assert!(s.contains("nothing new"), "{s}");
    keys(&mut app, "y");
    assert_eq!(log_lines(&dir) - before, added);
}

#[test]
fn a_file_that_does_not_read_stays_in_the_form_with_the_reason() {
    let (dir, mut app) = demo();
    let before = log_lines(&dir);
    keys(&mut app, "3i");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("type the path"), "{}", screen(&app));
    keys(&mut app, "/nonexistent/statement.csv");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::Form(_)));
    assert!(screen(&app).contains("statement.csv"), "{}", screen(&app));
    assert_eq!(log_lines(&dir), before);
}

#[test]
fn the_form_asks_for_the_read_as_an_effect_without_touching_a_file() {
    let (_dir, mut app) = demo();
    let k = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    for c in "3i/x.csv".chars() {
        assert!(update(&mut app, k(KeyCode::Char(c))).is_empty());
    }
    match update(&mut app, k(KeyCode::Enter)).as_slice() {
        [Effect::ImportRead { path, .. }] => assert_eq!(path, "/x.csv"),
        other => panic!("expected an import read, got {other:?}"),
    }
}

#[test]
fn f_cycles_the_filters_an_import_calls_for() {
    let (_dir, mut app) = demo();
    keys(&mut app, "3i");
    keys(&mut app, &fixture("sms.txt"));
    // The number field: the texts are cmcc's.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.overlay, Overlay::Import(_)),
        "{}",
        screen(&app)
    );
    keys(&mut app, "y");
    let all = app.session.history.rows().len();
    keys(&mut app, "f");
    assert_eq!(app.tabs.history.filter.value(), "missed");
    keys(&mut app, "ff");
    assert_eq!(app.tabs.history.filter.value(), "possible_duplicate");
    keys(&mut app, "f");
    assert_eq!(app.tabs.history.filter.value(), "message");
    let shown = app.tabs.history.filtered.as_ref().unwrap().len();
    assert!(shown > 0 && shown < all, "{shown} of {all}");
    assert!(
        screen(&app).contains("Showing \"message\""),
        "{}",
        screen(&app)
    );
    keys(&mut app, "f");
    assert!(app.tabs.history.filtered.is_none());
    assert!(screen(&app).contains("import"), "the footer names i");
}

#[test]
fn the_preview_gives_the_forms_own_hint_not_the_command_lines() {
    let (_dir, mut app) = demo();
    keys(&mut app, "3i");
    keys(&mut app, &fixture("alipay.csv"));
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(matches!(app.overlay, Overlay::Import(_)), "{s}");
    assert!(s.contains("(pick the number in the form)"), "{s}");
    assert!(!s.contains("--number"), "{s}");
}

/// The Alipay fixture, zipped with AES under `password`, as the app sends it.
fn zipped_alipay(dir: &std::path::Path, password: &str) -> String {
    use std::io::Write;
    let path = dir.join("alipay-bill.zip");
    let file = std::fs::File::create(&path).unwrap();
    let mut z = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .with_aes_encryption(zip::AesMode::Aes256, password);
    z.start_file("alipay_record_20261201.csv", options).unwrap();
    z.write_all(&std::fs::read(fixture("alipay.csv")).unwrap())
        .unwrap();
    z.finish().unwrap();
    path.display().to_string()
}

/// The focused field's label.
fn focused(app: &App) -> String {
    match &app.overlay {
        Overlay::Form(of) => of
            .form
            .focused()
            .map(|f| f.label.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn go_to(app: &mut App, label: &str) {
    for _ in 0..10 {
        if focused(app) == label {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("no field {label}: {}", screen(app));
}

#[test]
fn a_zipped_statement_is_read_with_the_password_typed_in_the_form_never_shown() {
    let (dir, mut app) = demo();
    let before = log_lines(&dir);
    let zip = zipped_alipay(dir.path(), "123456");
    keys(&mut app, "3i");
    keys(&mut app, &zip);
    // No password: the form says where it goes (not the command line's --password).
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(matches!(app.overlay, Overlay::Form(_)), "{s}");
    assert!(s.contains("password"), "{s}");
    assert!(!s.contains("--password"), "{s}");
    // A wrong one: one sentence, nothing written.
    go_to(&mut app, "password");
    keys(&mut app, "654321");
    assert!(
        !screen(&app).contains("654321"),
        "never echoed: {}",
        screen(&app)
    );
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(matches!(app.overlay, Overlay::Form(_)), "{s}");
    assert!(s.contains("password is wrong"), "{s}");
    assert!(!s.contains("654321"), "{s}");
    assert_eq!(log_lines(&dir), before);
    // The right one: what it would add, then y adds it.
    go_to(&mut app, "password");
    let fx = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    baohao::tui::effect::run_all(&mut app, fx);
    keys(&mut app, "123456");
    assert!(!screen(&app).contains("123456"), "{}", screen(&app));
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(matches!(app.overlay, Overlay::Import(_)), "{s}");
    assert!(s.contains("to add"), "{s}");
    keys(&mut app, "y");
    assert!(log_lines(&dir) > before);
}

#[test]
fn a_long_reason_at_the_foot_of_the_form_is_whole() {
    let (dir, mut app) = demo();
    let zip = zipped_alipay(dir.path(), "123456");
    keys(&mut app, "3i");
    keys(&mut app, &zip);
    key(&mut app, KeyCode::Enter);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| view(&app, f)).unwrap();
    let s = t.backend().to_string();
    assert!(s.contains("sends the bill)"), "{s}");
}

#[test]
fn chinese_screens_name_platforms_and_carriers_as_a_chinese_user_knows_them() {
    use baohao::i18n::{Lang, with_lang};
    with_lang(Lang::Zh, || {
        let (_dir, mut app) = demo();
        let s = screen(&app);
        assert!(s.contains("中国移动"), "{s}");
        assert!(!s.contains("China Mobile"), "{s}");
        // The import form's formats.
        keys(&mut app, "3i");
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Right);
        let s = screen(&app);
        assert!(s.contains("支付宝"), "{s}");
        key(&mut app, KeyCode::Left);
        key(&mut app, KeyCode::Up);
        keys(&mut app, &fixture("alipay.csv"));
        key(&mut app, KeyCode::Enter);
        keys(&mut app, "y");
        // A statement row's details name the platform, not its machine word.
        keys(&mut app, "/账单");
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Enter);
        let s = screen(&app);
        assert!(matches!(app.overlay, Overlay::Details(..)), "{s}");
        assert!(s.contains("支付宝"), "{s}");
        assert!(!s.contains("alipay:") && !s.contains("alipay："), "{s}");
    });
}

/// A home with one China Mobile number, no history, and a bank's CSV mapped.
fn cmcc_home() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"version":1,"timezone":"Europe/London","numbers":[
  {"id":"cmcc","label":"移动保号卡","msisdn":"+8613912345678","carrier":"China Mobile","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}}],
 "import":{"csv":{"date":"Date","amount":"Amount","description":"Details","date_format":"%d/%m/%Y"}}}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    let app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now()),
        Theme { color: false },
    )
    .unwrap();
    (dir, app)
}

#[test]
fn two_identical_top_ups_imported_in_the_tui_are_said_to_look_charged_twice() {
    let (dir, mut app) = cmcc_home();
    let bill = dir.path().join("bill.csv");
    let mut text = String::from(
        "支付宝交易记录明细查询\n账号:[example@example.com]\n\
         交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,商家订单号,备注,\n",
    );
    for (time, order) in [
        ("2026-11-20 08:00:05", "2026112022001400001"),
        ("2026-11-20 08:00:41", "2026112022001400002"),
    ] {
        text.push_str(&format!(
            "{time},充值缴费,中国移动,,话费充值 139****5678,支出,30.00,余额宝,交易成功,{order}\t,M{order}\t,,\n"
        ));
    }
    std::fs::write(&bill, text).unwrap();
    keys(&mut app, "3i");
    keys(&mut app, bill.to_str().unwrap());
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(matches!(app.overlay, Overlay::Import(_)), "{s}");
    assert!(s.contains(": 2 to add"), "{s}");
    // Said before the rows go in, as `import --dry-run` says it.
    assert!(s.contains("charged twice"), "in the preview: {s}");
    assert_eq!(log_lines(&dir), 0, "the preview writes nothing");
    keys(&mut app, "y");
    assert_eq!(log_lines(&dir), 2);
    // Said where it is found, as the command line says it: which number, how much, which rows.
    let said = app
        .message
        .as_ref()
        .map(|(text, _)| text.clone())
        .unwrap_or_default();
    assert!(
        said.contains("2 rows look like one recharge charged twice: cmcc ¥30.00 on 2026-11-20"),
        "{said}"
    );
    assert!(
        said.contains("2026112022001400001") && said.contains("2026112022001400002"),
        "{said}"
    );
    let s = screen(&app);
    assert!(s.contains("charged twice"), "on screen: {s}");
}

#[test]
fn two_identical_rows_without_a_reference_imported_in_the_tui_are_said_to_look_charged_twice() {
    let (dir, mut app) = cmcc_home();
    let bill = dir.path().join("bank.csv");
    std::fs::write(
        &bill,
        "Date,Details,Amount\n20/11/2026,中国移动 话费充值 13912345678,-30.00\n20/11/2026,中国移动 话费充值 13912345678,-30.00\n",
    )
    .unwrap();
    keys(&mut app, "3i");
    keys(&mut app, bill.to_str().unwrap());
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.overlay, Overlay::Import(_)),
        "{}",
        screen(&app)
    );
    keys(&mut app, "y");
    assert_eq!(log_lines(&dir), 2, "two charges, both kept");
    let said = app
        .message
        .as_ref()
        .map(|(text, _)| text.clone())
        .unwrap_or_default();
    assert!(
        said.contains("2 rows look like one recharge charged twice: cmcc ¥30.00 on 2026-11-20"),
        "{said}"
    );
}
