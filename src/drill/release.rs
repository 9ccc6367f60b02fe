//! Release drills (`SP600`-`SP604`): `deploy/release.sh` run against the booted stack while
//! clients send steadily. A bad input changes nothing; a release that never turns healthy is
//! never cut over; a good one carrying a migration replaces every replica without a failed
//! request; `rollback` returns the same way; one that answers 5xx after cutover is rolled back
//! by the watch window, to the previous image by id.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::process::Command;

use super::images::{self, REPOSITORY};
use super::{Drill, DrillCheck, DrillTarget, look};
use crate::check::{Kind, Meta, Severity};
use crate::command::{self, Finished};
use crate::observe::{ObserveError, Outcome, Problem, problem};
use crate::steady_load::{Seen, SteadyLoad};

/// What the clients ask for during a release: pages, static files and liveness, all outside
/// the API's rate limit (the script's own probes cover the API).
const PATHS: [&str; 4] = ["/", "/lessons", "/static/style.css", "/healthz"];
/// Clients, and the pause each makes between requests (about 100 requests a second in all:
/// steady, not a load test).
const CLIENTS: usize = 3;
const PAUSE: Duration = Duration::from_millis(25);
/// Upper bound of one release or rollback (the script's own deadlines are shorter).
const SCRIPT_DEADLINE: Duration = Duration::from_secs(600);
/// The watch window the drills give a release; production keeps the script's 60 s.
const WATCH_SECONDS: u32 = 10;
/// How long new replicas get to turn healthy in the drills (the healthcheck's first success
/// comes after its 10 s interval).
const HEALTH_SECONDS: u32 = 30;
/// Where the release drill notes the image that served before it, for the rollback drill.
const DRILL_PREVIOUS: &str = "drill-previous-image";
/// The drill's migration: an addition the running version never reads.
const MIGRATION: &str = "9001_release_drill.sql";
const MIGRATION_SQL: &str = "-- Added by the release drill: a column the previous release never reads.\n\
                             ALTER TABLE users ADD COLUMN release_drill_note TEXT;\n";

macro_rules! drill {
    ($name:ident, $id:literal, $kebab:literal, $summary:literal, $fix:literal, $f:ident) => {
        #[doc = $summary]
        pub static $name: DrillCheck = DrillCheck {
            meta: Meta {
                id: $id,
                name: $kebab,
                kind: Kind::Drill,
                severity: Severity::Error,
                summary: $summary,
                fix: $fix,
            },
            run: Drill { look: look!($f) },
        };
    };
}

drill!(
    BAD_INPUT,
    "SP600",
    "the-release-command-refuses-bad-input-and-changes-nothing",
    "an unknown version, a malformed one, a second release while one runs and an unreachable Docker engine each \
     end with exit 2 and a message naming the problem, and the same replicas keep serving",
    "keep deploy/release.sh's preflight (version syntax, image present, the lock, docker info) before any change",
    bad_input
);
drill!(
    NEVER_HEALTHY,
    "SP601",
    "a-release-that-never-turns-healthy-is-not-cut-over",
    "under steady load, a release whose replicas never turn healthy exits 1 saying why, no request fails, its \
     containers are gone and the running version still serves",
    "wait for every new replica's healthcheck and the proxy's route before draining anything; remove the new \
     ones on failure",
    never_healthy
);
drill!(
    GOOD_RELEASE,
    "SP602",
    "a-release-with-a-migration-fails-no-request",
    "under steady load, a release carrying a migration and slow to start exits 0, no request fails, every replica \
     runs the new image and answers its version, the old containers are gone, the migration is applied and the \
     release recorded",
    "start new replicas beside the old, route to them, then drain the old through the proxy before stopping \
     them (stop_grace_period above gunicorn's graceful_timeout)",
    good_release
);
drill!(
    ROLLBACK,
    "SP603",
    "a-rollback-fails-no-request",
    "under steady load, `rollback` returns every replica to the image that served before the release drill (by \
     id), exits 0 and no request fails",
    "roll back through the same start-beside, route, drain path as a release",
    rollback
);
drill!(
    BROKEN_ROUTE,
    "SP604",
    "a-release-answering-5xx-is-rolled-back-by-itself",
    "under steady load, a healthy release whose page answers 500 is rolled back within the watch window (exit 3, \
     the reason said), the previous image (by id) serves again, and failed requests stop at the rollback",
    "keep the watch window after cutover judging the proxy's answers, and rolling back on a breach",
    broken_route
);

/// `deploy/release.sh` of the target's tree against its stack, with the drill's settings.
async fn release_sh(target: &DrillTarget<'_>, args: &[&str], env: &[(&str, &str)]) -> Result<Finished, ObserveError> {
    let mut script = Command::new("bash");
    script
        .arg(target.root.join("deploy/release.sh"))
        .args(args)
        .current_dir(target.root)
        .envs(target.stack.compose_environment())
        .env("RELEASE_STATE_DIR", target.state)
        .env("RELEASE_ENV_FILE", env_file(target))
        .env("RELEASE_CA_FILE", target.ca_pem)
        .env("RELEASE_WATCH_SECONDS", WATCH_SECONDS.to_string())
        .env("RELEASE_HEALTH_SECONDS", HEALTH_SECONDS.to_string())
        .envs(env.iter().copied());
    let started = Instant::now();
    let finished = command::run_unchecked(script, SCRIPT_DEADLINE).await?;
    println!("  release.sh {} -> exit {:?} in {:.1} s", args.join(" "), finished.code, started.elapsed().as_secs_f64());
    Ok(finished)
}

/// The env file the script keeps APP_VERSION in, for this stack.
fn env_file(target: &DrillTarget<'_>) -> std::path::PathBuf {
    target.state.join("env")
}

/// Each running app replica's container id and image id.
async fn running_images(target: &DrillTarget<'_>) -> Result<BTreeMap<String, String>, ObserveError> {
    let stack = &target.stack;
    let mut images = BTreeMap::new();
    for replica in stack.replicas("app").await?.into_iter().filter(|r| r.state == "running") {
        let image = stack.docker(&["inspect", "--format", "{{.Image}}", &replica.id], Duration::from_secs(30)).await?;
        images.insert(replica.id, image.stdout.trim().to_owned());
    }
    Ok(images)
}

/// The versions `/healthz` reports through the proxy over `n` requests, with their counts.
async fn served_versions(target: &DrillTarget<'_>, n: usize) -> Result<BTreeMap<String, usize>, ObserveError> {
    let site = &target.site;
    let client = site.client();
    let mut seen = BTreeMap::new();
    for _ in 0..n {
        let health = site.get_json(&client, "/healthz").await?;
        *seen.entry(health["version"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
    }
    Ok(seen)
}

/// Runs the script with `args` while the clients send; returns what they saw and the script.
async fn under_load(
    target: &DrillTarget<'_>,
    args: &[&str],
) -> Result<(Seen, Finished, Instant, Instant), ObserveError> {
    let load = SteadyLoad::start(target.site, CLIENTS, &PATHS, SCRIPT_DEADLINE, 100_000).pacing(PAUSE);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let began = Instant::now();
    let finished = release_sh(target, args, &[]).await;
    let ended = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = load.stop().await.map_err(ObserveError::Observation)?;
    println!("  under load: {}", seen.summary());
    Ok((seen, finished?, began, ended))
}

/// A problem per failed client request, summed up.
fn no_failures(url: &str, seen: &Seen, since: Instant) -> Vec<Problem> {
    let failed = seen.failed();
    if failed.is_empty() {
        return Vec::new();
    }
    vec![problem(
        url,
        format!("{} of {} requests failed: {:?}", failed.len(), seen.answers.len(), seen.first_failures(5, since)),
    )]
}

/// The script's stderr, shortened for a message.
fn said(finished: &Finished) -> String {
    command::tail(&finished.stderr, 12)
}

/// `release: <what> in <N>s` from the script's log, as seconds.
fn logged_seconds(finished: &Finished, what: &str) -> Option<u64> {
    finished.stderr.lines().find_map(|line| {
        let rest = line.strip_prefix("release: ")?.strip_prefix(what)?.strip_prefix(" in ")?;
        rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    })
}

async fn bad_input(target: &DrillTarget<'_>) -> Outcome {
    let url = target.site.url("/");
    let before = running_images(target).await?;
    let mut problems = Vec::new();
    let mut expect_refusal = |name: &str, finished: Finished, words: &str| {
        if finished.code != Some(2) || !finished.stderr.contains(words) {
            problems.push(problem(
                &url,
                format!("{name}: exit {:?}, want 2 saying {words:?}:\n{}", finished.code, said(&finished)),
            ));
        }
    };
    let unknown = release_sh(target, &["release", "no-such-version"], &[]).await?;
    expect_refusal("an unknown version", unknown, &format!("no image {REPOSITORY}:no-such-version"));
    let malformed = release_sh(target, &["release", "../v1"], &[]).await?;
    expect_refusal("a malformed version", malformed, "usage: release VERSION");
    let no_engine =
        release_sh(target, &["release", "v1"], &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]).await?;
    expect_refusal("no Docker engine", no_engine, "cannot reach the Docker engine");
    // A second release while one runs: hold the script's lock as a running release would.
    std::fs::create_dir_all(target.state).map_err(|e| ObserveError::Observation(e.to_string()))?;
    let lock = target.state.join("lock");
    let mut holder = Command::new("flock");
    holder.arg("--no-fork").arg(&lock).args(["sleep", "20"]).kill_on_drop(true);
    let mut held = holder.spawn().map_err(|e| ObserveError::Observation(format!("flock: {e}")))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = release_sh(target, &["release", "no-such-version"], &[]).await;
    let _ = held.kill().await;
    expect_refusal("a second release while one runs", second?, "another release is running");
    let after = running_images(target).await?;
    if after != before {
        problems.push(problem(&url, format!("the replicas changed: {before:?} before, {after:?} after")));
    }
    Ok(problems)
}

async fn never_healthy(target: &DrillTarget<'_>) -> Outcome {
    let url = target.site.url("/");
    let tag = format!("drill-{}-never-healthy", target.label);
    // A release that lost its bundled price data: readiness, hence the healthcheck, never passes.
    images::build_app(target.root, &tag, |app| {
        let data = app.join("stockapp/data");
        std::fs::remove_dir_all(&data)?;
        std::fs::create_dir(&data)
    })
    .await?;
    let before = running_images(target).await?;
    let (seen, finished, began, _) = under_load(target, &["release", &tag]).await?;
    let mut problems = no_failures(&url, &seen, began);
    if finished.code != Some(1) || !finished.stderr.contains("not released") {
        problems.push(problem(
            &url,
            format!("exit {:?}, want 1 saying \"not released\":\n{}", finished.code, said(&finished)),
        ));
    }
    let after = running_images(target).await?;
    if after != before {
        problems.push(problem(&url, format!("the replicas changed: {before:?} before, {after:?} after")));
    }
    let left = target
        .stack
        .docker(
            &["ps", "--all", "--quiet", "--filter", &format!("ancestor={REPOSITORY}:{tag}")],
            Duration::from_secs(30),
        )
        .await?;
    if !left.stdout.trim().is_empty() {
        problems.push(problem(&url, format!("containers of {tag} are left: {}", left.stdout.trim())));
    }
    Ok(problems)
}

async fn good_release(target: &DrillTarget<'_>) -> Outcome {
    let url = target.site.url("/healthz");
    let tag = format!("drill-{}-good", target.label);
    let id = images::build_app(target.root, &tag, |app| {
        std::fs::write(app.join("stockapp/migrations").join(MIGRATION), MIGRATION_SQL)?;
        slow_to_start(app)
    })
    .await?;
    let before = running_images(target).await?;
    // For the rollback drill: where it must return.
    if let Some(previous) = before.values().next() {
        std::fs::write(target.state.join(DRILL_PREVIOUS), previous)
            .map_err(|e| ObserveError::Observation(e.to_string()))?;
    }
    let (seen, finished, began, _) = under_load(target, &["release", &tag]).await?;
    let mut problems = no_failures(&url, &seen, began);
    if !finished.success {
        problems.push(problem(&url, format!("exit {:?}, want 0:\n{}", finished.code, said(&finished))));
        return Ok(problems);
    }
    let after = running_images(target).await?;
    if after.len() != before.len() || after.values().any(|image| *image != id) {
        problems.push(problem(&url, format!("replicas after the release: {after:?}, want {} on {id}", before.len())));
    }
    for old in before.keys() {
        if container_exists(old).await? {
            problems.push(problem(&url, format!("old container {old} is still there")));
        }
    }
    let versions = served_versions(target, 12).await?;
    if versions.keys().any(|v| *v != tag) {
        problems
            .push(problem(&url, format!("/healthz through the proxy answered versions {versions:?}, want only {tag}")));
    }
    let columns = target.stack.exec("app", &["python3", "-c", COLUMNS_OF_USERS], Duration::from_secs(30)).await?;
    if !columns.stdout.split_whitespace().any(|c| c == "release_drill_note") {
        problems.push(problem(&url, format!("the migration is not applied: users has {}", columns.stdout.trim())));
    }
    problems.extend(recorded(target, &tag));
    println!(
        "  cut over in {:?} s of {:.1} s; served versions afterwards: {versions:?}",
        logged_seconds(&finished, &format!("cut over to {tag}")),
        seen.answers.last().map_or(0.0, |_| began.elapsed().as_secs_f64())
    );
    Ok(problems)
}

/// Makes the app take 8 s to start listening, as real releases take a while (imports, warm
/// caches): a release that sends traffic to replicas before they are ready then fails requests.
fn slow_to_start(app: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write;
    let mut conf = std::fs::OpenOptions::new().append(true).open(app.join("gunicorn.conf.py"))?;
    conf.write_all(SLOW_START.as_bytes())
}

const SLOW_START: &str = "\n\n# Added by the release drill: a release that takes a while to start.\n\
    import time as _drill_time\n\
    _drill_on_starting = on_starting\n\n\n\
    def on_starting(server):\n    _drill_time.sleep(8)\n    _drill_on_starting(server)\n";

/// Prints the columns of `users` in the live database.
const COLUMNS_OF_USERS: &str = "import os, sqlite3; \
    c = sqlite3.connect(os.environ['STOCKAPP_DATABASE']); \
    print(' '.join(r[1] for r in c.execute('PRAGMA table_info(users)')))";

async fn container_exists(id: &str) -> Result<bool, ObserveError> {
    let mut inspect = Command::new("docker");
    inspect.args(["container", "inspect", "--format", "{{.Id}}", id]);
    Ok(command::run_unchecked(inspect, Duration::from_secs(30)).await?.success)
}

/// Problems with the script's record: the served release, and the env file's APP_VERSION.
fn recorded(target: &DrillTarget<'_>, version: &str) -> Vec<Problem> {
    let at = target.state.join("current").to_string_lossy().into_owned();
    let current = std::fs::read_to_string(target.state.join("current")).unwrap_or_default();
    let env = std::fs::read_to_string(env_file(target)).unwrap_or_default();
    let mut problems = Vec::new();
    if current.split_whitespace().next() != Some(version) {
        problems.push(problem(&at, format!("the record says {current:?}, want {version}")));
    }
    if !env.lines().any(|l| l == format!("APP_VERSION={version}")) {
        problems.push(problem(&at, format!("the env file says {env:?}, want APP_VERSION={version}")));
    }
    problems
}

async fn rollback(target: &DrillTarget<'_>) -> Outcome {
    let url = target.site.url("/healthz");
    let id = std::fs::read_to_string(target.state.join(DRILL_PREVIOUS)).map_err(|e| {
        ObserveError::Observation(format!("no image recorded by the release drill before this one (SP602): {e}"))
    })?;
    let (seen, finished, began, ended) = under_load(target, &["rollback"]).await?;
    let mut problems = no_failures(&url, &seen, began);
    if !finished.success {
        problems.push(problem(&url, format!("exit {:?}, want 0:\n{}", finished.code, said(&finished))));
        return Ok(problems);
    }
    let after = running_images(target).await?;
    if after.is_empty() || after.values().any(|image| *image != id) {
        problems.push(problem(&url, format!("replicas after the rollback: {after:?}, want all on {id}")));
    }
    println!("  rolled back to {id} in {:.1} s", ended.duration_since(began).as_secs_f64());
    Ok(problems)
}

async fn broken_route(target: &DrillTarget<'_>) -> Outcome {
    let url = target.site.url("/lessons");
    let tag = format!("drill-{}-broken-route", target.label);
    // A healthy release with a bug on one page: its template was renamed.
    images::build_app(target.root, &tag, |app| {
        let views = app.join("stockapp/lessons/views.py");
        let text = std::fs::read_to_string(&views)?;
        let broken = text.replace("\"lessons/list.html\"", "\"lessons/listing.html\"");
        if broken == text {
            return Err(std::io::Error::other("views.py no longer renders lessons/list.html: update the drill"));
        }
        std::fs::write(views, broken)
    })
    .await?;
    let before = running_images(target).await?;
    let previous = before.values().next().cloned().unwrap_or_default();
    if before.values().any(|image| *image != previous) {
        return Err(ObserveError::Observation(format!(
            "the replicas run different images before the drill: {before:?}"
        )));
    }
    let (seen, finished, began, ended) = under_load(target, &["release", &tag]).await?;
    let mut problems = Vec::new();
    if finished.code != Some(3) || !finished.stderr.contains("ROLLING BACK") {
        problems.push(problem(
            &url,
            format!("exit {:?}, want 3 after rolling back by itself:\n{}", finished.code, said(&finished)),
        ));
    }
    let after = running_images(target).await?;
    if after.is_empty() || after.values().any(|image| *image != previous) {
        problems.push(problem(&url, format!("replicas after the rollback: {after:?}, want all on {previous}")));
    }
    let failed = seen.failed();
    let late: Vec<_> = failed.iter().filter(|a| a.at > ended).collect();
    if !late.is_empty() {
        problems.push(problem(&url, format!("{} requests failed after the rollback ended", late.len())));
    }
    if failed.iter().any(|a| a.path != "/lessons") {
        problems.push(problem(
            &url,
            format!("requests failed beyond the broken page: {:?}", seen.first_failures(5, began)),
        ));
    }
    if failed.is_empty() {
        problems.push(problem(&url, "no request failed: the broken page was never served, the drill proves nothing"));
    }
    println!(
        "  {} of {} requests failed, all on /lessons while {tag} served; rollback took {:.1} s from the script's start",
        failed.len(),
        seen.answers.len(),
        ended.duration_since(began).as_secs_f64()
    );
    Ok(problems)
}
