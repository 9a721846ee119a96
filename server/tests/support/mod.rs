//! Helpers for tests that run the real binaries: start one, wait for its `listening on`
//! line(s), talk HTTP/1.1 to it over a plain `TcpStream`, signal it, and always kill it if the
//! test fails first. Shared by several test binaries, each using a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a binary may take to print its ready line(s).
const STARTUP: Duration = Duration::from_secs(60);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A binary about to be started. Inherited `KMSGATE_…` variables are removed so the caller's
/// shell cannot change a test; the key pair pool is off unless a test turns it on, so parallel
/// tests do not fight over two cores generating RSA keys.
pub struct Launch {
    bin: PathBuf,
    args: Vec<OsString>,
    env: BTreeMap<String, OsString>,
}

impl Launch {
    pub fn new(bin: &str) -> Launch {
        // No pairs generated ahead, and none reused: a new public key for every answer, as the
        // clouds give (a test sets KMSGATE_POOL__REUSE_CALLS to see reuse).
        let env = ["RSA_2048", "RSA_3072", "RSA_4096", "SM2"]
            .iter()
            .map(|spec| (format!("KMSGATE_POOL__{spec}"), "0".into()))
            .chain([("KMSGATE_POOL__REUSE_CALLS".to_owned(), "1".into())])
            .collect();
        Launch {
            bin: PathBuf::from(bin),
            args: Vec::new(),
            env,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Launch
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Launch {
        self.env.insert(name.to_owned(), value.into());
        self
    }

    /// A value that need not be UTF-8.
    pub fn env_os(mut self, name: &str, value: OsString) -> Launch {
        self.env.insert(name.to_owned(), value);
        self
    }

    /// Back to the built-in pool targets.
    pub fn default_pool(mut self) -> Launch {
        self.env.retain(|k, _| !k.starts_with("KMSGATE_POOL__"));
        self
    }

    /// Starts the binary with piped output in a working directory of its own, so a default
    /// `./kmsgate-data` never lands in the repository.
    fn spawn(&self) -> (tempfile::TempDir, std::process::Child) {
        let cwd = tempfile::tempdir().expect("temp dir");
        let child = self
            .command(cwd.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        (cwd, child)
    }

    fn command(&self, cwd: &std::path::Path) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(&self.args).current_dir(cwd);
        for (name, _) in std::env::vars_os() {
            if name
                .to_str()
                .is_some_and(|n| n.to_ascii_uppercase().starts_with("KMSGATE_"))
            {
                cmd.env_remove(name);
            }
        }
        cmd.envs(&self.env);
        cmd
    }

    /// Starts the binary and waits for `listeners` ready lines.
    pub fn start(self, listeners: usize) -> Running {
        let (cwd, mut child) = self.spawn();
        let lines = forward_lines(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        let mut running = Running {
            child,
            listeners: Vec::new(),
            stdout: Vec::new(),
            stderr,
            _cwd: cwd,
        };
        let deadline = Instant::now() + STARTUP;
        while running.listeners.len() < listeners {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(listener) = parse_ready_line(&line) {
                        running.listeners.push(listener);
                    }
                    running.stdout.push(line);
                }
                Err(_) => {
                    let status = running.child.try_wait().ok().flatten();
                    panic!(
                        "{} did not get ready (exit: {status:?}); stdout {:?}; stderr:\n{}",
                        self.bin.display(),
                        running.stdout,
                        running.stderr()
                    );
                }
            }
        }
        running
    }

    /// Runs a binary that is expected to exit by itself (bad configuration and such).
    pub fn run_to_exit(self) -> Finished {
        let (cwd, mut child) = self.spawn();
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        let mut guard = Running {
            child,
            listeners: Vec::new(),
            stdout: Vec::new(),
            stderr,
            _cwd: cwd,
        };
        let status = guard.wait_exit(STARTUP);
        let stdout = stdout.all();
        Finished {
            code: status.code(),
            stdout,
            stderr: guard.stderr(),
        }
    }
}

/// A process that ran to its end.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A started binary; killed on drop if it is still running.
pub struct Running {
    child: Child,
    /// `(dialect, address)` from each ready line, in the order printed.
    pub listeners: Vec<(String, SocketAddr)>,
    /// Every stdout line read while waiting for readiness.
    pub stdout: Vec<String>,
    stderr: Collected,
    _cwd: tempfile::TempDir,
}

impl Running {
    pub fn addr(&self, dialect: &str) -> SocketAddr {
        self.listeners
            .iter()
            .find(|(name, _)| name == dialect)
            .map(|(_, addr)| *addr)
            .unwrap_or_else(|| panic!("no {dialect} listener in {:?}", self.listeners))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr
            .text
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Sends a signal by name (`TERM`, `INT`) with the system's `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit by itself; panics (and so kills it) past `within`.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // The reader has the last lines once the pipe has ended.
                self.stderr.all();
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "process {} still running after {within:?}; stderr:\n{}",
                self.pid(),
                self.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `"<dialect> listening on http://<addr>"`.
pub fn parse_ready_line(line: &str) -> Option<(String, SocketAddr)> {
    let (name, addr) = line.split_once(" listening on http://")?;
    Some((name.to_owned(), addr.trim().parse().ok()?))
}

fn forward_lines(out: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        // Read to the end even when nobody listens, so the child never blocks on a full pipe.
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    rx
}

/// What a pipe carried so far, and word of its end (EOF: the process closed it, by exiting).
struct Collected {
    text: Arc<Mutex<String>>,
    /// In a mutex only so that a `Running` may be shared between threads.
    ended: Mutex<Receiver<()>>,
}

fn collect(out: impl Read + Send + 'static) -> Collected {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    let (end, ended) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(out);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            if let Ok(mut s) = sink.lock() {
                s.push_str(&line);
            }
            line.clear();
        }
        let _ = end.send(());
    });
    Collected {
        text,
        ended: Mutex::new(ended),
    }
}

impl Collected {
    /// Everything the pipe carried, once it has ended (bounded: a child process that kept the
    /// pipe open would otherwise hold the test).
    fn all(&self) -> String {
        if let Ok(ended) = self.ended.lock() {
            let _ = ended.recv_timeout(Duration::from_secs(10));
        }
        self.text.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// One HTTP response, as read off the wire.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): status {} {:?}", self.status, self.text()))
    }
}

pub fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, &[], b"")
}

pub fn post(addr: SocketAddr, path: &str, body: &[u8]) -> Response {
    request(addr, "POST", path, &[], body)
}

/// One request on a fresh connection (`Connection: close`), with `Content-Length`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    send_raw(addr, &raw)
}

/// An AWS call to `server`'s AWS listener for `account` in `region`, with a well-formed but
/// unverified signature (strict auth is off by default); the JSON answer (null when empty).
pub fn aws(
    server: &Running,
    account: &str,
    region: &str,
    operation: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/kms/aws4_request, \
         SignedHeaders=host, Signature={}",
        "0".repeat(64)
    );
    let r = request(
        server.addr("aws"),
        "POST",
        "/",
        &[
            ("X-Amz-Target", &format!("TrentService.{operation}")),
            ("Authorization", &auth),
        ],
        body.to_string().as_bytes(),
    );
    let json = if r.text().is_empty() {
        serde_json::Value::Null
    } else {
        r.json()
    };
    (r.status, json)
}

/// Writes `raw` as is and reads one response.
pub fn send_raw(addr: SocketAddr, raw: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.write_all(raw).expect("send request");
    read_response(&mut stream)
}

/// Reads until one whole response is in (by `Content-Length`, chunked framing, or the end of
/// the connection), so an early answer is read without waiting for the server to hang up.
fn read_response(stream: &mut TcpStream) -> Response {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(response) = parse_response(&data, false) {
            return response;
        }
        // A signal landing while the read waits (the tests' child processes exiting) is no
        // failure of the server's: read again.
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("read response: {e:?}"),
        };
        if n == 0 {
            return parse_response(&data, true).unwrap_or_else(|| {
                panic!("incomplete response: {:?}", String::from_utf8_lossy(&data))
            });
        }
        data.extend_from_slice(&buf[..n]);
    }
}

fn parse_response(data: &[u8], at_eof: bool) -> Option<Response> {
    let end = data.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&data[..end]).expect("UTF-8 head");
    let rest = &data[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if let Some(len) = find("content-length") {
        let len: usize = len.parse().expect("content-length");
        rest.get(..len)?.to_vec()
    } else if find("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if at_eof {
        rest.to_vec()
    } else {
        return None;
    };
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
