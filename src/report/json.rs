//! JSON exporter: the full report, pretty-printed, byte-identical for the
//! same inputs and options (ordered fields, sorted entities, no timestamps).

use super::{AuditReport, Exporter};

/// Pretty JSON with a trailing newline.
pub struct Json;

impl Exporter for Json {
    fn render(&self, report: &AuditReport) -> Vec<u8> {
        super::operators::json(report)
    }
}
