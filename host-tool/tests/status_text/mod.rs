//! Reading ftctl's human-readable output in the tests that run the real binary.

/// The value of `Key : value` in ftctl's status/capture text.
pub fn field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(" : ")?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no `{key} :` line in:\n{text}"))
}
