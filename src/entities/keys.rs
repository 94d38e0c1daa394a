//! Link keys: the identifiers by which two providers can be shown to share
//! an operator, each typed, each with a confidence tier, each switchable.

use super::deny::DenyList;
use crate::model::{KeyKind, Provider};
use serde::Serialize;
use std::net::IpAddr;

/// How strong the evidence of a link is. Ordered strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Forced by the user's mapping file.
    #[value(skip)]
    Mapping,
    /// An operator the data itself declares (the generic CSV's `operator`
    /// column): the data provider's own statement of control.
    Declared,
    /// Chain or marketplace records: owner, coldkey, payout address, host id.
    OnChain,
    /// Self-declared identity: Keybase identity, web, e-mail or host domain.
    Domain,
    /// Network proximity: same IPv4 /24 or IPv6 /48.
    Network,
}

/// Kind of a link key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Declared,
    Coldkey,
    HostId,
    OwnerAddress,
    PayoutAddress,
    Identity,
    WebsiteDomain,
    EmailDomain,
    HostnameDomain,
    IpPrefix,
}

impl LinkKind {
    pub fn confidence(self) -> Confidence {
        use LinkKind::*;
        match self {
            Declared => Confidence::Declared,
            Coldkey | HostId | OwnerAddress | PayoutAddress => Confidence::OnChain,
            Identity | WebsiteDomain | EmailDomain | HostnameDomain => Confidence::Domain,
            IpPrefix => Confidence::Network,
        }
    }

    /// Keys of different kinds in one namespace link each other: a website
    /// domain matches a host-name domain of the same registrable domain.
    pub fn namespace(self) -> &'static str {
        use LinkKind::*;
        match self {
            Declared => "declared",
            Coldkey => "coldkey",
            HostId => "host_id",
            OwnerAddress => "owner_address",
            PayoutAddress => "payout_address",
            Identity => "identity",
            WebsiteDomain | EmailDomain | HostnameDomain => "domain",
            IpPrefix => "ip_prefix",
        }
    }

    /// Name as in output.
    pub fn name(self) -> &'static str {
        use LinkKind::*;
        match self {
            Declared => "declared",
            Coldkey => "coldkey",
            HostId => "host_id",
            OwnerAddress => "owner_address",
            PayoutAddress => "payout_address",
            Identity => "identity",
            WebsiteDomain => "website_domain",
            EmailDomain => "email_domain",
            HostnameDomain => "hostname_domain",
            IpPrefix => "ip_prefix",
        }
    }

    /// Keys that name a provider's controller even when no other provider
    /// shares them: a declared operator, a coldkey (it owns its hotkeys), a
    /// marketplace host, a Keybase identity or a domain (a real-world name).
    /// An owner or payout address is only the provider's own account, and an
    /// IP prefix only a location: they attribute nothing unless shared.
    pub fn attributes_alone(self) -> bool {
        !matches!(
            self,
            LinkKind::OwnerAddress | LinkKind::PayoutAddress | LinkKind::IpPrefix
        )
    }
}

/// One link key of a provider.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LinkKey {
    pub kind: LinkKind,
    /// Normalized value (registrable domain, network prefix, address…).
    pub value: String,
}

impl LinkKey {
    /// The value keyed by namespace, as matched between providers.
    pub fn slot(&self) -> (&'static str, &str) {
        (self.kind.namespace(), &self.value)
    }
}

/// The link keys of a provider, and the domains the deny-list dropped.
pub fn link_keys(p: &Provider, deny: &DenyList) -> (Vec<LinkKey>, Vec<String>) {
    let mut keys = Vec::new();
    let mut denied = Vec::new();
    let mut domain =
        |kind: LinkKind, host: &str, keys: &mut Vec<LinkKey>| match registrable_domain(host) {
            Some(d) if deny.denies(&d) => denied.push(d),
            Some(d) => keys.push(LinkKey { kind, value: d }),
            None => {}
        };
    for k in &p.operator_keys {
        let kind = match k.kind {
            KeyKind::Declared => LinkKind::Declared,
            KeyKind::Coldkey => LinkKind::Coldkey,
            KeyKind::HostId => LinkKind::HostId,
            KeyKind::OwnerAddress => LinkKind::OwnerAddress,
            KeyKind::PayoutAddress => LinkKind::PayoutAddress,
            KeyKind::Identity => LinkKind::Identity,
            KeyKind::Domain => {
                domain(LinkKind::WebsiteDomain, &k.value, &mut keys);
                continue;
            }
            KeyKind::EmailDomain => {
                domain(LinkKind::EmailDomain, &k.value, &mut keys);
                continue;
            }
        };
        keys.push(LinkKey {
            kind,
            value: k.value.to_string(),
        });
    }
    if let Some(h) = &p.more.hostname {
        domain(LinkKind::HostnameDomain, h, &mut keys);
    }
    if let Some(prefix) = p.ip.as_deref().and_then(ip_prefix) {
        keys.push(LinkKey {
            kind: LinkKind::IpPrefix,
            value: prefix,
        });
    }
    keys.sort();
    keys.dedup();
    (keys, denied)
}

/// Registrable domain ("eTLD+1") of a host name by the Public Suffix List:
/// `a.provider.example.co.uk` → `example.co.uk`. IP literals and names
/// without a registrable part give `None`.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = super::super::sources::host_of(host).unwrap_or_default();
    let host = host.trim_end_matches('.');
    if host.is_empty() || host.parse::<IpAddr>().is_ok() || !host.contains('.') {
        return None;
    }
    psl::domain_str(host).map(str::to_string)
}

/// A public address: private, loopback, unspecified, link-local, broadcast
/// and unique-local addresses carry no signal and give `None`.
pub fn public_ip(ip: &str) -> Option<IpAddr> {
    let addr = ip.trim().parse::<IpAddr>().ok()?;
    let private = match addr {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_link_local()
                || v4.is_broadcast()
        }
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00
        }
    };
    (!private).then_some(addr)
}

/// The /24 (IPv4) or /48 (IPv6) network of a public address.
pub fn ip_prefix(ip: &str) -> Option<String> {
    match public_ip(ip)? {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domain_table() {
        let cases = [
            ("provider.gpu-one.example.com", Some("example.com")),
            ("https://a.b.example.co.uk:8443/x", Some("example.co.uk")),
            ("Example.COM.", Some("example.com")),
            ("1.2.3.4", None),
            ("localhost", None),
            ("", None),
        ];
        for (host, expected) in cases {
            assert_eq!(registrable_domain(host).as_deref(), expected, "{host}");
        }
    }

    #[test]
    fn ip_prefix_table() {
        let cases = [
            ("174.0.242.177", Some("174.0.242.0/24")),
            ("10.1.2.3", None),
            ("127.0.0.1", None),
            ("2001:db8:abcd:12::1", Some("2001:db8:abcd::/48")),
            ("fd00::1", None),
            ("not an ip", None),
        ];
        for (ip, expected) in cases {
            assert_eq!(ip_prefix(ip).as_deref(), expected, "{ip}");
        }
    }
}
