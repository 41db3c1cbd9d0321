//! The program's one HTTP client, shared by everything that speaks HTTP (push channels,
//! SMS forwarders): rustls with the ring provider (no OpenSSL), the environment's proxy
//! settings (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) honoured, and a timeout on every request.

use std::sync::Once;
use std::time::Duration;

/// Installs ring as rustls's process-wide crypto provider, once.
pub fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error only means a provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client whose every request gives up after `timeout` (connecting included).
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_crypto();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("baohao/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| crate::text::clean::value(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn the_client_speaks_plain_http_on_loopback() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).expect("read");
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .expect("write");
            head
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let body = rt.block_on(async {
            let c = client(Duration::from_secs(5)).expect("client");
            c.get(format!("http://{addr}/x"))
                .send()
                .await
                .expect("send")
                .text()
                .await
                .expect("body")
        });
        assert_eq!(body, "ok");
        let head = server.join().expect("server");
        assert!(head.starts_with("GET /x HTTP/1.1"), "{head}");
        assert!(head.contains("user-agent: baohao/"), "{head}");
    }
}
