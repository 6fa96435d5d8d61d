//! The committed docs/registers.{md,csv} must equal what the register table generates.
use std::path::Path;

fn check(name: &str, generated: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs").join(name);
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; generate it with `{}`", path.display(), ftio_proto::docs::REGENERATE));
    assert!(
        committed == generated,
        "docs/{name} is stale (it differs from the register table in proto/src/regs.rs); regenerate with `{}`",
        ftio_proto::docs::REGENERATE
    );
}

#[test]
fn registers_md_is_fresh() {
    check("registers.md", ftio_proto::docs::markdown());
}

#[test]
fn registers_csv_is_fresh() {
    check("registers.csv", ftio_proto::docs::csv());
}
