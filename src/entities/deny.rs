//! Domains that must never link providers: cloud and hosting host names,
//! dynamic DNS and tunnels, shared gateways, code hosting and social sites,
//! and public e-mail services. Two providers on `amazonaws.com` or with a
//! `gmail.com` contact share nothing but a vendor. Users extend the list with
//! `--deny-domain` or the mapping file's `[deny] domains`.

/// Built-in deny-list, grouped by why each domain is shared by strangers.
/// Shared suffixes that the Public Suffix List already lists (`github.io`,
/// `ngrok.io`, `duckdns.org`, `cloudfront.net`, …) need no entry: the list
/// makes `someone.github.io` its owner's own registrable domain.
pub const DEFAULT_DENY: &[&str] = &[
    // Cloud and hosting host names (instance and reverse-DNS names).
    "amazonaws.com",
    "amazon.com",
    "afraid.org",
    "googleusercontent.com",
    "azure.com",
    "windows.net",
    "oraclecloud.com",
    "digitaloceanspaces.com",
    "linode.com",
    "linodeusercontent.com",
    "akamaitechnologies.com",
    "vultr.com",
    "vultrusercontent.com",
    "your-server.de",
    "hetzner.com",
    "hetzner.cloud",
    "ovh.net",
    "ovh.com",
    "ovh.ca",
    "ip-ptr.tech",
    "contaboserver.net",
    "contabo.com",
    "scaleway.com",
    "leaseweb.net",
    "vast.ai",
    "runpod.io",
    "runpod.net",
    // Dynamic DNS, tunnels and free subdomain services.
    "no-ip.com",
    "loca.lt",
    "nip.io",
    "sslip.io",
    // Shared network gateways, the networks' own sites, wallets and explorers
    // (validators often list the chain's site instead of their own).
    "akash.pub",
    "akash.network",
    "osmosis.zone",
    "celestia.org",
    "keplr.app",
    "cosmos.directory",
    "atomscan.com",
    "bigdipper.live",
    "akashnet.net",
    "cosmos.network",
    "mintscan.io",
    "ping.pub",
    "bittensor.com",
    "taostats.io",
    "opentensor.ai",
    // Code hosting, link and social sites.
    "github.com",
    "gitlab.com",
    "medium.com",
    "keybase.io",
    "twitter.com",
    "x.com",
    "t.me",
    "telegram.org",
    "discord.gg",
    "discord.com",
    "linktr.ee",
    "linkedin.com",
    "facebook.com",
    "instagram.com",
    "youtube.com",
    "google.com",
    "wordpress.com", // Public e-mail services.
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "mail.com",
    "qq.com",
    "163.com",
    "126.com",
    "yandex.ru",
    "yandex.com",
    "mail.ru",
    "tutanota.com",
    "zoho.com",
    "aol.com",
];

/// Domains that never link providers.
#[derive(Debug, Clone, PartialEq)]
pub struct DenyList {
    /// In the order added, for reports.
    domains: Vec<String>,
    lookup: std::collections::HashSet<String>,
}

impl Default for DenyList {
    fn default() -> Self {
        let domains: Vec<String> = DEFAULT_DENY.iter().map(|d| d.to_string()).collect();
        DenyList {
            lookup: domains.iter().cloned().collect(),
            domains,
        }
    }
}

impl DenyList {
    /// Exactly these domains (as recorded in a report), no built-ins.
    pub fn from_domains(domains: Vec<String>) -> Self {
        let mut d = DenyList {
            domains: Vec::new(),
            lookup: Default::default(),
        };
        d.extend(domains);
        d
    }

    /// Adds user-supplied domains (reduced to their registrable domain, the
    /// form links are compared in).
    pub fn extend<I: IntoIterator<Item = String>>(&mut self, domains: I) {
        for d in domains {
            let d = d.trim().trim_start_matches('.').to_ascii_lowercase();
            let d = super::keys::registrable_domain(&d).unwrap_or(d);
            if !d.is_empty() && self.lookup.insert(d.clone()) {
                self.domains.push(d);
            }
        }
    }

    /// Whether a registrable domain is denied. Matching is exact: a name
    /// under a Public Suffix List entry (`someone.github.io`) is its owner's
    /// own registrable domain and stays usable.
    pub fn denies(&self, domain: &str) -> bool {
        self.lookup.contains(domain)
    }

    /// The listed domains.
    pub fn domains(&self) -> &[String] {
        &self.domains
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denies_listed_domains_and_their_subdomains_only() {
        let mut d = DenyList::default();
        assert!(d.denies("amazonaws.com"));
        assert!(d.denies("gmail.com"));
        assert!(!d.denies("notamazonaws.com"));
        assert!(!d.denies("example.com"));
        d.extend(["Node.Example.com".to_string()]);
        assert!(
            d.denies("example.com"),
            "user entries reduce to their registrable domain"
        );
    }

    #[test]
    fn every_built_in_entry_is_a_registrable_domain() {
        // An entry that is itself a public suffix could never match: the
        // names under it belong to different owners.
        let wrong: Vec<_> = DEFAULT_DENY
            .iter()
            .filter(|d| super::super::keys::registrable_domain(d).as_deref() != Some(**d))
            .collect();
        assert!(wrong.is_empty(), "{wrong:?}");
    }
}
