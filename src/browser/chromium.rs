//! Headless Chromium for one check: a chromedriver of its own on a free loopback port, a fresh
//! profile, the site's name resolved to its address and nothing else resolvable, and exactly the
//! site's certificate trusted (its key pinned, after the served chain has verified against the
//! site's CA); certificate verification stays on for everything else. Everything it started is
//! killed when it is dropped; [`Browser::close`] ends the session cleanly first.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::wd::{Capabilities, TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::process::Command;

use super::BrowserError;
use super::console::{Entry, Said};
use crate::command::{self, Running};
use crate::probe::tls;
use crate::site::Site;
use crate::wait::{self, Probe};

/// How long chromedriver may take to say on which port it listens.
const DRIVER_START: Duration = Duration::from_secs(20);

/// How long a page may take to load, and a script to answer.
const PAGE_LOAD: Duration = Duration::from_secs(20);

/// How long one WebDriver command may take (starting the browser is the slowest).
const COMMAND: Duration = Duration::from_secs(60);

/// How many times a page is loaded before an interrupted load counts.
pub(super) const LOADS: usize = 5;

/// How long to let the machine's network settle before loading an interrupted page again
/// (Docker changes interfaces in bursts).
pub(super) const SETTLE: Duration = Duration::from_secs(1);

/// How long a navigation a click starts may take to land.
const NAVIGATION: Duration = Duration::from_secs(20);

/// Debian's Chromium binary itself: its `/usr/bin/chromium` wrapper adds flags and extensions
/// of its own (and Google API keys); the harness wants only its own flags.
const DEBIAN_CHROMIUM: &str = "/usr/lib/chromium/chromium";

/// The programs a browser check runs.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The browser binary.
    pub chromium: PathBuf,
    /// The WebDriver server for it.
    pub chromedriver: PathBuf,
}

impl Tools {
    /// Chromium and chromedriver on this machine, or which is missing.
    pub fn find() -> Result<Self, BrowserError> {
        let chromium = std::iter::once(PathBuf::from(DEBIAN_CHROMIUM))
            .filter(|p| p.is_file())
            .chain(["chromium", "chromium-browser", "google-chrome"].into_iter().filter_map(|n| which::which(n).ok()))
            .next()
            .ok_or_else(|| BrowserError::Missing {
                tool: "chromium",
                looked: format!("{DEBIAN_CHROMIUM}, chromium, chromium-browser, google-chrome on PATH"),
            })?;
        let chromedriver = which::which("chromedriver")
            .map_err(|_| BrowserError::Missing { tool: "chromedriver", looked: "chromedriver on PATH".into() })?;
        Ok(Self { chromium, chromedriver })
    }
}

/// A headless Chromium session on the site, with the chromedriver and profile it runs on.
pub struct Browser {
    client: Client,
    site: Site,
    // Dropped after the client: killing chromedriver's process group takes the browser with it.
    driver_process: Running,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium that reaches `site` (and only it) as a user's
    /// browser would, trusting the certificate its CA vouches for.
    pub async fn open(site: &Site) -> Result<Self, BrowserError> {
        let tools = Tools::find()?;
        let profile = tempfile::tempdir()?;
        let pin = match site.ca_pem() {
            Some(ca) => Some(trusted_key(site, ca, &profile.path().join("ca.pem")).await?),
            None => None,
        };
        let mut chromedriver = Command::new(&tools.chromedriver);
        // Port 0: chromedriver picks a free one and says which, so no two runs race for a port.
        chromedriver.args(["--port=0", "--log-level=WARNING"]);
        let (driver_process, port) = command::start(chromedriver, DRIVER_START, listening_port).await?;
        let caps = capabilities(&tools, flags(site, profile.path(), pin.as_deref()));
        // chromedriver speaks plain HTTP on loopback: no TLS stack in this client.
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let endpoint = format!("http://127.0.0.1:{port}");
        let connecting = builder.connect(&endpoint);
        let starting = || format!("starting {} through {}", tools.chromium.display(), driver_process.command());
        let client = match tokio::time::timeout(COMMAND, connecting).await {
            Ok(Ok(client)) => client,
            Ok(Err(source)) => return Err(BrowserError::Session { doing: starting(), source }),
            Err(_) => return Err(BrowserError::Timeout { doing: starting(), after: COMMAND }),
        };
        let browser = Self { client, site: site.clone(), driver_process, _profile: profile };
        let timeouts = TimeoutConfiguration::new(Some(PAGE_LOAD), Some(PAGE_LOAD), Some(Duration::ZERO));
        browser.command("setting the page-load timeout", browser.client.update_timeouts(timeouts)).await?;
        Ok(browser)
    }

    /// The site it browses.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// Loads `path` of the site as typed into the address bar; returns what the browser logged
    /// while loading it.
    ///
    /// A load the machine's network changing interrupted (see [`super::NETWORK_CHANGED`]) is
    /// made again, up to [`LOADS`] times: loading a page is safe to repeat.
    pub async fn visit(&self, path: &str) -> Result<Said, BrowserError> {
        let url = self.site.url(path);
        let mut tries = 0;
        loop {
            tries += 1;
            let loaded = match self.command(format!("loading {url}"), self.client.goto(&url)).await {
                Ok(()) => self.landed(&url).await,
                Err(error) => Err(error),
            };
            if !interrupted(&loaded) || tries == LOADS {
                return loaded;
            }
            tracing::info!("{url}: the network changed under the load; loading it again");
            tokio::time::sleep(SETTLE).await;
        }
    }

    /// Follows the link `css` selects, as a user clicks it; where the machine's network
    /// interrupts that load, the link's target is loaded again as [`Browser::visit`] does (a
    /// link is a GET, safe to repeat).
    pub async fn follow(&self, css: &str) -> Result<Said, BrowserError> {
        let link = self.element(css).await?;
        let href = self.command(format!("reading the target of {css}"), link.attr("href")).await?;
        let followed = self.click(css).await;
        match href {
            Some(href) if interrupted(&followed) && href.starts_with('/') => {
                tracing::info!("{href}: the network changed under the click; loading it again");
                tokio::time::sleep(SETTLE).await;
                self.visit(&href).await
            }
            _ => followed,
        }
    }

    /// Whether the current page has an element `css` selects.
    pub async fn has(&self, css: &str) -> Result<bool, BrowserError> {
        Ok(!self.command(format!("finding {css}"), self.client.find_all(Locator::Css(css))).await?.is_empty())
    }

    /// Clicks the element `css` selects on the current page, as a user would, and waits for the
    /// page that click leads to; returns what the browser logged while loading it.
    pub async fn click(&self, css: &str) -> Result<Said, BrowserError> {
        let from = self.url().await?;
        let element = self.element(css).await?;
        // A marker on the current document: gone once another document has loaded, even one at
        // the same URL (a form posted back to its own page).
        self.script("window.__stackproof_left = false; return null;").await?;
        self.command(format!("clicking {css} on {from}"), element.click()).await?;
        let what = format!("the page a click on {css} at {from} leads to");
        wait::until(&what, NAVIGATION, Duration::from_millis(100), || async {
            let state = self
                .script("return [window.__stackproof_left === undefined, document.readyState, location.href];")
                .await;
            match state {
                Ok(value) if value[0] == true && value[1] == "complete" => Probe::Ready(()),
                Ok(value) => Probe::Pending(format!("{value}")),
                // A command sent while the document changes may fail: look again.
                Err(error) => Probe::Pending(error.to_string()),
            }
        })
        .await
        .map_err(|error| BrowserError::Page { url: from.clone(), what: error.to_string() })?;
        let at = self.url().await?;
        self.landed(&at).await
    }

    /// Types `text` into the field `css` selects.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<(), BrowserError> {
        let field = self.element(css).await?;
        self.command(format!("typing into {css}"), field.send_keys(text)).await
    }

    /// The texts of every element `css` selects on the current page.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>, BrowserError> {
        let found = self.command(format!("finding {css}"), self.client.find_all(Locator::Css(css))).await?;
        let mut texts = Vec::new();
        for element in found {
            texts.push(self.command(format!("reading {css}"), element.text()).await?);
        }
        Ok(texts)
    }

    /// The current page's URL.
    pub async fn url(&self) -> Result<String, BrowserError> {
        Ok(self.command("reading the URL", self.client.current_url()).await?.to_string())
    }

    /// Runs `script` in the page (WebDriver's own channel, which the page's CSP does not govern)
    /// and returns its result as JSON.
    pub async fn script(&self, script: &str) -> Result<Value, BrowserError> {
        self.command("running a script in the page", self.client.execute(script, Vec::new())).await
    }

    /// Like [`Browser::script`], for a script that ends by calling its last argument.
    pub async fn script_async(&self, script: &str) -> Result<Value, BrowserError> {
        self.command("running a script in the page", self.client.execute_async(script, Vec::new())).await
    }

    /// Evaluates `expression` in the page through Chromium's own `Runtime.evaluate`, told to
    /// honour the page's CSP for `eval`: WebDriver's scripts are exempt from it (DevTools lets
    /// them `eval` whatever the policy says), so an `eval` probe must go this way. Returns the
    /// value, or the exception it threw, as text.
    pub async fn evaluate_under_csp(&self, expression: &str) -> Result<Result<String, String>, BrowserError> {
        let evaluate = Evaluate { expression: expression.to_owned() };
        let value = self.command("evaluating in the page (Runtime.evaluate)", self.client.issue_cmd(evaluate)).await?;
        if let Some(details) = value.get("exceptionDetails") {
            let said = details["exception"]["description"].as_str().or(details["text"].as_str()).unwrap_or_default();
            return Ok(Err(said.to_owned()));
        }
        Ok(Ok(value["result"]["value"].as_str().map_or_else(|| value["result"].to_string(), str::to_owned)))
    }

    /// What the browser logged since the last time it was asked (the log drains).
    pub async fn log(&self) -> Result<Vec<Entry>, BrowserError> {
        let entries = self.command("reading the browser's log", self.client.issue_cmd(BrowserLog)).await?;
        Ok(entries.as_array().into_iter().flatten().map(Entry::from_json).collect())
    }

    /// Ends the session (closing the browser), then chromedriver.
    pub async fn close(self) {
        let Self { client, driver_process, .. } = self;
        let _ = tokio::time::timeout(COMMAND, client.close()).await;
        drop(driver_process);
    }

    async fn element(&self, css: &str) -> Result<Element, BrowserError> {
        let at = self.url().await.unwrap_or_default();
        self.command(format!("finding {css} on {at}"), self.client.find(Locator::Css(css))).await
    }

    /// `sent`'s answer, within [`COMMAND`]; a failure says what was being done.
    async fn command<T>(
        &self,
        doing: impl Into<String>,
        sent: impl Future<Output = Result<T, CmdError>>,
    ) -> Result<T, BrowserError> {
        match tokio::time::timeout(COMMAND, sent).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(source)) => Err(BrowserError::WebDriver { doing: doing.into(), source }),
            Err(_) => Err(BrowserError::Timeout { doing: doing.into(), after: COMMAND }),
        }
    }

    /// After a navigation: the document answered 200 on the site's origin and has loaded, and
    /// what the browser logged on the way.
    async fn landed(&self, url: &str) -> Result<Said, BrowserError> {
        let state = self
            .script(
                "const nav = performance.getEntriesByType('navigation')[0];\
                 return [location.origin, nav ? nav.responseStatus : 0, document.readyState];",
            )
            .await?;
        let origin = self.site.url("");
        let page = |what: String| BrowserError::Page { url: url.to_owned(), what };
        if state[0] != origin.as_str() {
            let error = self.script("return document.body ? document.body.innerText.slice(0, 200) : ''").await;
            let shown = error.ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            return Err(page(format!("the browser shows {} instead of the site: {shown:?}", state[0])));
        }
        if state[1] != 200 {
            return Err(page(format!("answered {} to the browser, want 200", state[1])));
        }
        Ok(Said { url: url.to_owned(), entries: self.log().await? })
    }
}

/// Whether a load ended in the machine's network changing under it: what it logged, or why it
/// failed, says [`super::NETWORK_CHANGED`].
pub(super) fn interrupted(loaded: &Result<Said, BrowserError>) -> bool {
    match loaded {
        Ok(said) => said.interrupted(),
        Err(error) => error.to_string().contains(super::NETWORK_CHANGED),
    }
}

/// The capabilities of a session running `tools.chromium` with `flags`, logging everything.
fn capabilities(tools: &Tools, flags: Vec<String>) -> Capabilities {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": tools.chromium, "args": flags },
        // Every console message and every refusal the browser logs, for the checks to read.
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    match caps {
        Value::Object(caps) => caps,
        _ => Capabilities::new(),
    }
}

/// chromedriver's browser log (`POST /session/{id}/log`, outside the W3C protocol but kept by
/// chromedriver): what the browser logged since it was last asked.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

/// chromedriver's passage to the DevTools protocol (`goog/cdp/execute`) for `Runtime.evaluate`.
#[derive(Debug)]
struct Evaluate {
    expression: String,
}

impl WebDriverCompatibleCommand for Evaluate {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let params = json!({
            "expression": self.expression,
            "returnByValue": true,
            // DevTools' default (true) would exempt the evaluation from the page's policy.
            "allowUnsafeEvalBlockedByCSP": false,
        });
        (http::Method::POST, Some(json!({ "cmd": "Runtime.evaluate", "params": params }).to_string()))
    }
}

/// The port in chromedriver's banner: `ChromeDriver was started successfully on port 41737.`
fn listening_port(line: &str) -> Option<u16> {
    line.split_once("started successfully on port ")?.1.trim_end_matches('.').trim().parse().ok()
}

/// Chromium's command line for `site`, each flag with its reason.
fn flags(site: &Site, profile: &std::path::Path, pin: Option<&str>) -> Vec<String> {
    let address = match site.https_addr() {
        SocketAddr::V4(v4) => v4.ip().to_string(),
        SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
    };
    let mut flags = vec![
        // The new headless mode is the real browser without a window (the old one was a
        // separate implementation).
        "--headless=new".to_owned(),
        // CI runs as root, where Chromium refuses to start sandboxed, and containers deny the
        // namespaces its sandbox needs. The pages it loads are the site's own, not the web's.
        "--no-sandbox".to_owned(),
        // Containers give /dev/shm 64 MB, less than Chromium's renderers need.
        "--disable-dev-shm-usage".to_owned(),
        // A fresh profile: no cookies, cache or settings of an earlier run.
        format!("--user-data-dir={}", profile.display()),
        // The site's name resolves to its address; every other name to nothing, so the browser
        // talks to the site only (no update, sync or safe-browsing traffic leaves the machine).
        format!("--host-resolver-rules=MAP {} {address}, MAP * ~NOTFOUND", site.server_name()),
        "--no-first-run".to_owned(),
        "--no-default-browser-check".to_owned(),
        "--disable-extensions".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-gpu".to_owned(),
        "--window-size=1280,1024".to_owned(),
    ];
    if let Some(pin) = pin {
        // The served certificate's key, and only it, is trusted (Chromium honours this flag only
        // with --user-data-dir); every other certificate is still verified as usual.
        flags.push(format!("--ignore-certificate-errors-spki-list={pin}"));
    }
    flags
}

/// The base64 SHA-256 of the served certificate's public key (SubjectPublicKeyInfo), after its
/// chain has verified against `ca_pem` for the site's name: what Chromium is told to trust.
async fn trusted_key(site: &Site, ca_pem: &[u8], ca_file: &std::path::Path) -> Result<String, BrowserError> {
    std::fs::write(ca_file, ca_pem)?;
    let (addr, name) = (site.https_addr(), site.server_name());
    if !tls::chain_verifies(addr, name, Some(ca_file)).await? {
        return Err(BrowserError::NotFromCa { addr, name: name.to_owned() });
    }
    let spki = tls::served_public_key_der(addr, name).await?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &spki);
    Ok(base64::engine::general_purpose::STANDARD.encode(digest.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_read_from_chromedrivers_banner() {
        assert_eq!(listening_port("ChromeDriver was started successfully on port 41737."), Some(41737));
        assert_eq!(listening_port("Only local connections are allowed."), None);
    }

    #[tokio::test]
    async fn the_flags_map_only_the_sites_name_and_pin_only_its_key() {
        let site = Site::new("https://127.0.0.1:8443", Some("shop.test"), None, None).await.unwrap();
        let flags = flags(&site, std::path::Path::new("/tmp/p"), Some("abc="));
        assert!(flags.contains(&"--host-resolver-rules=MAP shop.test 127.0.0.1, MAP * ~NOTFOUND".to_owned()));
        assert!(flags.contains(&"--ignore-certificate-errors-spki-list=abc=".to_owned()));
        assert!(flags.contains(&"--user-data-dir=/tmp/p".to_owned()));
        assert!(!flags.iter().any(|f| f == "--ignore-certificate-errors"), "verification must stay on");
    }
}
