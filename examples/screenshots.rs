//! Renders the app on the demo data to SVG files in `screenshots/`: each tab, the help
//! overlay, a rule form, and the Chinese UI. The cells are ratatui's own buffer, so these
//! are real renders. Run: `cargo run --example screenshots`.

use std::fmt::Write as _;

use baohao::clock::Clock;
use baohao::i18n::{Lang, with_lang};
use baohao::store::Paths;
use baohao::tui::app::App;
use baohao::tui::theme::Theme;
use baohao::tui::update::{press as key, type_text as keys};
use baohao::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};

const COLS: u16 = 100;
const ROWS: u16 = 30;
const CELL_W: f32 = 9.0;
const CELL_H: f32 = 19.0;
const BG: &str = "#1d1f21";
const FG: &str = "#d7dae0";

/// The 16 ANSI colours as a common dark terminal theme draws them.
fn rgb(c: Color, default: &str) -> String {
    match c {
        Color::Reset => default.to_string(),
        Color::Black => "#1d1f21".into(),
        Color::Red => "#e06c75".into(),
        Color::Green => "#98c379".into(),
        Color::Yellow => "#e5c07b".into(),
        Color::Blue => "#61afef".into(),
        Color::Magenta => "#c678dd".into(),
        Color::Cyan => "#56b6c2".into(),
        Color::Gray => "#abb2bf".into(),
        Color::DarkGray => "#5c6370".into(),
        Color::LightRed => "#ef8891".into(),
        Color::LightGreen => "#b5e08f".into(),
        Color::LightYellow => "#f2d48f".into(),
        Color::LightBlue => "#85c3f5".into(),
        Color::LightMagenta => "#d898ea".into(),
        Color::LightCyan => "#7fd0da".into(),
        Color::White => "#ffffff".into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(_) => default.to_string(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as an SVG: a background rectangle per styled run, then its text.
fn svg(buf: &Buffer, title: &str) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="DejaVu Sans Mono, Menlo, Consolas, Noto Sans Mono CJK SC, Noto Sans CJK SC, monospace" font-size="15">"#,
        w as f32 * CELL_W + 20.0,
        h as f32 * CELL_H + 20.0
    );
    let _ = writeln!(
        out,
        r#"<title>{}</title><rect width="100%" height="100%" rx="6" fill="{BG}"/>"#,
        esc(title)
    );
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            let style = cell.style();
            let reversed = style.add_modifier.contains(Modifier::REVERSED);
            let mut fg = rgb(style.fg.unwrap_or(Color::Reset), FG);
            let mut bg = rgb(style.bg.unwrap_or(Color::Reset), BG);
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            if style.add_modifier.contains(Modifier::DIM) {
                fg = "#7f848e".into();
            }
            let symbol = cell.symbol();
            let width = unicode_width::UnicodeWidthStr::width(symbol).max(1) as u16;
            let px = 10.0 + x as f32 * CELL_W;
            let py = 10.0 + y as f32 * CELL_H;
            if bg != BG {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px}" y="{py}" width="{}" height="{CELL_H}" fill="{bg}"/>"#,
                    width as f32 * CELL_W
                );
            }
            if !symbol.trim().is_empty() {
                let weight = if style.add_modifier.contains(Modifier::BOLD) {
                    r#" font-weight="bold""#
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    r#"<text x="{px}" y="{}" fill="{fg}"{weight} textLength="{}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                    py + CELL_H - 5.0,
                    width as f32 * CELL_W,
                    esc(symbol)
                );
            }
            x += width;
        }
    }
    out.push_str("</svg>\n");
    out
}

fn shot(app: &App, name: &str, title: &str) {
    let mut t = Terminal::new(TestBackend::new(COLS, ROWS)).expect("a test terminal");
    t.draw(|f| view(app, f)).expect("a frame");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots/");
    std::fs::write(
        dir.join(format!("{name}.svg")),
        svg(t.backend().buffer(), title),
    )
    .expect("write the svg");
    println!("screenshots/{name}.svg");
}

fn main() {
    let now = "2026-11-25T10:00:00Z".parse().expect("a time");
    let demo = tempfile::tempdir().expect("a temp dir");
    let paths = Paths::in_home(demo.path());
    baohao::home::write_demo(&paths, now).expect("the demo");
    let open =
        || App::open(paths.clone(), Clock::Fixed(now), Theme { color: true }).expect("the app");
    let mut app = open();
    shot(&app, "numbers", "baohao: Numbers");
    keys(&mut app, "2");
    shot(&app, "rules", "baohao: Rules");
    keys(&mut app, "3");
    shot(&app, "history", "baohao: History");
    keys(&mut app, "4");
    shot(&app, "forecast", "baohao: Forecast");
    keys(&mut app, "1?");
    shot(&app, "help", "baohao: help");
    key(&mut app, KeyCode::Esc);
    // Edit the US low-balance rule and type an amount with too many decimals.
    keys(&mut app, "2jjjje");
    key(&mut app, KeyCode::Down);
    for _ in 0..5 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "12.345");
    shot(&app, "rule-form", "baohao: editing a rule");
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "y");
    // Add a number from the China Mobile preset: the plan is filled in, the example number
    // follows the preset's country, and "last used on" waits for the person's own date.
    keys(&mut app, "1a");
    key(&mut app, KeyCode::Right);
    shot(&app, "number-form", "baohao: adding a number");
    with_lang(Lang::Zh, || {
        let app = open();
        shot(&app, "numbers-zh", "保号：号码");
    });
}
