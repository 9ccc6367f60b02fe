//! Real certificate issuance, offline: with the Pebble overlay, certbot obtains a certificate
//! over HTTP-01 through the proxy's plain-HTTP port, the proxy notices and reloads, and the
//! site then serves a chain that verifies against Pebble's issuing root for the site's name.

mod util;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use stackproof::probe::tls;
use stackproof::prod::{self, SERVER_NAME};
use stackproof::repo;
use stackproof::wait::{self, Probe};

#[tokio::test]
async fn certbot_obtains_a_pebble_certificate_and_the_proxy_serves_it() -> Result<()> {
    require_docker!("certbot_obtains_a_pebble_certificate_and_the_proxy_serves_it");
    let secrets = prod::Secrets::generate()?;
    let stack = prod::spec("prod-acme", &secrets)
        .with_file(repo::path("deploy/pebble/compose.yml"))
        .with_profile("acme")
        .up()
        .await?;
    let outcome = async {
        let port = stack.host_port("proxy", 8443).await?;
        let served = wait::until("a Pebble-issued certificate served", Duration::from_secs(120), Duration::from_secs(1), || async {
            match tls::served_certificate(port, SERVER_NAME).await {
                Ok(Some(cert)) if cert.issuer.contains("Pebble") => Probe::Ready(cert),
                Ok(other) => Probe::Pending(format!("{other:?}")),
                Err(error) => Probe::Pending(error.to_string()),
            }
        })
        .await
        .with_context(|| "no certificate from Pebble reached the proxy")?;
        ensure!(served.subject.contains(SERVER_NAME), "issued for {}", served.subject);

        let fetch_root = "import ssl, urllib.request; ctx = ssl.create_default_context(cafile='/srv/pebble-ca/pebble-ca.pem'); print(urllib.request.urlopen('https://pebble:15000/roots/0', context=ctx).read().decode())";
        let root = stack.exec("certbot", &["python3", "-c", fetch_root], Duration::from_secs(30)).await?;
        let root_file = tempfile::NamedTempFile::new()?;
        std::fs::write(root_file.path(), root.stdout)?;
        ensure!(tls::chain_verifies(port, SERVER_NAME, root_file.path()).await?, "the served chain does not verify against Pebble's root");
        ensure!(!tls::chain_verifies(port, "other.test", root_file.path()).await?, "the chain verified for a name it was not issued for");
        println!("served {served:?}");
        anyhow::Ok(())
    }
    .await;
    stack.down().await?;
    outcome
}
