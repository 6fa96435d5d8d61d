//! Serves the reference register model (`ftio_proto::RegisterModel`, no gateware) on a
//! pseudo-terminal, to try ftctl without a board:
//!
//! ```text
//! cargo run -p ftctl --example model-pty        # prints the pty path, runs until killed
//! ftctl --port /dev/pts/N info
//! ```
//!
//! Only the parser and register file are modelled: nothing behind the registers moves
//! (counters stay 0, a BIST never finishes). The virtual board (`ftio sim`) runs the real core.
use ftio_proto::{BuildParams, RegisterModel};
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::time::Duration;

fn main() {
    let (mut master, slave) = TTYPort::pair().expect("cannot create a pseudo-terminal pair");
    let path = slave.name().expect("pty has no name");
    println!("{path}");
    std::io::stdout().flush().unwrap();
    let mut model = RegisterModel::new(BuildParams::default());
    master.set_timeout(Duration::from_millis(50)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match master.read(&mut buf) {
            Ok(n) if n > 0 => {
                let reply = model.feed(&buf[..n]);
                master.write_all(&reply).expect("pty write");
            }
            // The line went quiet: a frame cut short is dropped, as the parser's timeout does.
            _ => model.idle(1000),
        }
    }
}
