//! The production stack booted for a load test, as `tests/edge` boots it for the edge checks:
//! certificates from a fresh test CA, the proxy's HTTPS port found on loopback.

use crate::probe::tls::TestCa;
use crate::prod::SERVER_NAME;
use crate::stack::{Stack, StackError, StackSpec};

use super::LoadTestError;
use super::target::Target;

/// The proxy's HTTPS port inside its container.
const HTTPS_PORT: u16 = 8443;

/// A booted stack and the target that reaches it through the proxy.
pub struct Site {
    /// The stack; [`Site::down`] tears it down.
    pub stack: Stack,
    /// `https://stackproof.test:<port>/`, trusting only the test CA.
    pub target: Target,
    // The certificates the proxy reads; removed when the site goes.
    _ca: TestCa,
}

impl Site {
    /// Boots `spec` (the prod stack, with any overlays) with certificates from a fresh test CA.
    pub async fn boot(spec: StackSpec) -> Result<Self, LoadTestError> {
        let ca = TestCa::generate(SERVER_NAME).await?;
        let ca_pem = std::fs::read(ca.ca_pem()).map_err(|source| LoadTestError::io(ca.ca_pem(), source))?;
        let stack = spec.with_env("TLS_CERTS_SOURCE", ca.certs_dir().to_string_lossy()).up().await?;
        let port = stack.host_port("proxy", HTTPS_PORT).await?;
        let target = Target::new(&format!("https://{SERVER_NAME}:{port}/"), Some(ca_pem))?;
        Ok(Self { stack, target, _ca: ca })
    }

    /// Tears the stack down and checks nothing is left.
    pub async fn down(self) -> Result<(), StackError> {
        self.stack.down().await
    }
}
