//! Disaster recovery, proven by a drill on the production stack. Several users write through
//! the public HTTPS API while the backup sidecar takes a backup of a ~50 MB database; then the
//! data volume is destroyed, and the runbook's restore (docs/restore.md) must bring back every
//! write acknowledged before the backup began, and none made after it ended, with the site
//! serving them and the database whole. Then, on the same stack: each run's result reaches
//! node-exporter, a failed run is reported, a crashed writer's WAL is not replayed into a
//! restored database, and a restore that cannot be trusted (wrong password, unknown snapshot,
//! damaged snapshot, wrong schema, corrupted repository) fails loudly and leaves the live
//! database as it was. Prints RPO, RTO, and the backup and restore times.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};
use stackproof::command::{self, CommandError, Output};
use stackproof::prod::{BootedSite, SERVER_NAME};
use stackproof::repo;
use stackproof::site::PASSWORD;
use stackproof::suite::{Phase, Requirement, Suite};
use stackproof::wait::{self, Probe};
use tokio::process::Command;

use crate::trial;

const DATABASE: &str = "/var/lib/stockapp/stockapp.db";
/// Rows of 4000 random (incompressible) bytes that grow the database to ~50 MB.
const FILLER_ROWS: usize = 12_800;
const WRITERS: usize = 4;
/// The API allows 20 requests/s per client address, shared by every writer.
const PAUSE_BETWEEN_REQUESTS: Duration = Duration::from_millis(200);
const MAX_LOAD: Duration = Duration::from_secs(120);
const RESTORE_TARGET: Duration = Duration::from_secs(60);

/// The suite: the drill, then the checks that need its backups, the repository damaged last.
pub fn suite() -> Suite<Site> {
    Suite::new(
        "backup",
        || Box::pin(async { Site::boot().await.map_err(|e| format!("{e:#}")) }),
        |site: Site| Box::pin(async move { site.booted.down().await.map_err(|e| e.to_string()) }),
    )
    .requires(Requirement::Docker)
    .weighing(2)
    .with(trial!("a-destroyed-database-comes-back-from-backup", Site, drill).in_phase(Phase::Write))
    .with(
        trial!("the-backup-result-reaches-node-exporter", Site, the_backup_result_reaches_node_exporter)
            .in_phase(Phase::Write),
    )
    .with(
        trial!(
            "a-failed-run-is-reported-and-keeps-the-last-success",
            Site,
            a_failed_run_is_reported_and_keeps_the_last_success
        )
        .in_phase(Phase::Write),
    )
    .with(
        trial!(
            "a-stale-wal-is-not-replayed-into-the-restored-database",
            Site,
            a_stale_wal_is_not_replayed_into_the_restored_database
        )
        .in_phase(Phase::Write),
    )
    .with(trial!("a-wrong-password-is-refused", Site, a_wrong_password_is_refused).in_phase(Phase::Write))
    .with(trial!("an-unknown-snapshot-is-refused", Site, an_unknown_snapshot_is_refused).in_phase(Phase::Write))
    .with(
        trial!(
            "a-snapshot-holding-a-damaged-database-is-refused",
            Site,
            a_snapshot_holding_a_damaged_database_is_refused
        )
        .in_phase(Phase::Write),
    )
    .with(
        trial!(
            "a-snapshot-whose-schema-differs-from-its-record-is-refused",
            Site,
            a_snapshot_whose_schema_differs_from_its_record_is_refused
        )
        .in_phase(Phase::Write),
    )
    .with(trial!("a-corrupted-repository-is-refused", Site, a_corrupted_repository_is_refused).in_phase(Phase::Disrupt))
}

/// The production stack, reached as its users (HTTPS) and its operators (`docker compose`) do.
pub struct Site {
    booted: BootedSite,
}

/// POSTs with the CSRF token, paced, retrying while rate-limited; returns the answer and when
/// the request that succeeded was sent.
async fn post(
    site: &stackproof::site::Site,
    client: &reqwest::Client,
    path: &str,
    token: &str,
    body: &Value,
) -> Result<(Value, Instant)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(PAUSE_BETWEEN_REQUESTS).await;
        let sent = Instant::now();
        let response = client.post(site.url(path)).header("X-CSRFToken", token).json(body).send().await?;
        match response.status().as_u16() {
            200 | 201 => return Ok((response.json().await?, sent)),
            429 if Instant::now() < deadline => continue,
            status => bail!("POST {path} answered {status}: {}", response.text().await?),
        }
    }
}

impl Site {
    async fn boot() -> Result<Self> {
        Ok(Site { booted: BootedSite::boot("backup", |spec, _| spec).await? })
    }

    /// `docker compose` on this project, as an operator runs it from the repository; `overrides`
    /// replace variables (a wrong password file, say).
    async fn compose(&self, args: &[&str], overrides: &[(&str, &str)]) -> Result<Output, CommandError> {
        let mut compose = Command::new("docker");
        compose
            .args(["compose", "--project-name", self.booted.stack.project(), "-f"])
            .arg(repo::path("compose.prod.yml"))
            .args(args);
        compose
            .env("BASE_IMAGE", repo::base_image())
            .env("SERVER_NAME", SERVER_NAME)
            .env("IMAGE_TAG", "prod")
            .env("SECRET_KEY_PATH", self.booted.secrets.path("secret_key"))
            .env("RESTIC_PASSWORD_PATH", self.booted.secrets.path("restic_password"))
            .envs(overrides.iter().copied());
        command::run(compose, Duration::from_secs(300)).await
    }

    /// The runbook's restore: a one-shot container of the backup service, with the app stopped
    /// first (step 2 of docs/restore.md; stopping a stopped service changes nothing).
    async fn restore(&self, snapshot: &str, overrides: &[(&str, &str)]) -> Result<Output, CommandError> {
        self.compose(&["stop", "app"], &[]).await?;
        self.compose(&["run", "--rm", "--no-deps", "backup", "restore", snapshot], overrides).await
    }

    /// A shell script run in the backup sidecar (it has sqlite3 and restic, and the volumes).
    async fn in_sidecar(&self, script: &str) -> Result<String> {
        Ok(self.booted.stack.exec("backup", &["sh", "-c", script], Duration::from_secs(300)).await?.stdout)
    }

    async fn sql(&self, query: &str) -> Result<String> {
        self.in_sidecar(&format!("sqlite3 -readonly -bail -cmd '.timeout 30000' {DATABASE} \"{query}\"")).await
    }
}

/// One acknowledged write: what it created, when it was sent and when it was answered.
#[derive(Debug)]
struct Write {
    record: Record,
    sent: Instant,
    acked: Instant,
    /// For a registration: the account's id and the client holding its session.
    account: Option<(i64, reqwest::Client)>,
}

/// A row the API creates, named as the database shows it (`kind|username|detail`).
type Record = String;

/// Registers users and completes every lesson for each, until `stop` (or `MAX_LOAD`).
async fn write_until(
    api: stackproof::site::Site,
    writer: usize,
    lessons: Vec<String>,
    stop: Arc<AtomicBool>,
) -> Result<Vec<Write>> {
    let (started, mut writes) = (Instant::now(), Vec::new());
    for n in 0.. {
        if stop.load(Ordering::Relaxed) || started.elapsed() > MAX_LOAD {
            break;
        }
        let client = api.client();
        let username = format!("drill_{}_{writer}_{n}", std::process::id());
        let token = api.csrf_token(&client).await?;
        let body = json!({"username": username, "password": PASSWORD});
        let (answer, sent) = post(&api, &client, "/api/auth/register", &token, &body).await?;
        let id = answer["user"]["id"].as_i64().context("registration returned no user id")?;
        writes.push(Write {
            record: format!("user|{username}|"),
            sent,
            acked: Instant::now(),
            account: Some((id, client.clone())),
        });
        let token = answer["csrf_token"].as_str().context("registration returned no csrf_token")?.to_owned();
        for slug in &lessons {
            let (answer, sent) =
                post(&api, &client, &format!("/api/lessons/{slug}/complete"), &token, &json!({})).await?;
            let acked = Instant::now();
            writes.push(Write { record: format!("progress|{username}|{slug}"), sent, acked, account: None });
            for achievement in answer["new_achievements"].as_array().into_iter().flatten() {
                let code = achievement["code"].as_str().context("achievement without code")?;
                writes.push(Write { record: format!("achievement|{username}|{code}"), sent, acked, account: None });
            }
        }
    }
    Ok(writes)
}

/// Every user, lesson completion and achievement in the live database, as `Record`s.
async fn records(site: &Site) -> Result<BTreeSet<Record>> {
    let query = "SELECT 'user', username, '' FROM users \
        UNION ALL SELECT 'progress', u.username, l.slug FROM lesson_progress p \
            JOIN users u ON u.id = p.user_id JOIN lessons l ON l.id = p.lesson_id \
        UNION ALL SELECT 'achievement', u.username, a.code FROM user_achievements a JOIN users u ON u.id = a.user_id";
    Ok(site.sql(query).await?.lines().map(str::to_owned).collect())
}

/// The drill: a ~50 MB database, a backup while users write, the data volume destroyed, and
/// the runbook's restore.
async fn drill(site: &Site) -> Result<()> {
    grow_database(site).await?;
    let load = back_up_under_load(site).await?;
    let outage = Instant::now();
    destroy_data_volume(site).await?;
    let fault = Instant::now();
    let restored = site.restore("latest", &[]).await?;
    let restore_time = fault.elapsed();
    site.compose(&["up", "--detach", "app", "backup"], &[]).await?;
    wait_until_ready(site).await?;
    let recovered = Instant::now();

    let present = records(site).await?;
    check_restored(&load, &present)?;
    check_database_whole(site).await?;
    check_served_through_the_api(site, &load, &present).await?;
    check_lost_sessions_are_refused(site, &load, &present).await?;
    let newest = load
        .writes
        .iter()
        .filter(|w| present.contains(&w.record))
        .map(|w| w.acked)
        .max()
        .context("nothing restored")?;
    println!("drill: restore: {:.1} s ({})", restore_time.as_secs_f64(), last_line(&restored.stderr));
    println!(
        "drill: RPO {:.1} s: the newest restored write was acknowledged that long before the fault \
        (the backup began {:.1} s before it)",
        (fault - newest).as_secs_f64(),
        (fault - load.backup_sent).as_secs_f64()
    );
    println!(
        "drill: RTO {:.1} s: app stopped -> /readyz 200 on the restored database",
        (recovered - outage).as_secs_f64()
    );
    ensure!(restore_time <= RESTORE_TARGET, "the restore took {restore_time:?}, over the {RESTORE_TARGET:?} target");
    Ok(())
}

/// Every write acknowledged, and when the backup was asked for and done.
struct Load {
    writes: Vec<Write>,
    backup_sent: Instant,
    backup_done: Instant,
}

/// Writers at work, a backup taken through the sidecar's trigger in the middle of them, and
/// more writes after it.
async fn back_up_under_load(site: &Site) -> Result<Load> {
    let lessons: Vec<String> = site.booted.site.get_json(&site.booted.site.client(), "/api/lessons").await?["lessons"]
        .as_array()
        .context("no lessons")?
        .iter()
        .filter_map(|lesson| lesson["slug"].as_str().map(str::to_owned))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        writers.spawn(write_until(site.booted.site.clone(), writer, lessons.clone(), stop.clone()));
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let backup_sent = Instant::now();
    let backed_up = site.booted.stack.exec("backup", &["backup-now"], Duration::from_secs(300)).await;
    let backup_done = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut writes = Vec::new();
    while let Some(joined) = writers.join_next().await {
        writes.extend(joined??);
    }
    let log = backed_up?.stderr;
    let during = writes.iter().filter(|w| w.acked > backup_sent && w.acked < backup_done).count();
    ensure!(during > 0, "no write was acknowledged while the backup ran: it did not run under load");
    println!("drill: {} writes acknowledged by {WRITERS} writers, {during} of them while the backup ran", writes.len());
    println!("drill: backup under load: {:.1} s ({})", (backup_done - backup_sent).as_secs_f64(), last_line(&log));
    Ok(Load { writes, backup_sent, backup_done })
}

/// Test-only: a filler table of random bytes, written with sqlite3 in the sidecar, so that the
/// backup and restore times measured are those of a ~50 MB database.
async fn grow_database(site: &Site) -> Result<()> {
    site.in_sidecar(&format!(
        "sqlite3 -bail -cmd '.timeout 30000' {DATABASE} \"CREATE TABLE drill_filler (id INTEGER PRIMARY KEY, payload BLOB NOT NULL); \
         INSERT INTO drill_filler (payload) SELECT randomblob(4000) FROM \
         (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {FILLER_ROWS}) SELECT i FROM n);\""
    ))
    .await?;
    let size: f64 =
        site.sql("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").await?.trim().parse()?;
    println!("drill: database grown to {:.1} MB", size / 1e6);
    Ok(())
}

/// The fault: the app stops, and the `data` volume is lost with everything on it.
async fn destroy_data_volume(site: &Site) -> Result<()> {
    site.compose(&["rm", "--stop", "--force", "app", "migrate", "backup"], &[]).await?;
    let mut remove = Command::new("docker");
    remove.args(["volume", "rm", &format!("{}_data", site.booted.stack.project())]);
    command::run(remove, Duration::from_secs(60)).await?;
    Ok(())
}

async fn wait_until_ready(site: &Site) -> Result<()> {
    let (client, url) = (site.booted.site.client(), site.booted.site.url("/readyz"));
    wait::until("/readyz through the proxy", Duration::from_secs(180), Duration::from_millis(500), || async {
        match client.get(&url).send().await {
            Ok(response) if response.status() == 200 => Probe::Ready(()),
            Ok(response) => Probe::Pending(format!("answered {}", response.status())),
            Err(error) => Probe::Pending(error.to_string()),
        }
    })
    .await?;
    Ok(site.booted.wait_until_proxy_follows().await?)
}

/// Every write acknowledged before the backup began is back, and none sent after it ended.
fn check_restored(load: &Load, present: &BTreeSet<Record>) -> Result<()> {
    let committed: Vec<&Record> =
        load.writes.iter().filter(|w| w.acked < load.backup_sent).map(|w| &w.record).collect();
    let missing: Vec<&&Record> = committed.iter().filter(|record| !present.contains(**record)).collect();
    let later: Vec<&Record> = load.writes.iter().filter(|w| w.sent > load.backup_done).map(|w| &w.record).collect();
    let resurrected: Vec<&&Record> = later.iter().filter(|record| present.contains(**record)).collect();
    ensure!(!committed.is_empty(), "nothing was committed before the backup");
    ensure!(
        missing.is_empty(),
        "{} of {} writes committed before the backup are missing, e.g. {:?}",
        missing.len(),
        committed.len(),
        &missing[..missing.len().min(5)]
    );
    ensure!(!later.is_empty(), "nothing was written after the backup: the check below would prove nothing");
    ensure!(
        resurrected.is_empty(),
        "writes sent after the backup ended came back, e.g. {:?}",
        &resurrected[..resurrected.len().min(5)]
    );
    println!(
        "drill: all {} writes committed before the backup are back; none of the {} sent after it",
        committed.len(),
        later.len()
    );
    Ok(())
}

/// The restored database passes PRAGMA integrity_check and holds the whole filler table.
async fn check_database_whole(site: &Site) -> Result<()> {
    let found = site.sql("PRAGMA integrity_check; SELECT count(*) FROM drill_filler;").await?;
    let expected = format!("ok\n{FILLER_ROWS}");
    ensure!(found.trim() == expected, "the restored database says {found:?}, not {expected:?}");
    Ok(())
}

/// Users who registered before the backup log in (their password hashes are back) and read
/// their progress and achievements through the proxy, as the restored database holds them.
/// The restore lost the accounts registered after the backup, and SQLite gives their ids to
/// the next accounts: the first new account gets the first lost account's id, and that lost
/// account's session cookie must not pass for it.
async fn check_lost_sessions_are_refused(site: &Site, load: &Load, present: &BTreeSet<Record>) -> Result<()> {
    let (lost_id, lost_client) = load
        .writes
        .iter()
        .filter(|w| !present.contains(&w.record))
        .filter_map(|w| w.account.as_ref())
        .min_by_key(|(id, _)| *id)
        .context("no account was lost by the restore: nothing to check sessions against")?;
    let (api, client) = (&site.booted.site, site.booted.site.client());
    let token = api.csrf_token(&client).await?;
    let body = json!({"username": format!("drill_successor_{}", std::process::id()), "password": PASSWORD});
    let successor = post(api, &client, "/api/auth/register", &token, &body).await?.0["user"]["id"]
        .as_i64()
        .context("no user id")?;
    ensure!(
        successor == *lost_id,
        "the new account got id {successor}, not the lost account's {lost_id}: the check would prove nothing"
    );
    let me = lost_client.get(api.url("/api/me")).send().await?;
    ensure!(
        me.status() == 401,
        "a session of the lost account {lost_id} answered {} for the new account with its id",
        me.status()
    );
    println!(
        "drill: the new account {successor} reuses a lost account's id; the lost account's session is refused (401)"
    );
    Ok(())
}

async fn check_served_through_the_api(site: &Site, load: &Load, present: &BTreeSet<Record>) -> Result<()> {
    let users: Vec<&str> = load
        .writes
        .iter()
        .filter(|w| w.acked < load.backup_sent)
        .filter_map(|w| w.record.strip_prefix("user|")?.strip_suffix('|'))
        .collect();
    // Three at most: logins are limited to five a minute per address.
    let sample: BTreeSet<&str> =
        [users.first(), users.get(users.len() / 2), users.last()].into_iter().flatten().copied().collect();
    for username in sample {
        let (api, client) = (&site.booted.site, site.booted.site.client());
        let token = api.csrf_token(&client).await?;
        let login = json!({"username": username, "password": PASSWORD});
        let id = post(api, &client, "/api/auth/login", &token, &login).await?.0["user"]["id"]
            .as_i64()
            .context("no user id")?;
        let progress = api.get_json(&client, &format!("/api/users/{id}/progress")).await?;
        let achievements = api.get_json(&client, &format!("/api/users/{id}/achievements")).await?;
        let slugs = progress["completed"].as_array().into_iter().flatten().filter_map(Value::as_str);
        let codes = achievements["achievements"].as_array().into_iter().flatten().filter_map(|a| a["code"].as_str());
        let served: BTreeSet<Record> = slugs
            .map(|slug| format!("progress|{username}|{slug}"))
            .chain(codes.map(|code| format!("achievement|{username}|{code}")))
            .collect();
        let held: BTreeSet<Record> = present
            .iter()
            .filter(|r| {
                r.starts_with(&format!("progress|{username}|")) || r.starts_with(&format!("achievement|{username}|"))
            })
            .cloned()
            .collect();
        ensure!(served == held, "{username}: the API serves {served:?}, the database holds {held:?}");
    }
    Ok(())
}

fn last_line(text: &str) -> &str {
    text.trim_end().lines().last().unwrap_or_default()
}

/// The value of `name` in a metrics text, as printed.
fn metric(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned))
}

async fn the_backup_result_reaches_node_exporter(site: &Site) -> Result<()> {
    let scrape = "exec 3<>/dev/tcp/127.0.0.1/9100 && printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3";
    let served =
        site.booted.stack.exec("node-exporter", &["bash", "-c", scrape], Duration::from_secs(30)).await?.stdout;
    ensure!(
        metric(&served, "stackproof_backup_last_run_success").as_deref() == Some("1"),
        "node-exporter does not report a successful run"
    );
    for name in ["last_success_timestamp_seconds", "last_run_timestamp_seconds", "duration_seconds", "size_bytes"] {
        ensure!(
            metric(&served, &format!("stackproof_backup_{name}")).is_some(),
            "node-exporter does not serve stackproof_backup_{name}"
        );
    }
    ensure!(
        metric(&served, "node_textfile_scrape_error").as_deref() == Some("0"),
        "node-exporter cannot read the textfile"
    );
    Ok(())
}

async fn a_failed_run_is_reported_and_keeps_the_last_success(site: &Site) -> Result<()> {
    // Under the jobs' lock: the run the sidecar makes as it starts has ended.
    let read = "flock /var/cache/backup/lock cat /var/lib/node-exporter/textfile/stackproof_backup.prom";
    let before = site.in_sidecar(read).await?;
    let missing = ["env", "STOCKAPP_DATABASE=/var/lib/stockapp/missing.db", "backup-now"];
    ensure!(
        site.booted.stack.exec("backup", &missing, Duration::from_secs(120)).await.is_err(),
        "a backup of a missing database succeeded"
    );
    let after = site.in_sidecar(read).await?;
    ensure!(
        metric(&after, "stackproof_backup_last_run_success").as_deref() == Some("0"),
        "the failed run is not reported:\n{after}"
    );
    for kept in ["stackproof_backup_last_success_timestamp_seconds", "stackproof_backup_size_bytes"] {
        let (was, is) = (metric(&before, kept), metric(&after, kept));
        ensure!(was.is_some() && was == is, "{kept} went from {was:?} to {is:?} on a failed run");
    }
    ensure!(
        site.booted.stack.exec("backup", &["backup-health"], Duration::from_secs(30)).await.is_err(),
        "the healthcheck passes after a failed run"
    );
    Ok(())
}

async fn a_stale_wal_is_not_replayed_into_the_restored_database(site: &Site) -> Result<()> {
    // A writer killed before any checkpoint leaves a commit in the WAL that the file lacks.
    let late = "written_after_the_snapshot";
    let crash = format!(
        "printf '%s\\n' 'PRAGMA wal_autocheckpoint = 0;' \"INSERT INTO users (username, password_hash) VALUES ('{late}', 'x');\" \
         '.system kill -9 $PPID' | sqlite3 {DATABASE}; test -s {DATABASE}-wal"
    );
    site.in_sidecar(&crash).await?;
    site.restore("latest", &[]).await?;
    let files = site.in_sidecar("ls -A /var/lib/stockapp").await?;
    ensure!(!files.lines().any(|f| f == "stockapp.db-wal"), "a WAL was left beside the restored database: {files}");
    let count = format!("PRAGMA integrity_check; SELECT count(*) FROM users WHERE username = '{late}';");
    let restored = site.sql(&count).await?;
    ensure!(restored.trim() == "ok\n0", "the restored database says {restored:?}: the stale WAL was replayed into it");
    // The replaced database, kept with its WAL, still has the late commit: the restore can be undone.
    let kept = site.in_sidecar(&format!("sqlite3 -readonly {DATABASE}.pre-restore \"{count}\"")).await?;
    ensure!(kept.trim() == "ok\n1", "the replaced database was not kept with its WAL: {kept:?}");
    Ok(())
}

/// Runs a restore that must fail: it must say `expected`, and the live database (and the files
/// beside it) must be exactly as before.
async fn refused(site: &Site, snapshot: &str, overrides: &[(&str, &str)], expected: &str) -> Result<()> {
    let fingerprint = "cd /var/lib/stockapp && ls -A && stat -c '%i %s %Y' stockapp.db && sha256sum stockapp.db";
    let before = site.in_sidecar(fingerprint).await?;
    let said = match site.restore(snapshot, overrides).await {
        Ok(output) => bail!("the restore succeeded:\n{}", output.stderr),
        Err(CommandError::Failed { stderr, .. }) => stderr,
        Err(other) => return Err(other.into()),
    };
    ensure!(said.contains(expected), "the restore failed without saying {expected:?}:\n{said}");
    ensure!(
        said.contains(&format!("the live database {DATABASE} was not touched")),
        "the restore did not say the live database is intact:\n{said}"
    );
    let after = site.in_sidecar(fingerprint).await?;
    ensure!(before == after, "the live database changed:\nbefore: {before}\nafter: {after}");
    println!("  {}", last_line(&said));
    Ok(())
}

/// Stores the database `make` creates in the repository as the backup would (same host and
/// tags, schema version 2 recorded): restic finds nothing wrong with it, only the restore's own
/// checks can.
async fn plant_snapshot(site: &Site, make: &str) -> Result<()> {
    let tags = "--host stackproof --tag stackproof-db --tag schema-2";
    site.in_sidecar(&format!("set -e; cd \"$(mktemp -d)\"; {make}; restic backup {tags} stockapp.db")).await?;
    Ok(())
}

async fn a_wrong_password_is_refused(site: &Site) -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    let wrong = dir.path().join("restic_password");
    std::fs::write(&wrong, "not the repository's password")?;
    std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o444))?;
    refused(site, "latest", &[("RESTIC_PASSWORD_PATH", &wrong.to_string_lossy())], "wrong password or no key found")
        .await
}

async fn an_unknown_snapshot_is_refused(site: &Site) -> Result<()> {
    refused(site, "0badc0de", &[], "no snapshot '0badc0de'").await
}

async fn a_snapshot_holding_a_damaged_database_is_refused(site: &Site) -> Result<()> {
    plant_snapshot(site, "head -c 65536 /dev/urandom > stockapp.db").await?;
    refused(site, "latest", &[], "holds a damaged database").await
}

async fn a_snapshot_whose_schema_differs_from_its_record_is_refused(site: &Site) -> Result<()> {
    let older = "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT); \
                 INSERT INTO schema_migrations VALUES (1, '0001_initial.sql');";
    plant_snapshot(site, &format!("sqlite3 stockapp.db \"{older}\"")).await?;
    refused(site, "latest", &[], "schema_migrations is at version 1, but version 2 was recorded").await
}

async fn a_corrupted_repository_is_refused(site: &Site) -> Result<()> {
    // The newest snapshot is a real one again; then every data pack on disk is damaged.
    site.booted.stack.exec("backup", &["backup-now"], Duration::from_secs(300)).await?;
    site.in_sidecar(
        "for pack in $(find /var/lib/backup/repo/data -type f); do chmod u+w \"$pack\"; \
         dd if=/dev/urandom of=\"$pack\" bs=64 count=1 seek=$(( $(stat -c %s \"$pack\") / 128 )) conv=notrunc status=none; done",
    )
    .await?;
    refused(site, "latest", &[], "restic could not restore snapshot").await
}
