//! A fake AT modem on a unix socket, for ModemManager's test mode: it answers the
//! identification, SIM, registration, USSD and SMS commands a generic modem gets, keeps a
//! SIM store of texts, records every text sent, and can announce an arriving one (`+CMTI`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::pdu;

/// How the network answers a USSD request.
#[derive(Clone, Debug)]
pub enum Ussd {
    /// `+CUSD: 0,"text",15` with the text as it is (a modem in GSM/IRA character set).
    Plain(String),
    /// `+CUSD: 0,"<hex>",72`: UCS2, as Chinese carriers answer.
    Ucs2(String),
    /// `+CUSD: 0,"<hex>",15`: packed GSM 7-bit, as many Huawei sticks pass it through.
    Gsm7Packed(String),
    /// `+CUSD: 1,"text",15` (a menu: the session stays open), then `Plain` for later requests.
    MenuThen(String, String),
    /// `+CUSD: 2`: ended by the network.
    EndedByNetwork,
    /// `+CUSD: 4`: not supported.
    NotSupported,
    /// `OK` and then nothing.
    Silent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Send {
    /// `+CMGS: n` and `OK`.
    Accept,
    /// `+CMS ERROR: 500`.
    Refuse,
    /// The `>` prompt, then nothing.
    Silent,
}

struct Sms {
    pdu: String,
    len: usize,
    read: bool,
}

struct State {
    ussd: Ussd,
    send: Send,
    store: BTreeMap<u32, Sms>,
    sent: Vec<(String, String)>,
    ussd_requests: Vec<String>,
    next_ref: u32,
    links: Vec<UnixStream>,
    /// A text sent to `.0` is answered by a text from `.1` saying `.2`.
    auto_reply: Option<(String, String, String)>,
    /// `AT+CSCS=` as ModemManager set it.
    charset: String,
    /// Whether `AT+CSCS=?` offers UCS2 (a modem without it talks GSM 7-bit text).
    ucs2: bool,
}

#[derive(Clone)]
pub struct FakeModem {
    pub path: PathBuf,
    pub imei: &'static str,
    pub imsi: &'static str,
    pub iccid: &'static str,
    state: Arc<Mutex<State>>,
}

pub const IMEI: &str = "490154203237518";
pub const IMSI: &str = "234100000000001";
/// What the SIM's EF_ICCID holds for [`ICCID`] (nibbles swapped).
const ICCID_SWAPPED: &str = "98442000000000000012";
pub const ICCID: &str = "89440200000000000021";

impl FakeModem {
    /// Listens on `dir/modem.sock`.
    pub fn start(dir: &Path) -> FakeModem {
        let path = dir.join("modem.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind the fake modem's socket");
        let state = Arc::new(Mutex::new(State {
            ussd: Ussd::Plain("Balance 5.23".into()),
            send: Send::Accept,
            store: BTreeMap::new(),
            sent: Vec::new(),
            ussd_requests: Vec::new(),
            next_ref: 1,
            links: Vec::new(),
            auto_reply: None,
            charset: "GSM".into(),
            ucs2: true,
        }));
        let s = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                if let Ok(w) = conn.try_clone() {
                    s.lock().unwrap().links.push(w);
                }
                let s = s.clone();
                std::thread::spawn(move || serve(conn, s));
            }
        });
        FakeModem {
            path,
            imei: IMEI,
            imsi: IMSI,
            iccid: ICCID,
            state,
        }
    }

    pub fn set_ussd(&self, u: Ussd) {
        self.state.lock().unwrap().ussd = u;
    }

    /// Answers a text sent to `to` with a text from `from` (as a carrier's query number does).
    pub fn auto_reply(&self, to: &str, from: &str, text: &str) {
        self.state.lock().unwrap().auto_reply = Some((to.into(), from.into(), text.into()));
    }

    /// Makes `AT+CSCS=?` offer only IRA and GSM (call before ModemManager probes the modem).
    pub fn without_ucs2(&self) {
        self.state.lock().unwrap().ucs2 = false;
    }

    pub fn set_send(&self, s: Send) {
        self.state.lock().unwrap().send = s;
    }

    /// Every text ModemManager sent: (to, text).
    pub fn sent(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().sent.clone()
    }

    pub fn ussd_requests(&self) -> Vec<String> {
        self.state.lock().unwrap().ussd_requests.clone()
    }

    /// Puts a text on the SIM without telling anyone (it was there before ModemManager came).
    pub fn store_sms(&self, from: &str, text: &str, stamp: &str, tz_quarters: i8) -> u32 {
        store(&self.state, from, text, stamp, tz_quarters)
    }

    /// A text arrives: stored on the SIM and announced with `+CMTI`.
    pub fn deliver_sms(&self, from: &str, text: &str, stamp: &str, tz_quarters: i8) {
        deliver(&self.state, from, text, stamp, tz_quarters)
    }

    /// Hangs up every open link (the modem "vanishes" for ModemManager's port).
    pub fn unplug(&self) {
        let mut st = self.state.lock().unwrap();
        for l in st.links.drain(..) {
            let _ = l.shutdown(std::net::Shutdown::Both);
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn store(state: &Arc<Mutex<State>>, from: &str, text: &str, stamp: &str, tz_quarters: i8) -> u32 {
    let (pdu, len) = pdu::deliver(from, text, stamp, tz_quarters);
    let mut st = state.lock().unwrap();
    let index = st.store.keys().next_back().map_or(0, |k| k + 1);
    st.store.insert(
        index,
        Sms {
            pdu,
            len,
            read: false,
        },
    );
    index
}

fn deliver(state: &Arc<Mutex<State>>, from: &str, text: &str, stamp: &str, tz_quarters: i8) {
    let index = store(state, from, text, stamp, tz_quarters);
    let mut st = state.lock().unwrap();
    let urc = format!("\r\n+CMTI: \"SM\",{index}\r\n");
    st.links.retain_mut(|l| l.write_all(urc.as_bytes()).is_ok());
}

fn simple(cmd: &str) -> Option<String> {
    Some(match cmd {
        "ATI" | "AT+GMI" | "AT+CGMI" => "FakeCo".into(),
        "AT+GMM" | "AT+CGMM" => "Fake 4G".into(),
        "AT+CGMR" => "1.0".into(),
        "AT+CGSN" | "AT+GSN" => IMEI.into(),
        "AT+CIMI" => IMSI.into(),
        "AT+GCAP" => "+GCAP: +CGSM".into(),
        "AT+CPIN?" => "+CPIN: READY".into(),
        "AT+CFUN?" => "+CFUN: 1".into(),
        "AT+CREG?" => "+CREG: 0,1".into(),
        "AT+CGREG?" => "+CGREG: 0,1".into(),
        "AT+CEREG?" => "+CEREG: 0,1".into(),
        "AT+COPS?" => "+COPS: 0,0,\"Fake Net\",7".into(),
        "AT+CSQ" => "+CSQ: 20,99".into(),
        "AT+CNUM" => "+CNUM: \"\",\"+447700900123\",145".into(),
        "AT+CPMS=?" => "+CPMS: (\"ME\",\"SM\"),(\"ME\",\"SM\"),(\"ME\",\"SM\")".into(),
        "AT+CPMS?" => "+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30".into(),
        "AT+CMGF=?" => "+CMGF: (0,1)".into(),
        "AT+CNMI=?" => "+CNMI: (0-2),(0-3),(0-3),(0-2),(0,1)".into(),
        "AT+CUSD=?" => "+CUSD: (0,1,2)".into(),
        "AT+CRSM=176,12258,0,0,10" => format!("+CRSM: 144,0,\"{ICCID_SWAPPED}\""),
        _ => return None,
    })
}

fn serve(mut conn: UnixStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Some(end) = buf.iter().position(|b| *b == b'\r' || *b == 0x1a) else {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let line: Vec<u8> = buf.drain(..=end).collect();
        let text = String::from_utf8_lossy(&line[..line.len() - 1])
            .trim()
            .to_string();
        if text.is_empty() {
            continue;
        }
        let reply = answer(&text, &mut conn, &mut buf, &state);
        if conn.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn ok(body: &str) -> String {
    if body.is_empty() {
        "\r\nOK\r\n".into()
    } else {
        format!("\r\n{body}\r\n\r\nOK\r\n")
    }
}

fn answer(
    cmd: &str,
    conn: &mut UnixStream,
    buf: &mut Vec<u8>,
    state: &Arc<Mutex<State>>,
) -> String {
    let upper = cmd.to_ascii_uppercase();
    if let Some(body) = simple(&upper) {
        return ok(&body);
    }
    if upper == "AT+CSCS=?" {
        return ok(if state.lock().unwrap().ucs2 {
            "+CSCS: (\"IRA\",\"GSM\",\"UCS2\")"
        } else {
            "+CSCS: (\"IRA\",\"GSM\")"
        });
    }
    if upper == "AT+CSCS?" {
        return ok(&format!("+CSCS: \"{}\"", state.lock().unwrap().charset));
    }
    if let Some(cs) = upper.strip_prefix("AT+CSCS=\"") {
        state.lock().unwrap().charset = cs.trim_end_matches('"').to_string();
        return ok("");
    }
    if upper == "AT+CUSD=2" {
        state.lock().unwrap().ussd_requests.push("cancel".into());
        return ok("");
    }
    if let Some(code) = upper.strip_prefix("AT+CUSD=1,") {
        let mut st = state.lock().unwrap();
        st.ussd_requests.push(code.to_string());
        let urc = match st.ussd.clone() {
            Ussd::Plain(t) => format!("+CUSD: 0,\"{t}\",15"),
            Ussd::Ucs2(t) => format!("+CUSD: 0,\"{}\",72", pdu::hex(&pdu::ucs2(&t))),
            Ussd::Gsm7Packed(t) => {
                let s = pdu::gsm7_septets(&t).expect("GSM 7-bit text");
                format!("+CUSD: 0,\"{}\",15", pdu::hex(&pdu::pack7(&s)))
            }
            Ussd::MenuThen(menu, then) => {
                st.ussd = Ussd::Plain(then);
                format!("+CUSD: 1,\"{menu}\",15")
            }
            Ussd::EndedByNetwork => "+CUSD: 2".into(),
            Ussd::NotSupported => "+CUSD: 4".into(),
            Ussd::Silent => String::new(),
        };
        return if urc.is_empty() {
            ok("")
        } else {
            format!("\r\nOK\r\n\r\n{urc}\r\n")
        };
    }
    if upper.starts_with("AT+CMGS=") {
        if conn.write_all(b"\r\n> ").is_err() {
            return String::new();
        }
        let pdu = loop {
            if let Some(end) = buf.iter().position(|b| *b == 0x1a) {
                let pdu: Vec<u8> = buf.drain(..=end).collect();
                break String::from_utf8_lossy(&pdu[..pdu.len() - 1])
                    .trim()
                    .to_string();
            }
            let mut chunk = [0u8; 1024];
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => return String::new(),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let mut st = state.lock().unwrap();
        return match st.send {
            Send::Accept => {
                if let Some(sent) = pdu::decode_submit(&pdu) {
                    if let Some((to, from, text)) = st.auto_reply.clone()
                        && to == sent.0
                    {
                        let state = state.clone();
                        std::thread::spawn(move || {
                            std::thread::sleep(std::time::Duration::from_millis(300));
                            deliver(&state, &from, &text, "261120150000", 32);
                        });
                    }
                    st.sent.push(sent);
                }
                st.next_ref += 1;
                ok(&format!("+CMGS: {}", st.next_ref))
            }
            Send::Refuse => "\r\n+CMS ERROR: 500\r\n".into(),
            Send::Silent => String::new(),
        };
    }
    if upper.starts_with("AT+CMGL=") {
        let st = state.lock().unwrap();
        let body: Vec<String> = st
            .store
            .iter()
            .map(|(i, s)| format!("+CMGL: {i},{},,{}\r\n{}", s.read as u8, s.len, s.pdu))
            .collect();
        return ok(&body.join("\r\n"));
    }
    if let Some(i) = upper.strip_prefix("AT+CMGR=") {
        let mut st = state.lock().unwrap();
        return match i
            .trim()
            .parse::<u32>()
            .ok()
            .and_then(|i| st.store.get_mut(&i))
        {
            Some(s) => {
                let r = ok(&format!("+CMGR: {},,{}\r\n{}", s.read as u8, s.len, s.pdu));
                s.read = true;
                r
            }
            None => "\r\n+CMS ERROR: 321\r\n".into(),
        };
    }
    if let Some(i) = upper.strip_prefix("AT+CMGD=") {
        let mut st = state.lock().unwrap();
        if let Ok(i) = i.trim().parse::<u32>() {
            st.store.remove(&i);
        }
        return ok("");
    }
    ok("")
}
