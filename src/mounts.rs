//! What a mount's host source exposes. One judgement for the static rule (SP106, the compose
//! file) and the runtime check (SP312, what the engine mounted): both must see the same thing.

use std::path::Path;

/// Sockets of container runtimes: whoever can connect to one is root on the host.
const RUNTIME_SOCKETS: [&str; 10] = [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/var/run/crio/crio.sock",
    "/run/podman/podman.sock",
    "/var/run/podman/podman.sock",
    "/run/buildkit/buildkitd.sock",
    "/run/docker/plugins",
];

/// File names that are runtime sockets wherever they are (rootless engines, custom paths).
const SOCKET_NAMES: [&str; 5] = ["docker.sock", "containerd.sock", "crio.sock", "podman.sock", "buildkitd.sock"];

/// Whether mounting host path `source` gives the container a runtime socket: the socket itself,
/// a file named like one, or any folder above one (`/`, `/run`, `/var`, `/run/containerd`, a
/// rootless user's `/run/user/<uid>`). Read-only does not help: a socket is opened, not written.
pub fn exposes_runtime_socket(source: &str) -> bool {
    let trimmed = source.trim_end_matches('/');
    let source = if trimmed.is_empty() && source.starts_with('/') { "/" } else { trimmed };
    if !source.starts_with('/') {
        return SOCKET_NAMES.iter().any(|name| source == *name || source.ends_with(&format!("/{name}")));
    }
    let path = Path::new(source);
    if path.file_name().is_some_and(|name| SOCKET_NAMES.iter().any(|s| name == *s)) {
        return true;
    }
    if RUNTIME_SOCKETS.iter().any(|socket| Path::new(socket).starts_with(path)) {
        return true;
    }
    // Rootless engines keep their socket in the user's runtime folder: /run/user/<uid>/docker.sock.
    let parts: Vec<&str> = source.split('/').filter(|p| !p.is_empty()).collect();
    matches!(
        parts.as_slice(),
        ["run", "user"] | ["run", "user", _] | ["var", "run", "user"] | ["var", "run", "user", _]
    )
}

#[cfg(test)]
mod tests {
    use super::exposes_runtime_socket;

    #[test]
    fn sockets_and_every_folder_above_one_count() {
        for exposed in [
            "/",
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/run",
            "/var/run/",
            "/var",
            "/run/containerd",
            "/run/containerd/containerd.sock",
            "/run/user/1000",
            "/run/user/1000/docker.sock",
            "./docker.sock",
            "/srv/custom/podman.sock",
        ] {
            assert!(exposes_runtime_socket(exposed), "{exposed} was let through");
        }
    }

    #[test]
    fn other_host_paths_do_not() {
        for other in
            ["/var/run/nginx", "/srv/app", "data", "/proc", "/sys", "/var/lib/stockapp", "/run/user/1000/app", "./app"]
        {
            assert!(!exposes_runtime_socket(other), "{other} was taken for a socket");
        }
    }
}
