//! Checks that change the site's state: they register accounts and spend rate-limit budgets,
//! so `stackproof verify` runs them only with `--allow-writes`. Each has its control: the
//! genuine request succeeds where the forged one is refused, the own record is readable where
//! another's is not, a first attempt is answered where later ones are limited.

use serde_json::json;

use super::http::judge_answer;
use super::{Edge, EdgeCheck, EdgeError, Needs, Outcome, Target, look, problem, send};
use crate::check::{Kind, Meta, Severity};
use crate::probe::headers;
use crate::site::{PASSWORD, fresh_username};

pub static CSRF: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP420",
        name: "state-changes-without-a-csrf-token-are-refused",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "a registration without the session's CSRF token is refused (400) and creates nothing: the same \
                  request with the token then succeeds (201)",
        fix: "keep CSRFProtect initialised in the app (stockapp/security.py)",
    },
    run: Edge { needs: Needs::Write, exhausts: false, look: look!(csrf) },
};

async fn csrf(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let url = site.url("/api/auth/register");
    let account = json!({"username": fresh_username("csrf"), "password": PASSWORD});
    let forged = send(client.post(&url).json(&account), &url).await?.status();
    let mut problems = Vec::new();
    if forged != 400 {
        problems.push(problem(&url, format!("a registration without a CSRF token answered {forged}, want 400")));
    }
    let token = site.csrf_token(&client).await?;
    let genuine = send(client.post(&url).header("X-CSRFToken", token).json(&account), &url).await?.status();
    if genuine != 201 {
        problems.push(problem(&url, format!("the same registration with the token answered {genuine}: the refused one created the account, or registration is broken")));
    }
    Ok(problems)
}

pub static OWN_RECORDS_ONLY: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP421",
        name: "users-read-only-their-own-records",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "a logged-in user reads their own progress (200) but gets 403, with the security headers, for \
                  another user's progress and achievements",
        fix: "keep the ownership check (_own_user) on every /api/users/<id>/ view",
    },
    run: Edge { needs: Needs::Write, exhausts: false, look: look!(own_records_only) },
};

async fn own_records_only(target: &Target<'_>) -> Outcome {
    let site = target.site;
    let alice = site.register("alice").await?;
    let bob = site.register("bob").await?;
    let own = site.url(&format!("/api/users/{}/progress", alice.id));
    let status = send(alice.client.get(&own), &own).await?.status();
    let mut problems = Vec::new();
    if status != 200 {
        problems.push(problem(&own, format!("alice reading her own progress got {status}")));
    }
    for path in [format!("/api/users/{}/progress", bob.id), format!("/api/users/{}/achievements", bob.id)] {
        let url = site.url(&path);
        let response = send(alice.client.get(&url), &url).await?;
        problems.extend(judge_answer(&url, &format!("alice reading bob's {path}"), &response, 403));
    }
    Ok(problems)
}

pub static LOGIN_LIMIT: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP422",
        name: "login-attempts-are-rate-limited",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "rapid failed logins from one client (each for a new username, so the app's per-account throttle \
                  never acts) are first answered 401, then 429 by the proxy, with the security headers",
        fix: "keep `limit_req zone=login burst=5 nodelay;` on /login and /api/auth/login",
    },
    run: Edge { needs: Needs::Write, exhausts: true, look: look!(login_limit) },
};

async fn login_limit(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let token = site.csrf_token(&client).await?;
    let url = site.url("/api/auth/login");
    let mut statuses = Vec::new();
    let mut limited_headers = None;
    for _ in 0..8 {
        let attempt = json!({"username": fresh_username("guess"), "password": "wrong password"});
        let response = send(client.post(&url).header("X-CSRFToken", &token).json(&attempt), &url).await?;
        statuses.push(response.status().as_u16());
        if response.status() == 429 && limited_headers.is_none() {
            limited_headers = Some(headers::problems(response.headers()));
        }
    }
    if statuses[0] != 401 {
        return Err(EdgeError::Observation(format!(
            "the first failed login answered {}, not 401: the budget was already spent or login is broken ({statuses:?})",
            statuses[0]
        )));
    }
    let mut problems = Vec::new();
    match limited_headers {
        None => {
            problems.push(problem(&url, format!("8 rapid failed logins from one client never met 429: {statuses:?}")))
        }
        Some(header_problems) => {
            problems.extend(header_problems.into_iter().map(|p| problem(&url, format!("the 429: {p}"))))
        }
    }
    Ok(problems)
}

pub static API_LIMIT: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP423",
        name: "api-requests-are-rate-limited",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "of 100 simultaneous API requests from one client, some get 429 and every other one 200",
        fix: "keep `limit_req zone=api burst=40 nodelay;` on /api/",
    },
    run: Edge { needs: Needs::Write, exhausts: true, look: look!(api_limit) },
};

async fn api_limit(target: &Target<'_>) -> Outcome {
    let (site, client) = (target.site, target.site.client());
    let url = site.url("/api/lessons");
    let statuses = burst(&client, &url, 100).await?;
    let limited = statuses.iter().filter(|s| **s == 429).count();
    let other: Vec<u16> = statuses.iter().copied().filter(|s| *s != 429 && *s != 200).collect();
    let mut problems = Vec::new();
    if limited == 0 {
        problems.push(problem(&url, "100 simultaneous API requests from one client were all let through"));
    }
    if !other.is_empty() {
        problems.push(problem(
            &url,
            format!("{} requests that were not limited answered neither 200 nor 429: {other:?}", other.len()),
        ));
    }
    if limited == statuses.len() {
        return Err(EdgeError::Observation("every request was limited: the budget was spent before the check".into()));
    }
    println!("  {limited} of 100 simultaneous API requests were limited");
    Ok(problems)
}

/// Sends `count` GETs of `url` at once; their statuses.
pub async fn burst(client: &reqwest::Client, url: &str, count: usize) -> Result<Vec<u16>, EdgeError> {
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (client, url) = (client.clone(), url.to_owned());
        requests.spawn(async move { send(client.get(&url), &url).await.map(|r| r.status().as_u16()) });
    }
    let mut statuses = Vec::new();
    while let Some(joined) = requests.join_next().await {
        statuses.push(joined.map_err(|e| EdgeError::Observation(format!("a request task failed: {e}")))??);
    }
    Ok(statuses)
}
