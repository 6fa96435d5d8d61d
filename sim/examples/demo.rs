//! The demo without the `ftio` front end: `cargo run -p ftio-sim --example demo -- [OUT_DIR [SEED]]`.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::path::PathBuf::from(args.first().map_or("build/demo", |s| s.as_str()));
    let mut cfg = ftio_sim::demo::DemoConfig::default();
    if let Some(s) = args.get(1) {
        cfg.seed = s.parse().expect("seed is a number");
    }
    let mut progress = |p: &ftio_sim::demo::Progress| {
        eprint!("\r[{}/{}] {}: cycle {} ops {}/{}   ", p.index, p.of, p.scenario, p.cycle, p.ops_done, p.ops_total)
    };
    match ftio_sim::demo::run_demo(&cfg, &out, &mut progress) {
        Ok(r) => {
            eprintln!();
            print!("{}", r.text());
            std::fs::write(out.join("report.json"), serde_json::to_string_pretty(&r.json()).unwrap() + "\n").unwrap();
            if !r.passed() {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("\ndemo: {e}");
            std::process::exit(1);
        }
    }
}
