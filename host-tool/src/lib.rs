//! ftctl: configure and watch an ftio core over its UART (SPEC §5).
//!
//! The commands run against a [`transport::Transport`]: a serial port in the binary, the
//! reference [`ftio_proto::RegisterModel`] in tests ([`transport::ModelTransport`]).

pub mod cli;
pub mod client;
pub mod commands;
pub mod error;
pub mod transport;

use cli::Cli;
use client::Client;
use error::Error;
use std::io::Write;
use std::time::Duration;
use transport::Transport;

/// Runs a parsed command line against a transport; prints errors as one line on `err` and
/// returns the exit code.
pub fn run_with<T: Transport>(cli: &Cli, transport: T, out: &mut dyn Write, err: &mut dyn Write, progress: bool) -> u8 {
    let mut client = Client::new(transport, Duration::from_millis(cli.conn.timeout), cli.conn.retries);
    let mut ctx = commands::Ctx { json: cli.conn.json, progress, out, err };
    match commands::run_command(&mut client, &cli.cmd, &mut ctx) {
        Ok(code) => code,
        Err(e) => report(err, &e),
    }
}

/// Prints an error as one line and returns its exit code.
pub fn report(err: &mut dyn Write, e: &Error) -> u8 {
    if matches!(e, Error::Output(io) if io.kind() == std::io::ErrorKind::BrokenPipe) {
        return 0;
    }
    let _ = writeln!(err, "ftctl: {}", error::chain(e));
    e.exit_code()
}

/// The whole program: opens `--port` and runs the command.
pub fn main_with(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write, progress: bool) -> u8 {
    if let Err(e) = commands::validate(&cli.cmd) {
        return report(err, &e);
    }
    let Some(port) = cli.conn.port.as_deref() else {
        return report(err, &Error::Port("no serial port: give --port PATH or set FTCTL_PORT".into()));
    };
    match transport::SerialTransport::open(port, cli.conn.baud) {
        Ok(t) => run_with(cli, t, out, err, progress),
        Err(e) => report(err, &e),
    }
}
