//! TLS from the outside: a throwaway CA that signs the proxy's certificate, and handshakes
//! with one protocol version (and optionally one cipher) at a time through `openssl s_client`,
//! which, unlike rustls, can still offer TLS 1.0 and 1.1 to prove they are refused.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;

use crate::command::{self, CommandError};

/// Why a TLS probe could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// An openssl command failed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// Files could not be written.
    #[error("writing test certificates in {dir}: {source}")]
    Io {
        /// Directory being written.
        dir: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

/// A certificate authority made for one test run, with a server certificate for `domain`
/// laid out as certbot does (`live/<domain>/fullchain.pem`, `privkey.pem`).
pub struct TestCa {
    dir: tempfile::TempDir,
    domain: String,
}

impl TestCa {
    /// Generates the CA and an RSA-2048 server certificate for `domain` (RSA on purpose: with
    /// an ECDSA certificate, RSA key exchange would be refused whatever the config says, and a
    /// cipher check could not fail).
    pub async fn generate(domain: &str) -> Result<Self, TlsError> {
        let dir = tempfile::tempdir().map_err(|source| TlsError::Io { dir: std::env::temp_dir(), source })?;
        let ca = Self { dir, domain: domain.to_owned() };
        let live = ca.live_dir();
        std::fs::create_dir_all(&live).map_err(|source| TlsError::Io { dir: live.clone(), source })?;
        let ext = ca.dir.path().join("server.ext");
        let extensions = format!("subjectAltName=DNS:{domain}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        std::fs::write(&ext, extensions).map_err(|source| TlsError::Io { dir: ext.clone(), source })?;
        let root = ca.dir.path();
        openssl(root, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=stackproof test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]).await?;
        let key = live.join("privkey.pem");
        let csr = root.join("server.csr");
        openssl(root, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path(&key), "-out", path(&csr),
            "-subj", &format!("/CN={domain}")]).await?;
        openssl(root, &["x509", "-req", "-in", path(&csr), "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", path(&ext), "-out", path(&live.join("fullchain.pem"))]).await?;
        make_readable(root)?;
        Ok(ca)
    }

    /// The CA certificate clients should trust.
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The directory to mount where the proxy reads certificates (without the CA's key).
    pub fn certs_dir(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    fn live_dir(&self) -> PathBuf {
        self.certs_dir().join("live").join(&self.domain)
    }
}

/// The proxy runs as an unprivileged user: let it read (not write) the test certificates.
fn make_readable(dir: &Path) -> Result<(), TlsError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| TlsError::Io { dir: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let mode = if entry.file_type().map_err(io)?.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode)).map_err(io)?;
        if mode == 0o755 {
            make_readable(&entry.path())?;
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).map_err(io)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

async fn openssl(dir: &Path, args: &[&str]) -> Result<(), TlsError> {
    let mut openssl = Command::new("openssl");
    openssl.current_dir(dir).args(args);
    command::run(openssl, Duration::from_secs(60)).await?;
    Ok(())
}

/// A protocol version to offer, alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.0 (must be refused).
    V1_0,
    /// TLS 1.1 (must be refused).
    V1_1,
    /// TLS 1.2.
    V1_2,
    /// TLS 1.3.
    V1_3,
}

impl TlsVersion {
    fn flag(self) -> &'static str {
        match self {
            Self::V1_0 => "-tls1",
            Self::V1_1 => "-tls1_1",
            Self::V1_2 => "-tls1_2",
            Self::V1_3 => "-tls1_3",
        }
    }
}

/// What a handshake negotiated; `None` fields mean the server refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// e.g. `TLSv1.3`.
    pub protocol: Option<String>,
    /// e.g. `TLS_AES_256_GCM_SHA384`.
    pub cipher: Option<String>,
}

impl Handshake {
    /// Whether the server completed the handshake.
    pub fn accepted(&self) -> bool {
        self.protocol.is_some()
    }
}

/// Offers only `version` (and, for TLS <= 1.2, only `cipher` if given) to 127.0.0.1:`port`
/// with SNI `server_name`. Security level 0 lets OpenSSL 3 offer what it would refuse itself.
pub async fn handshake(port: u16, server_name: &str, version: TlsVersion, cipher: Option<&str>) -> Result<Handshake, TlsError> {
    let mut client = Command::new("openssl");
    client.args(["s_client", "-brief", "-connect", &format!("127.0.0.1:{port}"), "-servername", server_name, version.flag()]);
    let ciphers = cipher.map_or_else(|| "DEFAULT:@SECLEVEL=0".to_owned(), |c| format!("{c}:@SECLEVEL=0"));
    client.args(["-cipher", &ciphers]);
    match command::run(client, Duration::from_secs(20)).await {
        Ok(output) => Ok(parse_brief(&output.stderr)),
        Err(CommandError::Failed { .. }) => Ok(Handshake { protocol: None, cipher: None }),
        Err(other) => Err(other.into()),
    }
}

/// Subject and issuer of the leaf certificate a server presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedCertificate {
    /// e.g. `CN = stackproof.test`.
    pub subject: String,
    /// e.g. `CN = Pebble Intermediate CA 5b2c1e`.
    pub issuer: String,
}

/// The certificate served on 127.0.0.1:`port` for SNI `server_name` (no verification).
pub async fn served_certificate(port: u16, server_name: &str) -> Result<Option<ServedCertificate>, TlsError> {
    let mut client = s_client(port, server_name);
    client.arg("-showcerts");
    match command::run(client, Duration::from_secs(20)).await {
        Ok(output) => Ok(parse_chain(&output.stdout)),
        Err(CommandError::Failed { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// Whether the served chain verifies against `root_pem` and matches `server_name`.
pub async fn chain_verifies(port: u16, server_name: &str, root_pem: &Path) -> Result<bool, TlsError> {
    let mut client = s_client(port, server_name);
    client.arg("-CAfile").arg(root_pem).args(["-verify_return_error", "-verify_hostname", server_name]);
    match command::run(client, Duration::from_secs(20)).await {
        Ok(_) => Ok(true),
        Err(CommandError::Failed { .. }) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

fn s_client(port: u16, server_name: &str) -> Command {
    let mut client = Command::new("openssl");
    client.args(["s_client", "-connect", &format!("127.0.0.1:{port}"), "-servername", server_name]);
    client
}

/// Reads the leaf's ` 0 s:` and `   i:` lines from `s_client`'s "Certificate chain" listing.
fn parse_chain(text: &str) -> Option<ServedCertificate> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("Certificate chain")).skip(1);
    let subject = lines.next()?.trim().strip_prefix("0 s:")?.trim().to_owned();
    let issuer = lines.next()?.trim().strip_prefix("i:")?.trim().to_owned();
    Some(ServedCertificate { subject, issuer })
}

/// Reads `Protocol version:` and `Ciphersuite:` from `s_client -brief` output.
fn parse_brief(text: &str) -> Handshake {
    let field = |name: &str| {
        text.lines().find_map(|line| line.strip_prefix(name)).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    };
    Handshake { protocol: field("Protocol version:"), cipher: field("Ciphersuite:") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_output_yields_protocol_and_cipher() {
        let text = "CONNECTION ESTABLISHED\nProtocol version: TLSv1.2\nCiphersuite: ECDHE-RSA-AES128-GCM-SHA256\n";
        let handshake = parse_brief(text);
        assert_eq!(handshake.protocol.as_deref(), Some("TLSv1.2"));
        assert_eq!(handshake.cipher.as_deref(), Some("ECDHE-RSA-AES128-GCM-SHA256"));
    }

    #[test]
    fn the_leaf_of_a_chain_listing_is_read() {
        let text = "CONNECTED(00000003)\n---\nCertificate chain\n 0 s:CN = stackproof.test\n   i:CN = Pebble Intermediate CA 1a2b\n   a:PKEY: rsaEncryption\n 1 s:CN = Pebble Intermediate CA 1a2b\n";
        let leaf = parse_chain(text).unwrap();
        assert_eq!(leaf.subject, "CN = stackproof.test");
        assert_eq!(leaf.issuer, "CN = Pebble Intermediate CA 1a2b");
        assert_eq!(parse_chain("no chain here"), None);
    }

    #[test]
    fn refused_handshakes_yield_nothing() {
        assert!(!parse_brief("40E7:error:0A000102:SSL routines::unsupported protocol\n").accepted());
    }
}
