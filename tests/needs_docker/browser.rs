//! The browser checks' positive controls, without a stack (they need Chromium, not Docker):
//! each fails against a dead site, whether the way in is the certificate pin (a site with a CA)
//! or the browser's own navigation (a site trusted through the system's roots); and Chromium
//! trusts a served certificate only when it chains to the site's CA.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use stackproof::browser;
use stackproof::command;
use stackproof::edge::{self, Target};
use stackproof::probe::tls::TestCa;
use stackproof::prod::SERVER_NAME;
use stackproof::site::Site;
use stackproof::suite::Suite;
use tokio::process::Command;

use crate::trial;

/// The suite.
pub fn suite() -> Suite<()> {
    Suite::plain("browser")
        .requires(browser::requirement())
        .with(trial!("every-browser-check-fails-against-a-dead-site", (), fail_against_a_dead_site))
        .with(trial!("only-a-certificate-from-the-sites-ca-is-trusted", (), only_the_sites_ca_is_trusted))
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn findings_of(site: &Site) -> Vec<(String, Vec<String>)> {
    let target = Target { site, stack: None, min_days_left: 0 };
    let mut all = Vec::new();
    for check in browser::ALL {
        let found = edge::run(check, &target).await.iter().map(ToString::to_string).collect();
        all.push((check.label(), found));
    }
    all
}

async fn fail_against_a_dead_site(_: &()) -> Result<()> {
    let ca = TestCa::generate(SERVER_NAME).await?;
    let base = format!("https://127.0.0.1:{}", closed_port()?);
    let pinned = Site::new(&base, Some(SERVER_NAME), None, Some(std::fs::read(ca.ca_pem())?)).await?;
    let plain = Site::new(&base, Some(SERVER_NAME), None, None).await?;
    for (site, said) in [(&pinned, "unreachable"), (&plain, "ERR_CONNECTION_REFUSED")] {
        for (check, found) in findings_of(site).await {
            ensure!(!found.is_empty(), "{check} passed against a dead site");
            ensure!(found.iter().any(|f| f.contains(said)), "{check} on a dead site does not say {said:?}: {found:#?}");
        }
    }
    Ok(())
}

async fn only_the_sites_ca_is_trusted(_: &()) -> Result<()> {
    let (served, other) = (TestCa::generate(SERVER_NAME).await?, TestCa::generate(SERVER_NAME).await?);
    let live = served.certs_dir().join("live").join(SERVER_NAME);
    let mut server = Command::new("openssl");
    server.args(["s_server", "-www", "-accept", "127.0.0.1:0", "-cert"]).arg(live.join("fullchain.pem"));
    server.arg("-key").arg(live.join("privkey.pem"));
    let address = |line: &str| line.strip_prefix("ACCEPT ").map(str::to_owned);
    let (_server, address) = command::start(server, Duration::from_secs(20), address).await?;
    let port = address.rsplit(':').next().context("no port in s_server's banner")?;
    let base = format!("https://127.0.0.1:{port}");
    let trusting = |ca: &TestCa| -> Result<Vec<u8>> { Ok(std::fs::read(ca.ca_pem())?) };
    let wrong = Site::new(&base, Some(SERVER_NAME), None, Some(trusting(&other)?)).await?;
    for (check, found) in findings_of(&wrong).await {
        ensure!(
            found.iter().any(|f| f.contains("does not verify against the site's CA")),
            "{check} did not refuse a certificate from another CA: {found:#?}"
        );
    }
    // Trusting the right CA, Chromium gets past TLS to the page (which is no stock site).
    let right = Site::new(&base, Some(SERVER_NAME), None, Some(trusting(&served)?)).await?;
    let pages = &browser::ALL[0];
    let found: Vec<String> = edge::run(pages, &Target { site: &right, stack: None, min_days_left: 0 })
        .await
        .iter()
        .map(ToString::to_string)
        .collect();
    ensure!(!found.is_empty(), "{} passed on openssl's status page", pages.label());
    ensure!(
        !found.iter().any(|f| f.contains("CERT") || f.contains("certificate") || f.contains("instead of the site")),
        "Chromium did not trust the certificate its CA vouches for: {found:#?}"
    );
    Ok(())
}
