//! Judgements over what the running stack answered: headers, cookies, TLS handshakes.
//! Each is a pure function of the observation, so each is shown failing on a bad example.

pub mod cookies;
pub mod csp;
pub mod headers;
pub mod tls;
