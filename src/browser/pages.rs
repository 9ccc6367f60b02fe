//! SP440: every page class an anonymous visitor reaches loads in Chromium with nothing refused
//! and nothing broken. The pages stand for their classes: home, the lesson list, a lesson, the
//! analysis index, every symbol's analysis page (where charts are drawn), log in and register;
//! the lesson and symbol pages are found through the links the site itself shows, so a renamed
//! lesson or a new symbol is followed, not missed. The pages behind a log-in are judged the same
//! way along the user's path (SP442).

use super::{Browser, BrowserError, Said};
use crate::check::{Kind, Meta, Severity};
use crate::edge::{Edge, EdgeCheck, Needs, Outcome, Problem, Target, look, problem};

/// Symbol pages loaded at most (each symbol's page is its own chart).
const MAX_SYMBOLS: usize = 12;

pub static PAGES_CLEAN: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP440",
        name: "pages-load-in-chromium-with-no-csp-or-console-error",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "headless Chromium loads home, the lesson list, a lesson, the analysis index, every symbol's \
                  analysis page, log in and register through the proxy, each answering 200 with its stylesheets and \
                  images loaded, and logs no CSP violation and no console error on any of them",
        fix: "serve every script, style and image from the site's own origin as files (no inline <script>, \
              <style> or style= attributes; an SVG chart styled by classes from the stylesheet), and keep the CSP \
              allowing 'self' for them",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(pages_clean) },
};

async fn pages_clean(target: &Target<'_>) -> Outcome {
    super::settled(|| async {
        let browser = Browser::open(target.site).await?;
        let judged = judge_every_class(&browser).await;
        browser.close().await;
        judged
    })
    .await
}

async fn judge_every_class(browser: &Browser) -> Outcome {
    let (paths, mut problems) = page_classes(browser).await?;
    // What discovery logged was judged by nobody: every page is loaded afresh below.
    browser.log().await?;
    for (_, path) in &paths {
        // A page that does not load is a problem of its own; the other pages are still judged.
        match browser.visit(path).await {
            Ok(said) => problems.extend(judge(browser, &said).await?),
            Err(error) => problems.push(problem(browser.site().url(path), error.to_string())),
        }
    }
    Ok(problems)
}

/// Every anonymous page class and the path standing for it, found by following the site's
/// links; and a problem for each class the site links no page of.
pub(super) async fn page_classes(
    browser: &Browser,
) -> Result<(Vec<(&'static str, String)>, Vec<Problem>), BrowserError> {
    let mut paths = vec![("home", "/".to_owned()), ("lesson list", "/lessons".to_owned())];
    let mut missing = Vec::new();
    match linked(browser, "/lessons", "/lessons/").await?.into_iter().next() {
        Some(lesson) => paths.push(("lesson", lesson)),
        None => missing.push(problem(browser.site().url("/lessons"), "links no lesson (a[href^=\"/lessons/\"])")),
    }
    paths.push(("analysis index", "/analysis".to_owned()));
    let symbols = linked(browser, "/analysis", "/analysis/").await?;
    if symbols.is_empty() {
        missing.push(problem(browser.site().url("/analysis"), "links no symbol's analysis (a[href^=\"/analysis/\"])"));
    }
    paths.extend(symbols.into_iter().take(MAX_SYMBOLS).map(|path| ("symbol analysis", path)));
    paths.extend([("log in", "/login".to_owned()), ("register", "/register".to_owned())]);
    Ok((paths, missing))
}

/// The distinct paths starting with `prefix` that the page at `path` links, in page order; none
/// when it does not load (judging it is the caller's affair, as for every page).
async fn linked(browser: &Browser, path: &str, prefix: &str) -> Result<Vec<String>, BrowserError> {
    if browser.visit(path).await.is_err() {
        return Ok(Vec::new());
    }
    let script =
        format!("return [...document.querySelectorAll('a[href^=\"{prefix}\"]')].map(a => a.getAttribute('href'));");
    let found = browser.script(&script).await?;
    let mut paths: Vec<String> = Vec::new();
    for path in found.as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
        let path = path.split('#').next().unwrap_or(path).to_owned();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    Ok(paths)
}

/// The problems of the page just loaded: what the browser logged while loading it (`said`), and
/// every stylesheet or image of it that did not load (a second witness, should the log be
/// silent).
pub(super) async fn judge(browser: &Browser, said: &Said) -> Result<Vec<Problem>, BrowserError> {
    let mut problems: Vec<Problem> = said.troubles().into_iter().map(|t| problem(&said.url, t)).collect();
    // A stylesheet the CSP blocked still has a `sheet`, but its rules cannot be read.
    let unloaded = browser
        .script(
            "const unread = l => { try { return !l.sheet || !l.sheet.cssRules; } catch (e) { return true; } };\
             const sheets = [...document.querySelectorAll('link[rel~=\"stylesheet\"]')]\
               .filter(unread).map(l => 'stylesheet ' + l.href);\
             const images = [...document.images]\
               .filter(i => !i.complete || i.naturalWidth === 0).map(i => 'image ' + i.currentSrc);\
             return sheets.concat(images);",
        )
        .await?;
    for asset in unloaded.as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
        problems.push(problem(&said.url, format!("the {asset} did not load in the browser")));
    }
    Ok(problems)
}
