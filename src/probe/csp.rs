//! Content-Security-Policy, parsed and judged by what it lets a page run: the effective sources
//! of scripts, styles, plugins, frames and the base URL (each directive with the fallback a
//! browser applies), not by substrings. The site serves all its code itself: anything beyond
//! its own origin (`'self'`) is a way in for injected or foreign code.

use std::collections::BTreeMap;

/// A parsed policy: directive name (lowercase) -> its sources, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    directives: BTreeMap<String, Vec<String>>,
}

impl Policy {
    /// Parses a header value; of a directive named twice, the first counts (as in browsers).
    pub fn parse(header: &str) -> Self {
        let mut directives = BTreeMap::new();
        for directive in header.split(';') {
            let mut words = directive.split_ascii_whitespace();
            if let Some(name) = words.next() {
                directives.entry(name.to_ascii_lowercase()).or_insert_with(|| words.map(str::to_owned).collect());
            }
        }
        Self { directives }
    }

    /// The sources that apply to `directive`: its own, else those of the first directive it
    /// falls back to that is set. `None`: nothing restricts it.
    pub fn effective(&self, directive: &str) -> Option<&[String]> {
        let chain: &[&str] = match directive {
            "script-src" | "style-src" | "object-src" | "img-src" | "connect-src" | "font-src" | "child-src" => {
                &["default-src"]
            }
            "script-src-elem" | "script-src-attr" => &["script-src", "default-src"],
            "style-src-elem" | "style-src-attr" => &["style-src", "default-src"],
            "frame-src" | "worker-src" => &["child-src", "default-src"],
            _ => &[],
        };
        std::iter::once(directive).chain(chain.iter().copied()).find_map(|d| self.directives.get(d).map(Vec::as_slice))
    }
}

/// Sources that let code in which the site did not serve itself from its own origin, with why.
fn unsafe_source(source: &str) -> Option<String> {
    let lower = source.to_ascii_lowercase();
    let keyword = match lower.as_str() {
        "'self'" | "'none'" | "'strict-dynamic'" | "'report-sample'" => return None,
        "'unsafe-inline'" | "'unsafe-eval'" | "'unsafe-hashes'" | "'wasm-unsafe-eval'" | "'unsafe-allow-redirects'" => {
            Some(format!("{source} (runs injected code)"))
        }
        _ if lower.starts_with("'nonce-")
            || lower.starts_with("'sha256-")
            || lower.starts_with("'sha384-")
            || lower.starts_with("'sha512-") =>
        {
            return None;
        }
        _ => None,
    };
    if keyword.is_some() {
        return keyword;
    }
    if lower.contains('*') {
        return Some(format!("{source} (a wildcard: code from any matching host)"));
    }
    if lower.ends_with(':') && !lower.contains('/') {
        return Some(format!("{source} (a whole scheme: code from anywhere it reaches)"));
    }
    Some(format!("{source} (another origin's code)"))
}

/// Every problem with the policy in `header`, one sentence each (empty: all good).
pub fn problems(header: &str) -> Vec<String> {
    let policy = Policy::parse(header);
    let mut found = Vec::new();
    match policy.directives.get("default-src") {
        None => found.push(
            "Content-Security-Policy sets no default-src: every unlisted kind of resource may come from anywhere"
                .to_owned(),
        ),
        Some(sources) if !only(sources, &["'self'", "'none'"]) => {
            found.push(format!("Content-Security-Policy default-src allows {}", sources.join(" ")));
        }
        Some(_) => {}
    }
    for directive in [
        "script-src",
        "script-src-elem",
        "script-src-attr",
        "style-src",
        "style-src-elem",
        "style-src-attr",
        "frame-src",
        "worker-src",
    ] {
        match policy.effective(directive) {
            None => found.push(format!("Content-Security-Policy leaves {directive} unrestricted")),
            Some(sources) => found.extend(
                sources
                    .iter()
                    .filter_map(|s| unsafe_source(s))
                    .map(|why| format!("Content-Security-Policy {directive} allows {why}")),
            ),
        }
    }
    let exactly = [
        ("object-src", &["'none'"][..]),
        ("frame-ancestors", &["'none'"]),
        ("base-uri", &["'self'", "'none'"]),
        ("form-action", &["'self'"]),
    ];
    for (directive, allowed) in exactly {
        match policy.effective(directive) {
            Some(sources) if !sources.is_empty() && only(sources, allowed) => {}
            Some(sources) => found.push(format!(
                "Content-Security-Policy {directive} is {:?}, want only {}",
                sources.join(" "),
                allowed.join(" or ")
            )),
            None => found.push(format!("Content-Security-Policy lacks {directive} (want {})", allowed.join(" or "))),
        }
    }
    found
}

fn only(sources: &[String], allowed: &[&str]) -> bool {
    sources.iter().all(|s| allowed.iter().any(|a| s.eq_ignore_ascii_case(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: &str =
        "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    #[test]
    fn the_sites_policy_passes() {
        assert_eq!(problems(STRICT), Vec::<String>::new());
    }

    #[test]
    fn loosened_script_and_style_sources_are_caught() {
        for (added, said) in [
            ("script-src 'self' https:", "script-src allows https: (a whole scheme"),
            ("script-src 'self' data:", "script-src allows data:"),
            ("style-src 'self' http:", "style-src allows http:"),
            ("script-src 'self' 'unsafe-hashes'", "'unsafe-hashes' (runs injected code)"),
            ("script-src 'self' 'unsafe-inline'", "'unsafe-inline'"),
            ("script-src 'self' *", "script-src allows * (a wildcard"),
            ("script-src 'self' *.cdn.test", "*.cdn.test (a wildcard"),
            ("script-src 'self' cdn.test", "cdn.test (another origin's code)"),
            ("script-src-elem 'self' blob:", "script-src-elem allows blob:"),
        ] {
            let found = problems(&format!("{STRICT}; {added}")).join("\n");
            assert!(found.contains(said), "{added}: {found}");
        }
    }

    #[test]
    fn a_trailing_wildcard_default_and_missing_directives_are_caught() {
        let found = problems("default-src 'self' *").join("\n");
        // object-src falls back to default-src, as browsers do: judged there, not reported missing.
        assert!(
            found.contains("default-src allows 'self' *") && found.contains("object-src is \"'self' *\""),
            "{found}"
        );
        assert!(found.contains("lacks frame-ancestors"), "{found}");
        let found = problems("script-src 'self'").join("\n");
        assert!(found.contains("sets no default-src") && found.contains("style-src unrestricted"), "{found}");
        let found = problems(&STRICT.replace("frame-ancestors 'none'", "frame-ancestors *")).join("\n");
        assert!(found.contains("frame-ancestors is \"*\""), "{found}");
    }

    #[test]
    fn fallbacks_follow_the_browsers_order() {
        let policy = Policy::parse("default-src 'none'; child-src 'self'; script-src 'self'");
        assert_eq!(policy.effective("frame-src"), Some(&["'self'".to_owned()][..]));
        assert_eq!(policy.effective("script-src-elem"), Some(&["'self'".to_owned()][..]));
        assert_eq!(policy.effective("style-src"), Some(&["'none'".to_owned()][..]));
        assert_eq!(policy.effective("base-uri"), None);
    }
}
