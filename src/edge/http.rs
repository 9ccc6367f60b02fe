//! HTTP as anonymous clients meet it, read-only: redirects and the ACME path, the security
//! headers and status of every class of answer, cookies, refusals, what must stay hidden,
//! compression and the body limit. Each check asks for an answer a dead or empty site cannot
//! give (a 308, a page, a JSON refusal), so none passes against nothing.

use std::time::Duration;

use serde_json::json;

use super::{Edge, EdgeCheck, EdgeError, Needs, Outcome, Problem, Target, header, look, problem, send};
use crate::check::{Kind, Meta, Severity};
use crate::probe::{cookies, headers};

/// The path a redirect check asks for, with a query that must survive the redirect.
const REDIRECTED: &str = "/lessons?page=2";

pub static REDIRECTS: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP405",
        name: "plain-http-redirects-to-https-with-308",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "GET and POST over plain HTTP answer 308 to the same path and query over HTTPS",
        fix: "keep `return 308 https://$host$request_uri;` in the port-80 server (301 turns a POST into a GET)",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(redirects) },
};

async fn redirects(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let url = site.http_url(REDIRECTED);
    let want = format!("https://{}{REDIRECTED}", site.server_name());
    let mut problems = Vec::new();
    for (method, request) in [("GET", client.get(&url)), ("POST", client.post(&url))] {
        let response = send(request, &url).await?;
        let location = header(&response, "location");
        if response.status() != 308 || location != want {
            problems.push(problem(
                &url,
                format!("{method} answered {} to {location:?}, want 308 to {want}", response.status()),
            ));
        }
    }
    Ok(problems)
}

pub static ACME_PATH: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP406",
        name: "acme-challenge-path-stays-on-plain-http",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "on the plain-HTTP port, which redirects everything else, /.well-known/acme-challenge/ is answered \
                  there (404 for an unknown token), not redirected",
        fix: "keep the `location ^~ /.well-known/acme-challenge/` block with root /var/www/acme in the port-80 server",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(acme_path) },
};

async fn acme_path(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let control = site.http_url("/");
    let answer = send(client.get(&control), &control).await?;
    if !answer.status().is_redirection() || !header(&answer, "location").starts_with("https://") {
        return Err(EdgeError::Observation(format!(
            "{control} answered {}, not the site's redirect to HTTPS: is it the site's HTTP port?",
            answer.status()
        )));
    }
    let url = site.http_url("/.well-known/acme-challenge/no-such-token");
    let response = send(client.get(&url), &url).await?;
    let status = response.status();
    Ok(match status.as_u16() {
        404 => Vec::new(),
        300..=399 => vec![problem(
            &url,
            format!(
                "the ACME path is redirected ({status} to {}), so no CA can validate",
                header(&response, "location")
            ),
        )],
        _ => vec![problem(&url, format!("answered {status}, not a plain-HTTP 404"))],
    })
}

pub static HEADERS: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP407",
        name: "every-answer-carries-the-security-headers",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "pages, API, static files, redirects and the 400/401/404/413 refusals each answer with their \
                  expected status and the full header set: HSTS, a strict parsed CSP, nosniff, DENY, referrer, \
                  permissions and opener policies, no version",
        fix: "include snippets/security-headers.conf (with `always`) in every server and location that has its own \
              add_header; keep the CSP to 'self'",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(security_headers) },
};

/// Read-only requests, each with the status its class of answer has.
const ANSWERS: [(&str, &str, u16); 11] = [
    ("GET", "/", 200),
    ("GET", "/lessons", 200),
    ("GET", "/login", 200),
    ("GET", "/api/lessons", 200),
    ("GET", "/static/style.css", 200),
    ("GET", "/no-such-page", 404),
    ("GET", "/api/no-such-thing", 404),
    ("GET", "/metrics", 404),
    ("GET", "/dashboard", 302),
    ("GET", "/api/me", 401),
    ("POST", "/api/auth/register", 400),
];

async fn security_headers(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let mut problems = Vec::new();
    for (method, path, status) in ANSWERS {
        let url = site.url(path);
        let request = if method == "GET" { client.get(&url) } else { client.post(&url).json(&json!({})) };
        let response = send(request, &url).await?;
        problems.extend(judge_answer(&url, &format!("{method} {path}"), &response, status));
    }
    let url = site.url("/api/auth/register");
    let oversized =
        send(client.post(&url).header("content-type", "application/json").body(oversized_body()), &url).await?;
    problems.extend(judge_answer(&url, "POST of 1 MiB + 1 KiB", &oversized, 413));
    Ok(problems)
}

/// Problems with one answer: a status other than `want`, and each header problem.
pub fn judge_answer(url: &str, what: &str, response: &reqwest::Response, want: u16) -> Vec<Problem> {
    let status = response.status().as_u16();
    let mut problems = Vec::new();
    if status != want {
        problems.push(problem(url, format!("{what} answered {status}, want {want}")));
    }
    problems.extend(
        headers::problems(response.headers()).into_iter().map(|p| problem(url, format!("{what} ({status}): {p}"))),
    );
    problems
}

/// A body just over the 1 MiB limit.
fn oversized_body() -> Vec<u8> {
    vec![b'x'; 1024 * 1024 + 1024]
}

pub static COOKIES: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP409",
        name: "session-cookies-are-secure-httponly-samesite-and-host-only",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "the session cookie the site sets is __Host- prefixed, Secure, HttpOnly, SameSite Lax or Strict, \
                  with Path=/ and no Domain",
        fix: "run the app with STOCKAPP_ENV=production (its config sets these flags)",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(session_cookies) },
};

async fn session_cookies(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let url = site.url("/api/csrf");
    let response = send(client.get(&url), &url).await?;
    let set: Vec<String> =
        response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
    if set.is_empty() {
        return Ok(vec![problem(
            &url,
            format!("GET /api/csrf ({}) set no cookie: the session cookie cannot be judged", response.status()),
        )]);
    }
    Ok(set.iter().flat_map(|c| cookies::problems(c)).map(|p| problem(&url, p)).collect())
}

pub static ANONYMOUS_REFUSED: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP410",
        name: "anonymous-requests-are-refused",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "without a session, the account API answers 401 and the dashboard redirects to the login page",
        fix: "keep @api_login_required / @page_login_required on every view that reads an account",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(anonymous_refused) },
};

async fn anonymous_refused(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let mut problems = Vec::new();
    for path in ["/api/me", "/api/users/1/progress", "/api/users/1/achievements"] {
        let url = site.url(path);
        let status = send(client.get(&url), &url).await?.status();
        if status != 401 {
            problems.push(problem(&url, format!("anonymous GET {path} answered {status}, want 401")));
        }
    }
    let url = site.url("/dashboard");
    let page = send(client.get(&url), &url).await?;
    let location = header(&page, "location");
    if !page.status().is_redirection() || !location.starts_with("/login") {
        problems.push(problem(
            &url,
            format!("anonymous /dashboard answered {} to {location:?}, want a redirect to /login", page.status()),
        ));
    }
    Ok(problems)
}

pub static HIDDEN: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP411",
        name: "metrics-and-monitoring-stay-hidden",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "through the proxy, /metrics (in every spelling) and the monitoring UIs' paths are 404 without their \
                  content, and the monitoring and app ports are closed on the site's address, which does serve HTTPS",
        fix: "keep the /metrics 404 locations; never publish Prometheus, Alertmanager, Grafana, the exporters or the \
              app's port (reach them with docker compose exec or an SSH tunnel)",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(hidden) },
};

/// Paths of the app's metrics and of the monitoring services' UIs and APIs.
const HIDDEN_PATHS: [&str; 13] = [
    "/metrics",
    "/metrics/",
    "//metrics",
    "/%6detrics",
    "/metrics?x=1",
    "/graph",
    "/prometheus",
    "/api/v1/query?query=up",
    "/api/v1/targets",
    "/alertmanager",
    "/api/v2/alerts",
    "/-/healthy",
    "/grafana/login",
];

/// What the hidden services' answers contain.
const REVEALING: [&str; 7] =
    ["stockapp_", "# HELP", "Prometheus", "prometheus", "Alertmanager", "Grafana", "\"activeTargets\""];

/// Ports that must not answer on the site's address: Prometheus, Alertmanager, Grafana, the
/// exporters, nginx's stub_status and the app itself.
const CLOSED_PORTS: [u16; 8] = [9090, 9093, 3000, 9100, 9113, 9115, 8081, 8000];

async fn hidden(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let home = site.url("/");
    let status = send(client.get(&home), &home).await?.status();
    if status != 200 {
        return Err(EdgeError::Observation(format!("{home} answered {status}: a 404 below would prove nothing")));
    }
    let mut problems = Vec::new();
    for path in HIDDEN_PATHS {
        let url = site.url(path);
        let response = send(client.get(&url), &url).await?;
        let status = response.status();
        let body = response.text().await.map_err(|source| EdgeError::Http { url: url.clone(), source })?;
        let revealed: Vec<&str> = REVEALING.iter().copied().filter(|word| body.contains(word)).collect();
        if status != 404 || !revealed.is_empty() {
            problems.push(problem(
                &url,
                format!("GET {path} answered {status} (revealing {revealed:?}), want a plain 404"),
            ));
        }
    }
    let ip = site.https_addr().ip();
    for port in CLOSED_PORTS {
        let addr = std::net::SocketAddr::new(ip, port);
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await {
            problems.push(problem(addr.to_string(), format!("port {port} accepts connections on the site's address")));
        }
    }
    Ok(problems)
}

pub static STATIC_GZIPPED: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP412",
        name: "static-files-are-gzipped-and-revalidated",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "a static file answers 200, gzipped when asked, cached for a week and not `immutable` (its name \
                  carries no content hash, so a deploy must be able to replace it)",
        fix: "keep `gzip on;` and `Cache-Control \"public, max-age=604800\"` in the /static/ location",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(static_gzipped) },
};

async fn static_gzipped(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let url = site.url("/static/style.css");
    let response = send(client.get(&url).header("accept-encoding", "gzip"), &url).await?;
    let (encoding, cache) = (header(&response, "content-encoding"), header(&response, "cache-control"));
    let mut problems = Vec::new();
    if response.status() != 200 {
        problems.push(problem(&url, format!("answered {}", response.status())));
    }
    if encoding != "gzip" {
        problems.push(problem(&url, format!("is not gzipped (content-encoding {encoding:?})")));
    }
    if !cache.contains("max-age=604800") || cache.contains("immutable") {
        problems
            .push(problem(&url, format!("Cache-Control is {cache:?}, want public, max-age=604800 without immutable")));
    }
    Ok(problems)
}

pub static BODY_LIMIT: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP414",
        name: "oversized-bodies-are-refused-by-the-proxy",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "a request body over 1 MiB gets the proxy's own 413 (HTML), while a small one reaches the app (JSON)",
        fix: "keep `client_max_body_size 1m;` in the proxy's http context",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(body_limit) },
};

async fn body_limit(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let url = site.url("/api/auth/register");
    let small = send(client.post(&url).json(&json!({})), &url).await?;
    let small_kind = header(&small, "content-type");
    if small.status() != 400 || !small_kind.starts_with("application/json") {
        return Err(EdgeError::Observation(format!(
            "a small POST answered {} ({small_kind}), not the app's JSON 400",
            small.status()
        )));
    }
    let response =
        send(client.post(&url).header("content-type", "application/json").body(oversized_body()), &url).await?;
    let kind = header(&response, "content-type");
    let mut problems = Vec::new();
    if response.status() != 413 {
        problems.push(problem(&url, format!("a 1 MiB + 1 KiB body answered {}", response.status())));
    } else if !kind.starts_with("text/html") {
        // The app answers JSON on /api/; nginx's own 413 page is HTML.
        problems.push(problem(&url, format!("the 413 came from the app ({kind}): the proxy let the body through")));
    }
    Ok(problems)
}

pub static NO_COMPRESSED_PAGES: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP415",
        name: "pages-with-secrets-are-not-compressed",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "HTML pages, which carry a CSRF token next to reflected input, are never compressed over TLS \
                  (BREACH), though the same client gets compressed static files",
        fix: "keep `gzip off;` at the http level and switch it on only for static files and the JSON API",
    },
    run: Edge { needs: Needs::Read, exhausts: false, look: look!(no_compressed_pages) },
};

async fn no_compressed_pages(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let control = site.url("/static/style.css");
    let encoding =
        header(&send(client.get(&control).header("accept-encoding", "gzip"), &control).await?, "content-encoding");
    if encoding != "gzip" {
        return Err(EdgeError::Observation(format!(
            "{control} is not compressed either ({encoding:?}): the client's Accept-Encoding is not honoured"
        )));
    }
    let mut problems = Vec::new();
    for path in ["/", "/login", "/register", "/lessons"] {
        let url = site.url(path);
        let response = send(client.get(&url).header("accept-encoding", "gzip, deflate, br"), &url).await?;
        let encoding = header(&response, "content-encoding");
        if !encoding.is_empty() {
            problems
                .push(problem(&url, format!("the page is compressed ({encoding}) although it carries a CSRF token")));
        }
    }
    Ok(problems)
}
