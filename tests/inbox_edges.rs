//! The inbox's edges through the real binary: a forwarder without a secret takes no post a
//! reverse proxy forwarded (behind a proxy every post arrives from loopback), and a
//! connection that trickles its request is cut.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::phone::{self, Phone};

/// A home with one unsigned board, and its daemon listening.
fn daemon() -> (tempfile::TempDir, SocketAddr, std::process::Child) {
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
    let child = Command::new(env!("CARGO_BIN_EXE_baohao"))
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
    (dir, addr, child)
}

#[test]
fn an_unsigned_forwarder_takes_no_post_a_proxy_forwarded() {
    let (dir, addr, child) = daemon();
    let mut p = Phone::new(addr);
    let json = ("Content-Type", "application/json".to_string());
    let body = |text: &str| {
        serde_json::json!({"sender": "95588", "message": text, "timestamp": 1772366340})
            .to_string()
            .into_bytes()
    };
    // From this machine, unsigned: taken.
    let a = p
        .post(
            "/in/board",
            std::slice::from_ref(&json),
            &body("from the board"),
        )
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

/// Sends `head` then `body` a byte at a time, two bytes a second, and says how many
/// bytes went before the server closed the connection (`None`: it never did).
fn trickle(addr: SocketAddr, head: &[u8], drip: &[u8]) -> Option<usize> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(head).unwrap();
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 512];
    for (i, b) in drip.iter().enumerate() {
        if s.write_all(std::slice::from_ref(b)).is_err() {
            return Some(i);
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        match s.read(&mut buf) {
            Ok(0) => return Some(i + 1),
            // An answer (408) comes before the close: keep reading.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return Some(i + 1),
        }
    }
    None
}

#[test]
fn a_request_that_trickles_is_cut_before_it_is_whole() {
    let (_dir, addr, mut child) = daemon();
    // 240 bytes at two a second would take two minutes: the server cuts it long before.
    let pad = format!("X-Pad: {}\r\n", "a".repeat(232));
    let cut = trickle(
        addr,
        b"POST /in/board HTTP/1.1\r\nHost: x\r\n",
        pad.as_bytes(),
    );
    assert!(cut.is_some(), "a trickled head was never cut");
    // The same for a body after a whole head.
    let head = "POST /in/board HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 240\r\n\r\n";
    let cut = trickle(addr, head.as_bytes(), &[b' '; 240]);
    assert!(cut.is_some(), "a trickled body was never cut");
    // And the inbox still answers a whole request at once.
    let a = Phone::new(addr)
        .post(
            "/in/board",
            &[("Content-Type", "application/json".to_string())],
            br#"{"sender":"95588","message":"still here","timestamp":1772366340}"#,
        )
        .unwrap();
    assert_eq!(a.status, 200);
    let _ = child.kill();
    let _ = child.wait();
}
