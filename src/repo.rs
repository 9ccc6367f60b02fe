//! Where the repository's files are, and which base image stacks build from.

use std::path::{Path, PathBuf};

/// The public image our Dockerfiles build from when nothing else is configured.
pub const DEFAULT_BASE_IMAGE: &str = "debian:bookworm-slim";

/// Root of this repository (where `Cargo.toml` and the compose files live).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path below the repository root.
pub fn path(relative: &str) -> PathBuf {
    root().join(relative)
}

/// The base image for our Dockerfiles: `$BASE_IMAGE`, else the one `ci/prepare.sh` wrote
/// to `.env`, else the public Debian image.
pub fn base_image() -> String {
    if let Ok(image) = std::env::var("BASE_IMAGE") {
        return image;
    }
    std::fs::read_to_string(path(".env"))
        .ok()
        .and_then(|text| env_file_value(&text, "BASE_IMAGE"))
        .unwrap_or_else(|| DEFAULT_BASE_IMAGE.to_owned())
}

/// The value of `key` in the text of a `.env` file, if set there.
pub fn env_file_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.trim().split_once('='))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::env_file_value;

    #[test]
    fn env_file_value_reads_the_named_key_only() {
        let text = "# comment\nOTHER=1\nBASE_IMAGE=\"stackproof/base:bookworm-abc\"\n";
        assert_eq!(env_file_value(text, "BASE_IMAGE").as_deref(), Some("stackproof/base:bookworm-abc"));
        assert_eq!(env_file_value(text, "MISSING"), None);
    }
}
