//! Security headers every response must carry, whatever the route class (page, API, static
//! file, error, redirect, refusal): the Mozilla-intermediate HSTS, a strict CSP (judged by
//! [`super::csp`]), and the anti-framing, sniffing,
//! referrer, feature and opener policies; and no header that names server software versions.

use reqwest::header::HeaderMap;

/// HSTS max-age we require: two years.
pub const HSTS_MIN_AGE: u64 = 63_072_000;

/// Every problem with `headers`, one sentence each (empty: all good).
pub fn problems(headers: &HeaderMap) -> Vec<String> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    let csp_headers = headers.get_all("content-security-policy").iter().count();
    let mut found = Vec::new();
    match get("strict-transport-security") {
        Some(hsts) if hsts_age(&hsts).is_some_and(|age| age >= HSTS_MIN_AGE) => {}
        other => found.push(format!("Strict-Transport-Security missing or max-age < {HSTS_MIN_AGE}: {other:?}")),
    }
    if csp_headers > 1 {
        found.push(format!(
            "Content-Security-Policy is sent {csp_headers} times: browsers enforce each, and a reader sees only one"
        ));
    }
    match get("content-security-policy") {
        Some(csp) => found.extend(super::csp::problems(&csp)),
        None => found.push("Content-Security-Policy missing".into()),
    }
    let exact = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "deny"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    for (name, want) in exact {
        if get(name).as_deref() != Some(want) {
            found.push(format!("{name} should be {want:?}, got {:?}", get(name)));
        }
    }
    let referrer_ok = ["no-referrer", "strict-origin", "strict-origin-when-cross-origin", "same-origin"];
    if !get("referrer-policy").is_some_and(|r| referrer_ok.contains(&r.as_str())) {
        found.push(format!("Referrer-Policy missing or leaky: {:?}", get("referrer-policy")));
    }
    if !get("permissions-policy").is_some_and(|p| p.contains("camera=()") && p.contains("geolocation=()")) {
        found.push(format!("Permissions-Policy missing or permissive: {:?}", get("permissions-policy")));
    }
    if let Some(server) = get("server").filter(|s| s.chars().any(|c| c.is_ascii_digit())) {
        found.push(format!("Server header reveals a version: {server}"));
    }
    if let Some(powered) = get("x-powered-by") {
        found.push(format!("X-Powered-By reveals the stack: {powered}"));
    }
    found
}

fn hsts_age(hsts: &str) -> Option<u64> {
    hsts.split(';').find_map(|part| part.trim().strip_prefix("max-age=")?.trim_matches('"').parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn good() -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("strict-transport-security", "max-age=63072000; includeSubDomains"),
            (
                "content-security-policy",
                "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'",
            ),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("cross-origin-opener-policy", "same-origin"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
            ("server", "nginx"),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn a_complete_set_passes() {
        assert_eq!(problems(&good()), Vec::<String>::new());
    }

    #[test]
    fn each_missing_header_is_named() {
        for name in [
            "strict-transport-security",
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
            "cross-origin-opener-policy",
            "referrer-policy",
            "permissions-policy",
        ] {
            let mut headers = good();
            headers.remove(name);
            let found = problems(&headers).join("\n").to_ascii_lowercase();
            assert!(found.contains(name), "removing {name} went unnoticed: {found}");
        }
    }

    #[test]
    fn weak_values_are_caught() {
        let mut headers = good();
        headers.insert("strict-transport-security", HeaderValue::from_static("max-age=300"));
        headers.insert("content-security-policy", HeaderValue::from_static("default-src 'self' 'unsafe-inline'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"));
        headers.insert("server", HeaderValue::from_static("nginx/1.22.1"));
        let found = problems(&headers).join("\n");
        assert!(found.contains("max-age"), "{found}");
        assert!(found.contains("unsafe-inline"), "{found}");
        assert!(found.contains("reveals a version"), "{found}");
    }
}
