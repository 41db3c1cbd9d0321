//! The webhook server: `POST /in/<forwarder-id>` on `inbox.listen`, run by the worker (the
//! daemon, or the TUI session hosting it). hyper's HTTP/1 server on the worker's tokio
//! runtime, with the limits a listener on a LAN needs: headers at most 8 KiB, a body at
//! most 64 KiB, a whole request within 10 s, at most 64 connections. A 2xx means the
//! text is in the log, fsynced; anything short of that is a 5xx, so the phone sends again.
//! A refusal (401/404) says nothing in its answer; the log line says why, once a minute
//! per source, and never a secret, a signature or a token.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::decode::{self, Decoded, Refused, Secret};
use super::replay::{self, Used, Verdict};
use super::{AcceptError, Accepted, Acceptor, Received};
use crate::clock::Clock;
use crate::i18n::T;
use crate::link::{Report, Shutdown};
use crate::model::{Config, EventBody};
use crate::store::Paths;
use crate::store::config::Stamp;
use crate::tr;

pub const MAX_BODY: usize = 64 * 1024;
pub const MAX_HEADERS: usize = 8 * 1024;
/// A connection that has not sent a whole head this long after it opened or after its last
/// answer is cut, and so is one whose body has not come whole this long after its head.
pub const REQUEST_WITHIN: Duration = Duration::from_secs(10);
pub const MAX_CONNECTIONS: usize = 64;
/// A refusal from one source is said at most this often.
const SAY_REFUSED_EVERY: Duration = Duration::from_secs(60);
/// How many waiting texts one write (and one fsync) takes at most.
const BATCH: usize = 256;

/// Why the inbox does not listen on `addr`: a forwarder that could be impersonated from
/// the network. `None` when it may.
pub fn refuse_listening(config: &Config, addr: SocketAddr) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    let open: Vec<&str> = config
        .forwarders
        .iter()
        .filter(|f| !matches!(Secret::of(f), Secret::Value(_)))
        .map(|f| f.id.as_str())
        .collect();
    (!open.is_empty()).then(|| tr!(T::InboxOpenForwarders, addr, open.join(", ")))
}

/// Listens while the worker runs, on `inbox.listen` as the config says; looks again every
/// `retry` (the address changed, a broken config mended, the port freed).
pub async fn run(
    paths: Paths,
    clock: Clock,
    reports: mpsc::UnboundedSender<Report>,
    shutdown: Arc<Shutdown>,
    retry: Duration,
) {
    let (jobs, rx) = std::sync::mpsc::channel::<Job>();
    {
        let (paths, clock, reports) = (paths.clone(), clock.clone(), reports.clone());
        let to_writer = reports.clone();
        let spawned = std::thread::Builder::new()
            .name("inbox-writer".into())
            .spawn(move || writer(paths, clock, to_writer, rx));
        if let Err(e) = spawned {
            let _ = reports.send(Report::Problem(tr!(T::NoRuntime, e)));
            return;
        }
    }
    let shared = Arc::new(Shared {
        paths,
        clock,
        reports,
        config: Mutex::new(None),
        jobs,
        refused: Mutex::new(HashMap::new()),
        used: Mutex::new(Used::default()),
        full_said: Mutex::new(None),
    });
    let mut said: Option<String> = None;
    let mut say = |shared: &Shared, r: Report| {
        let key = format!("{r:?}");
        if said.as_deref() != Some(key.as_str()) {
            said = Some(key);
            let _ = shared.reports.send(r);
        }
    };
    while !shutdown.requested() {
        let plan = shared.config().ok().and_then(|c| {
            c.inbox
                .as_ref()
                .map(|i| (i.listen, refuse_listening(&c, i.listen)))
        });
        match plan {
            None => {}
            Some((_, Some(why))) => say(&shared, Report::Problem(why)),
            Some((addr, None)) => match TcpListener::bind(addr).await {
                Err(e) => say(&shared, Report::Problem(tr!(T::InboxBind, addr, e))),
                Ok(listener) => {
                    say(&shared, Report::Notice(tr!(T::InboxListening, addr)));
                    serve(listener, addr, &shared, &shutdown, retry).await;
                    continue;
                }
            },
        }
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = shutdown.wait() => return,
        }
    }
}

struct Shared {
    paths: Paths,
    clock: Clock,
    reports: mpsc::UnboundedSender<Report>,
    /// The config as last read, and the bytes' stamp: read again only when they change.
    config: Mutex<Option<(Stamp, Arc<Config>)>>,
    jobs: std::sync::mpsc::Sender<Job>,
    /// When a refusal from each source was last said.
    refused: Mutex<HashMap<IpAddr, Instant>>,
    /// SmsForwarder's signatures taken while they are in the window, and the text each came
    /// with: its `sign` covers only the time, so another text under one is a forgery.
    used: Mutex<Used>,
    /// When a full table of signatures was last said.
    full_said: Mutex<Option<Instant>>,
}

impl Shared {
    /// The config on disk now; its sentence when it does not read.
    fn config(&self) -> Result<Arc<Config>, String> {
        let bytes = crate::store::fsutil::read_regular(&self.paths.config, true)
            .map_err(|e| crate::Error::io(T::WhatRead, &self.paths.config, &e).message)?;
        let stamp = Stamp::of(&bytes);
        let mut cached = self.config.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, c)) = cached.as_ref()
            && *s == stamp
        {
            return Ok(c.clone());
        }
        let config = crate::store::config::parse(&bytes)
            .map(Arc::new)
            .map_err(|p| crate::store::config::problems_error(&self.paths.config, &p).message)?;
        *cached = Some((stamp, config.clone()));
        Ok(config)
    }

    /// Takes SmsForwarder's `signed` for `text`, or the answer that refuses the post: 401
    /// when the signature came with another text, 503 when the table is full. Taken before
    /// the write: of two posts racing under one signature with different texts only the
    /// first goes on, and a failed write keeps it (its retry goes on).
    fn spend(
        &self,
        from: IpAddr,
        signed: &decode::Signed,
        text: &Received,
        now: chrono::DateTime<chrono::Utc>,
        window: chrono::Duration,
    ) -> Option<Response<Full<Bytes>>> {
        let verdict = self.used.lock().unwrap_or_else(|p| p.into_inner()).check(
            signed,
            replay::digest(text),
            now.timestamp_millis(),
            window.to_std().unwrap_or(Duration::ZERO),
            Instant::now(),
        );
        match verdict {
            Verdict::First | Verdict::Again => None,
            Verdict::Other => {
                self.refused(from, Refusal::Reused);
                Some(answer(StatusCode::UNAUTHORIZED, false))
            }
            Verdict::Full => {
                self.say_full();
                Some(answer(StatusCode::SERVICE_UNAVAILABLE, false))
            }
        }
    }

    /// Says that the table of signatures is full, at most once a minute.
    fn say_full(&self) {
        let mut said = self.full_said.lock().unwrap_or_else(|p| p.into_inner());
        if said.is_some_and(|t| t.elapsed() < SAY_REFUSED_EVERY) {
            return;
        }
        *said = Some(Instant::now());
        let _ = self.reports.send(Report::Problem(tr!(
            T::InboxSignaturesFull,
            replay::MAX_KEPT
        )));
    }

    /// Says a refusal, at most once a minute per source.
    fn refused(&self, from: IpAddr, why: Refusal) {
        let now = Instant::now();
        let mut seen = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        if seen
            .get(&from)
            .is_some_and(|t| now.duration_since(*t) < SAY_REFUSED_EVERY)
        {
            return;
        }
        if seen.len() > 4096 {
            seen.retain(|_, t| now.duration_since(*t) < SAY_REFUSED_EVERY);
        }
        seen.insert(from, now);
        let reason = match why {
            Refusal::Unknown => tr!(T::InboxWhyUnknown),
            Refusal::Decoded(Refused::NoSecret) => tr!(T::InboxWhyNoSecret),
            Refusal::Decoded(Refused::BadSignature) => tr!(T::InboxWhyBadSignature),
            Refusal::Decoded(Refused::Stale) => tr!(T::InboxWhyStale),
            Refusal::Decoded(Refused::Malformed) => tr!(T::InboxWhyMalformed),
            Refusal::Reused => tr!(T::InboxWhyReused),
            Refusal::Proxied => tr!(T::InboxWhyProxied),
        };
        let _ = self
            .reports
            .send(Report::Notice(tr!(T::InboxRefused, from, reason)));
    }
}

#[derive(Clone, Copy)]
enum Refusal {
    Unknown,
    Decoded(Refused),
    /// A signature already taken with another text.
    Reused,
    /// Unsigned, through a reverse proxy: from anyone the proxy serves.
    Proxied,
}

/// Accepts connections until shutdown, or until the config no longer says to listen here.
async fn serve(
    listener: TcpListener,
    addr: SocketAddr,
    shared: &Arc<Shared>,
    shutdown: &Arc<Shutdown>,
    retry: Duration,
) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut check = tokio::time::interval(retry);
    check.tick().await;
    loop {
        let still_here = || {
            // A config that does not read keeps the listener (its requests get 503).
            shared.config().map_or(true, |c| {
                c.inbox.as_ref().map(|i| i.listen) == Some(addr)
                    && refuse_listening(&c, addr).is_none()
            })
        };
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = check.tick() => {
                if still_here() { continue } else { return }
            }
            _ = shutdown.wait() => return,
        };
        let (stream, peer) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                // Out of file descriptors and the like: breathe, then go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = check.tick() => {
                if still_here() { continue } else { return }
            }
            _ = shutdown.wait() => return,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(req, peer.ip(), &shared).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(REQUEST_WITHIN)
                .max_header_size(MAX_HEADERS)
                .max_buf_size(MAX_HEADERS.max(8192) * 2)
                .serve_connection(io, service);
            tokio::pin!(conn);
            // On shutdown a connection kept alive between posts is closed at once (one
            // mid-request still gets its answer): a phone's idle connection held the
            // daemon's exit for the 10 s of the head timeout.
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.wait() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}

fn answer(status: StatusCode, close: bool) -> Response<Full<Bytes>> {
    let body = if status.is_success() { "ok\n" } else { "" };
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    if close {
        r.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    r
}

/// The whole body, at most [`MAX_BODY`] and within [`REQUEST_WITHIN`]; else the answer.
async fn read_body(body: Incoming) -> Result<Bytes, Response<Full<Bytes>>> {
    let body = Limited::new(body, MAX_BODY);
    match tokio::time::timeout(REQUEST_WITHIN, body.collect()).await {
        Err(_) => Err(answer(StatusCode::REQUEST_TIMEOUT, true)),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Err(answer(StatusCode::PAYLOAD_TOO_LARGE, true))
        }
        Ok(Err(_)) => Err(answer(StatusCode::BAD_REQUEST, true)),
        Ok(Ok(b)) => Ok(b.to_bytes()),
    }
}

/// A post for a forwarder without a secret that says a proxy forwarded it. Such a
/// forwarder is taken unsigned only from this machine; through a reverse proxy every post
/// comes from loopback, whoever sent it on the internet.
fn unsigned_through_a_proxy(
    req: &hyper::Request<Incoming>,
    forwarder: &crate::model::forwarder::Forwarder,
) -> bool {
    ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| req.headers().contains_key(*h))
        && Secret::of(forwarder) == Secret::NotConfigured
}

/// The forwarder a path `/in/<id>` names.
fn forwarder_id(path: &str) -> Option<String> {
    path.strip_prefix("/in/")
        .map(|p| p.trim_end_matches('/').to_string())
        .filter(|p| !p.is_empty() && !p.contains('/'))
}

async fn handle(
    req: hyper::Request<Incoming>,
    from: IpAddr,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let Some(id) = forwarder_id(req.uri().path()) else {
        return answer(StatusCode::NOT_FOUND, false);
    };
    if req.method() != Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED, false);
    }
    let config = match shared.config() {
        Ok(c) => c,
        Err(_) => return answer(StatusCode::SERVICE_UNAVAILABLE, false),
    };
    let Some(forwarder) = config.forwarders.iter().find(|f| f.id == id) else {
        shared.refused(from, Refusal::Unknown);
        return answer(StatusCode::NOT_FOUND, false);
    };
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (content_type, authorization, signature, timestamp) = (
        header("content-type"),
        header("authorization"),
        header("x-signature"),
        header("x-timestamp"),
    );
    if unsigned_through_a_proxy(&req, forwarder) {
        shared.refused(from, Refusal::Proxied);
        return answer(StatusCode::UNAUTHORIZED, false);
    }
    let query = req.uri().query().map(str::to_string);
    if req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return answer(StatusCode::PAYLOAD_TOO_LARGE, true);
    }
    let body = match read_body(req.into_body()).await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let request = decode::Request {
        content_type: content_type.as_deref(),
        authorization: authorization.as_deref(),
        signature: signature.as_deref(),
        timestamp: timestamp.as_deref(),
        query: query.as_deref(),
        body: &body,
    };
    let window =
        chrono::Duration::seconds(config.inbox.as_ref().map_or(300, |i| i.window_secs) as i64);
    let now = shared.clock.now();
    let decoded = decode::decode_signed(
        forwarder,
        &Secret::of(forwarder),
        &request,
        now,
        window,
        config.timezone,
    );
    let (text, signed) = match decoded {
        Ok((Decoded::Text(t), signed)) => (t, signed),
        Ok((Decoded::Ignored, _)) => return answer(StatusCode::OK, false),
        Err(Refused::Malformed) => return answer(StatusCode::BAD_REQUEST, false),
        Err(why) => {
            shared.refused(from, Refusal::Decoded(why));
            return answer(StatusCode::UNAUTHORIZED, false);
        }
    };
    if let Some(signed) = &signed
        && let Some(refusal) = shared.spend(from, signed, &text, now, window)
    {
        return refusal;
    }
    let (reply, answered) = oneshot::channel();
    let sent = shared
        .jobs
        .send(Job {
            config,
            text,
            reply,
        })
        .is_ok();
    if !sent {
        return answer(StatusCode::SERVICE_UNAVAILABLE, false);
    }
    match answered.await {
        Ok(Ok(_)) => answer(StatusCode::OK, false),
        Ok(Err(AcceptError::Busy)) | Err(_) => answer(StatusCode::SERVICE_UNAVAILABLE, false),
        Ok(Err(AcceptError::Io(_))) => answer(StatusCode::INTERNAL_SERVER_ERROR, false),
    }
}

/// One text waiting for the writer.
struct Job {
    config: Arc<Config>,
    text: Received,
    reply: oneshot::Sender<Result<Accepted, AcceptError>>,
}

/// The writer: texts that wait together go in one write and one fsync (a burst over many
/// connections costs one fsync per batch, not per text); each is answered after.
fn writer(
    paths: Paths,
    clock: Clock,
    reports: mpsc::UnboundedSender<Report>,
    rx: std::sync::mpsc::Receiver<Job>,
) {
    let mut acceptor = Acceptor::new(&paths);
    let mut last_failure: Option<(String, Instant)> = None;
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        jobs.extend(rx.try_iter().take(BATCH - 1));
        // Texts read under one config go together (nearly always all of them).
        while !jobs.is_empty() {
            let same = jobs
                .iter()
                .take_while(|j| Arc::ptr_eq(&j.config, &jobs[0].config))
                .count();
            let run: Vec<Job> = jobs.drain(..same).collect();
            let texts: Vec<Received> = run.iter().map(|j| j.text.clone()).collect();
            match acceptor.accept(&run[0].config, &texts, clock.now()) {
                Ok((accepted, torn)) => {
                    if let Some(t) = torn {
                        let _ = reports.send(Report::Notice(t.render(&paths.log)));
                    }
                    let changed = accepted.iter().any(|a| matches!(a, Accepted::New { .. }));
                    for (job, a) in run.into_iter().zip(accepted) {
                        say_new(&reports, &job.config, &job.text, &a);
                        let _ = job.reply.send(Ok(a));
                    }
                    if changed {
                        let _ = reports.send(Report::LogChanged);
                    }
                }
                Err(e) => {
                    let sentence = e.sentence(&paths);
                    // Said once a minute while it lasts, not once per text.
                    let say = last_failure
                        .as_ref()
                        .is_none_or(|(s, t)| *s != sentence || t.elapsed() >= SAY_REFUSED_EVERY);
                    if say {
                        let _ = reports.send(Report::Problem(sentence.clone()));
                        last_failure = Some((sentence, Instant::now()));
                    }
                    for job in run {
                        let e = match &e {
                            AcceptError::Busy => AcceptError::Busy,
                            AcceptError::Io(io) => {
                                AcceptError::Io(std::io::Error::new(io.kind(), io.to_string()))
                            }
                        };
                        let _ = job.reply.send(Err(e));
                    }
                }
            }
        }
    }
}

/// What a new text is, said as the modem's texts are: a reading, or a text kept for review.
fn say_new(
    reports: &mpsc::UnboundedSender<Report>,
    config: &Config,
    text: &Received,
    a: &Accepted,
) {
    let Accepted::New { number, events } = a else {
        return;
    };
    let label = config
        .numbers
        .iter()
        .find(|n| &n.id == number)
        .map_or(number.as_str(), |n| n.label.as_str());
    for e in events {
        match &e.body {
            EventBody::Balance {
                balance_minor,
                currency,
                ..
            } => {
                let _ = reports.send(Report::Refreshed {
                    number: number.clone(),
                    balance: crate::model::Money::new(*balance_minor, *currency),
                });
            }
            EventBody::Message { .. } => {
                let from =
                    crate::modem::provider::printable(text.sender.as_deref().unwrap_or("?"), 20);
                let said = match crate::inbox::set_aside(text, e.at) {
                    Some(dated) => tr!(
                        T::WorkerTextDatedAhead,
                        label,
                        from,
                        dated.format("%Y-%m-%d %H:%M")
                    ),
                    None => tr!(T::WorkerTextKept, label, from),
                };
                let _ = reports.send(Report::Notice(said));
            }
            _ => {}
        }
    }
}
