//! Shared helpers of the integration tests that run `wxface` servers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A `wxface` server started by a test; killed when dropped.
pub struct Server {
    child: Child,
    /// The base URL read from its first line (`listening on URL`).
    pub url: String,
    /// The rest of standard output, line by line.
    pub lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wxface` with the environment of the tests cleared of its variables.
pub fn wxface_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wxface"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("WXFACE_") {
            c.env_remove(k);
        }
    }
    c
}

/// Start `wxface ARGS…` and wait (up to 60 s) for `listening on URL` as its
/// first line of standard output.
pub fn start(args: &[&str]) -> Server {
    start_with(wxface_command(), args)
}

/// As [`start`], with a prepared command.
pub fn start_with(mut cmd: Command, args: &[&str]) -> Server {
    let mut child = cmd
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wxface");
    let stdout: ChildStdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let errors = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = errors.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut s) = sink.lock() {
                s.push_str(&line);
                s.push('\n');
            }
        }
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let Ok(first) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = child.kill();
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(100));
        let errors = errors.lock().map(|s| s.clone()).unwrap_or_default();
        panic!(
            "`wxface {}` printed nothing; standard error:\n{errors}",
            args.join(" ")
        );
    };
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line is not `listening on URL`: {first}"))
        .to_owned();
    Server {
        child,
        url,
        lines: rx,
    }
}

/// A fresh scratch directory for this test process (under the target directory).
pub fn tempdir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "wxface-cli-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// A blocking HTTP client with a short timeout.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}
