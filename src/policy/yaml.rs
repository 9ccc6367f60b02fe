//! YAML files read into JSON-shaped data, with errors that give file, line and column.

use std::path::Path;

use serde_json::Value;

use super::error::{self, LoadError, Position};

/// Reads and parses the YAML file at `path`.
pub fn load(path: &Path) -> Result<Value, LoadError> {
    parse(path, &error::read(path)?)
}

/// Parses `bytes` (the contents of `path`, which only names the file in errors).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Value, LoadError> {
    let text = error::utf8(path, bytes)?;
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options(text, options).map_err(|error| {
        let at = error.location().filter(|at| at.line() > 0).map_or(Position::line(1), |at| Position {
            line: usize::try_from(at.line()).unwrap_or(usize::MAX),
            column: usize::try_from(at.column()).ok().filter(|&column| column > 0),
        });
        let said = error.to_string();
        // The position is already in front; drop the parser's own copy of it.
        let said = match said.rsplit_once(" at line ") {
            Some((message, place)) if place.starts_with(|c: char| c.is_ascii_digit()) => message.to_owned(),
            _ => said,
        };
        LoadError::syntax(path, at, format!("invalid YAML: {said}"))
    })
}

/// Parses `bytes` of `path` and requires a mapping at the top (as compose and config files have).
pub fn parse_mapping(path: &Path, bytes: &[u8]) -> Result<Value, LoadError> {
    match parse(path, bytes)? {
        mapping @ Value::Object(_) => Ok(mapping),
        other => Err(LoadError::syntax(
            path,
            Position::line(1),
            format!("expected a mapping of keys at the top, found {}", kind(&other)),
        )),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keys_are_resolved() {
        let text = "x: &base {a: 1}\ny:\n  <<: *base\n  b: 2\n";
        let value = parse(Path::new("m.yml"), text.as_bytes()).unwrap();
        assert_eq!(value["y"]["a"], 1);
    }

    #[test]
    fn a_syntax_error_names_file_line_and_column() {
        let error = parse(Path::new("bad.yml"), b"a: 1\nb: [\n  c: d\n").unwrap_err();
        let said = error.to_string();
        assert!(said.starts_with("bad.yml:"), "{said}");
        assert!(matches!(error, LoadError::Syntax { at, .. } if at.line >= 2), "{said}");
    }

    #[test]
    fn a_top_level_list_is_not_a_mapping() {
        let error = parse_mapping(Path::new("l.yml"), b"- a\n").unwrap_err();
        assert!(error.to_string().contains("l.yml:1: expected a mapping"), "{error}");
    }
}
