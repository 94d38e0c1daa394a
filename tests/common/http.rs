//! An in-process HTTP/1.1 server on 127.0.0.1 that replays scripted
//! responses per request target and injects faults: delays past the
//! client's timeout, 5xx, 429 with Retry-After, truncated bodies, invalid
//! JSON, and dropped connections.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status, extra headers, body.
    Full(u16, Vec<(String, String)>, Vec<u8>),
    /// Wait, then answer.
    Slow(Duration, Box<Reply>),
    /// Announce a longer body than is sent, then close.
    Truncated(Vec<u8>),
}

impl Reply {
    pub fn json(body: &str) -> Reply {
        Reply::Full(200, Vec::new(), body.as_bytes().to_vec())
    }
    pub fn status(code: u16) -> Reply {
        Reply::Full(code, Vec::new(), b"{}".to_vec())
    }
    pub fn too_many(retry_after_secs: u64) -> Reply {
        Reply::Full(
            429,
            vec![("Retry-After".into(), retry_after_secs.to_string())],
            b"{}".to_vec(),
        )
    }
}

/// Request target (path and query) → answers in order; the last repeats.
pub type Script = HashMap<String, Vec<Reply>>;

/// A running server.
pub struct Server {
    pub base: String,
    /// Every request target received, in order (`POST ` prefixed for POSTs).
    pub log: Arc<Mutex<Vec<String>>>,
}

pub fn serve(script: Script) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(script));
    let counts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let l = log.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (script, counts, log) = (script.clone(), counts.clone(), l.clone());
            thread::spawn(move || handle(stream, &script, &counts, &log));
        }
    });
    Server { base, log }
}

fn handle(
    mut stream: TcpStream,
    script: &Mutex<Script>,
    counts: &Mutex<HashMap<String, usize>>,
    log: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or("").to_string(),
    );
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let key = if method == "POST" {
        format!("POST {target}")
    } else {
        target.clone()
    };
    log.lock().unwrap().push(key.clone());
    let reply = {
        let script = script.lock().unwrap();
        let mut counts = counts.lock().unwrap();
        let n = counts.entry(key.clone()).or_insert(0);
        let reply = script
            .get(&key)
            .map(|replies| replies[(*n).min(replies.len() - 1)].clone());
        *n += 1;
        reply.unwrap_or(Reply::status(404))
    };
    send(&mut stream, reply);
}

fn send(stream: &mut TcpStream, reply: Reply) {
    match reply {
        Reply::Slow(d, inner) => {
            thread::sleep(d);
            send(stream, *inner);
        }
        Reply::Truncated(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len() * 10
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
        Reply::Full(code, headers, body) => {
            let mut head = format!(
                "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    }
    let _ = stream.flush();
}
