//! TLS as clients meet it: the versions, every suite and group the local OpenSSL can offer
//! (the accepted set must equal the allowlist, not merely include a good one), the certificate
//! (chain, name, expiry) and session tickets. Each check first makes a handshake that must
//! succeed: a refusal proves something only where an acceptance was possible.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::stream::{self, StreamExt};

use super::{Edge, EdgeCheck, EdgeError, Needs, Outcome, Target, error_chain, look, problem};
use crate::check::{Kind, Meta, Severity};
use crate::probe::tls::{self, Handshake, Offer, TlsVersion};

/// TLS 1.2 suites the site may accept (Mozilla "intermediate", forward-secret AEAD only).
pub const TLS12_ALLOWED: [&str; 6] = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
];

/// TLS 1.3 suites the site must accept, and no others (no CCM).
pub const TLS13_ALLOWED: [&str; 3] =
    ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

/// Key-exchange groups the site must accept, and no others.
pub const GROUPS_ALLOWED: [&str; 3] = ["X25519", "P-256", "P-384"];

/// How many handshakes are in flight at once while enumerating.
const PARALLEL: usize = 8;

pub static OLD_VERSIONS_REFUSED: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP400",
        name: "tls-1-0-and-1-1-are-refused",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "TLS 1.0 and 1.1 handshakes are refused by a server that completes a TLS 1.2 one",
        fix: "set `ssl_protocols TLSv1.2 TLSv1.3;` in the proxy's HTTPS server",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(old_versions_refused) },
};

async fn old_versions_refused(target: &Target<'_>) -> Outcome {
    let (addr, name) = (target.site.https_addr(), target.site.server_name());
    control(target).await?;
    let mut problems = Vec::new();
    for version in [TlsVersion::V1_0, TlsVersion::V1_1] {
        match tls::handshake(addr, name, &Offer::version(version)).await? {
            Handshake::Refused(_) => {}
            Handshake::Negotiated { protocol, cipher, .. } => {
                problems
                    .push(problem(addr.to_string(), format!("{} was accepted ({protocol}, {cipher})", version.name())));
            }
            Handshake::NotOffered(why) => {
                return Err(EdgeError::Observation(format!(
                    "the local OpenSSL cannot offer {}: {why}",
                    version.name()
                )));
            }
        }
    }
    Ok(problems)
}

/// A default TLS 1.2 handshake, which must complete: the control of every refusal; its suite.
async fn control(target: &Target<'_>) -> Result<String, EdgeError> {
    match tls::handshake(target.site.https_addr(), target.site.server_name(), &Offer::version(TlsVersion::V1_2)).await?
    {
        Handshake::Negotiated { cipher, .. } => Ok(cipher),
        other => Err(EdgeError::Observation(format!(
            "a default TLS 1.2 handshake failed ({other:?}): no refusal would prove anything"
        ))),
    }
}

pub static TLS12_SUITES: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP401",
        name: "tls-1-2-accepts-exactly-the-allowed-suites",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "of every TLS 1.2 suite the local OpenSSL can offer, the server accepts exactly the forward-secret \
                  AEAD allowlist (those its certificate type can use)",
        fix: "set ssl_ciphers to the Mozilla intermediate ECDHE AEAD list, nothing else",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(tls12_suites) },
};

async fn tls12_suites(target: &Target<'_>) -> Outcome {
    let (addr, name) = (target.site.https_addr(), target.site.server_name());
    let default = control(target).await?;
    // The certificate's key decides which authentication the server can do at all.
    let auth = if default.contains("-ECDSA-") { "ECDSA" } else { "RSA" };
    let suites = tls::tls12_suites().await?;
    let offers: Vec<(String, Offer)> =
        suites.iter().map(|s| (s.name.clone(), Offer::cipher(TlsVersion::V1_2, &s.name))).collect();
    let (accepted, not_offered) = enumerate(addr, name, offers).await?;
    let expected: BTreeSet<String> =
        TLS12_ALLOWED.iter().filter(|s| s.contains(&format!("-{auth}-"))).map(|s| (*s).to_owned()).collect();
    println!(
        "  TLS 1.2: offered {} suites ({} not offerable here), the server accepted {accepted:?}",
        suites.len(),
        not_offered.len()
    );
    Ok(compare(&addr.to_string(), "TLS 1.2 suite", &accepted, &expected, &TLS12_ALLOWED))
}

pub static TLS13_SUITES: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP402",
        name: "tls-1-3-accepts-exactly-the-allowed-suites",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "of the five TLS 1.3 suites, the server accepts exactly AES-128-GCM, AES-256-GCM and CHACHA20-POLY1305",
        fix: "leave TLS 1.3 suites at OpenSSL's default; remove any `ssl_conf_command Ciphersuites` adding CCM",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(tls13_suites) },
};

async fn tls13_suites(target: &Target<'_>) -> Outcome {
    let (addr, name) = (target.site.https_addr(), target.site.server_name());
    control(target).await?;
    let offers: Vec<(String, Offer)> = tls::TLS13_SUITES
        .iter()
        .map(|s| ((*s).to_owned(), Offer { suites: Some((*s).to_owned()), ..Offer::version(TlsVersion::V1_3) }))
        .collect();
    let (accepted, _) = enumerate(addr, name, offers).await?;
    let expected = TLS13_ALLOWED.iter().map(|s| (*s).to_owned()).collect();
    println!("  TLS 1.3: the server accepted {accepted:?}");
    Ok(compare(&addr.to_string(), "TLS 1.3 suite", &accepted, &expected, &TLS13_ALLOWED))
}

pub static GROUPS: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP403",
        name: "key-exchange-uses-exactly-the-allowed-groups",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "of every key-exchange group the local OpenSSL can offer (TLS 1.2 and 1.3), the server accepts \
                  exactly X25519, P-256 and P-384",
        fix: "set `ssl_ecdh_curve X25519:prime256v1:secp384r1;`",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(groups) },
};

async fn groups(target: &Target<'_>) -> Outcome {
    let (addr, name) = (target.site.https_addr(), target.site.server_name());
    control(target).await?;
    let mut offers = Vec::new();
    for version in [TlsVersion::V1_2, TlsVersion::V1_3] {
        for group in tls::GROUPS {
            offers.push((group.to_owned(), Offer { groups: Some(group.to_owned()), ..Offer::version(version) }));
        }
    }
    let (_, not_offered, exchanges) = enumerate_exchanges(addr, name, offers).await?;
    // What counts is the key exchange the server really did: offered only X448, a TLS 1.2
    // server may fall back to finite-field DH, which is then what it accepts.
    let accepted: BTreeSet<String> = exchanges.iter().map(|kx| group_of(kx)).collect();
    let expected = GROUPS_ALLOWED.iter().map(|s| (*s).to_owned()).collect();
    let missing_here: Vec<_> =
        GROUPS_ALLOWED.iter().filter(|g| not_offered.iter().filter(|n| n == *g).count() == 2).collect();
    if !missing_here.is_empty() {
        return Err(EdgeError::Observation(format!(
            "the local OpenSSL cannot offer {missing_here:?}: their acceptance cannot be shown"
        )));
    }
    println!("  groups: the server accepted {accepted:?} ({} offers not possible here)", not_offered.len());
    Ok(compare(&addr.to_string(), "key-exchange group", &accepted, &expected, &GROUPS_ALLOWED))
}

/// Offers each of `offers` alone; returns the names the server accepted, and those the local
/// OpenSSL could not offer.
async fn enumerate(
    addr: std::net::SocketAddr,
    name: &str,
    offers: Vec<(String, Offer)>,
) -> Result<(BTreeSet<String>, Vec<String>), EdgeError> {
    let (accepted, not_offered, _) = enumerate_exchanges(addr, name, offers).await?;
    Ok((accepted, not_offered))
}

/// The group of an openssl `Server Temp Key` reading: `X25519, 253 bits` -> X25519, `ECDH,
/// secp384r1, 384 bits` -> P-384, `DH, 2048 bits` -> ffdhe2048 (finite-field DH).
fn group_of(key_exchange: &str) -> String {
    let parts: Vec<&str> = key_exchange.split(',').map(str::trim).collect();
    match parts.as_slice() {
        ["ECDH", "prime256v1", ..] => "P-256".into(),
        ["ECDH", "secp384r1", ..] => "P-384".into(),
        ["ECDH", "secp521r1", ..] => "P-521".into(),
        ["ECDH", curve, ..] => (*curve).to_owned(),
        ["DH", bits, ..] => format!("ffdhe{}", bits.trim_end_matches(" bits")),
        [name, ..] => (*name).to_owned(),
        [] => key_exchange.to_owned(),
    }
}

/// [`enumerate`], also returning the key exchange of every accepted handshake.
async fn enumerate_exchanges(
    addr: std::net::SocketAddr,
    name: &str,
    offers: Vec<(String, Offer)>,
) -> Result<(BTreeSet<String>, Vec<String>, BTreeSet<String>), EdgeError> {
    let name = name.to_owned();
    let results: Vec<(String, Result<Handshake, tls::TlsError>)> = stream::iter(offers)
        .map(|(label, offer)| {
            let name = name.clone();
            async move {
                let handshake = tls::handshake(addr, &name, &offer).await;
                (label, handshake)
            }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let (mut accepted, mut not_offered, mut exchanges) = (BTreeSet::new(), Vec::new(), BTreeSet::new());
    for (label, result) in results {
        match result? {
            Handshake::Negotiated { key_exchange, .. } => {
                accepted.insert(label);
                exchanges.extend(key_exchange);
            }
            Handshake::NotOffered(_) => not_offered.push(label),
            Handshake::Refused(_) => {}
        }
    }
    Ok((accepted, not_offered, exchanges))
}

/// Problems where the accepted set differs from the expected one.
fn compare(
    at: &str,
    what: &str,
    accepted: &BTreeSet<String>,
    expected: &BTreeSet<String>,
    allowlist: &[&str],
) -> Vec<super::Problem> {
    let mut problems = Vec::new();
    for extra in accepted.difference(expected) {
        let why =
            if allowlist.contains(&extra.as_str()) { "one the certificate cannot use" } else { "not on the allowlist" };
        problems.push(problem(at, format!("accepts {what} {extra}, {why}")));
    }
    for missing in expected.difference(accepted) {
        problems
            .push(problem(at, format!("refuses {what} {missing}, which the allowlist keeps for clients that need it")));
    }
    problems
}

pub static CERTIFICATE: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP404",
        name: "certificate-chains-names-the-site-and-is-not-expiring",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "the served chain verifies against the CA for the site's name only, clients without that CA \
                  refuse it, and it is valid for more than the minimum days",
        fix: "serve the issued fullchain.pem for this name; renew before the minimum days left (certbot renews at a third \
              of the lifetime left)",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(certificate) },
};

async fn certificate(target: &Target<'_>) -> Outcome {
    let site = target.site;
    let (addr, name) = (site.https_addr(), site.server_name());
    let mut problems = Vec::new();
    let url = site.url("/healthz");
    tls::reachable(addr).await?;
    match site.client().get(&url).send().await {
        Ok(trusted) if trusted.status() == 200 => {}
        Ok(trusted) => {
            problems.push(problem(&url, format!("a client trusting the CA got {} for /healthz", trusted.status())))
        }
        Err(error) => problems
            .push(problem(&url, format!("a client trusting only the CA refused the site: {}", error_chain(&error)))),
    }
    let ca_file = match site.ca_pem() {
        Some(pem) => {
            let file = tempfile::NamedTempFile::new()
                .map_err(|e| EdgeError::Observation(format!("temporary CA file: {e}")))?;
            std::fs::write(file.path(), pem).map_err(|e| EdgeError::Observation(format!("temporary CA file: {e}")))?;
            Some(file)
        }
        None => None,
    };
    let root = ca_file.as_ref().map(|f| f.path().to_path_buf());
    if !tls::chain_verifies(addr, name, root.as_deref()).await? {
        problems.push(problem(addr.to_string(), format!("the served chain does not verify against the CA for {name}")));
    }
    let other = "not-the-site.test";
    if tls::chain_verifies(addr, other, root.as_deref()).await? {
        problems
            .push(problem(addr.to_string(), format!("the certificate verifies for {other}, a name it must not carry")));
    }
    if site.ca_pem().is_some() {
        let untrusting = site
            .client_builder_for(name, false)
            .build()
            .map_err(|source| EdgeError::Http { url: url.clone(), source })?;
        if untrusting.get(&url).send().await.is_ok() {
            problems.push(problem(
                &url,
                "a client without the CA accepted the chain (is it the bootstrap certificate or a public one?)",
            ));
        }
    }
    let served = tls::served_certificate(addr, name).await?;
    let now =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let days_left = (served.not_after - now) / 86_400;
    if days_left < target.min_days_left {
        problems.push(problem(
            addr.to_string(),
            format!(
                "the certificate ({}, serial {}) expires in {days_left} days, under the {} required",
                served.subject, served.serial, target.min_days_left
            ),
        ));
    }
    println!("  served {} from {}, {days_left} days left", served.subject, served.issuer);
    Ok(problems)
}

pub static NO_SESSION_TICKETS: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP416",
        name: "no-tls-session-tickets",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "the server issues no TLS session tickets: their key never rotates without a restart, so one \
                  stolen key would decrypt every recorded session (forward secrecy)",
        fix: "keep `ssl_session_tickets off;` (resumption through the shared session cache stays)",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(no_session_tickets) },
};

async fn no_session_tickets(target: &Target<'_>) -> Outcome {
    let (addr, name) = (target.site.https_addr(), target.site.server_name());
    if tls::issues_session_tickets(addr, name).await? {
        return Ok(vec![problem(addr.to_string(), "a TLS 1.2 handshake was given a session ticket")]);
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::group_of;

    #[test]
    fn the_group_is_what_the_server_really_used() {
        assert_eq!(group_of("X25519, 253 bits"), "X25519");
        assert_eq!(group_of("ECDH, prime256v1, 256 bits"), "P-256");
        assert_eq!(group_of("ECDH, secp384r1, 384 bits"), "P-384");
        assert_eq!(group_of("DH, 2048 bits"), "ffdhe2048");
        assert_eq!(group_of("X448, 448 bits"), "X448");
    }
}
