//! The HTTP client of the collectors: timeouts, a request-rate limit,
//! retries with exponential backoff and jitter on timeouts, connection
//! errors, truncated or unparsable bodies, 5xx and 429 (honouring
//! `Retry-After`), and a cap on body size so a hostile endpoint cannot
//! exhaust memory. Every response body kept is returned with its sha256 for
//! the raw archive.

use crate::error::{Error, Result};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Client settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Most requests per second (0: unlimited).
    pub rps: f64,
    /// Largest response body accepted, bytes.
    pub max_body_bytes: u64,
    /// First backoff delay; doubles per retry, with ±50% jitter.
    pub backoff: Duration,
    /// Longest single wait (also caps `Retry-After`).
    pub max_wait: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            retries: 4,
            rps: 5.0,
            max_body_bytes: 256 << 20,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// One response kept for the archive.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub url: String,
    pub status: u16,
    pub sha256: String,
    pub body: Vec<u8>,
}

/// Receives short status lines (retries, waits) for progress output.
pub type Progress = Box<dyn FnMut(&str)>;

/// A rate-limited, retrying client; counts what it did for the completeness
/// record.
pub struct Client {
    agent: ureq::Agent,
    opts: HttpOptions,
    last_request: Option<Instant>,
    jitter: crate::rng::Rng,
    /// Attempts that failed and were retried, with why.
    pub retried: Vec<String>,
    /// Every response body kept, in order.
    pub responses: Vec<RawResponse>,
    /// Called before each wait with a short status line (progress output).
    pub on_wait: Option<Progress>,
}

/// Why one attempt failed, and whether trying again can help.
enum Attempt {
    Retry(String, Option<Duration>),
    Fatal(String),
}

impl Client {
    pub fn new(opts: HttpOptions) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .http_status_as_error(false)
            .user_agent(format!("rackaudit/{}", crate::TOOL_VERSION))
            .build()
            .into();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Client {
            agent,
            opts,
            last_request: None,
            jitter: crate::rng::Rng::new(seed),
            retried: Vec::new(),
            responses: Vec::new(),
            on_wait: None,
        }
    }

    /// GETs a JSON document.
    pub fn get_json(&mut self, url: &str) -> Result<Value> {
        self.json(url, None)
    }

    /// POSTs a JSON body (JSON-RPC) and returns the JSON answer.
    pub fn post_json(&mut self, url: &str, body: &Value) -> Result<Value> {
        self.json(url, Some(body))
    }

    /// GETs a JSON document that may not exist: `Ok(None)` on 404.
    pub fn get_optional_json(&mut self, url: &str) -> Result<Option<Value>> {
        match self.json(url, None) {
            Err(Error::Network { message, .. }) if message.starts_with("HTTP 404") => Ok(None),
            other => other.map(Some),
        }
    }

    fn json(&mut self, url: &str, body: Option<&Value>) -> Result<Value> {
        let mut attempt = 0;
        loop {
            self.pace();
            let outcome = self.once(url, body);
            let (why, wait) = match outcome {
                Ok(v) => return Ok(v),
                Err(Attempt::Fatal(why)) => return Err(Error::network(url, why)),
                Err(Attempt::Retry(why, wait)) => (why, wait),
            };
            if attempt >= self.opts.retries {
                return Err(Error::network(
                    url,
                    format!("{why} (gave up after {} attempts)", attempt + 1),
                )
                .with_hint(
                    "retry later, raise --retries or --timeout, or use another --endpoint",
                ));
            }
            let wait = wait
                .unwrap_or_else(|| self.backoff(attempt))
                .min(self.opts.max_wait);
            self.retried.push(format!(
                "{url}: {why}; retried after {} ms",
                wait.as_millis()
            ));
            if let Some(f) = self.on_wait.as_mut() {
                f(&format!("{why}; retrying in {:.1} s", wait.as_secs_f64()));
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    /// Waits until the rate limit allows the next request.
    fn pace(&mut self) {
        if self.opts.rps > 0.0
            && let Some(last) = self.last_request
        {
            let gap = Duration::from_secs_f64(1.0 / self.opts.rps);
            let since = last.elapsed();
            if since < gap {
                std::thread::sleep(gap - since);
            }
        }
        self.last_request = Some(Instant::now());
    }

    /// Exponential backoff with ±50% jitter.
    fn backoff(&mut self, attempt: u32) -> Duration {
        let base = self.opts.backoff.as_secs_f64() * 2f64.powi(attempt as i32);
        Duration::from_secs_f64(base * (0.5 + self.jitter.unit()))
    }

    fn once(&mut self, url: &str, body: Option<&Value>) -> std::result::Result<Value, Attempt> {
        let sent = match body {
            None => self
                .agent
                .get(url)
                .header("accept", "application/json")
                .call(),
            Some(b) => self
                .agent
                .post(url)
                .header("content-type", "application/json")
                .send(serde_json::to_vec(b).expect("JSON values serialize")),
        };
        let mut resp = sent.map_err(transport)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if status == 429 || status >= 500 {
            return Err(Attempt::Retry(format!("HTTP {status}"), retry_after));
        }
        if !(200..300).contains(&status) {
            return Err(Attempt::Fatal(format!("HTTP {status}")));
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(self.opts.max_body_bytes)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(n) => Attempt::Fatal(format!(
                    "the response body exceeds the limit of {n} bytes (--max-body-mb)"
                )),
                other => transport(other),
            })?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Attempt::Retry(format!("the response is not valid JSON ({e})"), None))?;
        self.responses.push(RawResponse {
            url: url.to_string(),
            status,
            sha256: crate::sources::sha256_hex(&bytes),
            body: bytes,
        });
        Ok(value)
    }
}

/// Transport failures (timeouts, refused or reset connections, truncated
/// bodies) are worth retrying; malformed addresses are not.
fn transport(e: ureq::Error) -> Attempt {
    match e {
        ureq::Error::BadUri(u) => Attempt::Fatal(format!("bad URL {u}")),
        ureq::Error::BodyExceedsLimit(n) => Attempt::Fatal(format!(
            "the response body exceeds the limit of {n} bytes (--max-body-mb)"
        )),
        other => Attempt::Retry(other.to_string(), None),
    }
}

/// `Retry-After: 7` (seconds); the HTTP-date form is treated as "soon".
fn parse_retry_after(v: &str) -> Option<Duration> {
    match v.trim().parse::<u64>() {
        Ok(secs) => Some(Duration::from_secs(secs)),
        Err(_) => Some(Duration::from_secs(1)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_after_table() {
        use std::time::Duration;
        assert_eq!(super::parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            super::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::from_secs(1))
        );
    }
}
