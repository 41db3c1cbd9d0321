//! SMS PDUs for the fake modem: SMS-DELIVER encoding (what a SIM stores for an arriving
//! text) and SMS-SUBMIT decoding (what ModemManager writes after `AT+CMGS`). GSM 7-bit
//! default alphabet and UCS2 only: enough to speak to ModemManager, not a full codec.

/// The GSM 03.38 default alphabet, indexed by septet (0x1B is the escape, never produced).
const GSM7: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The text as GSM 7-bit septets, or `None` if a character is not in the default alphabet.
pub fn gsm7_septets(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| GSM7.iter().position(|g| *g == c).map(|p| p as u8))
        .collect()
}

/// Packs septets eight to seven octets (3GPP TS 23.038 §6.1.2.1.1).
pub fn pack7(septets: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for s in septets {
        acc |= (*s as u32 & 0x7f) << bits;
        bits += 7;
        while bits >= 8 {
            out.push((acc & 0xff) as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        out.push((acc & 0xff) as u8);
    }
    out
}

pub fn unpack7(octets: &[u8], septets: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for o in octets {
        acc |= (*o as u32) << bits;
        bits += 8;
        while bits >= 7 && out.len() < septets {
            out.push((acc & 0x7f) as u8);
            acc >>= 7;
            bits -= 7;
        }
    }
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

pub fn ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}

/// Semi-octet (swapped BCD) digits, `F`-padded.
fn semi_octets(digits: &str) -> Vec<u8> {
    let d: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    d.chunks(2)
        .map(|c| c[0] | (c.get(1).copied().unwrap_or(0xf) << 4))
        .collect()
}

fn address(number: &str) -> Vec<u8> {
    let (toa, digits) = match number.strip_prefix('+') {
        Some(d) => (0x91, d),
        None => (0x81, number),
    };
    let mut out = vec![digits.len() as u8, toa];
    out.extend(semi_octets(digits));
    out
}

/// An SMS-DELIVER PDU (with an empty SMSC field) and its TPDU length for `+CMGL`/`+CMGR`.
/// `timestamp` is `YYMMDDhhmmss` and `tz_quarters` the offset in quarter hours (east positive).
pub fn deliver(from: &str, text: &str, timestamp: &str, tz_quarters: i8) -> (String, usize) {
    let mut tpdu = vec![0x04]; // SMS-DELIVER, no more messages waiting
    tpdu.extend(address(from));
    tpdu.push(0x00); // PID
    let (dcs, udl, ud) = match gsm7_septets(text) {
        Some(s) => (0x00, s.len(), pack7(&s)),
        None => {
            let u = ucs2(text);
            (0x08, u.len(), u)
        }
    };
    tpdu.push(dcs);
    let mut ts = semi_octets(timestamp);
    let q = tz_quarters.unsigned_abs();
    let mut tz = (q / 10) | ((q % 10) << 4);
    if tz_quarters < 0 {
        tz |= 0x08;
    }
    ts.push(tz);
    tpdu.extend(ts);
    tpdu.push(udl as u8);
    tpdu.extend(ud);
    (format!("00{}", hex(&tpdu)), tpdu.len())
}

/// The destination and text of an SMS-SUBMIT PDU (SMSC field first, as ModemManager sends it).
pub fn decode_submit(pdu_hex: &str) -> Option<(String, String)> {
    let b = unhex(pdu_hex)?;
    let mut i = 1 + *b.first()? as usize; // skip the SMSC field
    let first = *b.get(i)?;
    i += 2; // first octet, message reference
    let digits = *b.get(i)? as usize;
    let toa = *b.get(i + 1)?;
    let octets = digits.div_ceil(2);
    let mut to = String::new();
    if toa == 0x91 {
        to.push('+');
    }
    for o in b.get(i + 2..i + 2 + octets)? {
        for n in [o & 0xf, o >> 4] {
            if n < 10 && to.trim_start_matches('+').len() < digits {
                to.push((b'0' + n) as char);
            }
        }
    }
    i += 2 + octets;
    let dcs = *b.get(i + 1)?;
    i += 2;
    // Validity period, when present (relative: one octet; enhanced/absolute: seven).
    i += match (first >> 3) & 0x3 {
        0 => 0,
        2 => 1,
        _ => 7,
    };
    let udl = *b.get(i)? as usize;
    let ud = b.get(i + 1..)?;
    let text = if dcs & 0x0c == 0x08 {
        let units: Vec<u16> = ud
            .chunks(2)
            .take(udl / 2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        unpack7(ud, udl)
            .into_iter()
            .map(|s| GSM7[s as usize])
            .collect()
    };
    Some((to, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submit_from_modemmanager_decodes() {
        // Captured from ModemManager 1.20 sending "CXHF" to 10086.
        assert_eq!(
            decode_submit("00010005810180F6000004432CD208"),
            Some(("10086".to_string(), "CXHF".to_string()))
        );
    }

    #[test]
    fn septets_round_trip() {
        let s = gsm7_septets("Balance @ 5.23").unwrap();
        assert_eq!(unpack7(&pack7(&s), s.len()), s);
    }
}
