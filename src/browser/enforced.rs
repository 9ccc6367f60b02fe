//! SP441: the CSP is enforced, not only sent. On every anonymous page class, after the page has
//! loaded (what it logged is SP440's to judge, and is set aside first), the probe does what an
//! injection would: it inserts an inline `<script>` and calls `eval`, and requires the browser to
//! refuse both, to say so through `securitypolicyviolation` events (the probe's listener is in
//! place before it acts, so unlike a listener added after a page load it misses nothing), and to
//! log the inline refusal (so the log SP440 counts on is shown to see refusals). A loosened
//! policy (`'unsafe-inline'`, `'unsafe-eval'`), a report-only one, or none at all fails here,
//! whatever the header check reads.

use super::{Browser, BrowserError};
use crate::check::{Kind, Meta, Severity};
use crate::edge::{Edge, EdgeCheck, Needs, Outcome, Problem, Target, look, problem};

pub static CSP_ENFORCED: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP441",
        name: "chromium-refuses-injected-inline-script-and-eval",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "on every anonymous page class, headless Chromium refuses an inline <script> inserted into the \
                  loaded page and a call to eval, reports both as CSP violations and logs the refusal",
        fix: "send an enforced Content-Security-Policy (not Report-Only) on every page whose script-src (or \
              default-src) has neither 'unsafe-inline' nor 'unsafe-eval' (snippets/security-headers.conf)",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(csp_enforced) },
};

/// Puts a violation listener in place, then inserts an inline script (through WebDriver, whose
/// own scripts the CSP does not govern, but whose inserted element it does).
const INJECT: &str = "
    window.__stackproof_reported = [];
    document.addEventListener('securitypolicyviolation',
        e => window.__stackproof_reported.push(e.effectiveDirective));
    window.__stackproof_inline = false;
    const injected = document.createElement('script');
    injected.textContent = 'window.__stackproof_inline = true;';
    document.head.appendChild(injected);
    return null;
";

/// Calls eval, evaluated under the page's CSP (see [`Browser::evaluate_under_csp`]).
const EVAL: &str = "(() => { try { return eval('1 + 1') === 2 ? 'ran' : 'odd'; } \
                    catch (refused) { return 'refused: ' + refused; } })()";

/// What ran and what the browser reported, once its (asynchronous) events have been delivered.
const VERDICT: &str = "
    const done = arguments[arguments.length - 1];
    setTimeout(() => done({ inline: window.__stackproof_inline, reported: window.__stackproof_reported }), 250);
";

async fn csp_enforced(target: &Target<'_>) -> Outcome {
    super::settled(|| async {
        let browser = Browser::open(target.site).await?;
        let judged = probe_every_class(&browser).await;
        browser.close().await;
        judged
    })
    .await
}

async fn probe_every_class(browser: &Browser) -> Outcome {
    let (paths, mut problems) = super::pages::page_classes(browser).await?;
    for (_, path) in &paths {
        // The page's own log entries are set aside: only the probe's are judged here. A page
        // that does not load cannot be probed: a problem of its own.
        match browser.visit(path).await {
            Ok(_) => problems.extend(probe(browser).await?),
            Err(error) => problems.push(problem(browser.site().url(path), format!("cannot be probed: {error}"))),
        }
    }
    Ok(problems)
}

/// The probe's verdict on the page just loaded.
async fn probe(browser: &Browser) -> Result<Vec<Problem>, BrowserError> {
    let url = browser.url().await?;
    browser.script(INJECT).await?;
    let evaluated = browser.evaluate_under_csp(EVAL).await?;
    let outcome = browser.script_async(VERDICT).await?;
    let logged = browser.log().await?;
    let mut problems = Vec::new();
    if outcome["inline"] != false {
        problems.push(problem(
            &url,
            "an inline <script> inserted into the page ran: the CSP does not forbid inline scripts",
        ));
    }
    match evaluated {
        Ok(said) if said == "ran" => {
            problems.push(problem(&url, "eval ran a string as code: the CSP does not forbid eval"));
        }
        Ok(said) if said.starts_with("refused: EvalError") => {}
        // The evaluation as a whole refused as an eval: refused too.
        Err(said) if said.starts_with("EvalError") => {}
        other => problems.push(problem(&url, format!("the eval probe answered {other:?}, want an EvalError"))),
    }
    if !problems.is_empty() {
        return Ok(problems);
    }
    // Both refused: the browser must say so, as events and in its log.
    let reported: Vec<&str> = outcome["reported"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
    if reported.len() < 2 {
        problems.push(problem(
            &url,
            format!("both were refused, but only {reported:?} came as securitypolicyviolation events, want 2"),
        ));
    }
    // The inline refusal is what a page load's refusals are: its line in the log shows that the
    // log SP440 reads sees them.
    if !logged.iter().any(|e| e.is_csp_violation()) {
        problems.push(problem(
            &url,
            format!(
                "the inline script was refused, but the browser's log holds no CSP violation ({} entries): page \
                 checks reading that log would miss violations",
                logged.len()
            ),
        ));
    }
    Ok(problems)
}
