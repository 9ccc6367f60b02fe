//! SP106 no-docker-socket: no container gets the Docker socket (that is root on the host).

use serde_json::Value;

use super::Rule;
use crate::policy::finding::Finding;
use crate::policy::project::Project;

/// The rule.
pub static RULE: Rule = Rule {
    id: "SP106",
    name: "no-docker-socket",
    summary: "no service mounts the Docker socket (docker.sock, or the /run or /var/run holding it)",
    check,
};

fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, service) in project.services() {
        let volumes = service.get("volumes").and_then(Value::as_array).into_iter().flatten();
        for (index, volume) in volumes.enumerate() {
            let Some(source) = volume.get("source").and_then(Value::as_str) else { continue };
            if is_docker_socket(source) {
                let at = project.locate(&["services", name, "volumes", &index.to_string()]);
                let message = format!("volumes.{index} mounts the Docker socket {source}, which is root on the host");
                findings.push(RULE.finding(at, Some(name), message));
            }
        }
    }
    findings
}

fn is_docker_socket(source: &str) -> bool {
    source.ends_with("docker.sock") || matches!(source.trim_end_matches('/'), "/run" | "/var/run")
}

#[cfg(test)]
mod tests {
    use super::is_docker_socket;

    #[test]
    fn the_socket_and_its_folders_count() {
        for socket in ["/var/run/docker.sock", "/run/docker.sock", "/run/user/1000/docker.sock", "/var/run/"] {
            assert!(is_docker_socket(socket), "{socket}");
        }
        for other in ["/var/run/nginx", "/srv/app", "data"] {
            assert!(!is_docker_socket(other), "{other}");
        }
    }
}
