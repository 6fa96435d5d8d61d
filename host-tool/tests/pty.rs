//! The real ftctl binary on a pseudo-terminal, with the reference model answering on the
//! other side: the same path the virtual board uses (`ftctl --port /dev/pts/N`).
use ftio_proto::{reg, BuildParams, RegisterModel};
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Board {
    path: String,
    model: Arc<Mutex<RegisterModel>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    _slave: TTYPort,
}

impl Board {
    fn start() -> Board {
        let (mut master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
        let path = slave.name().expect("pty name");
        let model = Arc::new(Mutex::new(RegisterModel::new(BuildParams::default())));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (model.clone(), stop.clone());
        master.set_timeout(Duration::from_millis(20)).unwrap();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while !s.load(Ordering::Relaxed) {
                match master.read(&mut buf) {
                    Ok(n) if n > 0 => {
                        let reply = m.lock().unwrap().feed(&buf[..n]);
                        if !reply.is_empty() {
                            master.write_all(&reply).unwrap();
                        }
                    }
                    _ => m.lock().unwrap().idle(1000),
                }
            }
        });
        Board { path, model, stop, thread: Some(thread), _slave: slave }
    }

    fn ftctl(&self, args: &[&str]) -> (i32, String, String) {
        let o = Command::new(env!("CARGO_BIN_EXE_ftctl")).args(args).env("FTCTL_PORT", &self.path).output().unwrap();
        (o.status.code().unwrap(), String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap())
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn ftctl_binary_over_a_pty() {
    let b = Board::start();
    let (code, out, err) = b.ftctl(&["info"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("ftio core on {}", b.path)), "{out}");
    assert!(out.contains("VERSION   0.1.0"));
    let (code, out, err) = b.ftctl(&["set", "mode", "split", "--port", &b.path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "mode: DUPLEX -> SPLIT");
    assert_eq!(reg("CTRL").f("mode").get(b.model.lock().unwrap().get("CTRL")), 3);
    let (code, out, _) = b.ftctl(&["regs", "dump", "--json"]);
    assert_eq!(code, 0);
    assert!(out.contains(r#""name":"CTRL","addr":8,"value":3"#), "{out}");
}

#[test]
fn ftctl_binary_errors_are_one_line() {
    let o = Command::new(env!("CARGO_BIN_EXE_ftctl")).arg("status").env_remove("FTCTL_PORT").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "ftctl: no serial port: give --port PATH or set FTCTL_PORT\n");
    let o = Command::new(env!("CARGO_BIN_EXE_ftctl")).args(["info", "--port", "/nonexistent/tty"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "ftctl: cannot open /nonexistent/tty: no such file\n");
    // A pty with nobody answering: timeouts, exit 3.
    let (_master, slave) = TTYPort::pair().unwrap();
    let path = slave.name().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_ftctl"))
        .args(["info", "--port", &path, "--timeout", "30", "--retries", "1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("no reply from") && e.contains("after 2 attempt(s) of 30 ms"), "{e}");
}
