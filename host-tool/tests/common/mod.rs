#![allow(dead_code)]
use clap::Parser;
use ftctl::cli::Cli;
use ftctl::transport::ModelTransport;
use ftio_proto::{BuildParams, RegisterModel};

pub struct Run {
    pub code: u8,
    pub out: String,
    pub err: String,
}

/// Runs `ftctl ARGS` against the transport (no serial port).
pub fn run(t: &mut ModelTransport, args: &[&str]) -> Run {
    let mut argv = vec!["ftctl"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = match ftctl::commands::validate(&cli.cmd) {
        Err(e) => ftctl::report(&mut err, &e),
        Ok(()) => ftctl::run_with(&cli, &mut *t, &mut out, &mut err, false),
    };
    Run { code, out: String::from_utf8(out).unwrap(), err: String::from_utf8(err).unwrap() }
}

pub fn model() -> ModelTransport {
    ModelTransport::new(RegisterModel::new(BuildParams::default()))
}
