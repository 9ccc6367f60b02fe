//! `.env.example`: the documented variables of a compose project, one `KEY=value` a line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{self, LoadError, Position};

/// The variables an env file sets, with their values as written (quotes removed).
#[derive(Debug, Clone)]
pub struct EnvFile {
    /// The file.
    pub path: PathBuf,
    values: BTreeMap<String, String>,
}

impl EnvFile {
    /// Reads and parses the env file at `path`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        Self::parse(path, &error::read(path)?)
    }

    /// Parses `bytes` (the contents of `path`): comments, blank lines, `KEY=value` and
    /// `export KEY=value`; a key may appear once.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, LoadError> {
        let text = error::utf8(path, bytes)?;
        let mut values = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let at = Position::line(index + 1);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let assignment = line.strip_prefix("export ").unwrap_or(line).trim_start();
            let Some((key, value)) = assignment.split_once('=') else {
                return Err(LoadError::syntax(path, at, format!("expected KEY=value, found {line:?}")));
            };
            if !is_name(key) {
                return Err(LoadError::syntax(path, at, format!("{key:?} is not a variable name")));
            }
            if values.insert(key.to_owned(), unquote(value.trim()).to_owned()).is_some() {
                return Err(LoadError::syntax(path, at, format!("{key} is set twice")));
            }
        }
        Ok(Self { path: path.to_path_buf(), values })
    }

    /// Whether `name` is set (documented) here.
    pub fn documents(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Every variable with its value.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.values
    }
}

/// Whether `name` is a shell variable name (what compose interpolates).
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote).and_then(|v| v.strip_suffix(quote)) {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<EnvFile, LoadError> {
        EnvFile::parse(Path::new(".env.example"), text.as_bytes())
    }

    #[test]
    fn assignments_comments_and_exports_are_read() {
        let env = parse("# doc\n\nA=1\nexport B=\"two words\"\nC=\n").unwrap();
        assert_eq!(env.values()["B"], "two words");
        assert!(env.documents("A") && env.documents("C") && !env.documents("D"));
    }

    #[test]
    fn a_line_without_assignment_names_file_and_line() {
        let error = parse("A=1\nB\n").unwrap_err();
        assert_eq!(error.to_string(), ".env.example:2: expected KEY=value, found \"B\"");
    }

    #[test]
    fn a_key_set_twice_is_an_error() {
        assert!(parse("A=1\nA=2\n").unwrap_err().to_string().contains(":2: A is set twice"));
    }
}
