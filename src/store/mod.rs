//! The snapshot store: an embedded SQLite database (WAL mode, versioned
//! migrations) holding every collected or imported snapshot, the merged
//! document it was read from and every raw response, gzip-compressed and
//! content-addressed by sha256. One transaction per snapshot, so a crash
//! never leaves half a snapshot.

use crate::collect::http::RawResponse;
use crate::error::{Error, Result};
use crate::model::Snapshot;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Schema migrations, in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    // 1: snapshots, content-addressed blobs, archived responses.
    "CREATE TABLE blobs (
         sha256 TEXT PRIMARY KEY,
         size INTEGER NOT NULL,
         gzip BLOB NOT NULL
     );
     CREATE TABLE snapshots (
         id INTEGER PRIMARY KEY,
         network TEXT NOT NULL,
         collector TEXT NOT NULL,
         endpoint TEXT NOT NULL,
         taken_at TEXT,
         stored_at TEXT NOT NULL,
         complete INTEGER NOT NULL,
         providers INTEGER NOT NULL,
         input_sha256 TEXT NOT NULL,
         document_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
         snapshot_json TEXT NOT NULL,
         tool_version TEXT NOT NULL
     );
     CREATE INDEX snapshots_by_network ON snapshots(network, id);
     CREATE TABLE responses (
         snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
         seq INTEGER NOT NULL,
         url TEXT NOT NULL,
         status INTEGER NOT NULL,
         sha256 TEXT NOT NULL REFERENCES blobs(sha256),
         PRIMARY KEY (snapshot_id, seq)
     );",
];

/// The newest schema this build knows.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// An open store.
pub struct Store {
    conn: Connection,
    path: String,
}

/// One stored snapshot, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredSnapshot {
    pub id: i64,
    pub network: String,
    pub collector: String,
    pub endpoint: String,
    pub taken_at: Option<String>,
    pub stored_at: String,
    pub complete: bool,
    pub providers: i64,
    pub input_sha256: String,
    pub document_sha256: String,
}

/// The default store path: `$RACKAUDIT_STORE`, else `rackaudit.sqlite` in
/// the user's data directory (e.g. `~/.local/share/rackaudit/`).
pub fn default_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("RACKAUDIT_STORE") {
        return Ok(PathBuf::from(p));
    }
    let dirs =
        directories::ProjectDirs::from("org", "rackaudit", "rackaudit").ok_or_else(|| {
            Error::Usage("no home directory is known; give the store path with --store FILE".into())
        })?;
    Ok(dirs.data_dir().join("rackaudit.sqlite"))
}

impl Store {
    /// Opens (creating if needed) and migrates the store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io {
                path: dir.display().to_string(),
                action: "cannot create the store directory",
                source: e,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| store_err(&shown, e))?;
        let mut store = Store { conn, path: shown };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        store_err(&self.path, e)
    }

    fn configure(&mut self) -> Result<()> {
        self.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| self.err(e))?;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Store {
                path: self.path.clone(),
                message: format!("cannot switch to WAL mode (journal_mode is {mode})"),
            });
        }
        self.conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(|e| self.err(e))
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > SCHEMA_VERSION {
            return Err(Error::Store {
                path: self.path.clone(),
                message: format!(
                    "schema version {version} is newer than this rackaudit knows ({SCHEMA_VERSION}); upgrade rackaudit"
                ),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self
                .conn
                .transaction()
                .map_err(|e| store_err(&self.path, e))?;
            tx.execute_batch(sql)
                .map_err(|e| store_err(&self.path, e))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(|e| store_err(&self.path, e))?;
            tx.commit().map_err(|e| store_err(&self.path, e))?;
        }
        Ok(())
    }

    /// Stores a snapshot with the document it was read from and the raw
    /// responses, in one transaction. Returns its id.
    pub fn insert(
        &mut self,
        snapshot: &Snapshot,
        document: &[u8],
        responses: &[RawResponse],
    ) -> Result<i64> {
        let json = serde_json::to_string(snapshot).expect("snapshots serialize");
        let document_sha = crate::sources::sha256_hex(document);
        let (collector, endpoint, complete) = match &snapshot.collection {
            Some(c) => (c.collector.clone(), c.endpoint.clone(), c.complete),
            None => (
                format!("import:{}", snapshot.source.adapter),
                snapshot.source.location.clone(),
                true,
            ),
        };
        let path = self.path.clone();
        let e = |err| store_err(&path, err);
        let tx = self.conn.transaction().map_err(e)?;
        put_blob(&tx, &document_sha, document).map_err(e)?;
        for r in responses {
            put_blob(&tx, &r.sha256, &r.body).map_err(e)?;
        }
        tx.execute(
            "INSERT INTO snapshots (network, collector, endpoint, taken_at, stored_at, complete,
                 providers, input_sha256, document_sha256, snapshot_json, tool_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                snapshot.network,
                collector,
                endpoint,
                snapshot.taken_at,
                crate::time::generated_at(),
                complete,
                snapshot.providers.len() as i64,
                snapshot.input_sha256,
                document_sha,
                json,
                crate::TOOL_VERSION
            ],
        )
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        for (seq, r) in responses.iter().enumerate() {
            tx.execute(
                "INSERT INTO responses (snapshot_id, seq, url, status, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, seq as i64, r.url, r.status, r.sha256],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Stored snapshots, oldest first; of one network (or collector) if given.
    pub fn list(&self, network: Option<&str>) -> Result<Vec<StoredSnapshot>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, network, collector, endpoint, taken_at, stored_at, complete, providers,
                        input_sha256, document_sha256
                 FROM snapshots WHERE ?1 IS NULL OR network = ?1 OR collector = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![network], |r| {
                Ok(StoredSnapshot {
                    id: r.get(0)?,
                    network: r.get(1)?,
                    collector: r.get(2)?,
                    endpoint: r.get(3)?,
                    taken_at: r.get(4)?,
                    stored_at: r.get(5)?,
                    complete: r.get(6)?,
                    providers: r.get(7)?,
                    input_sha256: r.get(8)?,
                    document_sha256: r.get(9)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// The oldest snapshot read from input with this sha256: one whose
    /// recorded input sha256 or stored document sha256 is `sha256` (the
    /// same bytes, whatever their name or `taken_at`). `None` for an empty
    /// hash.
    pub fn find_input(&self, sha256: &str) -> Result<Option<i64>> {
        if sha256.is_empty() {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT id FROM snapshots WHERE input_sha256 = ?1 OR document_sha256 = ?1
                 ORDER BY id LIMIT 1",
                params![sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Resolves `latest` (of a network, if given) or a numeric id.
    pub fn resolve_id(&self, which: &str, network: Option<&str>) -> Result<i64> {
        if which == "latest" {
            let all = self.list(network)?;
            return all.last().map(|s| s.id).ok_or_else(|| Error::Store {
                path: self.path.clone(),
                message: match network {
                    Some(n) => format!("holds no snapshot of `{n}`"),
                    None => "holds no snapshots".into(),
                },
            });
        }
        which.parse::<i64>().map_err(|_| {
            Error::Usage(format!(
                "--snapshot: `{which}` is not a snapshot id or `latest`"
            ))
        })
    }

    /// The snapshot stored under `id`.
    pub fn snapshot(&self, id: i64) -> Result<Snapshot> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT snapshot_json FROM snapshots WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let json = json.ok_or_else(|| Error::Store {
            path: self.path.clone(),
            message: format!("has no snapshot {id}"),
        })?;
        let mut snapshot: Snapshot = serde_json::from_str(&json).map_err(|e| Error::Store {
            path: self.path.clone(),
            message: format!("snapshot {id} is damaged: {e}"),
        })?;
        // Stores written before snapshots were canonical keep input order.
        snapshot.canonicalize();
        Ok(snapshot)
    }

    /// A stored blob, decompressed and checked against its sha256.
    pub fn blob(&self, sha256: &str) -> Result<Vec<u8>> {
        let gz: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT gzip FROM blobs WHERE sha256 = ?1",
                params![sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let damaged = |m: String| Error::Store {
            path: self.path.clone(),
            message: format!("blob {sha256} {m}"),
        };
        let gz = gz.ok_or_else(|| damaged("is missing".into()))?;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| damaged(format!("does not decompress: {e}")))?;
        if crate::sources::sha256_hex(&out) != sha256 {
            return Err(damaged("does not match its sha256".into()));
        }
        Ok(out)
    }

    /// The archived responses of a snapshot: (url, status, sha256).
    pub fn responses(&self, id: i64) -> Result<Vec<(String, u16, String)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT url, status, sha256 FROM responses WHERE snapshot_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// `PRAGMA integrity_check` and foreign keys: `ok` or the problems.
    pub fn check(&self) -> Result<Vec<String>> {
        let mut problems: Vec<String> = Vec::new();
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        for r in rows {
            let r = r.map_err(|e| self.err(e))?;
            if r != "ok" {
                problems.push(r);
            }
        }
        let mut fk = self
            .conn
            .prepare("PRAGMA foreign_key_check")
            .map_err(|e| self.err(e))?;
        let n = fk
            .query_map([], |_| Ok(()))
            .map_err(|e| self.err(e))?
            .count();
        if n > 0 {
            problems.push(format!("{n} rows violate foreign keys"));
        }
        Ok(problems)
    }
}

fn put_blob(tx: &rusqlite::Transaction<'_>, sha256: &str, bytes: &[u8]) -> rusqlite::Result<()> {
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)",
        params![sha256],
        |r| r.get(0),
    )?;
    if exists {
        return Ok(());
    }
    let gz = gzip(bytes);
    tx.execute(
        "INSERT INTO blobs (sha256, size, gzip) VALUES (?1, ?2, ?3)",
        params![sha256, bytes.len() as i64, gz],
    )?;
    Ok(())
}

/// Gzip-compresses bytes in memory (the archive format of raw responses).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("writing to memory succeeds");
    gz.finish().expect("writing to memory succeeds")
}

fn store_err(path: &str, e: rusqlite::Error) -> Error {
    Error::Store {
        path: path.to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Snapshot {
        let mut s = Snapshot::new(
            "testnet",
            crate::model::Source {
                adapter: "csv".into(),
                location: "t.csv".into(),
                note: None,
            },
            "0".repeat(64),
        );
        s.providers = (0..n)
            .map(|i| crate::model::Provider::new(format!("p{i}")))
            .collect();
        s
    }

    #[test]
    fn snapshots_round_trip_and_blobs_are_content_addressed() {
        let dir = std::env::temp_dir().join(format!("rackaudit-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("s.sqlite");
        let mut store = Store::open(&path).unwrap();
        let body = b"{\"validators\": []}".to_vec();
        let raw = RawResponse {
            url: "http://x/a".into(),
            status: 200,
            sha256: crate::sources::sha256_hex(&body),
            body: body.clone(),
        };
        let a = store
            .insert(&sample(2), &body, std::slice::from_ref(&raw))
            .unwrap();
        let b = store.insert(&sample(3), &body, &[raw]).unwrap();
        assert_eq!(store.snapshot(a).unwrap(), sample(2));
        assert_eq!(store.resolve_id("latest", Some("testnet")).unwrap(), b);
        assert_eq!(
            store.blob(&crate::sources::sha256_hex(&body)).unwrap(),
            body
        );
        assert_eq!(store.responses(b).unwrap().len(), 1);
        // Found by the document's hash and by the recorded input hash.
        let doc = crate::sources::sha256_hex(&body);
        assert_eq!(store.find_input(&doc).unwrap(), Some(a));
        assert_eq!(store.find_input(&"0".repeat(64)).unwrap(), Some(a));
        assert_eq!(store.find_input(&"1".repeat(64)).unwrap(), None);
        assert_eq!(store.find_input("").unwrap(), None);
        assert!(store.check().unwrap().is_empty());
        drop(store);
        // Re-opening runs no migration twice.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.list(None).unwrap().len(), 2);
        assert!(store.snapshot(99).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
