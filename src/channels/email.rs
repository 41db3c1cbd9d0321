//! Email: `mailto://user:pass@host[:port]?to=…&from=…` (plain SMTP, or STARTTLS with
//! `?starttls=yes`, port 587), `mailtos://…` (implicit TLS, port 465). Sent with lettre on
//! rustls; success is the server's 250.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::url::Parts;
use super::{Failure, Message, Parsed, Service};
use crate::i18n::T;
use crate::tr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    Implicit,
}

pub(super) struct Email {
    host: String,
    port: u16,
    security: Security,
    user: Option<String>,
    password: Option<String>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

fn mailbox(s: &str) -> Result<Mailbox, String> {
    s.trim()
        .parse::<Mailbox>()
        .map_err(|_| tr!(T::ChanBadAddress, s))
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let (host, port) = match p.host.rsplit_once(':') {
        Some((h, port)) => (
            h.to_string(),
            Some(port.parse::<u16>().map_err(|_| tr!(T::ChanBadPort, port))?),
        ),
        None => (p.host.clone(), None),
    };
    let yes = |k: &str| {
        p.query(k)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1"))
    };
    let security = if p.scheme == "mailtos" {
        Security::Implicit
    } else if yes("starttls") {
        Security::StartTls
    } else {
        Security::Plain
    };
    let port = port.unwrap_or(match security {
        Security::Plain => 25,
        Security::StartTls => 587,
        Security::Implicit => 465,
    });
    let default_addr = p.user.as_ref().map(|u| {
        if u.contains('@') {
            u.clone()
        } else {
            format!("{u}@{host}")
        }
    });
    let from = match p.query("from").map(str::to_string).or(default_addr.clone()) {
        Some(f) => mailbox(&f)?,
        None => return Err(tr!(T::ChanMissingPart, "from")),
    };
    let to = match p.query("to").map(str::to_string).or(default_addr) {
        Some(t) => t
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(mailbox)
            .collect::<Result<Vec<_>, _>>()?,
        None => return Err(tr!(T::ChanMissingPart, "to")),
    };
    let e = Email {
        host,
        port,
        security,
        user: p.user.clone(),
        password: p.password.clone(),
        from,
        to,
    };
    let secrets = e.password.iter().cloned().collect();
    Ok(Parsed {
        service: Service::Email(e),
        secrets,
    })
}

/// Certificate authorities trusted besides the built-in ones: those in `SSL_CERT_FILE`, the
/// variable OpenSSL-based tools read, so that a mail server signed by a private CA (a
/// self-hosted one, a company's) can be reached over TLS.
fn extra_roots() -> Result<Vec<Certificate>, String> {
    let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) else {
        return Ok(Vec::new());
    };
    let path = std::path::PathBuf::from(path);
    let said = |why: String| tr!(T::ChanCaFile, path.display(), why);
    let pem = crate::fsutil::read_regular(&path, true).map_err(|e| said(e.to_string()))?;
    Certificate::from_pem(&pem)
        .map(|c| vec![c])
        .map_err(|e| said(e.to_string()))
}

impl Email {
    pub(super) async fn send(&self, m: &Message, timeout: Duration) -> Result<(), Failure> {
        crate::net::install_crypto();
        let fail = |what: String| Failure::new(format!("email: {what}"));
        let mut b = lettre::Message::builder()
            .from(self.from.clone())
            .subject(super::cut_chars(&m.title, super::MAX_TITLE))
            .header(ContentType::TEXT_PLAIN);
        for t in &self.to {
            b = b.to(t.clone());
        }
        let mail = b.body(m.body.clone()).map_err(|e| fail(e.to_string()))?;
        let tls = |host: &str| {
            let mut b = TlsParameters::builder(host.to_string());
            for cert in extra_roots().map_err(&fail)? {
                b = b.add_root_certificate(cert);
            }
            b.build().map_err(|e| fail(e.to_string()))
        };
        let mut t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.port)
            .timeout(Some(timeout))
            .tls(match self.security {
                Security::Plain => Tls::None,
                Security::StartTls => Tls::Required(tls(&self.host)?),
                Security::Implicit => Tls::Wrapper(tls(&self.host)?),
            });
        if let (Some(u), Some(p)) = (&self.user, &self.password) {
            t = t.credentials(Credentials::new(u.clone(), p.clone()));
        }
        let transport = t.build();
        // lettre's own timeout covers connecting only: a server that stops answering
        // halfway would hold this send (and its retries) for ever.
        let Ok(sent) = tokio::time::timeout(timeout, transport.send(mail)).await else {
            return Err(fail(tr!(T::ChanTimeout, timeout.as_secs())));
        };
        match sent {
            Ok(r) if r.is_positive() => Ok(()),
            Ok(r) => Err(fail(format!(
                "{} {}",
                r.code(),
                r.message().collect::<Vec<_>>().join(" ")
            ))),
            Err(e) => Err(fail(e.to_string())),
        }
    }
}
