//! Every user-visible string, in English and Simplified Chinese, from one catalogue.
//! Nothing here knows about numbers or rules; callers pass the values to fill in.

use std::cell::Cell;
use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

static GLOBAL: AtomicU8 = AtomicU8::new(0);

thread_local! {
    static OVERRIDE: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// The language in force on this thread (a test override, else the process setting).
pub fn lang() -> Lang {
    OVERRIDE
        .with(|o| o.get())
        .unwrap_or(match GLOBAL.load(Ordering::Relaxed) {
            1 => Lang::Zh,
            _ => Lang::En,
        })
}

pub fn set_lang(l: Lang) {
    GLOBAL.store(
        match l {
            Lang::En => 0,
            Lang::Zh => 1,
        },
        Ordering::Relaxed,
    );
}

/// Runs `f` with `l` as this thread's language (tests render both languages side by side).
pub fn with_lang<R>(l: Lang, f: impl FnOnce() -> R) -> R {
    let prev = OVERRIDE.with(|o| o.replace(Some(l)));
    let r = f();
    OVERRIDE.with(|o| o.set(prev));
    r
}

impl Lang {
    /// `--lang` wins; then LC_ALL, LC_MESSAGES, LANG (the first that is set and non-empty).
    pub fn detect(flag: Option<&str>) -> Lang {
        if let Some(f) = flag {
            return Lang::parse(f).unwrap_or_default();
        }
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(v) = std::env::var(var)
                && !v.is_empty()
            {
                return Lang::parse(&v).unwrap_or_default();
            }
        }
        Lang::En
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") || s == "c" || s == "posix" || s.starts_with("c.") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// Fills `{0}`, `{1}`, … in `template` with `args` (numbered, so a translation may reorder).
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => match after[..close].parse::<usize>() {
                Ok(i) if i < args.len() => {
                    use std::fmt::Write;
                    let _ = write!(out, "{}", args[i]);
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            },
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `n` with the singular or plural entry (`1 number`, `2 numbers`; Chinese has one form).
pub fn count(n: usize, one: T, many: T) -> String {
    fill(if n == 1 { one.s() } else { many.s() }, &[&n])
}

/// `tr!(T::Key)` gives the string; `tr!(T::Key, a, b)` fills its `{0}`, `{1}`.
#[macro_export]
macro_rules! tr {
    ($key:expr) => { $key.s().to_string() };
    ($key:expr, $($arg:expr),+ $(,)?) => {
        $crate::i18n::fill($key.s(), &[$(&$arg as &dyn std::fmt::Display),+])
    };
}

macro_rules! catalogue {
    ($($key:ident => $en:expr, $zh:expr;)*) => {
        /// A catalogue entry: one string in each language.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum T { $($key,)* }
        impl T {
            pub const ALL: &'static [T] = &[$(T::$key,)*];
            pub fn en(self) -> &'static str { match self { $(T::$key => $en,)* } }
            pub fn zh(self) -> &'static str { match self { $(T::$key => $zh,)* } }
            pub fn s(self) -> &'static str {
                match lang() { Lang::En => self.en(), Lang::Zh => self.zh() }
            }
        }
    };
}

include!("i18n_catalogue.rs");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_numbers_and_reorders() {
        assert_eq!(fill("{1} then {0}", &[&"a", &2]), "2 then a");
        assert_eq!(fill("{x} {5} {", &[&1]), "{x} {5} {");
    }

    #[test]
    fn every_entry_has_both_languages_with_the_same_placeholders() {
        for t in T::ALL {
            assert!(!t.en().is_empty() && !t.zh().is_empty(), "{t:?} is empty");
            for i in 0..6 {
                let p = format!("{{{i}}}");
                assert_eq!(
                    t.en().contains(&p),
                    t.zh().contains(&p),
                    "{t:?} placeholder {p}"
                );
            }
        }
    }

    #[test]
    fn detect_reads_flag_then_env_shape() {
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en_GB.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::detect(Some("zh")), Lang::Zh);
    }
}
