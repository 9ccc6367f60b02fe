//! Compose's variable interpolation, read without running compose: which variables a value
//! uses, and what it becomes when none of them is set.

/// The variables `text` interpolates, as compose reads it: `$NAME`, `${NAME}`, `${NAME:-default}`
/// (and the default's own variables); `$$` is a literal dollar.
pub fn references(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            rest = escaped;
            continue;
        }
        let start = after.strip_prefix('{').unwrap_or(after);
        let name = name_at(start);
        if !name.is_empty() {
            found.push(name);
        }
        rest = &start[name.len()..];
    }
    found
}

/// `text` as compose renders it with no variable set: `${NAME:-default}` and `${NAME-default}`
/// become their default (itself rendered, so defaults nest), `$$` a dollar. `None` when a
/// variable without a default is used, since then only the environment knows the value.
pub fn with_defaults(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            out.push('$');
            rest = escaped;
            continue;
        }
        let braced = after.strip_prefix('{')?;
        let name = name_at(braced);
        let operator = &braced[name.len()..];
        let default = operator.strip_prefix(":-").or_else(|| operator.strip_prefix('-'))?;
        let end = closing_brace(default)?;
        if name.is_empty() {
            return None;
        }
        out.push_str(&with_defaults(&default[..end])?);
        rest = &default[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Where the `}` closing a `${` that started just before `text` is, counting nested `${`.
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The variable name at the start of `text`, or `""`.
fn name_at(text: &str) -> &str {
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(text.len(), |(i, _)| i);
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interpolation_form_is_a_reference() {
        let text = "${A} $B ${C:-x} ${D-${E}} ${F:?need} $$G $1 ${H:+y}";
        assert_eq!(references(text), ["A", "B", "C", "D", "E", "F", "H"]);
    }

    #[test]
    fn defaults_are_rendered_and_unknowable_values_refused() {
        assert_eq!(with_defaults("app:${TAG:-prod}").as_deref(), Some("app:prod"));
        assert_eq!(with_defaults("${A-x}/$${B}").as_deref(), Some("x/${B}"));
        assert_eq!(with_defaults("plain").as_deref(), Some("plain"));
        assert_eq!(with_defaults("app:${V:-${TAG:-prod}}-x").as_deref(), Some("app:prod-x"));
        for unknowable in ["app:${TAG}", "app:$TAG", "${A:?need}", "${A:-${B}}", "${A:-x", "${A:-${B:-x}"] {
            assert_eq!(with_defaults(unknowable), None, "{unknowable}");
        }
    }
}
