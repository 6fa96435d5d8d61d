//! Combinational read order in the generated Verilog ("Simulation and Verilog agree",
//! docs/architecture.md).
//!
//! rust-hdl's simulator runs an `#[hdl_gen] fn update` again and again until no signal
//! changes, so a read of a signal that the same function assigns again *later* sees the
//! signal's FINAL value. The Verilog rust-hdl writes for that function is one `always @(*)`
//! block of blocking assignments, so Verilator, iverilog and yosys (the hardware) see the
//! value at that point of the block, the EARLIER one. The two then disagree without a word.
//!
//! [`check_verilog`] parses every `always @(*)` block of a Verilog text (the regular subset
//! rust-hdl emits: `begin`/`end`, `if`/`else`, `case`, `x = expr;`, `x[...] = expr;`) and
//! reports each read of a variable that may not hold the block's final value there:
//!
//! - **assigned later**: a statement that can run after the read (later in program order,
//!   on some path through the `if`/`case` branches: the other arm of an `if` the read sits in
//!   cannot, a statement after that `if` can) assigns the variable again. `x = x + 1` counts.
//! - **not yet assigned**: the variable is assigned in the block, but not on every path
//!   that reaches the read (in particular, a read before its first assignment). In Verilog
//!   that is a latch or a combinational loop.
//!
//! A default at the top followed by conditional overrides is fine as long as nothing reads
//! the variable between the default and the last override. Reads of variables the block
//! never assigns (inputs, child outputs, flop outputs `q`) are fine.
//!
//! Conservative on bits: an assignment to a bit or a part (`x[3]`, `x[(4)+:(4)]`) counts as
//! an assignment of the whole of `x` that may come later, but never as one that makes `x`
//! assigned (only `x = ...` does); a read of any bit of `x` is a read of `x`.
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Ident,
    Num,
    Punct,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    text: String,
    line: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

const PUNCTS: [&str; 20] = [
    "===", "!==", "<<<", ">>>", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "~^", "^~", "~&",
    "~|", "+:", "-:", "**", "->",
];

/// Why [`check_verilog`] could not read a text: it is outside the regular subset of Verilog
/// that rust-hdl writes (the lint parses that subset only, so a new construct in the generated
/// Verilog shows up here rather than as a finding missed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LintError {
    /// A token or statement the lint does not read, at `line` of the text.
    #[error("line {line}: {what}")]
    Syntax { line: usize, what: String },
    /// The text ended inside a statement.
    #[error("unexpected end of text")]
    EndOfText,
    /// `error` inside the `always @(*)` block of `module` that starts at `line`. The inner error
    /// is part of the message (not a `source`): it is the same kind of error, only located.
    #[error("module {module}, always @(*) at line {line}: {error}")]
    InBlock { module: String, line: usize, error: Box<LintError> },
}

fn syntax(line: usize, what: String) -> LintError {
    LintError::Syntax { line, what }
}

fn lex(text: &str) -> Result<Vec<Token>, LintError> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 2;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            toks.push(Token { kind: Kind::Num, text: "\"..\"".into(), line });
        } else if is_ident_start(c) || c == '$' || c == '\\' {
            let start = i;
            if c == '\\' {
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
            } else {
                i += 1;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
            }
            let word: String = chars[start..i].iter().collect();
            // `$signed`, `$unsigned`, ...: system functions, not variables.
            let kind = if c == '$' { Kind::Num } else { Kind::Ident };
            toks.push(Token { kind, text: word, line });
        } else if c.is_ascii_digit() || c == '\'' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_') {
                i += 1;
            }
            if chars.get(i) == Some(&'\'') {
                i += 1;
                if matches!(chars.get(i), Some('s' | 'S')) {
                    i += 1;
                }
                if !matches!(chars.get(i), Some('b' | 'B' | 'o' | 'O' | 'd' | 'D' | 'h' | 'H')) {
                    return Err(syntax(line, "bad number literal".into()));
                }
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '?') {
                    i += 1;
                }
            } else if chars.get(i) == Some(&'.') {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            toks.push(Token { kind: Kind::Num, text: chars[start..i].iter().collect(), line });
        } else {
            let rest: String = chars[i..(i + 3).min(chars.len())].iter().collect();
            let p = PUNCTS.iter().find(|p| rest.starts_with(**p)).map(|p| p.to_string()).unwrap_or_else(|| c.to_string());
            i += p.chars().count();
            toks.push(Token { kind: Kind::Punct, text: p, line });
        }
    }
    Ok(toks)
}

/// A read of a variable by a statement.
#[derive(Clone, Debug)]
struct Read {
    var: String,
    line: usize,
}

#[derive(Debug)]
enum Stmt {
    Block(Vec<Stmt>),
    If { cond: Vec<Read>, then: Box<Stmt>, els: Option<Box<Stmt>> },
    Case { sel: Vec<Read>, items: Vec<Stmt>, has_default: bool },
    /// `target = ...;` (`whole`) or `target[...] = ...;`; `reads` are the index and
    /// right-hand side reads, all evaluated before the assignment.
    Assign { target: String, whole: bool, reads: Vec<Read>, line: usize },
    Empty,
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn at(&self, text: &str) -> bool {
        self.peek().map_or(false, |t| t.text == text)
    }

    fn line(&self) -> usize {
        self.peek().or(self.toks.last()).map_or(0, |t| t.line)
    }

    fn expect(&mut self, text: &str) -> Result<(), LintError> {
        if self.at(text) {
            self.pos += 1;
            Ok(())
        } else {
            let found = self.peek().map_or("end of text", |t| t.text.as_str());
            Err(syntax(self.line(), format!("expected `{text}`, found `{found}`")))
        }
    }

    fn next(&mut self) -> Result<&'a Token, LintError> {
        let t = self.peek().ok_or(LintError::EndOfText)?;
        self.pos += 1;
        Ok(t)
    }

    /// Reads of the tokens up to (not including) the first `stop` at bracket depth 0.
    fn reads_until(&mut self, stop: &[&str]) -> Result<Vec<Read>, LintError> {
        let mut depth = 0i32;
        let mut reads = Vec::new();
        loop {
            let t = self.peek().ok_or_else(|| syntax(self.line(), "unterminated expression".into()))?;
            if depth == 0 && stop.contains(&t.text.as_str()) {
                return Ok(reads);
            }
            match t.text.as_str() {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth -= 1,
                ";" | "begin" | "end" => return Err(syntax(t.line, format!("unexpected `{}` in an expression", t.text))),
                _ => {}
            }
            if depth < 0 {
                return Err(syntax(t.line, format!("unbalanced `{}`", t.text)));
            }
            if t.kind == Kind::Ident {
                reads.push(Read { var: t.text.clone(), line: t.line });
            }
            self.pos += 1;
        }
    }

    /// `( expr )`
    fn paren(&mut self) -> Result<Vec<Read>, LintError> {
        self.expect("(")?;
        let reads = self.reads_until(&[")"])?;
        self.expect(")")?;
        Ok(reads)
    }

    fn stmt(&mut self) -> Result<Stmt, LintError> {
        let t = self.next()?;
        match t.text.as_str() {
            "begin" => {
                if self.at(":") {
                    return Err(syntax(t.line, "named blocks are not supported".into()));
                }
                let mut body = Vec::new();
                while !self.at("end") {
                    body.push(self.stmt()?);
                }
                self.pos += 1;
                Ok(Stmt::Block(body))
            }
            "if" => {
                let cond = self.paren()?;
                let then = Box::new(self.stmt()?);
                let els = if self.at("else") {
                    self.pos += 1;
                    Some(Box::new(self.stmt()?))
                } else {
                    None
                };
                Ok(Stmt::If { cond, then, els })
            }
            "case" | "casez" | "casex" => {
                let mut sel = self.paren()?;
                let mut items = Vec::new();
                let mut has_default = false;
                while !self.at("endcase") {
                    if self.at("default") {
                        self.pos += 1;
                        if self.at(":") {
                            self.pos += 1;
                        }
                        has_default = true;
                    } else {
                        sel.extend(self.reads_until(&[":"])?);
                        self.expect(":")?;
                    }
                    items.push(self.stmt()?);
                }
                self.pos += 1;
                Ok(Stmt::Case { sel, items, has_default })
            }
            ";" => Ok(Stmt::Empty),
            _ if t.kind == Kind::Ident && !is_keyword(&t.text) => {
                let line = t.line;
                let target = t.text.clone();
                let mut reads = Vec::new();
                let mut whole = true;
                while self.at("[") {
                    self.pos += 1;
                    reads.extend(self.reads_until(&["]"])?);
                    self.expect("]")?;
                    whole = false;
                }
                if self.at("<=") {
                    return Err(syntax(line, "non-blocking assignment in a combinational block".into()));
                }
                self.expect("=")?;
                reads.extend(self.reads_until(&[";"])?);
                self.expect(";")?;
                Ok(Stmt::Assign { target, whole, reads, line })
            }
            other => Err(syntax(t.line, format!("unsupported statement starting with `{other}`"))),
        }
    }
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "begin" | "end" | "if" | "else" | "case" | "casez" | "casex" | "endcase" | "default" | "for" | "while"
            | "repeat" | "forever" | "assign" | "always" | "module" | "endmodule" | "fork" | "join"
    )
}

/// One `always @(*)` block of the text.
#[derive(Clone, Debug)]
pub struct CombBlock {
    /// The module it is in.
    pub module: String,
    /// Line of its `always`.
    pub line: usize,
    /// Its tokens joined by single spaces (independent of layout and of where the module
    /// sits in a hierarchy: the same block of the same type gives the same text).
    pub text: String,
}

/// A read that may not see the block's final value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Module of the `always @(*)` block.
    pub module: String,
    /// Index of the block in [`Report::blocks`].
    pub block: usize,
    /// The variable read.
    pub var: String,
    /// Line of the statement (or `if`/`case` head) that reads it.
    pub line: usize,
    /// The line of the nearest later assignment that can follow the read, if any.
    pub assigned_later_at: Option<usize>,
    /// The variable is assigned in the block, but not on every path before the read.
    pub not_yet_assigned: bool,
}

impl Finding {
    /// One line for a report: where, what, why.
    pub fn describe(&self, text: &str) -> String {
        let src = |l: usize| text.lines().nth(l.saturating_sub(1)).unwrap_or("").trim().to_string();
        let mut why = Vec::new();
        if let Some(l) = self.assigned_later_at {
            if l == self.line {
                why.push("assigned by this same statement".to_string());
            } else {
                why.push(format!("assigned again later, line {l} `{}`", src(l)));
            }
        }
        if self.not_yet_assigned {
            why.push("not yet assigned on every path to here (latch/loop in Verilog)".to_string());
        }
        format!("{}: `{}` read at line {} `{}`: {}", self.module, self.var, self.line, src(self.line), why.join("; "))
    }
}

/// What [`check_verilog`] found.
#[derive(Debug, Default)]
pub struct Report {
    /// Every `always @(*)` block checked.
    pub blocks: Vec<CombBlock>,
    /// Reads that may not see their block's final value, in text order.
    pub findings: Vec<Finding>,
}

type Later = BTreeMap<String, usize>;

/// Walks `s` backwards; `after` holds the variables some statement that can run after `s`
/// assigns (with the nearest such line). Returns what `s` itself may assign.
fn later_pass(s: &Stmt, after: &Later, out: &mut BTreeMap<(usize, String), Option<usize>>) -> Later {
    fn check(reads: &[Read], later: &Later, out: &mut BTreeMap<(usize, String), Option<usize>>) {
        for r in reads {
            if let Some(l) = later.get(&r.var) {
                let e = out.entry((r.line, r.var.clone())).or_insert(None);
                *e = Some(e.map_or(*l, |x: usize| x.min(*l)));
            }
        }
    }
    match s {
        Stmt::Empty => Later::new(),
        Stmt::Assign { target, reads, line, .. } => {
            let mut later = after.clone();
            later.insert(target.clone(), *line);
            check(reads, &later, out);
            Later::from([(target.clone(), *line)])
        }
        Stmt::Block(body) => {
            let mut a = after.clone();
            let mut may = Later::new();
            for st in body.iter().rev() {
                let m = later_pass(st, &a, out);
                for (k, v) in m {
                    a.insert(k.clone(), v);
                    may.insert(k, v);
                }
            }
            may
        }
        Stmt::If { cond, then, els } => {
            let mut may = later_pass(then, after, out);
            if let Some(e) = els {
                for (k, v) in later_pass(e, after, out) {
                    let x = may.entry(k).or_insert(v);
                    *x = (*x).min(v);
                }
            }
            let mut later = after.clone();
            later.extend(may.iter().map(|(k, v)| (k.clone(), *v)));
            check(cond, &later, out);
            may
        }
        Stmt::Case { sel, items, .. } => {
            let mut may = Later::new();
            for it in items {
                for (k, v) in later_pass(it, after, out) {
                    let x = may.entry(k).or_insert(v);
                    *x = (*x).min(v);
                }
            }
            let mut later = after.clone();
            later.extend(may.iter().map(|(k, v)| (k.clone(), *v)));
            check(sel, &later, out);
            may
        }
    }
}

fn all_assigned(s: &Stmt, into: &mut BTreeSet<String>) {
    match s {
        Stmt::Empty => {}
        Stmt::Assign { target, .. } => {
            into.insert(target.clone());
        }
        Stmt::Block(body) => body.iter().for_each(|x| all_assigned(x, into)),
        Stmt::If { then, els, .. } => {
            all_assigned(then, into);
            if let Some(e) = els {
                all_assigned(e, into);
            }
        }
        Stmt::Case { items, .. } => items.iter().for_each(|x| all_assigned(x, into)),
    }
}

/// Walks `s` forwards; `before` holds the variables assigned (whole) on every path to `s`.
/// Returns the same after `s`.
fn must_pass(
    s: &Stmt,
    before: &BTreeSet<String>,
    assigned: &BTreeSet<String>,
    out: &mut BTreeSet<(usize, String)>,
) -> BTreeSet<String> {
    fn check(reads: &[Read], before: &BTreeSet<String>, assigned: &BTreeSet<String>, out: &mut BTreeSet<(usize, String)>) {
        for r in reads {
            if assigned.contains(&r.var) && !before.contains(&r.var) {
                out.insert((r.line, r.var.clone()));
            }
        }
    }
    match s {
        Stmt::Empty => before.clone(),
        Stmt::Assign { target, whole, reads, .. } => {
            check(reads, before, assigned, out);
            let mut b = before.clone();
            if *whole {
                b.insert(target.clone());
            }
            b
        }
        Stmt::Block(body) => {
            let mut b = before.clone();
            for st in body {
                b = must_pass(st, &b, assigned, out);
            }
            b
        }
        Stmt::If { cond, then, els } => {
            check(cond, before, assigned, out);
            let t = must_pass(then, before, assigned, out);
            let e = match els {
                Some(e) => must_pass(e, before, assigned, out),
                None => before.clone(),
            };
            t.intersection(&e).cloned().collect()
        }
        Stmt::Case { sel, items, has_default } => {
            check(sel, before, assigned, out);
            let mut acc: Option<BTreeSet<String>> = if *has_default { None } else { Some(before.clone()) };
            for it in items {
                let m = must_pass(it, before, assigned, out);
                acc = Some(match acc {
                    None => m,
                    Some(a) => a.intersection(&m).cloned().collect(),
                });
            }
            acc.unwrap_or_else(|| before.clone())
        }
    }
}

/// Checks every `always @(*)` block of `text` (see the module documentation).
pub fn check_verilog(text: &str) -> Result<Report, LintError> {
    let toks = lex(text)?;
    let mut report = Report::default();
    let mut module = String::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.text == "module" && t.kind == Kind::Ident {
            module = toks.get(i + 1).map(|t| t.text.clone()).unwrap_or_default();
            i += 1;
            continue;
        }
        if !(t.text == "always" && t.kind == Kind::Ident) {
            i += 1;
            continue;
        }
        let star = |k: usize, s: &str| toks.get(i + k).map_or(false, |t| t.text == s);
        let body_at = if star(1, "@") && star(2, "(") && star(3, "*") && star(4, ")") {
            i + 5
        } else if star(1, "@") && star(2, "*") {
            i + 3
        } else {
            // Clocked (`always @(posedge clock)`): not combinational, not checked.
            i += 1;
            continue;
        };
        let mut p = Parser { toks: &toks, pos: body_at };
        let stmt = p.stmt().map_err(|e| LintError::InBlock { module: module.clone(), line: t.line, error: Box::new(e) })?;
        let block = report.blocks.len();
        report.blocks.push(CombBlock {
            module: module.clone(),
            line: t.line,
            text: toks[body_at..p.pos].iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" "),
        });
        let mut later = BTreeMap::new();
        later_pass(&stmt, &Later::new(), &mut later);
        let mut assigned = BTreeSet::new();
        all_assigned(&stmt, &mut assigned);
        let mut unassigned = BTreeSet::new();
        must_pass(&stmt, &BTreeSet::new(), &assigned, &mut unassigned);
        let keys: BTreeSet<(usize, String)> = later.keys().chain(unassigned.iter()).cloned().collect();
        for (line, var) in keys {
            report.findings.push(Finding {
                module: module.clone(),
                block,
                assigned_later_at: later.get(&(line, var.clone())).copied().flatten(),
                not_yet_assigned: unassigned.contains(&(line, var.clone())),
                var,
                line,
            });
        }
        i = p.pos;
    }
    Ok(report)
}

/// How many `always @(*)` / `always @*` heads `text` has (to check the parser saw them all).
pub fn count_comb_blocks(text: &str) -> usize {
    lex(text).map_or(0, |toks| {
        toks.windows(5)
            .filter(|w| {
                w[0].text == "always" && w[1].text == "@" && (w[2].text == "*" || (w[2].text == "(" && w[3].text == "*"))
            })
            .count()
    })
}
