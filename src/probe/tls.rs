//! TLS from the outside, through `openssl s_client`, which (unlike rustls) can still offer TLS
//! 1.0 and 1.1, any single cipher suite and any single group, so that each can be shown refused.
//! Every handshake tells three outcomes apart: negotiated, refused by the server, and
//! unreachable (nothing answered): a refusal check must fail on a dead target, never pass. And a
//! throwaway CA that signs the proxy's certificate for tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;

use crate::command::{self, CommandError};

/// How long a TCP connect or a handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

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
    /// Nothing accepts connections there: nothing can be proved about it.
    #[error("{addr} is unreachable: {reason}")]
    Unreachable {
        /// Where.
        addr: SocketAddr,
        /// What the connect said.
        reason: String,
    },
    /// The server presented no certificate openssl could read.
    #[error("{addr} presented no readable certificate: {said}")]
    NoCertificate {
        /// Where.
        addr: SocketAddr,
        /// What openssl said.
        said: String,
    },
}

/// A certificate authority made for one test run, with a server certificate for `domain`
/// laid out as certbot does (`live/<domain>/fullchain.pem`, `privkey.pem`).
pub struct TestCa {
    dir: tempfile::TempDir,
    domain: String,
}

/// Days the test CA's server certificate is valid: like a real one, well past any expiry
/// warning, so that a short one is a finding, not the test's own doing.
pub const TEST_CERT_DAYS: u32 = 30;

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
        let extensions =
            format!("subjectAltName=DNS:{domain}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        std::fs::write(&ext, extensions).map_err(|source| TlsError::Io { dir: ext.clone(), source })?;
        let root = ca.dir.path();
        let days = TEST_CERT_DAYS.to_string();
        openssl(
            root,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                &days,
                "-subj",
                "/CN=stackproof test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        )
        .await?;
        let key = live.join("privkey.pem");
        let csr = root.join("server.csr");
        openssl(
            root,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                path(&key),
                "-out",
                path(&csr),
                "-subj",
                &format!("/CN={domain}"),
            ],
        )
        .await?;
        openssl(
            root,
            &[
                "x509",
                "-req",
                "-in",
                path(&csr),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                &days,
                "-extfile",
                path(&ext),
                "-out",
                path(&live.join("fullchain.pem")),
            ],
        )
        .await?;
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

    /// `TLSv1.2`, as openssl names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::V1_0 => "TLSv1",
            Self::V1_1 => "TLSv1.1",
            Self::V1_2 => "TLSv1.2",
            Self::V1_3 => "TLSv1.3",
        }
    }
}

/// What a handshake offers: one version and, optionally, only some suites or groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The only version offered.
    pub version: TlsVersion,
    /// TLS <= 1.2 cipher list (`-cipher`); default: everything the client has.
    pub cipher: Option<String>,
    /// TLS 1.3 suites (`-ciphersuites`); default: OpenSSL's.
    pub suites: Option<String>,
    /// Groups (`-groups`); default: OpenSSL's.
    pub groups: Option<String>,
}

impl Offer {
    /// `version` with the client's defaults.
    pub fn version(version: TlsVersion) -> Self {
        Self { version, cipher: None, suites: None, groups: None }
    }

    /// Only TLS <= 1.2 suite `cipher`.
    pub fn cipher(version: TlsVersion, cipher: &str) -> Self {
        Self { cipher: Some(cipher.to_owned()), ..Self::version(version) }
    }
}

/// What the server made of an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handshake {
    /// It completed.
    Negotiated {
        /// e.g. `TLSv1.3`.
        protocol: String,
        /// e.g. `TLS_AES_256_GCM_SHA384`.
        cipher: String,
        /// The key exchange, e.g. `X25519` or `ECDH, secp384r1, 384 bits`, when openssl says.
        key_exchange: Option<String>,
    },
    /// The server answered with an alert or closed the connection: what openssl said.
    Refused(String),
    /// The local OpenSSL cannot offer this at all (it never reached the server).
    NotOffered(String),
}

impl Handshake {
    /// Whether the server completed the handshake.
    pub fn accepted(&self) -> bool {
        matches!(self, Self::Negotiated { .. })
    }
}

/// Fails with [`TlsError::Unreachable`] unless something accepts TCP connections at `addr`.
pub async fn reachable(addr: SocketAddr) -> Result<(), TlsError> {
    let unreachable = |reason: String| TlsError::Unreachable { addr, reason };
    match tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(unreachable(error.to_string())),
        Err(_) => Err(unreachable("no answer to a TCP connect within 5 s".into())),
    }
}

/// Offers `offer` to `addr` with SNI `server_name`. Security level 0 lets OpenSSL 3 offer what
/// it would refuse itself. Unreachable is an error, never a refusal.
pub async fn handshake(addr: SocketAddr, server_name: &str, offer: &Offer) -> Result<Handshake, TlsError> {
    reachable(addr).await?;
    let mut client = Command::new("openssl");
    client.args([
        "s_client",
        "-brief",
        "-connect",
        &addr.to_string(),
        "-servername",
        server_name,
        offer.version.flag(),
    ]);
    let cipher = offer.cipher.as_deref().unwrap_or("ALL:COMPLEMENTOFALL");
    client.args(["-cipher", &format!("{cipher}:@SECLEVEL=0")]);
    if let Some(suites) = &offer.suites {
        client.args(["-ciphersuites", suites]);
    }
    if let Some(groups) = &offer.groups {
        client.args(["-groups", groups]);
    }
    let finished = command::run_unchecked(client, HANDSHAKE_TIMEOUT).await?;
    judge(addr, &finished.said())
}

fn judge(addr: SocketAddr, said: &str) -> Result<Handshake, TlsError> {
    let field = |name: &str| {
        said.lines().find_map(|line| line.strip_prefix(name)).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    };
    if let (Some(protocol), Some(cipher)) = (field("Protocol version:"), field("Ciphersuite:")) {
        let key_exchange = field("Server Temp Key:").or_else(|| field("Peer Temp Key:"));
        return Ok(Handshake::Negotiated { protocol, cipher, key_exchange });
    }
    let first_error =
        said.lines().find(|l| l.contains("error") || l.contains("Error")).unwrap_or(said.trim()).to_owned();
    let client_side = [
        "no ciphers available",
        "no suitable groups",
        "no cipher match",
        "Call to SSL_CONF_cmd",
        "Error with command",
        "Error setting",
    ];
    if client_side.iter().any(|m| said.contains(m)) {
        return Ok(Handshake::NotOffered(first_error));
    }
    if said.contains("connect:errno") || said.contains("BIO_connect") {
        return Err(TlsError::Unreachable { addr, reason: first_error });
    }
    Ok(Handshake::Refused(first_error))
}

/// One TLS <= 1.2 suite the local OpenSSL can offer, and how it authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// OpenSSL's name, e.g. `ECDHE-RSA-AES128-GCM-SHA256`.
    pub name: String,
    /// `RSA`, `ECDSA`, `DSS`, `PSK`, `None`, ...: what the server's certificate must be.
    pub auth: String,
}

/// Every TLS 1.2 suite the local OpenSSL knows at security level 0.
pub async fn tls12_suites() -> Result<Vec<Suite>, TlsError> {
    let mut ciphers = Command::new("openssl");
    ciphers.args(["ciphers", "-v", "-s", "-tls1_2", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]);
    let output = command::run(ciphers, Duration::from_secs(20)).await?;
    Ok(parse_suites(&output.stdout))
}

fn parse_suites(listing: &str) -> Vec<Suite> {
    listing
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?;
            let auth = fields.find_map(|f| f.strip_prefix("Au="))?;
            (!name.starts_with("TLS_")).then(|| Suite { name: name.to_owned(), auth: auth.to_owned() })
        })
        .collect()
}

/// Every TLS 1.3 suite OpenSSL implements (its default enables only the first three).
pub const TLS13_SUITES: [&str; 5] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
];

/// Key-exchange groups OpenSSL 3 can offer (each version offers those it allows).
pub const GROUPS: [&str; 16] = [
    "X25519",
    "X448",
    "P-256",
    "P-384",
    "P-521",
    "ffdhe2048",
    "ffdhe3072",
    "ffdhe4096",
    "ffdhe6144",
    "ffdhe8192",
    "secp256k1",
    "secp224r1",
    "brainpoolP256r1",
    "brainpoolP384r1",
    "brainpoolP512r1",
    "sect571r1",
];

/// The leaf certificate a server presents, as openssl reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedCertificate {
    /// e.g. `CN=stackproof.test`.
    pub subject: String,
    /// e.g. `CN=Pebble Intermediate CA 5b2c1e`.
    pub issuer: String,
    /// Hex serial number.
    pub serial: String,
    /// Seconds since the Unix epoch when it expires.
    pub not_after: i64,
}

/// The certificate served at `addr` for SNI `server_name` (no verification).
pub async fn served_certificate(addr: SocketAddr, server_name: &str) -> Result<ServedCertificate, TlsError> {
    let leaf = served_leaf_pem(addr, server_name).await?;
    let mut x509 = Command::new("openssl");
    x509.args([
        "x509", "-noout", "-subject", "-issuer", "-serial", "-enddate", "-dateopt", "iso_8601", "-nameopt", "RFC2253",
    ]);
    let read = command::run_with_input(x509, Some(leaf.as_bytes()), HANDSHAKE_TIMEOUT).await?;
    parse_x509(&read.stdout).ok_or_else(|| TlsError::NoCertificate { addr, said: command::tail(&read.said(), 3) })
}

/// The DER SubjectPublicKeyInfo of the certificate served at `addr` for SNI `server_name` (no
/// verification): what a key pin is the hash of.
pub async fn served_public_key_der(addr: SocketAddr, server_name: &str) -> Result<Vec<u8>, TlsError> {
    use base64::Engine;
    let leaf = served_leaf_pem(addr, server_name).await?;
    let mut x509 = Command::new("openssl");
    x509.args(["x509", "-noout", "-pubkey"]);
    let read = command::run_with_input(x509, Some(leaf.as_bytes()), HANDSHAKE_TIMEOUT).await?;
    let body: String = read.stdout.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
        .filter(|der| !der.is_empty())
        .ok_or_else(|| TlsError::NoCertificate { addr, said: command::tail(&read.said(), 3) })
}

/// The first certificate (the leaf) served at `addr`, as PEM.
async fn served_leaf_pem(addr: SocketAddr, server_name: &str) -> Result<String, TlsError> {
    reachable(addr).await?;
    let mut client = s_client(addr, server_name);
    client.arg("-showcerts");
    let finished = command::run_unchecked(client, HANDSHAKE_TIMEOUT).await?;
    let said = finished.said();
    let no_certificate = || TlsError::NoCertificate { addr, said: command::tail(&said, 3) };
    let begin = said.find("-----BEGIN CERTIFICATE-----").ok_or_else(no_certificate)?;
    let end = said[begin..].find("-----END CERTIFICATE-----").ok_or_else(no_certificate)? + begin + 25;
    Ok(said[begin..end].to_owned())
}

fn parse_x509(text: &str) -> Option<ServedCertificate> {
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned());
    Some(ServedCertificate {
        subject: field("subject=")?,
        issuer: field("issuer=")?,
        serial: field("serial=")?,
        not_after: iso_8601_seconds(&field("notAfter=")?)?,
    })
}

/// `2026-12-31 09:12:40Z` as seconds since the Unix epoch.
fn iso_8601_seconds(stamp: &str) -> Option<i64> {
    let (date, time) = stamp.trim_end_matches('Z').split_once(' ')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hour, minute, second) = (t.next()??, t.next()??, t.next()??);
    // Days from the civil date (Howard Hinnant's algorithm), proleptic Gregorian.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Whether the chain served at `addr` verifies against `root_pem` (default: the system's roots)
/// and matches `server_name`.
/// Unreachable is an error, not a failed verification.
pub async fn chain_verifies(addr: SocketAddr, server_name: &str, root_pem: Option<&Path>) -> Result<bool, TlsError> {
    reachable(addr).await?;
    let mut client = s_client(addr, server_name);
    if let Some(root) = root_pem {
        client.arg("-CAfile").arg(root);
    }
    client.args(["-verify_return_error", "-verify_hostname", server_name]);
    let finished = command::run_unchecked(client, HANDSHAKE_TIMEOUT).await?;
    if !finished.said().contains("CONNECTED(") {
        return Err(TlsError::Unreachable { addr, reason: command::tail(&finished.said(), 2) });
    }
    Ok(finished.success)
}

/// Whether a TLS 1.2 handshake at `addr` gets a session ticket (resumption that outlives the
/// keys' rotation, which breaks forward secrecy). Unreachable is an error.
pub async fn issues_session_tickets(addr: SocketAddr, server_name: &str) -> Result<bool, TlsError> {
    reachable(addr).await?;
    let mut client = s_client(addr, server_name);
    client.arg("-tls1_2");
    let said = command::run_unchecked(client, HANDSHAKE_TIMEOUT).await?.said();
    if !said.contains("Protocol  : TLSv1.2") && !said.contains("Protocol version: TLSv1.2") {
        return Err(TlsError::NoCertificate { addr, said: command::tail(&said, 3) });
    }
    Ok(said.contains("TLS session ticket:"))
}

fn s_client(addr: SocketAddr, server_name: &str) -> Command {
    let mut client = Command::new("openssl");
    client.args(["s_client", "-connect", &addr.to_string(), "-servername", server_name]);
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 1))
    }

    #[test]
    fn negotiated_refused_not_offered_and_unreachable_are_told_apart() {
        let done = "CONNECTION ESTABLISHED\nProtocol version: TLSv1.3\nCiphersuite: TLS_AES_256_GCM_SHA384\nServer Temp Key: X25519, 253 bits\n";
        assert_eq!(
            judge(addr(), done).unwrap(),
            Handshake::Negotiated {
                protocol: "TLSv1.3".into(),
                cipher: "TLS_AES_256_GCM_SHA384".into(),
                key_exchange: Some("X25519, 253 bits".into()),
            }
        );
        let alert = "4047:error:0A000438:SSL routines:ssl3_read_bytes:tlsv1 alert internal error:rec_layer_s3.c:1601:SSL alert number 80\n";
        assert!(matches!(judge(addr(), alert).unwrap(), Handshake::Refused(r) if r.contains("alert")));
        let local =
            "4027:error:0A000127:SSL routines:tls_construct_ctos_supported_groups:no suitable groups:x.c:238:\n";
        assert!(matches!(judge(addr(), local).unwrap(), Handshake::NotOffered(_)));
        let dead =
            "4037:error:8000006F:system library:BIO_connect:Connection refused:bio_sock2.c:117\nconnect:errno=111\n";
        assert!(matches!(judge(addr(), dead), Err(TlsError::Unreachable { .. })));
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_not_refused() {
        let error = handshake(addr(), "x.test", &Offer::version(TlsVersion::V1_0)).await.unwrap_err();
        assert!(matches!(error, TlsError::Unreachable { .. }), "{error}");
        assert!(matches!(served_certificate(addr(), "x.test").await, Err(TlsError::Unreachable { .. })));
        assert!(matches!(chain_verifies(addr(), "x.test", None).await, Err(TlsError::Unreachable { .. })));
    }

    #[test]
    fn suites_come_with_their_authentication_and_without_tls_1_3_ones() {
        let listing = "TLS_AES_256_GCM_SHA384 TLSv1.3 Kx=any Au=any Enc=AESGCM(256) Mac=AEAD\n\
                       ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD\n\
                       PSK-AES128-GCM-SHA256 TLSv1.2 Kx=PSK Au=PSK Enc=AESGCM(128) Mac=AEAD\n";
        let suites = parse_suites(listing);
        assert_eq!(
            suites,
            [
                Suite { name: "ECDHE-RSA-AES128-GCM-SHA256".into(), auth: "RSA".into() },
                Suite { name: "PSK-AES128-GCM-SHA256".into(), auth: "PSK".into() },
            ]
        );
    }

    #[test]
    fn certificate_fields_and_dates_are_read() {
        let text =
            "subject=CN=stackproof.test\nissuer=CN=stackproof test CA\nserial=1A2B\nnotAfter=2026-12-31 09:12:40Z\n";
        let cert = parse_x509(text).unwrap();
        assert_eq!((cert.subject.as_str(), cert.serial.as_str()), ("CN=stackproof.test", "1A2B"));
        assert_eq!(cert.not_after, 1_798_708_360);
        assert_eq!(iso_8601_seconds("1970-01-01 00:00:00Z"), Some(0));
        assert_eq!(iso_8601_seconds("2000-03-01 00:00:00Z"), Some(951_868_800));
    }
}
