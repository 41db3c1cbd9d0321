//! A forwarder without a secret is taken unsigned only from this machine. Behind a reverse
//! proxy every post arrives from loopback, so a post that says it was forwarded
//! (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`) is refused for such a forwarder.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::phone::{self, Phone};

#[test]
fn an_unsigned_forwarder_takes_no_post_a_proxy_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let port = phone::free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(
            r#"{{"version":1,"timezone":"Asia/Shanghai",
              "forwarders":[{{"id":"board","kind":"webhook"}}],
              "inbox":{{"listen":"{addr}"}},
              "numbers":[{{"id":"d","label":"d","msisdn":"+8613800000000","currency":"CNY",
                "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},
                "forwarder":{{"id":"board"}}}}]}}"#
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(dir.path())
        .arg("daemon")
        .env("BAOHAO_NOW", "2026-03-01T12:00:00Z")
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    phone::wait_listening(addr);
    let mut p = Phone::new(addr);
    let json = ("Content-Type", "application/json".to_string());
    let body = |text: &str| {
        serde_json::json!({"sender": "95588", "message": text, "timestamp": 1772366340})
            .to_string()
            .into_bytes()
    };
    // From this machine, unsigned: taken.
    let a = p
        .post("/in/board", &[json.clone()], &body("from the board"))
        .unwrap();
    assert_eq!(a.status, 200);
    // Through a proxy, from whoever: refused, whichever header the proxy writes.
    for (h, v) in [
        ("X-Forwarded-For", "203.0.113.9"),
        ("Forwarded", "for=203.0.113.9;proto=https"),
        ("X-Real-IP", "203.0.113.9"),
    ] {
        let a = p
            .post(
                "/in/board",
                &[json.clone(), (h, v.to_string())],
                &body("forged"),
            )
            .unwrap();
        assert_eq!(a.status, 401, "{h}");
    }
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(log.contains("from the board"), "{log}");
    assert!(!log.contains("forged"), "{log}");
    assert_eq!(
        err.matches("was refused").count(),
        1,
        "said once a minute: {err}"
    );
    assert!(err.contains("reverse proxy"), "{err}");
}
