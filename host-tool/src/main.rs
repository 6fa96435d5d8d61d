use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ftctl::cli::Cli::parse();
    let progress = std::io::stderr().is_terminal();
    let code = ftctl::main_with(&cli, &mut std::io::stdout().lock(), &mut std::io::stderr().lock(), progress);
    ExitCode::from(code)
}
