//! Edge properties only the harness's own stack can show: which replica served (their own
//! metrics), which connections the proxy keeps, what a second client address sees, what the
//! app records as the client's address, and what a replica killed under load costs. Each has a
//! control that moves: a counter that must rise, a replica that must have served, a client that
//! must be answered.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http::judge_answer;
use super::{Edge, EdgeCheck, EdgeError, Needs, Outcome, Problem, Target, header, look, problem, send, stack_of};
use crate::check::{Kind, Meta, Severity};
use crate::stack::{Helper, Replica, Stack};
use crate::steady_load::SteadyLoad;
use crate::wait::{self, Probe};

/// Flask's own static route, as the app's metrics label it.
const FLASK_STATIC_ROUTE: &str = "/static/<path:filename>";

pub static STATIC_NEVER_REACHES_APP: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP413",
        name: "static-files-never-reach-the-app",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "a static file fetched through the proxy moves no replica's request counter for Flask's static \
                  route, which a fetch from inside a replica does move",
        fix: "keep the `location ^~ /static/` block with `alias /srv/static/` in the proxy",
    },
    run: Edge { needs: Needs::Stack, exhausts: false, look: look!(static_never_reaches_app) },
};

async fn static_never_reaches_app(target: &Target<'_>) -> Outcome {
    let stack = stack_of(target)?;
    let replicas = stack.replicas("app").await?;
    let control = &replicas.first().ok_or_else(|| EdgeError::Observation("no app replica".into()))?;
    let before = served_by(stack, control, FLASK_STATIC_ROUTE).await?;
    let fetch = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/static/style.css').read()";
    stack.exec_in(control, &["python3", "-c", fetch], Duration::from_secs(30)).await?;
    if served_by(stack, control, FLASK_STATIC_ROUTE).await? - before < 1.0 {
        return Err(EdgeError::Observation(format!(
            "a static fetch inside {} did not move its {FLASK_STATIC_ROUTE} counter: the label is wrong, so 0 below would prove nothing",
            control.name
        )));
    }
    let mut before = Vec::new();
    for replica in &replicas {
        before.push(served_by(stack, replica, FLASK_STATIC_ROUTE).await?);
    }
    let url = target.site.url("/static/style.css");
    let status = send(target.site.client().get(&url), &url).await?.status();
    if status != 200 {
        return Ok(vec![problem(&url, format!("answered {status}"))]);
    }
    let mut problems = Vec::new();
    for (replica, before) in replicas.iter().zip(before) {
        if served_by(stack, replica, FLASK_STATIC_ROUTE).await? > before {
            problems.push(problem(
                &url,
                format!("the request reached the app ({}): the proxy does not serve static files itself", replica.name),
            ));
        }
    }
    Ok(problems)
}

/// Requests `replica` has answered on `route`, read from its own /metrics.
pub async fn served_by(stack: &Stack, replica: &Replica, route: &str) -> Result<f64, EdgeError> {
    let script =
        "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/metrics').read().decode())";
    let output = stack.exec_in(replica, &["python3", "-c", script], Duration::from_secs(30)).await?;
    let label = format!("route=\"{route}\"");
    Ok(output
        .stdout
        .lines()
        .filter(|line| line.starts_with("stockapp_http_requests_total{") && line.contains(&label))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum())
}

pub static SPREAD: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP430",
        name: "requests-are-spread-over-every-replica",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "40 requests from one client are spread over at least two replicas, each serving a fair share \
                  (at least a quarter of an even split): no replica idles, none is pinned to a client",
        fix: "keep the upstream round-robin over every replica the entrypoint discovers; no ip_hash or hash $remote_addr",
    },
    run: Edge { needs: Needs::Stack, exhausts: false, look: look!(spread) },
};

async fn spread(target: &Target<'_>) -> Outcome {
    const REQUESTS: usize = 40;
    let stack = stack_of(target)?;
    let replicas = stack.replicas("app").await?;
    let url = target.site.url("/lessons");
    if replicas.len() < 2 {
        return Ok(vec![problem(&url, format!("only {} app replica(s) run: nothing can be spread", replicas.len()))]);
    }
    let mut before = Vec::new();
    for replica in &replicas {
        before.push(served_by(stack, replica, "/lessons").await?);
    }
    let client = target.site.client();
    for _ in 0..REQUESTS {
        let status = send(client.get(&url), &url).await?.status();
        if status != 200 {
            return Ok(vec![problem(&url, format!("GET /lessons answered {status}"))]);
        }
    }
    let fair = REQUESTS / replicas.len() / 4;
    let mut problems = Vec::new();
    for (replica, before) in replicas.iter().zip(before) {
        let served = served_by(stack, replica, "/lessons").await? - before;
        println!("  {} served {served} of {REQUESTS}", replica.name);
        if served < fair as f64 {
            problems.push(problem(
                &url,
                format!("replica {} served {served} of {REQUESTS} requests (fair share at least {fair})", replica.name),
            ));
        }
    }
    Ok(problems)
}

pub static KEEPALIVE: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP431",
        name: "the-proxy-keeps-connections-to-every-replica",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "after a few requests, the proxy keeps an idle connection open to every replica (upstream keepalive: \
                  no TCP handshake per request)",
        fix: "keep `keepalive` in the upstream block, `proxy_http_version 1.1` and `proxy_set_header Connection \"\"`",
    },
    run: Edge { needs: Needs::Stack, exhausts: false, look: look!(keepalive) },
};

async fn keepalive(target: &Target<'_>) -> Outcome {
    let stack = stack_of(target)?;
    let (client, url) = (target.site.client(), target.site.url("/lessons"));
    for _ in 0..20 {
        let status = send(client.get(&url), &url).await?.status();
        if status != 200 {
            return Ok(vec![problem(&url, format!("GET /lessons answered {status}"))]);
        }
    }
    let proxy = proxy_addresses(stack).await?;
    let mut problems = Vec::new();
    for replica in stack.replicas("app").await? {
        let idle = established_from(stack, &replica, &proxy).await?;
        println!("  {} keeps {idle} connection(s) from the proxy open", replica.name);
        if idle == 0 {
            problems.push(problem(
                &url,
                format!("no connection from the proxy stays open to {} (no upstream keepalive)", replica.name),
            ));
        }
    }
    Ok(problems)
}

/// The proxy's addresses as /proc/net/tcp writes them (IPv4, little-endian hex).
async fn proxy_addresses(stack: &Stack) -> Result<Vec<String>, EdgeError> {
    let mut hex = Vec::new();
    for proxy in stack.replicas("proxy").await? {
        let format = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}";
        let output = stack.docker(&["inspect", "-f", format, &proxy.id], Duration::from_secs(30)).await?;
        for address in output.stdout.split_whitespace() {
            let ip: std::net::Ipv4Addr =
                address.parse().map_err(|_| EdgeError::Observation(format!("proxy address {address}")))?;
            hex.push(format!("{:08X}", u32::from_le_bytes(ip.octets())));
        }
    }
    if hex.is_empty() {
        return Err(EdgeError::Observation("the proxy has no address".into()));
    }
    Ok(hex)
}

/// Established TCP connections from `peers` to port 8000 inside `replica` (other clients,
/// such as Prometheus scraping /metrics, do not count).
async fn established_from(stack: &Stack, replica: &Replica, peers: &[String]) -> Result<usize, EdgeError> {
    let table = stack.exec_in(replica, &["cat", "/proc/net/tcp"], Duration::from_secs(30)).await?.stdout;
    let from_peer = |line: &&str| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let local_is_app = fields.get(1).is_some_and(|local| local.ends_with(":1F40"));
        let remote_is_peer = fields.get(2).is_some_and(|remote| peers.iter().any(|p| remote.starts_with(p.as_str())));
        local_is_app && remote_is_peer && fields.get(3) == Some(&"01")
    };
    Ok(table.lines().skip(1).filter(from_peer).count())
}

pub static ERROR_PAGES: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP432",
        name: "the-proxys-own-error-pages-carry-the-headers",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "with every replica stopped, the proxy's own 502/504 page carries the security headers; once \
                  they are back, the site serves again",
        fix: "keep `always` on every add_header of snippets/security-headers.conf",
    },
    run: Edge { needs: Needs::Disrupt, exhausts: false, look: look!(error_pages) },
};

async fn error_pages(target: &Target<'_>) -> Outcome {
    let stack = stack_of(target)?;
    let ids: Vec<String> = stack.replicas("app").await?.into_iter().map(|r| r.id).collect();
    let mut stop = vec!["stop", "--time", "10"];
    stop.extend(ids.iter().map(String::as_str));
    stack.docker(&stop, Duration::from_secs(60)).await?;
    let url = target.site.url("/lessons");
    let outcome = async {
        // The proxy's replica watcher notices the stopped replicas within seconds; either way
        // nothing answers, and nginx answers itself.
        let response = send(target.site.client().get(&url), &url).await?;
        // 502 when the replicas refuse, 504 when their addresses are gone and the connects time out.
        let want = if response.status() == 504 { 504 } else { 502 };
        Ok::<Vec<Problem>, EdgeError>(judge_answer(&url, "GET /lessons with every replica stopped", &response, want))
    }
    .await;
    let mut start = vec!["start"];
    start.extend(ids.iter().map(String::as_str));
    stack.docker(&start, Duration::from_secs(60)).await?;
    wait_until_served(target, &url).await?;
    outcome
}

/// Waits until `url` answers 200 through the proxy again.
async fn wait_until_served(target: &Target<'_>, url: &str) -> Result<(), EdgeError> {
    let client = target.site.client();
    wait::until("the site serving again", Duration::from_secs(90), Duration::from_millis(500), || async {
        match client.get(url).send().await {
            Ok(r) if r.status() == 200 => Probe::Ready(()),
            Ok(r) => Probe::Pending(format!("answered {}", r.status())),
            Err(e) => Probe::Pending(e.to_string()),
        }
    })
    .await
    .map_err(|e| EdgeError::Observation(e.to_string()))
}

/// A second client: a helper container on the stack's edge network, whose address is its own.
struct SecondClient<'a> {
    stack: &'a Stack,
    /// The app's image: it has python3 and its ssl module.
    image: String,
    ca: tempfile::NamedTempFile,
    proxy: String,
    name: String,
}

/// What the second client saw.
#[derive(Debug)]
struct Seen {
    ip: String,
    statuses: Vec<u16>,
}

/// Sends GETs from the helper, with extra headers, and prints what it got as JSON.
const SECOND_CLIENT: &str = r#"
import json, socket, ssl, sys, time, urllib.error, urllib.request
ca, host, path, count, headers, pause = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5]), float(sys.argv[6])
context = ssl.create_default_context(cafile=ca)
seen = {"statuses": []}
for n in range(count):
    if n:
        time.sleep(pause)
    try:
        answer = urllib.request.urlopen(urllib.request.Request(f"https://{host}:8443{path}", headers=headers), context=context, timeout=10)
    except urllib.error.HTTPError as refused:
        answer = refused
    seen["statuses"].append(answer.status)
probe = socket.create_connection((host, 8443))
seen["ip"] = probe.getsockname()[0]
probe.close()
print(json.dumps(seen))
"#;

impl<'a> SecondClient<'a> {
    async fn new(target: &Target<'a>) -> Result<Self, EdgeError> {
        use std::os::unix::fs::PermissionsExt;
        let stack = stack_of(target)?;
        let proxy = stack
            .replicas("proxy")
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| EdgeError::Observation("no proxy".into()))?;
        let io = |e: std::io::Error| EdgeError::Observation(format!("writing the CA for the second client: {e}"));
        let ca = tempfile::NamedTempFile::new().map_err(io)?;
        std::fs::write(ca.path(), target.site.ca_pem().unwrap_or_default()).map_err(io)?;
        std::fs::set_permissions(ca.path(), std::fs::Permissions::from_mode(0o644)).map_err(io)?;
        let proxy = stack.address_on(&proxy.id, "edge").await?;
        let image = stack.image_of("app").await?;
        Ok(Self { stack, image, ca, proxy, name: target.site.server_name().to_owned() })
    }

    async fn get(&self, path: &str, count: usize, headers: &BTreeMap<&str, &str>) -> Result<Seen, EdgeError> {
        self.get_paced(path, count, Duration::ZERO, headers).await
    }

    async fn get_paced(
        &self,
        path: &str,
        count: usize,
        pause: Duration,
        headers: &BTreeMap<&str, &str>,
    ) -> Result<Seen, EdgeError> {
        let (count, headers, pause) =
            (count.to_string(), serde_json::to_string(headers).unwrap_or_default(), pause.as_secs_f64().to_string());
        let args =
            ["python3", "-c", SECOND_CLIENT, "/etc/stackproof-ca.pem", &self.name, path, &count, &headers, &pause];
        let mut helper = Helper::on("edge", &self.image, &args);
        helper.mounts.push(format!("{}:/etc/stackproof-ca.pem:ro", self.ca.path().display()));
        helper.add_hosts.push(format!("{}:{}", self.name, self.proxy));
        let output = self.stack.run_helper(&helper).await?;
        let seen: Value = serde_json::from_str(output.stdout.trim())
            .map_err(|_| EdgeError::Observation(format!("the second client printed {:?}", output.stdout)))?;
        let statuses =
            seen["statuses"].as_array().into_iter().flatten().filter_map(|v| v.as_u64()?.try_into().ok()).collect();
        Ok(Seen { ip: seen["ip"].as_str().unwrap_or_default().to_owned(), statuses })
    }
}

pub static PER_CLIENT_LIMITS: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP433",
        name: "rate-limits-are-per-client",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "while one client address is rate limited, a second address (another container on the edge network) \
                  gets 200 for every request",
        fix: "key limit_req zones by $binary_remote_addr, never by a constant or a shared header",
    },
    run: Edge { needs: Needs::Stack, exhausts: true, look: look!(per_client_limits) },
};

async fn per_client_limits(target: &Target<'_>) -> Outcome {
    let second = SecondClient::new(target).await?;
    let (client, url) = (target.site.client(), target.site.url("/api/lessons"));
    // The first client floods, well above its rate, for as long as the second one asks: a
    // shared budget would stay spent while the second client's paced requests arrive.
    let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, url, flooding) = (client.clone(), url.clone(), flooding.clone());
        flood.spawn(async move {
            let mut statuses = Vec::new();
            let started = Instant::now();
            while flooding.load(std::sync::atomic::Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
                statuses.push(client.get(&url).send().await.map_or(0, |r| r.status().as_u16()));
            }
            statuses
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = second.get_paced("/api/lessons", 10, Duration::from_millis(200), &BTreeMap::new()).await;
    flooding.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut first = Vec::new();
    while let Some(joined) = flood.join_next().await {
        first.extend(joined.unwrap_or_default());
    }
    let seen = seen?;
    if !first.contains(&429) {
        return Ok(vec![problem(
            &url,
            format!(
                "{} flooding requests from the first client were never limited: nothing per client to show",
                first.len()
            ),
        )]);
    }
    if seen.statuses.len() != 10 || seen.statuses.iter().any(|s| *s != 200) {
        return Ok(vec![problem(
            &url,
            format!(
                "while the first client was limited, the second client {} got {:?}: the limit is not per client",
                seen.ip, seen.statuses
            ),
        )]);
    }
    Ok(Vec::new())
}

pub static CLIENT_ADDRESS: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP434",
        name: "the-app-records-the-real-client-address",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "for a request from a known address carrying forged X-Forwarded-For, X-Real-IP and Forwarded headers, \
                  the app's request log records that address, as the proxy's log does",
        fix: "keep STOCKAPP_PROXY_HOPS equal to the proxies in front of the app (1), and have the proxy overwrite \
              X-Forwarded-For with $remote_addr",
    },
    run: Edge { needs: Needs::Stack, exhausts: false, look: look!(client_address) },
};

/// An address from the documentation range (RFC 5737): never a real client's.
const FORGED: &str = "203.0.113.7";

async fn client_address(target: &Target<'_>) -> Outcome {
    let stack = stack_of(target)?;
    let second = SecondClient::new(target).await?;
    let forged = BTreeMap::from([("X-Forwarded-For", FORGED), ("X-Real-IP", FORGED), ("Forwarded", "for=203.0.113.7")]);
    // A path of its own (a 404 the app answers and logs): the request is found in both logs by
    // it, whatever headers the answer carries.
    let path = format!("/stackproof-client-address-{}", crate::site::fresh_username("probe").replace('_', "-"));
    let seen = second.get(&path, 1, &forged).await?;
    let url = target.site.url(&path);
    if seen.statuses != [404] {
        return Err(EdgeError::Observation(format!(
            "the second client got {:?} for {path}, not the app's 404",
            seen.statuses
        )));
    }
    let (app, proxy) = wait_for_log_lines(stack, &path).await?;
    if proxy.as_deref() != Some(seen.ip.as_str()) {
        return Err(EdgeError::Observation(format!(
            "the proxy logged {path} from {proxy:?}, not the second client's {}",
            seen.ip
        )));
    }
    Ok(match app {
        Some(recorded) if recorded == seen.ip => Vec::new(),
        Some(recorded) => vec![problem(
            &url,
            format!("a request from {} (forging {FORGED}) was recorded by the app as from {recorded}", seen.ip),
        )],
        None => vec![problem(&url, "the app logged no line for the request: it records no client address")],
    })
}

/// The client address the app's and the proxy's JSON logs give for the request of `path`, once
/// both have it (logs arrive a moment after the answer), or after 10 s.
async fn wait_for_log_lines(stack: &Stack, path: &str) -> Result<(Option<String>, Option<String>), EdgeError> {
    let address = |logs: &str, key: &str| -> Option<String> {
        logs.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line.get(line.find('{')?..)?).ok())
            .find(|entry| entry[key].as_str().is_some_and(|p| p.starts_with(path)))
            .and_then(|entry| entry["remote_addr"].as_str().map(str::to_owned))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let app = address(&stack.service_logs("app", 2000).await?, "path");
        let proxy = address(&stack.service_logs("proxy", 2000).await?, "uri");
        if (app.is_some() && proxy.is_some()) || Instant::now() > deadline {
            return Ok((app, proxy));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub static ACME_FILES_SERVED: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP435",
        name: "acme-challenge-files-are-served-over-plain-http",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "a token written into the shared ACME webroot (as certbot does) is served over plain HTTP, as \
                  text, where the CA's validation asks for it",
        fix: "keep the acme volume mounted at /var/www/acme in both certbot and the proxy, and the port-80 location's root",
    },
    run: Edge { needs: Needs::Stack, exhausts: false, look: look!(acme_files_served) },
};

async fn acme_files_served(target: &Target<'_>) -> Outcome {
    let stack = stack_of(target)?;
    let token = format!("stackproof-{}", crate::site::fresh_username("token").replace('_', "-"));
    let script = format!(
        "mkdir -p /acme/.well-known/acme-challenge && printf %s {token} > /acme/.well-known/acme-challenge/{token}"
    );
    let image = stack.image_of("app").await?;
    let mut writer = Helper::on("backend", &image, &["sh", "-c", &script]);
    writer.mounts.push(format!("{}:/acme", stack.volume_name("acme")));
    stack.run_helper(&writer).await?;
    let url = target.site.http_url(&format!("/.well-known/acme-challenge/{token}"));
    let response = send(target.site.client().get(&url), &url).await?;
    let (status, kind) = (response.status(), header(&response, "content-type"));
    let body = response.text().await.map_err(|source| EdgeError::Http { url: url.clone(), source })?;
    let mut remove = Helper::on("backend", &image, &["rm", "-f", &format!("/acme/.well-known/acme-challenge/{token}")]);
    remove.mounts.push(format!("{}:/acme", stack.volume_name("acme")));
    stack.run_helper(&remove).await?;
    if status != 200 || body != token || !kind.starts_with("text/plain") {
        return Ok(vec![problem(
            &url,
            format!(
                "the challenge file answered {status} ({kind}) with {:?}",
                body.chars().take(80).collect::<String>()
            ),
        )]);
    }
    Ok(Vec::new())
}

pub static KILL_UNDER_LOAD: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP436",
        name: "a-replica-killed-under-load-fails-no-request",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "with four clients sending steadily, the replica that served the most of them is killed: no \
                  request fails, and at least 200 succeed after the kill",
        fix: "keep `proxy_next_upstream error timeout http_502 http_503` with tries and a short connect timeout, and \
              max_fails on the upstream servers",
    },
    run: Edge { needs: Needs::Disrupt, exhausts: false, look: look!(kill_under_load) },
};

async fn kill_under_load(target: &Target<'_>) -> Outcome {
    const WORKERS: usize = 4;
    const BEFORE_KILL: Duration = Duration::from_secs(3);
    const LOAD_FOR: Duration = Duration::from_secs(12);
    const MAX_PER_WORKER: usize = 2_000;
    const AFTER_KILL_AT_LEAST: usize = 200;
    let stack = stack_of(target)?;
    let replicas = stack.replicas("app").await?;
    let mut served_before = Vec::new();
    for replica in &replicas {
        served_before.push(served_by(stack, replica, "/lessons").await?);
    }
    let load = SteadyLoad::start(target.site, WORKERS, &["/lessons"], LOAD_FOR, MAX_PER_WORKER);
    let started = load.started;
    tokio::time::sleep(BEFORE_KILL).await;
    // The victim is the replica that served the most of this load: the kill must hit traffic.
    let mut busiest: Option<(f64, &Replica)> = None;
    for (replica, before) in replicas.iter().zip(&served_before) {
        let served = served_by(stack, replica, "/lessons").await? - before;
        if busiest.is_none_or(|(most, _)| served > most) {
            busiest = Some((served, replica));
        }
    }
    let (served_under_load, victim) = busiest.ok_or_else(|| EdgeError::Observation("no app replica".into()))?;
    let victim_address = stack.address_on(&victim.id, "backend").await?;
    let retried_before = retried_away_from(stack, &victim_address).await?;
    let killed_at = Instant::now();
    stack.docker(&["kill", &victim.id], Duration::from_secs(30)).await?;
    tokio::time::sleep(LOAD_FOR.saturating_sub(started.elapsed())).await;
    let seen = load.stop().await.map_err(EdgeError::Observation)?;
    let failed = seen.failed();
    let after = seen.succeeded_after(killed_at);
    let url = target.site.url("/lessons");
    println!(
        "  {}; {} served by {} before the kill, {after} succeeded after it",
        seen.summary(),
        served_under_load,
        victim.name
    );
    if served_under_load < 1.0 {
        return Err(EdgeError::Observation(format!(
            "{} served none of the load before the kill: the kill proves nothing",
            victim.name
        )));
    }
    // The proxy's log names every replica a request went to: a request the dead replica
    // failed, then another served, proves the kill hit traffic and the proxy took it elsewhere.
    let retried_away = retried_away_from(stack, &victim_address).await? - retried_before;
    println!("  the proxy sent {retried_away} requests on from {victim_address} to another replica");
    let mut problems = Vec::new();
    if retried_away == 0 {
        problems.push(problem(
            &url,
            format!("no request was retried away from the killed replica ({victim_address}) in the proxy's log: either the kill hit no traffic or the proxy does not retry"),
        ));
    }
    if after < AFTER_KILL_AT_LEAST {
        problems.push(problem(&url, format!("only {after} requests succeeded after the kill (want at least {AFTER_KILL_AT_LEAST}): the survivors did not carry the load")));
    }
    if !failed.is_empty() {
        problems.push(problem(
            &url,
            format!(
                "{} of {} requests failed: {:?}",
                failed.len(),
                seen.answers.len(),
                seen.first_failures(5, started)
            ),
        ));
    }
    // The killed replica stays down (restart: unless-stopped does not restart a killed
    // container); start it again for whatever runs after, and wait until the site serves.
    stack.docker(&["start", &victim.id], Duration::from_secs(60)).await?;
    wait_until_served(target, &url).await?;
    Ok(problems)
}

/// Requests in the proxy's log that `address` failed and the proxy then sent to another replica.
async fn retried_away_from(stack: &Stack, address: &str) -> Result<usize, EdgeError> {
    let logged = stack.service_logs("proxy", 100_000).await?;
    let retried = format!("\"upstream_addr\":\"{address}:8000, ");
    Ok(logged.lines().filter(|l| l.contains(&retried)).count())
}
