//! Writes `registers.md` and `registers.csv` from the register table into a directory.
//!
//! Usage: `cargo run -p ftio-proto --bin ftio-regdoc -- docs/`
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 1 || args[0].starts_with('-') {
        eprintln!("usage: ftio-regdoc DIR   (writes DIR/registers.md and DIR/registers.csv)");
        return ExitCode::from(2);
    }
    let dir = PathBuf::from(&args[0]);
    if !dir.is_dir() {
        eprintln!("ftio-regdoc: {} is not a directory", dir.display());
        return ExitCode::from(2);
    }
    for (name, text) in [("registers.md", ftio_proto::docs::markdown()), ("registers.csv", ftio_proto::docs::csv())] {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("ftio-regdoc: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
