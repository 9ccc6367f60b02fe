//! Real certificate issuance, offline: with the Pebble overlay, certbot obtains a certificate
//! over HTTP-01 through the proxy's plain-HTTP port, the proxy notices and reloads, and the site
//! then serves a chain that verifies against Pebble's issuing root for the site's name only.
//! The profile services (certbot, and Pebble in tests) are inspected with the hardening rules.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use stackproof::policy::Project;
use stackproof::probe::tls;
use stackproof::prod::{self, SERVER_NAME};
use stackproof::repo;
use stackproof::stack::Stack;
use stackproof::suite::{Requirement, Suite};
use stackproof::wait::{self, Probe};

use crate::checks::{self, Inspected};
use crate::trial;

/// The stack with the acme profile and Pebble.
pub struct Acme {
    stack: Stack,
    project: Project,
    _secrets: prod::Secrets,
}

impl Inspected for Acme {
    fn stack(&self) -> &Stack {
        &self.stack
    }

    fn project(&self) -> &Project {
        &self.project
    }
}

async fn boot() -> Result<Acme, String> {
    let secrets = prod::Secrets::generate().map_err(|e| e.to_string())?;
    let stack = prod::spec("acme", &secrets)
        .with_file(repo::path("deploy/pebble/compose.yml"))
        .with_profile("acme")
        .up()
        .await
        .map_err(|e| e.to_string())?;
    let project = checks::project_of(&["compose.prod.yml", "deploy/pebble/compose.yml"], &[]).await?;
    Ok(Acme { stack, project, _secrets: secrets })
}

/// The suite.
pub fn suite() -> Suite<Acme> {
    Suite::new(
        "acme",
        || Box::pin(boot()),
        |acme: Acme| Box::pin(async move { acme.stack.down().await.map_err(|e| e.to_string()) }),
    )
    .requires(Requirement::Docker)
    .weighing(2)
    .with(trial!("certbot-obtains-a-pebble-certificate-and-the-proxy-serves-it", Acme, issued_and_served))
    .with_all(checks::hardening_trials())
}

async fn issued_and_served(acme: &Acme) -> Result<()> {
    let stack = &acme.stack;
    let port = stack.host_port("proxy", 8443).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let served =
        wait::until("a Pebble-issued certificate served", Duration::from_secs(120), Duration::from_secs(1), || async {
            match tls::served_certificate(addr, SERVER_NAME).await {
                Ok(cert) if cert.issuer.contains("Pebble") => Probe::Ready(cert),
                Ok(other) => Probe::Pending(format!("{other:?}")),
                Err(error) => Probe::Pending(error.to_string()),
            }
        })
        .await
        .context("no certificate from Pebble reached the proxy")?;
    ensure!(served.subject.contains(SERVER_NAME), "issued for {}", served.subject);
    let fetch_root = "import ssl, urllib.request; ctx = ssl.create_default_context(cafile='/srv/pebble-ca/pebble-ca.pem'); print(urllib.request.urlopen('https://pebble:15000/roots/0', context=ctx).read().decode())";
    let root = stack.exec("certbot", &["python3", "-c", fetch_root], Duration::from_secs(30)).await?;
    let root_file = tempfile::NamedTempFile::new()?;
    std::fs::write(root_file.path(), root.stdout)?;
    ensure!(
        tls::chain_verifies(addr, SERVER_NAME, Some(root_file.path())).await?,
        "the served chain does not verify against Pebble's root"
    );
    ensure!(
        !tls::chain_verifies(addr, "other.test", Some(root_file.path())).await?,
        "the chain verified for a name it was not issued for"
    );
    println!("  served {} from {}, serial {}", served.subject, served.issuer, served.serial);
    Ok(())
}
