//! The HTTP calls to the two phone apps. SmsForwarder: `POST /sms/send`, `/config/query`,
//! `/battery/query` and `/sms/query`, each `{"data", "timestamp", "sign"}` and answered
//! `{"code": 200, …}` (a failure is `{"code": 500, "msg"}` with HTTP 200). SMS Gateway:
//! `POST /message` and `GET /messages/<id>` with Basic auth, `GET /health` (the phone's),
//! `GET /devices` (its server's, behind the cloud), `POST /webhooks`.

use std::time::Duration;

use serde_json::{Value, json};

use super::{FwdError, outside, secret, sign};
use crate::model::forwarder::{Forwarder, ForwarderKind};

/// What came of asking the phone to send a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The app says it sent it (SmsForwarder), or that it settled as sent (SMS Gateway).
    Sent(Option<String>),
    /// SMS Gateway took it under this id; its state settles later.
    Accepted(String),
    /// Certainly not sent.
    Failed(FwdError),
    /// Maybe sent: never to be sent again on its own.
    InDoubt(FwdError),
}

/// What SMS Gateway says of a text it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageState {
    Sent,
    Failed(String),
    /// Pending or processed: not settled yet.
    Waiting(String),
    /// The phone has no text by that id: the app itself said so, in its JSON error.
    Unknown,
}

/// Whether a 404 is SMS Gateway's own "no such message": a JSON body (and a JSON content
/// type) with the app's error `{"message": …}`. A reverse proxy's or a web server's 404
/// (HTML, plain text, empty) is not, and says nothing of the text.
pub fn apps_own_404(content_type: Option<&str>, body: &str) -> bool {
    let json_type = content_type.is_some_and(|t| {
        let t = t.trim().to_ascii_lowercase();
        t == "application/json" || t.starts_with("application/json;")
    });
    json_type
        && serde_json::from_str::<Value>(body)
            .ok()
            .is_some_and(|v| v.get("message").is_some_and(Value::is_string))
}

/// One phone: the forwarder's config and the client to reach it.
pub struct Phone<'a> {
    pub forwarder: &'a Forwarder,
    http: reqwest::Client,
}

/// What went wrong with a request: before anything was written (nothing reached the
/// phone) or after.
enum HttpError {
    Before(FwdError),
    After(FwdError),
}

impl HttpError {
    fn into_inner(self) -> FwdError {
        match self {
            HttpError::Before(e) | HttpError::After(e) => e,
        }
    }
}

impl<'a> Phone<'a> {
    pub fn new(forwarder: &'a Forwarder) -> Result<Phone<'a>, FwdError> {
        let http = crate::net::client(Duration::from_secs(forwarder.timeout_secs))
            .map_err(|why| FwdError::Unreachable(forwarder.id.clone(), why))?;
        Ok(Phone { forwarder, http })
    }

    fn id(&self) -> String {
        self.forwarder.id.clone()
    }

    fn url(&self, path: &str) -> Result<String, FwdError> {
        match &self.forwarder.url {
            Some(u) => Ok(format!("{}{path}", u.trim_end_matches('/'))),
            None => Err(FwdError::CannotSend(self.id())),
        }
    }

    /// A transport error, by whether the request can have reached the phone: a refused or
    /// failed connection cannot; anything after connecting can.
    fn transport(&self, e: reqwest::Error) -> HttpError {
        let why = outside(&error_chain(&e));
        if e.is_connect() || e.is_builder() {
            HttpError::Before(FwdError::Unreachable(self.id(), why))
        } else if e.is_timeout() {
            HttpError::After(FwdError::Timeout(self.id(), self.forwarder.timeout_secs))
        } else {
            HttpError::After(FwdError::Lost(self.id(), why))
        }
    }

    /// A signed SmsForwarder request; its `data` on `{"code": 200}`.
    async fn smsf(&self, path: &str, data: Value) -> Result<Value, HttpError> {
        let key = secret(self.forwarder.secret_env.as_deref()).map_err(HttpError::Before)?;
        let url = self.url(path).map_err(HttpError::Before)?;
        let ts = sign::now_ms();
        let body = json!({"data": data, "timestamp": ts, "sign": crate::inbox::sign::smsforwarder_sign(&key, ts)});
        let r = self
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = r.status();
        let text = r.text().await.map_err(|e| self.transport(e))?;
        let v: Value = serde_json::from_str(&text).map_err(|_| {
            if status.is_success() {
                HttpError::After(FwdError::BadAnswer(self.id(), outside(&text)))
            } else {
                refusal(
                    self.id(),
                    status.as_u16(),
                    format!("HTTP {}", status.as_u16()),
                )
            }
        })?;
        match v.get("code").and_then(Value::as_i64) {
            Some(200) => Ok(v.get("data").cloned().unwrap_or(Value::Null)),
            Some(code) => {
                let msg = v
                    .get("msg")
                    .and_then(Value::as_str)
                    .map(outside)
                    .unwrap_or_else(|| format!("code {code}"));
                Err(HttpError::Before(FwdError::Refused(self.id(), msg)))
            }
            None => Err(HttpError::After(FwdError::BadAnswer(
                self.id(),
                outside(&text),
            ))),
        }
    }

    fn gateway_auth(
        &self,
        rb: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, FwdError> {
        let user = secret(self.forwarder.user_env.as_deref())?;
        let password = secret(self.forwarder.password_env.as_deref())?;
        Ok(rb.basic_auth(user, Some(password)))
    }

    /// SMS Gateway's answer: the JSON of a 2xx, or the app's refusal with its message.
    async fn gateway_answer(&self, r: reqwest::Response) -> Result<(u16, Value), HttpError> {
        let status = r.status().as_u16();
        let text = r.text().await.map_err(|e| self.transport(e))?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok((status, v));
        }
        let msg = v
            .get("message")
            .and_then(Value::as_str)
            .map(outside)
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(refusal(self.id(), status, msg))
    }

    /// Asks the phone to send `text` to `to` from SIM `slot`. `id` names the text on SMS
    /// Gateway (derived from the intent); SmsForwarder has no ids.
    pub async fn send(&self, slot: u8, to: &str, text: &str, id: &str) -> Sent {
        match self.send_once(slot, to, text, id).await {
            // A 5xx is the app failing, not saying no: it may have sent the text first.
            Sent::InDoubt(FwdError::Refused(fwd, why)) => {
                Sent::InDoubt(FwdError::Faulted(fwd, why))
            }
            other => other,
        }
    }

    async fn send_once(&self, slot: u8, to: &str, text: &str, id: &str) -> Sent {
        match self.forwarder.kind {
            ForwarderKind::SmsForwarder => {
                let data = json!({"sim_slot": slot, "phone_numbers": to, "msg_content": text});
                match self.smsf("/sms/send", data).await {
                    Ok(_) => Sent::Sent(None),
                    Err(HttpError::Before(e)) => Sent::Failed(e),
                    Err(HttpError::After(e)) => Sent::InDoubt(e),
                }
            }
            ForwarderKind::SmsGateway => match self.gateway_send(slot, to, text, id).await {
                Ok(()) => Sent::Accepted(id.to_string()),
                Err(HttpError::Before(e)) => Sent::Failed(e),
                Err(HttpError::After(e)) => Sent::InDoubt(e),
            },
            ForwarderKind::Webhook => Sent::Failed(FwdError::CannotSend(self.id())),
        }
    }

    async fn gateway_send(
        &self,
        slot: u8,
        to: &str,
        text: &str,
        id: &str,
    ) -> Result<(), HttpError> {
        let mut url = self.url("/message").map_err(HttpError::Before)?;
        // Short codes (10086, 150) are not E.164: the app would refuse them otherwise.
        if !to.starts_with('+') {
            url.push_str("?skipPhoneValidation=true");
        }
        let body = json!({
            "id": id,
            "textMessage": {"text": text},
            "phoneNumbers": [to],
            "simNumber": slot,
        });
        let rb = self
            .gateway_auth(self.http.post(url).json(&body))
            .map_err(HttpError::Before)?;
        let r = rb.send().await.map_err(|e| self.transport(e))?;
        // A 409 says a text with this id is there already: this very attempt reached the
        // phone before; its state says the rest.
        if r.status().as_u16() == 409 {
            return Ok(());
        }
        self.gateway_answer(r).await.map(|_| ())
    }

    /// What SMS Gateway says of the text `id`.
    pub async fn message_state(&self, id: &str) -> Result<MessageState, FwdError> {
        let url = self.url(&format!("/messages/{id}"))?;
        let rb = self.gateway_auth(self.http.get(url))?;
        let r = rb
            .send()
            .await
            .map_err(|e| self.transport(e).into_inner())?;
        if r.status().as_u16() == 404 {
            let content_type = r
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = r.text().await.map_err(|e| self.transport(e).into_inner())?;
            if apps_own_404(content_type.as_deref(), &body) {
                return Ok(MessageState::Unknown);
            }
            return Err(FwdError::NotTheApp(
                self.id(),
                outside(id),
                content_type.map_or_else(|| "-".to_string(), |t| outside(&t)),
                body.len(),
            ));
        }
        let (_, v) = self
            .gateway_answer(r)
            .await
            .map_err(HttpError::into_inner)?;
        let state = v.get("state").and_then(Value::as_str).unwrap_or_default();
        Ok(match state {
            "Sent" | "Delivered" => MessageState::Sent,
            "Failed" => {
                let why = v
                    .get("recipients")
                    .and_then(Value::as_array)
                    .and_then(|r| r.iter().find_map(|x| x.get("error")?.as_str()))
                    .map(outside)
                    .unwrap_or_else(|| "Failed".into());
                MessageState::Failed(why)
            }
            other => MessageState::Waiting(outside(other)),
        })
    }

    /// SmsForwarder's `/config/query` data.
    pub async fn smsf_config(&self) -> Result<Value, FwdError> {
        self.smsf("/config/query", json!({}))
            .await
            .map_err(HttpError::into_inner)
    }

    /// SmsForwarder's `/battery/query` data.
    pub async fn smsf_battery(&self) -> Result<Value, FwdError> {
        self.smsf("/battery/query", json!({}))
            .await
            .map_err(HttpError::into_inner)
    }

    /// One page (1-based) of the texts SmsForwarder received, newest first.
    pub async fn smsf_received(&self, page: u32, size: u32) -> Result<Value, FwdError> {
        self.smsf(
            "/sms/query",
            json!({"type": 1, "page_num": page, "page_size": size, "keyword": ""}),
        )
        .await
        .map_err(HttpError::into_inner)
    }

    /// SMS Gateway's `GET /health`.
    pub async fn gateway_health(&self) -> Result<Value, FwdError> {
        let url = self.url("/health")?;
        let r = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| self.transport(e).into_inner())?;
        // The health check answers 200 when passing and an error status when not, with
        // the same body either way.
        let text = r.text().await.map_err(|e| self.transport(e).into_inner())?;
        serde_json::from_str(&text).map_err(|_| FwdError::BadAnswer(self.id(), outside(&text)))
    }

    /// Whether the url is SMS Gateway's server (its cloud, `…/3rdparty/v1`, or one's own)
    /// rather than the phone: the server answers while the phone is off.
    pub fn behind_server(&self) -> bool {
        self.forwarder.kind == ForwarderKind::SmsGateway
            && self.forwarder.url.as_deref().is_some_and(|u| {
                reqwest::Url::parse(u).is_ok_and(|u| u.path().contains("/3rdparty/"))
            })
    }

    /// SMS Gateway's server's `GET /devices`: the account's phones, each with when the
    /// server last heard from it.
    pub async fn gateway_devices(&self) -> Result<Value, FwdError> {
        let url = self.url("/devices")?;
        self.gateway_call(self.http.get(url)).await
    }

    /// One call to SMS Gateway's API that needs no answer but its JSON: sent with the
    /// account's login, judged as the app answers.
    async fn gateway_call(&self, rb: reqwest::RequestBuilder) -> Result<Value, FwdError> {
        let r = self
            .gateway_auth(rb)?
            .send()
            .await
            .map_err(|e| self.transport(e).into_inner())?;
        self.gateway_answer(r)
            .await
            .map(|(_, v)| v)
            .map_err(HttpError::into_inner)
    }

    /// Registers baohao's webhook for received texts on SMS Gateway.
    pub async fn gateway_register(&self, url: &str) -> Result<(), FwdError> {
        let target = self.url("/webhooks")?;
        let body = json!({"id": format!("baohao-{}", self.forwarder.id), "url": url, "event": "sms:received"});
        self.gateway_call(self.http.post(target).json(&body))
            .await
            .map(|_| ())
    }
}

/// An HTTP error status: a 4xx (the API switched off, bad credentials, a bad request) was
/// not carried out; a 5xx may have been carried out in part, so it counts as after.
fn refusal(id: String, status: u16, msg: String) -> HttpError {
    let e = FwdError::Refused(id, msg);
    if status >= 500 {
        HttpError::After(e)
    } else {
        HttpError::Before(e)
    }
}

/// An error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::apps_own_404;

    #[test]
    fn only_the_apps_json_error_is_its_own_404() {
        let app = r#"{"message":"message not found"}"#;
        assert!(apps_own_404(Some("application/json"), app));
        assert!(apps_own_404(Some("Application/JSON; charset=utf-8"), app));
        assert!(!apps_own_404(Some("text/html"), app));
        assert!(!apps_own_404(None, app));
        assert!(!apps_own_404(Some("application/json"), ""));
        assert!(!apps_own_404(Some("application/json"), "<html>404</html>"));
        assert!(!apps_own_404(Some("application/json"), r#"{"error":"x"}"#));
        assert!(!apps_own_404(
            Some("application/json"),
            r#"{"message":404}"#
        ));
        assert!(!apps_own_404(Some("application/jsonx"), app));
    }
}
