//! Session cookies must be `Secure`, `HttpOnly`, `SameSite=Lax|Strict`, and `__Host-` prefixed
//! (which forbids `Domain` and requires `Path=/`), so no script or subdomain can get them.

/// Every problem with one `Set-Cookie` header value (empty: all good).
pub fn problems(set_cookie: &str) -> Vec<String> {
    let mut parts = set_cookie.split(';').map(str::trim);
    let name = parts.next().and_then(|p| p.split_once('=')).map_or("", |(n, _)| n);
    let attributes: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
    let has = |flag: &str| attributes.iter().any(|a| a == flag);
    let value = |key: &str| attributes.iter().find_map(|a| a.strip_prefix(&format!("{key}=")).map(str::to_owned));
    let mut found = Vec::new();
    if !has("secure") {
        found.push(format!("cookie {name} lacks Secure"));
    }
    if !has("httponly") {
        found.push(format!("cookie {name} lacks HttpOnly"));
    }
    if !matches!(value("samesite").as_deref(), Some("lax" | "strict")) {
        found.push(format!("cookie {name} has SameSite {:?}, want Lax or Strict", value("samesite")));
    }
    if !name.starts_with("__Host-") {
        found.push(format!("cookie {name} is not __Host- prefixed"));
    }
    if value("domain").is_some() {
        found.push(format!("cookie {name} sets Domain"));
    }
    if value("path").as_deref() != Some("/") {
        found.push(format!("cookie {name} has Path {:?}, want /", value("path")));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::problems;

    #[test]
    fn a_hardened_session_cookie_passes() {
        assert!(problems("__Host-session=abc; Secure; HttpOnly; Path=/; SameSite=Lax").is_empty());
    }

    #[test]
    fn flask_defaults_fail_on_every_count() {
        let found = problems("session=abc; HttpOnly; Path=/").join("\n");
        for missing in ["Secure", "SameSite", "__Host-"] {
            assert!(found.contains(missing), "{missing} unnoticed: {found}");
        }
    }

    #[test]
    fn a_domain_or_script_readable_cookie_fails() {
        let found = problems("__Host-session=abc; Secure; Path=/; SameSite=None; Domain=example.org").join("\n");
        assert!(found.contains("HttpOnly") && found.contains("Domain") && found.contains("SameSite"), "{found}");
    }
}
