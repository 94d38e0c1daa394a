//! IP geolocation from MaxMind DB files (GeoLite2 / GeoIP2 Country or City,
//! GeoLite2 ASN, DB-IP Lite in MMDB form), through the `maxminddb` crate.
//!
//! The databases are the user's: nothing is downloaded. Lookups run once,
//! before the audit, into a plain map from address to facts, so the checks
//! stay pure and a damaged database fails here with the file named.

use crate::error::{Error, Result};
use crate::model::InputRecord;
use crate::model::{Snapshot, Text};
use maxminddb::{PathElement, Reader};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What the databases say about one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeoFact {
    /// ISO 3166-1 alpha-2 country of the address (`country.iso_code`, else
    /// `registered_country.iso_code`).
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_organization: Option<String>,
}

/// Facts per address, as written in the snapshot.
pub type GeoFacts = BTreeMap<String, GeoFact>;

struct Db {
    location: String,
    sha256: String,
    database_type: String,
    reader: Reader<Vec<u8>>,
}

/// Open MMDB files, looked up in order (the first answer per field wins).
pub struct GeoIp {
    dbs: Vec<Db>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.dbs.iter().map(|d| (&d.location, &d.database_type)))
            .finish()
    }
}

impl GeoIp {
    /// Opens the database files.
    pub fn open(paths: &[String]) -> Result<Self> {
        let files = paths
            .iter()
            .map(|p| Ok((p.clone(), crate::sources::read_bytes(p)?)))
            .collect::<Result<Vec<_>>>()?;
        Self::from_bytes(files)
    }

    /// Opens databases already read: (location, bytes).
    pub fn from_bytes(files: Vec<(String, Vec<u8>)>) -> Result<Self> {
        let mut dbs = Vec::new();
        for (path, bytes) in files {
            let path = &path;
            let sha256 = crate::sources::sha256_hex(&bytes);
            let reader = Reader::from_source(bytes).map_err(|e| {
                Error::input(path, None, None, format!("is not a MaxMind DB file: {e}"))
                    .with_hint("give a GeoLite2/GeoIP2 Country, City or ASN .mmdb file")
            })?;
            dbs.push(Db {
                location: path.clone(),
                sha256,
                database_type: reader.metadata().database_type.clone(),
                reader,
            });
        }
        Ok(GeoIp { dbs })
    }

    /// The databases as report inputs.
    pub fn records(&self) -> Vec<InputRecord> {
        self.dbs
            .iter()
            .map(|d| InputRecord {
                location: d.location.clone(),
                sha256: d.sha256.clone(),
                adapter: GEOIP_ADAPTER.into(),
            })
            .collect()
    }

    /// Facts about one address; `None` when no database knows it.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<GeoFact>> {
        let mut fact = GeoFact {
            country: None,
            asn: None,
            as_organization: None,
        };
        for db in &self.dbs {
            if db.reader.metadata().ip_version == 4 && ip.is_ipv6() {
                continue;
            }
            let damaged = |e: maxminddb::MaxMindDbError| {
                Error::input(
                    &db.location,
                    Some(format!("lookup of {ip}")),
                    None,
                    format!("cannot be read: {e}"),
                )
            };
            let found = db.reader.lookup(ip).map_err(damaged)?;
            if !found.has_data() {
                continue;
            }
            let text = |path: &[PathElement<'_>]| found.decode_path::<String>(path);
            if fact.country.is_none() {
                fact.country = text(&maxminddb::path!["country", "iso_code"])
                    .map_err(damaged)?
                    .or(text(&maxminddb::path!["registered_country", "iso_code"])
                        .map_err(damaged)?)
                    .and_then(|c: String| crate::model::geo::country_code(&c).map(str::to_string));
            }
            if fact.asn.is_none() {
                fact.asn = found
                    .decode_path::<u32>(&maxminddb::path!["autonomous_system_number"])
                    .map_err(damaged)?;
                fact.as_organization =
                    text(&maxminddb::path!["autonomous_system_organization"]).map_err(damaged)?;
            }
        }
        let known = fact.country.is_some() || fact.asn.is_some();
        Ok(known.then_some(fact))
    }

    /// Facts for every public address of the snapshots, with the databases.
    pub fn locate(&self, snapshots: &[&Snapshot]) -> Result<super::Located> {
        let mut facts = GeoFacts::new();
        for s in snapshots {
            facts.extend(self.facts_for(s)?);
        }
        Ok(super::Located {
            facts,
            databases: self
                .dbs
                .iter()
                .map(|d| format!("{} ({})", d.location, d.database_type))
                .collect(),
        })
    }

    /// Fills the country and ASN of providers that lack them from their IP
    /// addresses; returns how many providers gained a field. Declared values
    /// are never overwritten (the supply checks compare them instead).
    pub fn enrich(&self, s: &mut Snapshot) -> Result<usize> {
        let facts = self.facts_for(s)?;
        let mut changed = 0;
        for p in &mut s.providers {
            let Some(f) = p.ip.as_deref().and_then(|ip| facts.get(ip)) else {
                continue;
            };
            let before = (p.country.is_some(), p.asn.is_some());
            p.country = p.country.take().or(f.country.clone().map(Text::from));
            p.asn = p.asn.or(f.asn);
            changed += usize::from(before != (p.country.is_some(), p.asn.is_some()));
        }
        Ok(changed)
    }

    /// Facts for every public address in a snapshot.
    pub fn facts_for(&self, s: &Snapshot) -> Result<GeoFacts> {
        let mut out = GeoFacts::new();
        for p in &s.providers {
            let Some(text) = p.ip.as_deref() else {
                continue;
            };
            let Some(ip) = crate::entities::keys::public_ip(text) else {
                continue;
            };
            if out.contains_key(text) {
                continue;
            }
            if let Some(fact) = self.lookup(ip)? {
                out.insert(text.to_string(), fact);
            }
        }
        Ok(out)
    }
}

/// The `adapter` of a GeoIP database in a report's inputs.
pub const GEOIP_ADAPTER: &str = "geoip-mmdb";
