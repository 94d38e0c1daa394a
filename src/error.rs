//! Typed errors of the library, each naming the input, the record and the
//! field at fault, with a hint on how to fix it.

use std::fmt;

/// Where in an input a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File path (or `-` for standard input, `bundled:…` for bundled data).
    pub file: String,
    /// Record: a line number (`line 12`) or a JSON path (`$.validators[3]`).
    pub record: Option<String>,
    /// Field name within the record.
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = &self.record {
            write!(f, ": {r}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        Ok(())
    }
}

/// Errors of the rackaudit library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input data is malformed or out of range.
    #[error("{at}: {message}{}", hint_suffix(.hint))]
    Input {
        at: Location,
        message: String,
        hint: Option<String>,
    },
    /// A file could not be read or written.
    #[error("{path}: {action}: {source}")]
    Io {
        path: String,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// No adapter recognised the input.
    #[error(
        "{file}: the format was not recognised; formats tried: {}. \
         Name one with --source KIND, or see the README for the generic CSV format",
        .tried.join(", ")
    )]
    UnknownFormat { file: String, tried: Vec<String> },
    /// A command-line option is invalid.
    #[error("{0}")]
    Usage(String),
    /// A check the user asked for failed (verify found differences, a claim
    /// does not hold): exit code 1.
    #[error("{0}")]
    Failed(String),
    /// A network endpoint could not be reached or answered wrongly, after
    /// retries: exit code 3.
    #[error("{url}: {message}{}", hint_suffix(.hint))]
    Network {
        url: String,
        message: String,
        hint: Option<String>,
    },
    /// The snapshot store is damaged or holds something unexpected.
    #[error("store {path}: {message}")]
    Store { path: String, message: String },
}

fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref()
        .map(|h| format!(" (hint: {h})"))
        .unwrap_or_default()
}

impl Error {
    /// A network error for `url`.
    pub fn network(url: &str, message: impl Into<String>) -> Self {
        Error::Network {
            url: url.to_string(),
            message: message.into(),
            hint: None,
        }
    }

    /// An input error at `file`, `record`, `field`.
    pub fn input(
        file: impl Into<String>,
        record: Option<String>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Input {
            at: Location {
                file: file.into(),
                record,
                field: field.map(str::to_string),
            },
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint to an input error (other errors are returned unchanged).
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        if let Error::Input { hint, .. } | Error::Network { hint, .. } = &mut self {
            *hint = Some(text.into());
        }
        self
    }

    /// Process exit code: 1 for a failed check, 3 for network errors, 2 for
    /// input, usage and store errors.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Failed(_) => 1,
            Error::Network { .. } => 3,
            _ => 2,
        }
    }
}

/// 1-based line number of a byte offset in `text` (for parser spans).
pub fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Result alias of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_file_record_field_and_hint() {
        let e = Error::input(
            "a.csv",
            Some("line 3".into()),
            Some("gpu_count"),
            "not a number",
        )
        .with_hint("write a whole number");
        assert_eq!(
            e.to_string(),
            "a.csv: line 3: field `gpu_count`: not a number (hint: write a whole number)"
        );
    }
}
