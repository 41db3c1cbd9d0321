//! Test support for the modem tests: a fake AT modem, its SMS PDUs, and the private
//! D-Bus + ModemManager environment it is plugged into.
#![allow(dead_code)]

pub mod fake_modem;
pub mod mm_env;
pub mod pdu;
