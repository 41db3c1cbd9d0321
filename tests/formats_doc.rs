//! docs/FORMATS.md names every kind, status and flag that `history --json`
//! and `--csv` emit. The words come from the code's own lists of every variant
//! (`EntryKind::ALL`, `EntryStatus::ALL`, `Flag::ALL`, `history::status_words`), so a new
//! one that the page does not mention fails here.

use baohao::engine::{EntryKind, Flag, history};

/// The bullet of FORMATS.md that starts with `` - `history --json` ``, up to the next one.
fn history_json_bullet() -> String {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMATS.md"))
        .expect("docs/FORMATS.md reads");
    let start = page
        .find("- `history --json`")
        .expect("FORMATS.md describes history --json");
    let rest = &page[start + 1..];
    let end = rest.find("\n- ").map_or(rest.len(), |i| i + 1);
    rest[..end].to_string()
}

fn missing(bullet: &str, words: impl IntoIterator<Item = &'static str>) -> Vec<&'static str> {
    words
        .into_iter()
        .filter(|w| !bullet.contains(&format!("`{w}`")))
        .collect()
}

#[test]
fn formats_names_every_kind_status_and_flag_history_emits() {
    let bullet = history_json_bullet();
    let kinds = missing(&bullet, EntryKind::ALL.iter().map(|k| k.as_str()));
    let statuses = missing(&bullet, history::status_words());
    let flags = missing(&bullet, Flag::ALL.iter().map(|f| f.as_str()));
    assert!(
        kinds.is_empty() && statuses.is_empty() && flags.is_empty(),
        "docs/FORMATS.md's history --json lacks kinds {kinds:?}, statuses {statuses:?}, \
         flags {flags:?}:\n{bullet}"
    );
}

#[test]
fn the_csv_uses_the_same_status_words() {
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMATS.md")).unwrap();
    let csv = page
        .find("- `history --csv`")
        .map(|i| &page[i..])
        .and_then(|s| s.split("\n- ").next())
        .expect("FORMATS.md describes history --csv");
    assert!(csv.contains("same kind, status and flag words"), "{csv}");
}
