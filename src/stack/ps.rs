//! The containers of a compose project, as `docker compose ps --format json` reports them.

use serde::Deserialize;

/// One container of a service (a replica), with its published ports.
#[derive(Debug, Clone, Deserialize)]
pub struct Replica {
    /// Short container id.
    #[serde(rename = "ID")]
    pub id: String,
    /// Container name, e.g. `project-app-2`.
    #[serde(rename = "Name")]
    pub name: String,
    /// Compose service the container belongs to.
    #[serde(rename = "Service")]
    pub service: String,
    /// `running`, `exited`, `created`, ...
    #[serde(rename = "State")]
    pub state: String,
    /// `healthy`, `unhealthy`, `starting`, or empty without a healthcheck.
    #[serde(rename = "Health", default)]
    pub health: String,
    /// Exit code once exited.
    #[serde(rename = "ExitCode", default)]
    pub exit_code: i64,
    /// Ports published on the host.
    #[serde(rename = "Publishers", default)]
    pub publishers: Vec<Publisher>,
}

/// A container port and where it is published on the host (port 0: not published).
#[derive(Debug, Clone, Deserialize)]
pub struct Publisher {
    /// Port inside the container.
    #[serde(rename = "TargetPort")]
    pub target_port: u16,
    /// Port on the host; 0 when the port is only exposed.
    #[serde(rename = "PublishedPort")]
    pub published_port: u16,
    /// Host address it is bound to.
    #[serde(rename = "URL", default)]
    pub url: String,
}

impl Replica {
    /// The host port that container port `target` is published on, if any.
    pub fn host_port(&self, target: u16) -> Option<u16> {
        self.publishers.iter().find(|p| p.target_port == target && p.published_port != 0).map(|p| p.published_port)
    }
}

/// Parses `ps --format json` output: one object per line (compose >= 2.21) or one array.
pub fn parse(text: &str) -> Result<Vec<Replica>, serde_json::Error> {
    let trimmed = text.trim();
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed);
    }
    trimmed.lines().filter(|line| !line.trim().is_empty()).map(serde_json::from_str).collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    const TWO_REPLICAS: &str = r#"{"ID":"1da9","Name":"p-web-1","Service":"web","State":"running","Health":"","ExitCode":0,"Publishers":[{"URL":"127.0.0.1","TargetPort":8000,"PublishedPort":32769,"Protocol":"tcp"}]}
{"ID":"564d","Name":"p-web-2","Service":"web","State":"running","Health":"healthy","ExitCode":0,"Publishers":[{"URL":"","TargetPort":9000,"PublishedPort":0,"Protocol":"tcp"}]}"#;

    #[test]
    fn parses_one_object_per_line_with_ports() {
        let replicas = parse(TWO_REPLICAS).unwrap();
        assert_eq!(replicas.len(), 2);
        assert_eq!(replicas[0].host_port(8000), Some(32769));
        assert_eq!(replicas[1].host_port(9000), None, "exposed-only ports are not published");
    }

    #[test]
    fn parses_the_array_form_and_empty_output() {
        assert_eq!(parse("[]").unwrap().len(), 0);
        assert_eq!(parse("").unwrap().len(), 0);
    }

    #[test]
    fn malformed_output_is_an_error_not_a_panic() {
        assert!(parse("{\"ID\": 3").is_err());
    }
}
