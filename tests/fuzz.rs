//! A short fuzz pass in every test run (the long run is `examples/fuzz.rs`, see
//! docs/FUZZING.md), and the findings of earlier runs kept as regression tests.

#[path = "../fuzz/harness.rs"]
mod harness;

use harness::{Target, check};

#[test]
fn a_short_fuzz_pass_finds_nothing() {
    // A different seed each day spreads the short passes over the input space; a finding
    // prints its seed and input so that it can be replayed and kept below.
    let seed = std::env::var("BAOHAO_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_125);
    if let Err(f) = harness::run(2_000, seed, |_| {}) {
        panic!("seed {seed}: {f}");
    }
}

/// Inputs that once broke an invariant (found by the harness or by hand), kept forever.
#[test]
fn earlier_findings_stay_fixed() {
    let cases: &[(Target, &[u8])] = &[
        // The fast reader accepted -0 where serde_json refuses it.
        (
            Target::LogLine,
            br#"{"v":1,"id":"m","at":"2026-11-06T10:00:00Z","number":"us","type":"manual","amount_minor":-0,"currency":"USD"}"#,
        ),
        // An outside tool's fractional seconds: read, and written back as whole seconds.
        (
            Target::LogLine,
            br#"{"v":1,"id":"r1","at":"2026-11-07T10:00:01.50Z","number":"cmcc","type":"resolved","intent":"i1","status":"failed","note":"checked"}"#,
        ),
        // An imported text dated in year 26: Shanghai's local mean time has an offset with
        // seconds, which the writer rounded (the instant moved 17 seconds).
        (
            Target::Import,
            "From: 10086\nDate:026-11-01 00:02:00\n【中国移动】尊敬的客户，您于2026年11月01日00:00通过支付宝充值50.00元已到账，当前可用余额为58.00元。\n".as_bytes(),
        ),
        // A lenient date format read "-02026" as year -2026: the line was unreadable.
        (
            Target::Import,
            b"Date,Details,Amount,Ref\n01/11/-02026,giffgaff top up 07700 900123,-10.00,TX0001\n",
        ),
        // A duplicated status was read as the last one: failed, and retried.
        (Target::Answer, br#"{"status":"succeeded","status":"failed"}"#),
        (Target::Answer, br#"{"status":"failed","status":"succeeded"}"#),
        // Bidi, escapes and line breaks in a message; a formula in a CSV cell.
        (Target::Text, "\u{202E}=cmd\u{1b}]0;t\u{7}\n“x\nx”".as_bytes()),
    ];
    for (t, input) in cases {
        if let Err(e) = check(*t, input) {
            panic!("{t:?} {:?}: {e}", String::from_utf8_lossy(input));
        }
    }
}
