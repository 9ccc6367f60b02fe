//! The monitoring configuration, checked before anything runs: Prometheus's config and rules,
//! the rules' unit tests and metadata, Alertmanager's config, template and routes, and the
//! Grafana dashboards' PromQL; and every broken fixture in `deploy/prometheus/tests/broken/`
//! rejected by the check that guards it. The checks are the colleague's (the same commands
//! `deploy/prometheus/check.sh` runs), run inside the production images with `deploy/` and
//! `docs/` mounted read-only: nothing is installed on the host. Needs Docker, not a stack.

mod util;

use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use stackproof::command;
use stackproof::stack::StackSpec;
use stackproof::wait::{self, Probe};
use stackproof::{prod, repo};
use tokio::process::Command;
use tokio::sync::OnceCell;

const PROM: &str = "deploy/prometheus";
const AM: &str = "deploy/alertmanager";
const TEMPLATE: &str = "deploy/alertmanager/alertmanager.yml.tmpl";

#[tokio::test]
async fn prometheus_config_passes_promtool_with_every_lint_fatal() -> Result<()> {
    require_docker!("prometheus_config_passes_promtool_with_every_lint_fatal");
    let config = format!("{PROM}/prometheus.yml");
    prometheus().await?.passes(&[], &["promtool", "check", "config", "--lint=all", "--lint-fatal", &config]).await
}

#[tokio::test]
async fn rule_files_pass_promtool_with_every_lint_fatal() -> Result<()> {
    require_docker!("rule_files_pass_promtool_with_every_lint_fatal");
    let rules = files(&format!("{PROM}/rules"), ".yml")?;
    let args = ["promtool", "check", "rules", "--lint=all", "--lint-fatal"];
    prometheus().await?.passes(&[], &with(&args, &rules)).await
}

#[tokio::test]
async fn rule_unit_tests_pass() -> Result<()> {
    require_docker!("rule_unit_tests_pass");
    let tests = files(&format!("{PROM}/tests"), "_test.yml")?;
    prometheus().await?.passes(&[], &with(&["promtool", "test", "rules"], &tests)).await
}

#[tokio::test]
async fn every_alert_has_metadata_a_runbook_and_tests_firing_and_quiet() -> Result<()> {
    require_docker!("every_alert_has_metadata_a_runbook_and_tests_firing_and_quiet");
    let (rules, tests) = (files(&format!("{PROM}/rules"), ".yml")?, files(&format!("{PROM}/tests"), "_test.yml")?);
    let mut lint = with(&["python3", "deploy/prometheus/lint-rules.py", "docs/runbooks.md"], &rules);
    lint.push("--tests");
    lint.extend(tests.iter().map(String::as_str));
    prometheus().await?.passes(&[], &lint).await
}

#[tokio::test]
async fn every_dashboard_query_parses_and_uses_defined_recording_rules() -> Result<()> {
    require_docker!("every_dashboard_query_parses_and_uses_defined_recording_rules");
    prometheus().await?.passes(&[], &["bash", "deploy/grafana/check-dashboards.sh"]).await
}

#[tokio::test]
async fn the_alertmanager_config_passes_amtool() -> Result<()> {
    require_docker!("the_alertmanager_config_passes_amtool");
    alertmanager().await?.passes(&[], &["amtool", "check-config", "deploy/alertmanager/alertmanager.yml"]).await
}

#[tokio::test]
async fn alerts_route_to_the_expected_receivers() -> Result<()> {
    require_docker!("alerts_route_to_the_expected_receivers");
    let routes = ["sh", "deploy/alertmanager/tests/routes.sh", "deploy/alertmanager/alertmanager.yml"];
    alertmanager().await?.passes(&[], &routes).await
}

#[tokio::test]
async fn the_checked_in_alertmanager_config_is_the_template_rendered_with_example_env() -> Result<()> {
    require_docker!("the_checked_in_alertmanager_config_is_the_template_rendered_with_example_env");
    let example = std::fs::read_to_string(repo::path(&format!("{AM}/example.env")))?;
    let env: Vec<(&str, &str)> = example.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('=')).collect();
    let rendered = alertmanager().await?.run(&env, &["sh", "deploy/alertmanager/render.sh", TEMPLATE]).await?;
    ensure!(rendered.ok, "render failed: {}", rendered.stderr);
    let checked_in = std::fs::read_to_string(repo::path(&format!("{AM}/alertmanager.yml")))?;
    ensure!(rendered.stdout == checked_in, "alertmanager.yml differs from the template rendered with example.env: re-render it");
    Ok(())
}

#[tokio::test]
async fn without_email_the_rendered_config_is_valid_and_routes_the_same() -> Result<()> {
    require_docker!("without_email_the_rendered_config_is_valid_and_routes_the_same");
    let script = format!(
        "f=$(mktemp) && sh deploy/alertmanager/render.sh {TEMPLATE} >\"$f\" && amtool check-config \"$f\" \
         && sh deploy/alertmanager/tests/routes.sh \"$f\""
    );
    alertmanager().await?.passes(&[("ALERT_WEBHOOK_URL", "http://sink:9000/")], &["sh", "-c", &script]).await
}

#[tokio::test]
async fn the_renderer_refuses_a_missing_webhook_and_half_an_email_setup() -> Result<()> {
    require_docker!("the_renderer_refuses_a_missing_webhook_and_half_an_email_setup");
    let am = alertmanager().await?;
    let render = ["sh", "deploy/alertmanager/render.sh", TEMPLATE];
    am.rejects(&[], &render, &["ALERT_WEBHOOK_URL: must be set"]).await?;
    let half_email = [("ALERT_WEBHOOK_URL", "http://x/"), ("ALERT_EMAIL_TO", "a@b.c")];
    am.rejects(&half_email, &render, &["set all of ALERT_EMAIL_TO, ALERT_SMTP_SMARTHOST, ALERT_EMAIL_FROM, or none"]).await
}

#[tokio::test]
async fn every_broken_fixture_is_rejected_by_the_check_that_guards_it() -> Result<()> {
    require_docker!("every_broken_fixture_is_rejected_by_the_check_that_guards_it");
    let broken = format!("{PROM}/tests/broken");
    let on_disk = files(&broken, "")?;
    let covered = [
        "missing-runbook.rules.yml", "no-guard.rules.yml", "no-guard_test.yml",
        "bad-expr.dashboard.json", "routes-wrong.txt", "README.md",
    ];
    let unguarded: Vec<_> = on_disk.iter().filter(|f| !covered.iter().any(|c| f.ends_with(&format!("/{c}")))).collect();
    ensure!(unguarded.is_empty(), "broken fixtures no check is run on (add them here): {unguarded:?}");

    let (prom, am) = (prometheus().await?, alertmanager().await?);
    let lint = ["python3", "deploy/prometheus/lint-rules.py", "docs/runbooks.md", &format!("{broken}/missing-runbook.rules.yml")];
    prom.rejects(&[], &lint, &["NoRunbook: missing annotation runbook_url", "severity label must be one of",
        "does not show {{ $value }}", "#nosuchsection has no section"]).await?;
    let unguarded_test = format!("{broken}/no-guard_test.yml");
    prom.rejects(&[], &["promtool", "test", "rules", &unguarded_test], &["below the traffic guard", "alertname: High5xxRatio"]).await?;
    let dashboard = format!("{broken}/bad-expr.dashboard.json");
    prom.rejects(&[], &["bash", "deploy/grafana/check-dashboards.sh", &dashboard], &["does not parse", "panel id 1 used twice",
        "datasource uid is not", "recording rule job:stockapp_http_request:rate5m is not defined"]).await?;
    let wrong_routes = format!("{broken}/routes-wrong.txt");
    let routes = ["sh", "deploy/alertmanager/tests/routes.sh", "deploy/alertmanager/alertmanager.yml", &wrong_routes];
    am.rejects(&[], &routes, &["expected default, got pager"]).await
}

/// Files below the repository-relative `dir` whose names end with `suffix`, as sorted
/// repository-relative paths (what the tools see from the mount's root).
fn files(dir: &str, suffix: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(repo::path(dir)).with_context(|| format!("reading {dir}"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(suffix) {
            found.push(format!("{dir}/{name}"));
        }
    }
    found.sort();
    ensure!(!found.is_empty(), "no {suffix} files in {dir}");
    Ok(found)
}

fn with<'a>(args: &[&'a str], more: &'a [String]) -> Vec<&'a str> {
    args.iter().copied().chain(more.iter().map(String::as_str)).collect()
}

/// The Prometheus image as compose builds it, plus the check scripts' jq and python3-yaml.
async fn prometheus() -> Result<&'static Toolbox> {
    static TOOLBOX: OnceCell<Toolbox> = OnceCell::const_new();
    TOOLBOX.get_or_try_init(|| async {
        build_production_images().await?;
        let mut checks = Command::new("docker");
        checks.args(["build", "--quiet", "--tag", "stackproof/prometheus-checks:test"]).arg(repo::path("fixtures/monitoring/checks"));
        command::run(checks, Duration::from_secs(600)).await?;
        Toolbox::start("prometheus", "stackproof/prometheus-checks:test").await
    })
    .await
}

/// The Alertmanager image exactly as compose builds it (amtool, sh and awk are all it needs).
async fn alertmanager() -> Result<&'static Toolbox> {
    static TOOLBOX: OnceCell<Toolbox> = OnceCell::const_new();
    TOOLBOX.get_or_try_init(|| async {
        build_production_images().await?;
        Toolbox::start("alertmanager", "stackproof/alertmanager:prod").await
    })
    .await
}

/// `docker compose build` of the two images, named as compose.prod.yml names them.
async fn build_production_images() -> Result<()> {
    let spec = StackSpec::new("monitoring-images", &[repo::path("compose.prod.yml")]).with_env("SERVER_NAME", prod::SERVER_NAME);
    Ok(spec.build_images(&["prometheus", "alertmanager"]).await?)
}

/// What a command printed, and whether it exited 0.
struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// One container of an image, reused by every test of this binary, that lives exactly as long
/// as the test process: its main process reads stdin, which the process holds open and the
/// kernel closes when it exits, however it exits; the container is then removed (`--rm`).
struct Toolbox {
    name: String,
    _stdin_holder: Child,
}

impl Toolbox {
    async fn start(label: &str, image: &str) -> Result<Self> {
        let name = format!("sp{}-monitoring-checks-{label}", std::process::id());
        let mount = |dir: &str| format!("{}:/repo/{dir}:ro", repo::path(dir).display());
        let mut holder = std::process::Command::new("docker")
            .args(["run", "--interactive", "--rm", "--no-healthcheck", "--name", &name, "--workdir", "/repo"])
            .args(["--volume", &mount("deploy"), "--volume", &mount("docs"), "--entrypoint", "cat", image])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting docker run")?;
        wait::until(&format!("container {name}"), Duration::from_secs(60), Duration::from_millis(200), || {
            let exited = holder.try_wait().map_or_else(|e| Some(e.to_string()), |s| s.map(|s| s.to_string()));
            let name = name.clone();
            async move {
                let mut exec = Command::new("docker");
                exec.args(["exec", &name, "true"]);
                match (exited, command::run(exec, Duration::from_secs(10)).await) {
                    (Some(status), _) => Probe::Failed(format!("docker run exited: {status}")),
                    (None, Ok(_)) => Probe::Ready(()),
                    (None, Err(error)) => Probe::Pending(error.to_string()),
                }
            }
        })
        .await?;
        Ok(Self { name, _stdin_holder: holder })
    }

    /// Runs `args` in the container with `env` added to its environment.
    async fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Result<Ran> {
        let mut exec = Command::new("docker");
        exec.arg("exec");
        for (key, value) in env {
            exec.arg("--env").arg(format!("{key}={value}"));
        }
        exec.arg(&self.name).args(args).kill_on_drop(true);
        let shown = command::describe(&exec);
        let output = tokio::time::timeout(Duration::from_secs(120), exec.output())
            .await
            .with_context(|| format!("`{shown}` ran over 120 s"))??;
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        Ok(Ran { ok: output.status.success(), stdout: text(&output.stdout), stderr: text(&output.stderr) })
    }

    /// Runs a check that must succeed; fails with everything it printed.
    async fn passes(&self, env: &[(&str, &str)], args: &[&str]) -> Result<()> {
        let ran = self.run(env, args).await?;
        ensure!(ran.ok, "`{}` failed:\n{}{}", args.join(" "), ran.stdout, ran.stderr);
        Ok(())
    }

    /// Runs a check on broken input: it must fail, and say each of `reasons` (so it failed for
    /// the fault the input carries, not because a file or tool was missing).
    async fn rejects(&self, env: &[(&str, &str)], args: &[&str], reasons: &[&str]) -> Result<()> {
        let ran = self.run(env, args).await?;
        let said = format!("{}{}", ran.stdout, ran.stderr);
        ensure!(!ran.ok, "`{}` accepted broken input:\n{said}", args.join(" "));
        let missing: Vec<_> = reasons.iter().filter(|r| !said.contains(*r)).collect();
        ensure!(missing.is_empty(), "`{}` failed without saying {missing:?}:\n{said}", args.join(" "));
        Ok(())
    }
}
