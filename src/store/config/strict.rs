//! Reading config text into its file form while collecting EVERY structural problem, not
//! just serde's first: each number and each rule is read on its own, and an unknown field
//! is noted and taken out so that reading goes on. Broken JSON gets a sentence a person
//! can act on (where, and the likely cause). No I/O; `validate.rs` judges the values.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::i18n::T;
use crate::tr;

use super::{FileConfig, FileNumber, FileRule, Problem};

/// A number read from the file, with its index there and the fields read beside serde.
pub struct ReadNumber {
    pub index: usize,
    pub file: FileNumber,
    pub since: Option<NaiveDate>,
}

/// The file's top level (without its numbers) and the numbers that read cleanly.
pub struct Read {
    pub top: Option<FileConfig>,
    pub numbers: Vec<ReadNumber>,
}

/// Reads `text`; every structural problem found is pushed to `problems`.
pub fn read(text: &[u8], problems: &mut Vec<Problem>) -> Option<Read> {
    let value: Value = match serde_json::from_slice(text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(syntax_problem(&e));
            return None;
        }
    };
    let Value::Object(mut root) = value else {
        problems.push(Problem::at("", tr!(T::CfgNotObject)));
        return None;
    };
    let numbers_value = root.remove("numbers");
    let top = strict::<FileConfig>(Value::Object(root), "", problems);
    let mut numbers = Vec::new();
    match numbers_value {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.into_iter().enumerate() {
                if let Some(n) = read_number(index, item, problems) {
                    numbers.push(n);
                }
            }
        }
        Some(_) => problems.push(Problem::at("numbers", tr!(T::CfgNotList))),
    }
    Some(Read { top, numbers })
}

fn read_number(index: usize, item: Value, problems: &mut Vec<Problem>) -> Option<ReadNumber> {
    let here = format!("numbers[{index}]");
    let Value::Object(mut obj) = item else {
        problems.push(Problem::at(here, tr!(T::CfgNotObject)));
        return None;
    };
    let since = match obj.remove("since") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
            Ok(d) => Ok(Some(d)),
            Err(_) => Err(s),
        },
        Some(other) => Err(other.to_string()),
    };
    let since = since.unwrap_or_else(|bad| {
        problems.push(Problem::at(format!("{here}.since"), tr!(T::CfgSince, bad)));
        None
    });
    let rules_value = obj.remove("rules");
    let file = strict::<FileNumber>(Value::Object(obj), &here, problems);
    let mut rules = Vec::new();
    let mut rules_ok = true;
    match rules_value {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (j, r) in items.into_iter().enumerate() {
                match strict::<FileRule>(r, &format!("{here}.rules[{j}]"), problems) {
                    Some(r) => rules.push(r),
                    None => rules_ok = false,
                }
            }
        }
        Some(_) => {
            problems.push(Problem::at(format!("{here}.rules"), tr!(T::CfgNotList)));
            rules_ok = false;
        }
    }
    // A number with an unreadable rule is not judged further: its rules' paths would shift.
    let mut file = file.filter(|_| rules_ok)?;
    file.rules = rules;
    Some(ReadNumber { index, file, since })
}

/// Deserializes `value` as `T`, noting and removing unknown fields until it reads, or until
/// a problem that removing cannot mend (a wrong type, a missing field): then `None`.
fn strict<T: DeserializeOwned>(
    mut value: Value,
    prefix: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    for _ in 0..256 {
        match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(t) => return Some(t),
            Err(e) => {
                let inner_path = e.path().to_string();
                let message = e.into_inner().to_string();
                let path = join(prefix, &inner_path);
                let unknown = message.starts_with("unknown field");
                problems.push(Problem::at(path, message));
                if !unknown || !remove_at(&mut value, &inner_path) {
                    return None;
                }
            }
        }
    }
    None
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path == "." || path.is_empty()) {
        (_, true) => prefix.to_string(),
        (true, false) => path.to_string(),
        (false, false) => format!("{prefix}.{path}"),
    }
}

/// Removes the value at a serde_path_to_error path (`a.b[2].c`); whether it was there.
fn remove_at(value: &mut Value, path: &str) -> bool {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (name, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            segments.push(Seg::Key(name.to_string()));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            match idx.trim_end_matches(']').parse() {
                Ok(i) => segments.push(Seg::Index(i)),
                Err(_) => return false,
            }
        }
    }
    let Some(last) = segments.pop() else {
        return false;
    };
    let mut here = value;
    for s in &segments {
        here = match (s, here) {
            (Seg::Key(k), Value::Object(m)) => match m.get_mut(k) {
                Some(v) => v,
                None => return false,
            },
            (Seg::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, here) {
        (Seg::Key(k), Value::Object(m)) => remove_key(m, &k),
        _ => false,
    }
}

fn remove_key(m: &mut Map<String, Value>, k: &str) -> bool {
    m.shift_remove(k).is_some()
}

enum Seg {
    Key(String),
    Index(usize),
}

/// Broken JSON: where (line, column) and the likely cause, in words.
fn syntax_problem(e: &serde_json::Error) -> Problem {
    let raw = e.to_string();
    let what = raw.rfind(" at line ").map_or(raw.as_str(), |i| &raw[..i]);
    let cause = if what.contains("key must be a string") {
        tr!(T::JsonKeyExpected)
    } else if what.contains("trailing comma") {
        tr!(T::JsonTrailingComma)
    } else if what.contains("EOF while parsing") {
        tr!(T::JsonEof)
    } else if what.starts_with("expected `,` or") {
        tr!(T::JsonCommaExpected)
    } else if what.contains("expected value") {
        tr!(T::JsonValueExpected)
    } else if what.contains("expected `:`") {
        tr!(T::JsonColonExpected)
    } else {
        what.to_string()
    };
    Problem {
        path: String::new(),
        line: (e.line() > 0).then_some(e.line()),
        message: tr!(T::CfgSyntax, e.column(), cause),
    }
}
