//! Reading the pin constraint files back (iCE40 `.pcf`, ECP5 `.lpf`), so tests can check that
//! every `board_top` port is constrained to the pin the board table names, and `build` can
//! refuse a file that does not constrain the top before spending minutes in place and route.
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;

/// One port's constraint: the pin, and the line it came from (for error messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinConstraint {
    pub pin: String,
    pub line: usize,
}

/// Port name -> pin, from a `.pcf` (`set_io [-nowarn] [-pullup yes|no] [-pullup_resistor R] PORT PIN`).
pub fn parse_pcf(text: &str) -> Result<BTreeMap<String, PinConstraint>> {
    let mut map = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[0] {
            "set_io" => {
                let mut positional = Vec::new();
                let mut i = 1;
                while i < words.len() {
                    match words[i] {
                        "-nowarn" => i += 1,
                        "-pullup" | "-pullup_resistor" => i += 2,
                        w if w.starts_with('-') => bail!("line {line_no}: unknown set_io option `{w}`"),
                        w => {
                            positional.push(w);
                            i += 1;
                        }
                    }
                }
                if positional.len() != 2 {
                    bail!("line {line_no}: `set_io` needs a port and a pin: `{line}`");
                }
                insert(&mut map, positional[0], positional[1], line_no)?;
            }
            "set_frequency" => {}
            other => bail!("line {line_no}: unknown pcf command `{other}`"),
        }
    }
    Ok(map)
}

/// Port name -> pin, from the `LOCATE COMP "PORT" SITE "PIN";` statements of an `.lpf`. Other
/// statements (IOBUF, FREQUENCY, SYSCONFIG, BLOCK) are accepted and not interpreted; an IOBUF
/// or FREQUENCY naming a port that has no LOCATE is an error (a typo that would otherwise leave
/// a pin with the wrong I/O standard).
pub fn parse_lpf(text: &str) -> Result<BTreeMap<String, PinConstraint>> {
    let mut map = BTreeMap::new();
    let mut port_refs: Vec<(String, usize)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let stmt = line
            .strip_suffix(';')
            .with_context(|| format!("line {line_no}: lpf statement does not end with `;`: `{line}`"))?;
        let words: Vec<&str> = stmt.split_whitespace().collect();
        match words.first().map(|w| w.to_ascii_uppercase()).as_deref() {
            Some("LOCATE") => {
                if words.len() != 5 || !words[1].eq_ignore_ascii_case("COMP") || !words[3].eq_ignore_ascii_case("SITE") {
                    bail!("line {line_no}: expected `LOCATE COMP \"port\" SITE \"pin\";`, got `{line}`");
                }
                insert(&mut map, unquote(words[2], line_no)?, unquote(words[4], line_no)?, line_no)?;
            }
            Some("IOBUF") | Some("FREQUENCY") if words.len() >= 3 && words[1].eq_ignore_ascii_case("PORT") => {
                port_refs.push((unquote(words[2], line_no)?.to_string(), line_no));
            }
            Some("IOBUF") | Some("FREQUENCY") | Some("SYSCONFIG") | Some("BLOCK") | Some("INPUT_SETUP")
            | Some("CLOCK_TO_OUT") | Some("MULTICYCLE") => {}
            _ => bail!("line {line_no}: unknown lpf statement `{line}`"),
        }
    }
    for (port, line_no) in port_refs {
        if !map.contains_key(&port) {
            bail!("line {line_no}: `{port}` has attributes but no LOCATE");
        }
    }
    Ok(map)
}

fn unquote(word: &str, line_no: usize) -> Result<&str> {
    word.strip_prefix('"')
        .and_then(|w| w.strip_suffix('"'))
        .with_context(|| format!("line {line_no}: expected a quoted name, got `{word}`"))
}

fn insert(map: &mut BTreeMap<String, PinConstraint>, port: &str, pin: &str, line: usize) -> Result<()> {
    if let Some(prev) = map.get(port) {
        bail!("line {line}: port `{port}` already constrained on line {}", prev.line);
    }
    if let Some((other, c)) = map.iter().find(|(_, c)| c.pin == pin) {
        bail!("line {line}: pin {pin} already given to `{other}` on line {}", c.line);
    }
    map.insert(port.to_string(), PinConstraint { pin: pin.to_string(), line });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcf_options_comments_and_errors() {
        let m = parse_pcf("# c\nset_io -nowarn -pullup yes a 10 # x\nset_io b A1\n").unwrap();
        assert_eq!(m["a"].pin, "10");
        assert_eq!(m["b"], PinConstraint { pin: "A1".into(), line: 3 });
        assert!(parse_pcf("set_io a").unwrap_err().to_string().contains("line 1"));
        assert!(parse_pcf("set_io a 1\nset_io b 1").unwrap_err().to_string().contains("pin 1 already"));
        assert!(parse_pcf("set_io a 1\nset_io a 2").unwrap_err().to_string().contains("already constrained"));
        assert!(parse_pcf("set_oi a 1").is_err());
    }

    #[test]
    fn lpf_locate_and_errors() {
        let m = parse_lpf("BLOCK RESETPATHS;\nLOCATE COMP \"x\" SITE \"G2\";\nIOBUF PORT \"x\" IO_TYPE=LVCMOS33;\n").unwrap();
        assert_eq!(m["x"].pin, "G2");
        assert!(parse_lpf("LOCATE COMP \"x\" SITE \"G2\"").unwrap_err().to_string().contains(";"));
        assert!(parse_lpf("IOBUF PORT \"y\" IO_TYPE=LVCMOS33;").unwrap_err().to_string().contains("no LOCATE"));
        assert!(parse_lpf("LOCATE COMP x SITE \"G2\";").is_err());
    }
}
