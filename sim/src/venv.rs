//! Where the project's Python venv is (scripts/setup.sh makes `.venv` at the top of the
//! checkout and pip-installs the PyPI tools into it: PicoRV32's Verilog, the WaveDrom renderer).

use std::path::{Path, PathBuf};

/// The venvs to look in, in order: `$FTIO_VENV`, every `.venv` from the current directory up,
/// then the one beside this source tree.
pub fn candidates() -> Vec<PathBuf> {
    let mut venvs: Vec<PathBuf> = vec![];
    if let Some(v) = std::env::var_os("FTIO_VENV") {
        venvs.push(PathBuf::from(v));
    }
    if let Ok(cwd) = std::env::current_dir() {
        venvs.extend(cwd.ancestors().map(|d| d.join(".venv")));
    }
    venvs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv"));
    venvs
}

/// The candidates as one line, for an error message.
pub fn listed(venvs: &[PathBuf]) -> String {
    venvs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}
