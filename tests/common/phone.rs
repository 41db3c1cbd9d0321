//! A "phone" for the inbox tests: posts webhooks to the real binary the way
//! SmsForwarder, SMS Gateway for Android and a board do, over plain HTTP/1.1 on loopback,
//! written here from the formats (not copied from the apps). Raw sockets, so that a test
//! can also trickle bytes, send oversized heads and bodies, and hold connections open.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use baohao::inbox::sign;

/// A free port on 127.0.0.1 (bound, read and let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `addr` (a daemon starting). Panics after
/// a minute: a daemon that never listens is the failure.
pub fn wait_listening(addr: SocketAddr) {
    for _ in 0..6000 {
        if TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("nothing listens on {addr}");
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub close: bool,
}

/// A phone's connection, kept open between posts (as apps' HTTP clients keep theirs).
pub struct Phone {
    addr: SocketAddr,
    /// The address its connections come from (another phone on the LAN); any when `None`.
    source: Option<std::net::IpAddr>,
    stream: Option<TcpStream>,
}

/// A connection to `to` from the address `source` (127.0.0.2 and so on: every loopback
/// address is this machine's on Linux), as a second phone's would come.
pub fn connect_from(source: std::net::IpAddr, to: SocketAddr) -> io::Result<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let s = rt.block_on(async {
        let sock = match source {
            std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        sock.bind(SocketAddr::new(source, 0))?;
        sock.connect(to).await?.into_std()
    })?;
    s.set_nonblocking(false)?;
    Ok(s)
}

impl Phone {
    pub fn new(addr: SocketAddr) -> Phone {
        Phone {
            addr,
            source: None,
            stream: None,
        }
    }

    /// A phone whose connections come from `source`.
    pub fn from_source(addr: SocketAddr, source: std::net::IpAddr) -> Phone {
        Phone {
            addr,
            source: Some(source),
            stream: None,
        }
    }

    /// POSTs `body` to `path` with `headers`; an error when the connection fails (a killed
    /// daemon, a cut connection): the phone then sends again later, on a new connection.
    pub fn post(
        &mut self,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> io::Result<Answer> {
        let mut s = match self.stream.take() {
            Some(s) => s,
            None => {
                let s = match self.source {
                    Some(from) => connect_from(from, self.addr)?,
                    None => TcpStream::connect(self.addr)?,
                };
                s.set_read_timeout(Some(Duration::from_secs(60)))?;
                s.set_nodelay(true)?;
                s
            }
        };
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        s.write_all(&bytes)?;
        let a = read_answer(&mut s)?;
        if !a.close {
            self.stream = Some(s);
        }
        Ok(a)
    }
}

/// Reads one HTTP/1.1 answer (status line, headers, a Content-Length body).
pub fn read_answer(s: &mut TcpStream) -> io::Result<Answer> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no status in {head:?}")))?;
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)?;
    Ok(Answer {
        status,
        body,
        close: header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")),
    })
}

/// One POST on a connection of its own.
pub fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> io::Result<Answer> {
    Phone::new(addr).post(path, headers, body)
}

/// Whether the server closes `s` (EOF or reset), reading whatever it answers first;
/// false when it is still open after a minute.
pub fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Ok(0) | Err(_) => return true,
            // An answer first (431, 413, 408), then the close.
            Ok(_) => continue,
        }
    }
}

/// SmsForwarder's webhook as baohao's setup template has it, signed with `secret` at
/// `ts_ms` (milliseconds).
pub fn smsforwarder_json(
    secret: &str,
    ts_ms: i64,
    from: &str,
    text: &str,
    slot: &str,
    received: &str,
) -> Vec<u8> {
    serde_json::json!({
        "from": from,
        "content": text,
        "card_slot": slot,
        "receive_time": received,
        "timestamp": ts_ms.to_string(),
        "sign": sign::smsforwarder_sign(secret, ts_ms),
    })
    .to_string()
    .into_bytes()
}

/// SMS Gateway's `sms:received` and its `X-Signature`/`X-Timestamp` headers.
pub fn sms_gateway(
    key: &str,
    ts_secs: i64,
    event_id: &str,
    from: &str,
    text: &str,
    sim: u8,
    received_at: &str,
) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let body = serde_json::json!({
        "event": "sms:received",
        "id": event_id,
        "deviceId": "ffffffffceb0b1db0000018e937c815b",
        "webhookId": "LreFUt-Z3sSq0JufY9uWB",
        "payload": {
            "messageId": format!("m-{event_id}"),
            "message": text,
            "sender": from,
            "recipient": null,
            "simNumber": sim,
            "receivedAt": received_at,
        }
    })
    .to_string()
    .into_bytes();
    let ts = ts_secs.to_string();
    let sig = sign::sms_gateway_signature(key, &body, &ts);
    (
        body,
        vec![
            ("Content-Type", "application/json".to_string()),
            ("X-Signature", sig),
            ("X-Timestamp", ts),
        ],
    )
}

/// A board's JSON post with its token as `Authorization: Bearer`.
pub fn board(
    token: &str,
    from: &str,
    text: &str,
    unix: i64,
) -> (Vec<u8>, Vec<(&'static str, String)>) {
    (
        serde_json::json!({"sender": from, "message": text, "timestamp": unix})
            .to_string()
            .into_bytes(),
        vec![
            ("Content-Type", "application/json".to_string()),
            ("Authorization", format!("Bearer {token}")),
        ],
    )
}
