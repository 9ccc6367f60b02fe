//! What the browser logged, sorted as the checks judge it. Chromium reports a CSP refusal as a
//! console error ("Loading the stylesheet '...' violates the following Content Security Policy
//! directive ... The action has been blocked."), logged even for what happens before any script of the page
//! could listen, so its log, read through chromedriver, is the source of record for a page load;
//! every other error-level entry (a failed request, an uncaught exception) is a console error.

/// One entry of the browser's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `SEVERE`, `WARNING`, `INFO`, ...
    pub level: String,
    /// What it said (chromedriver prefixes the source URL).
    pub message: String,
}

impl Entry {
    /// An entry as chromedriver's log endpoint gives it: `{"level", "message", "timestamp", ...}`.
    pub fn from_json(entry: &serde_json::Value) -> Self {
        let text = |key: &str| entry[key].as_str().unwrap_or_default().to_owned();
        Self { level: text("level"), message: text("message") }
    }

    /// Whether this is the browser refusing something the page's CSP does not allow: "Loading
    /// the stylesheet '...' violates the following Content Security Policy directive ...", or as
    /// older Chromium put it, "Refused to load the stylesheet ... because it violates ...".
    pub fn is_csp_violation(&self) -> bool {
        self.message.contains("Content Security Policy")
    }

    /// Whether this is an error other than a CSP refusal. The browser's own request for
    /// `/favicon.ico`, made by every browser whatever the page says, is not the page's error:
    /// a site without an icon answers it 404, and Chromium logs that.
    pub fn is_console_error(&self) -> bool {
        self.level == "SEVERE" && !self.is_csp_violation() && !self.is_favicon_miss()
    }

    fn is_favicon_miss(&self) -> bool {
        self.message.split_once(" - ").is_some_and(|(url, said)| {
            url.ends_with("/favicon.ico")
                && url.matches('/').count() == 3
                && said.starts_with("Failed to load resource")
        })
    }
}

/// What the browser logged while one page loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// The page.
    pub url: String,
    /// Everything logged meanwhile.
    pub entries: Vec<Entry>,
}

/// At most this many distinct messages of one kind are quoted per page.
const QUOTED: usize = 5;

impl Said {
    /// The CSP refusals logged.
    pub fn csp_violations(&self) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.is_csp_violation()).collect()
    }

    /// The other errors logged.
    pub fn console_errors(&self) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.is_console_error()).collect()
    }

    /// Whether the machine's network changed while the page loaded (some request of it failed
    /// with [`super::NETWORK_CHANGED`]): nothing it logged is the page's doing.
    pub fn interrupted(&self) -> bool {
        self.entries.iter().any(|e| e.message.contains(super::NETWORK_CHANGED))
    }

    /// One sentence per kind of trouble on this page (empty: a clean page), each counting what
    /// was logged and quoting the distinct messages.
    pub fn troubles(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (kind, entries) in [("CSP violation", self.csp_violations()), ("console error", self.console_errors())] {
            if entries.is_empty() {
                continue;
            }
            let mut distinct: Vec<&str> = Vec::new();
            for entry in &entries {
                if !distinct.contains(&entry.message.as_str()) {
                    distinct.push(&entry.message);
                }
            }
            let more = distinct.len().saturating_sub(QUOTED);
            let quoted: Vec<String> = distinct.iter().take(QUOTED).map(|m| format!("{m:?}")).collect();
            let tail = if more > 0 { format!(" (and {more} more)") } else { String::new() };
            let plural = if entries.len() == 1 { "" } else { "s" };
            found.push(format!("{} {kind}{plural}: {}{tail}", entries.len(), quoted.join("; ")));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(level: &str, message: &str) -> Entry {
        Entry { level: level.into(), message: message.into() }
    }

    const BLOCKED: &str = "https://shop.test/ 0 Loading the stylesheet 'https://shop.test/static/style.css' \
                           violates the following Content Security Policy directive: \"style-src 'none'\". The action \
                           has been blocked.";
    const BLOCKED_AS_IT_WAS: &str = "https://shop.test/ - Refused to apply inline style because it violates the \
                                     following Content Security Policy directive: \"style-src 'self'\".";

    #[test]
    fn refusals_and_other_errors_are_told_apart_and_counted() {
        let said = Said {
            url: "https://shop.test/".into(),
            entries: vec![
                entry("SEVERE", BLOCKED),
                entry("SEVERE", BLOCKED),
                entry("SEVERE", BLOCKED_AS_IT_WAS),
                entry("SEVERE", "https://shop.test/x.js 3:7 Uncaught TypeError: x is undefined"),
                entry("WARNING", "something mild"),
                entry("INFO", "a log line"),
            ],
        };
        assert_eq!((said.csp_violations().len(), said.console_errors().len()), (3, 1));
        let troubles = said.troubles();
        assert_eq!(troubles.len(), 2, "{troubles:?}");
        assert!(troubles[0].starts_with("3 CSP violations: \"https://shop.test/ 0 Loading the"), "{troubles:?}");
        assert!(troubles[0].contains("Refused to apply inline style"), "{troubles:?}");
        assert!(troubles[1].starts_with("1 console error: "), "{troubles:?}");
    }

    #[test]
    fn the_browsers_own_favicon_request_is_not_the_pages_error() {
        let miss = "https://shop.test:8443/favicon.ico - Failed to load resource: the server responded with a \
                    status of 404 ()";
        assert!(!entry("SEVERE", miss).is_console_error());
        let linked = "https://shop.test/static/favicon.ico - Failed to load resource: the server responded with a \
                      status of 404 ()";
        assert!(entry("SEVERE", linked).is_console_error(), "an icon the page links is the page's");
    }

    #[test]
    fn a_page_that_logged_only_information_is_clean() {
        let said = Said { url: "u".into(), entries: vec![entry("INFO", "hello"), entry("WARNING", "hm")] };
        assert!(said.troubles().is_empty());
    }

    #[test]
    fn many_distinct_messages_are_cut_short() {
        let entries = (0..8).map(|n| entry("SEVERE", &format!("error {n}"))).collect();
        let troubles = Said { url: "u".into(), entries }.troubles();
        assert!(troubles[0].starts_with("8 console errors: ") && troubles[0].ends_with("(and 3 more)"), "{troubles:?}");
    }
}
