//! Workload stress tests: can the network keep serving a declared workload
//! when its largest providers, operators, countries or clouds disappear?

pub mod instance;
pub mod nakamoto;
pub mod scenarios;
pub mod solver;
pub mod workload;
