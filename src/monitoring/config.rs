//! The monitoring configuration, judged before anything runs (`SP500`-`SP509`): Prometheus's
//! config and rules, the rules' unit tests and metadata, the dashboards' PromQL, Alertmanager's
//! config, routes and template. The tools are the monitoring's own (promtool, amtool, the check
//! scripts in `deploy/`), run in the production images; this registry is their one driver (no
//! shell twin). Broken cases in `fixtures/monitoring/broken/` show each check failing.

use std::path::{Path, PathBuf};

use super::toolbox::{Toolbox, ToolboxError};
use crate::check::report::Run;
use crate::check::{Check, Finding, Kind, Location, Meta, Severity};
use crate::command::Finished;

/// The image with promtool plus the scripts' jq and python3-yaml (fixtures/monitoring/checks).
pub const PROMETHEUS_TOOLS: &str = "stackproof/prometheus-checks:test";
/// The production Alertmanager image (amtool, sh and awk).
pub const ALERTMANAGER_TOOLS: &str = "stackproof/alertmanager:prod";

const PROM: &str = "deploy/prometheus";
const AM: &str = "deploy/alertmanager";
const TEMPLATE: &str = "deploy/alertmanager/alertmanager.yml.tmpl";

/// The toolboxes a configuration check runs in, over one tree (the repository or a scratch
/// copy a broken case changed).
pub struct Tools {
    /// The tree on the host.
    pub tree: PathBuf,
    /// promtool and the check scripts.
    pub prometheus: Toolbox,
    /// amtool.
    pub alertmanager: Toolbox,
}

impl Tools {
    /// Starts both toolboxes over `tree`.
    pub async fn start(tree: &Path) -> Result<Self, ToolboxError> {
        let (prometheus, alertmanager) =
            tokio::try_join!(Toolbox::start(PROMETHEUS_TOOLS, tree), Toolbox::start(ALERTMANAGER_TOOLS, tree))?;
        Ok(Self { tree: tree.to_path_buf(), prometheus, alertmanager })
    }

    /// Files below `dir` (tree-relative) whose names end with `suffix`, sorted, as tools see them.
    fn files(&self, dir: &str, suffix: &str) -> Vec<String> {
        let mut found: Vec<String> = std::fs::read_dir(self.tree.join(dir))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(suffix))
            .map(|name| format!("{dir}/{name}"))
            .collect();
        found.sort();
        found
    }
}

/// How a configuration check looks.
pub type Look = for<'a> fn(
    &'a Tools,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Vec<Finding>, ToolboxError>> + Send + 'a>,
>;

/// A configuration check.
pub type ConfigCheck = Check<Look>;

macro_rules! config_check {
    ($name:ident, $id:literal, $kebab:literal, $summary:literal, $fix:literal, $look:ident) => {
        #[doc = $summary]
        pub static $name: ConfigCheck = ConfigCheck {
            meta: Meta { id: $id, name: $kebab, kind: Kind::Monitoring, severity: Severity::Error, summary: $summary, fix: $fix },
            run: {
                fn boxed<'a>(tools: &'a Tools) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<Finding>, ToolboxError>> + Send + 'a>> {
                    Box::pin($look(tools))
                }
                boxed as Look
            },
        };
    };
}

config_check!(
    PROMETHEUS_CONFIG,
    "SP500",
    "prometheus-config-passes-promtool",
    "promtool check config (every lint fatal) accepts prometheus.yml and the rule files it names",
    "correct what promtool names in deploy/prometheus/prometheus.yml",
    prometheus_config
);
config_check!(
    RULES,
    "SP501",
    "rule-files-pass-promtool",
    "promtool check rules (every lint fatal) accepts every rule file",
    "correct what promtool names in deploy/prometheus/rules/",
    rules
);
config_check!(
    UNIT_TESTS,
    "SP502",
    "alert-unit-tests-pass",
    "promtool test rules passes every alert test: each alert fires when it should and stays quiet when it should",
    "correct the rule (or the test, if the behaviour change is intended) in deploy/prometheus",
    unit_tests
);
config_check!(
    METADATA,
    "SP503",
    "alerts-have-metadata-runbooks-and-tests",
    "every alert has a severity, a summary, a description showing its value, a runbook anchor that exists, and tests firing and quiet",
    "add what lint-rules.py names; a runbook_url anchor needs its section in docs/runbooks.md",
    metadata
);
config_check!(
    DASHBOARDS,
    "SP504",
    "dashboards-parse-and-use-defined-rules",
    "every dashboard has a unique uid and panels with unique ids, the provisioned datasource, and PromQL that parses, using only defined recording rules",
    "correct what check-dashboards.sh names in deploy/grafana/dashboards/",
    dashboards
);
config_check!(
    ALERTMANAGER_CONFIG,
    "SP505",
    "alertmanager-config-passes-amtool",
    "amtool check-config accepts the checked-in alertmanager.yml",
    "correct what amtool names, in the template, then re-render",
    alertmanager_config
);
config_check!(
    ROUTES,
    "SP506",
    "alerts-route-to-the-expected-receivers",
    "every case of deploy/alertmanager/tests/routes.txt reaches the receiver it names",
    "correct the route in alertmanager.yml.tmpl (or routes.txt, if intended)",
    routes
);
config_check!(
    RENDERED,
    "SP507",
    "alertmanager-config-is-its-rendered-template",
    "the checked-in alertmanager.yml is the template rendered with example.env",
    "re-render: env $(cat deploy/alertmanager/example.env) deploy/alertmanager/render.sh deploy/alertmanager/alertmanager.yml.tmpl",
    rendered
);
config_check!(
    WITHOUT_EMAIL,
    "SP508",
    "alertmanager-renders-valid-without-email",
    "rendered with only a webhook, the config is valid and routes every case the same",
    "keep the email receiver optional in alertmanager.yml.tmpl",
    without_email
);
config_check!(
    RENDERER_REFUSES,
    "SP509",
    "alertmanager-renderer-refuses-incomplete-settings",
    "the renderer refuses a missing webhook and half an email setup, naming the variable, where a complete setting renders",
    "keep render.sh's checks of ALERT_WEBHOOK_URL and of the three email variables together",
    renderer_refuses
);

/// Every configuration check, in id order.
pub static ALL: [&ConfigCheck; 10] = [
    &PROMETHEUS_CONFIG,
    &RULES,
    &UNIT_TESTS,
    &METADATA,
    &DASHBOARDS,
    &ALERTMANAGER_CONFIG,
    &ROUTES,
    &RENDERED,
    &WITHOUT_EMAIL,
    &RENDERER_REFUSES,
];

/// Runs every configuration check with `tools`.
pub async fn check(tools: &Tools) -> Result<Run, ToolboxError> {
    let mut findings = Vec::new();
    for check in ALL {
        findings.extend((check.run)(tools).await?);
    }
    Ok(Run::new(ALL.iter().map(|c| &c.meta).collect(), findings))
}

/// The finding of `check` about `file` when `ran` failed, with what the tool said.
fn failed(check: &'static ConfigCheck, file: &str, ran: &Finished) -> Vec<Finding> {
    if ran.success {
        return Vec::new();
    }
    let said = crate::command::tail(&ran.said(), 30);
    vec![check.finding(Location::file(file, None), format!("failed:\n{said}"))]
}

fn with<'a>(args: &[&'a str], more: &'a [String]) -> Vec<&'a str> {
    args.iter().copied().chain(more.iter().map(String::as_str)).collect()
}

/// A finding when `files` is empty: a check of nothing proves nothing.
fn none_found(check: &'static ConfigCheck, dir: &str, files: &[String]) -> Option<Vec<Finding>> {
    files
        .is_empty()
        .then(|| vec![check.finding(Location::file(dir, None), format!("holds no files to check in {dir}"))])
}

async fn prometheus_config(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let file = format!("{PROM}/prometheus.yml");
    let ran = tools.prometheus.run(&[], &["promtool", "check", "config", "--lint=all", "--lint-fatal", &file]).await?;
    Ok(failed(&PROMETHEUS_CONFIG, &file, &ran))
}

async fn rules(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let files = tools.files(&format!("{PROM}/rules"), ".yml");
    if let Some(none) = none_found(&RULES, &format!("{PROM}/rules"), &files) {
        return Ok(none);
    }
    let ran =
        tools.prometheus.run(&[], &with(&["promtool", "check", "rules", "--lint=all", "--lint-fatal"], &files)).await?;
    Ok(failed(&RULES, &format!("{PROM}/rules"), &ran))
}

async fn unit_tests(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let files = tools.files(&format!("{PROM}/tests"), "_test.yml");
    if let Some(none) = none_found(&UNIT_TESTS, &format!("{PROM}/tests"), &files) {
        return Ok(none);
    }
    let ran = tools.prometheus.run(&[], &with(&["promtool", "test", "rules"], &files)).await?;
    Ok(failed(&UNIT_TESTS, &format!("{PROM}/tests"), &ran))
}

async fn metadata(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let (rules, tests) =
        (tools.files(&format!("{PROM}/rules"), ".yml"), tools.files(&format!("{PROM}/tests"), "_test.yml"));
    if let Some(none) = none_found(&METADATA, &format!("{PROM}/rules"), &rules) {
        return Ok(none);
    }
    let mut lint = with(&["python3", "deploy/prometheus/lint-rules.py", "docs/runbooks.md"], &rules);
    lint.push("--tests");
    lint.extend(tests.iter().map(String::as_str));
    let ran = tools.prometheus.run(&[], &lint).await?;
    Ok(failed(&METADATA, &format!("{PROM}/rules"), &ran))
}

async fn dashboards(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let files = tools.files("deploy/grafana/dashboards", ".json");
    if let Some(none) = none_found(&DASHBOARDS, "deploy/grafana/dashboards", &files) {
        return Ok(none);
    }
    let ran = tools.prometheus.run(&[], &["bash", "deploy/grafana/check-dashboards.sh"]).await?;
    Ok(failed(&DASHBOARDS, "deploy/grafana/dashboards", &ran))
}

async fn alertmanager_config(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let file = format!("{AM}/alertmanager.yml");
    let ran = tools.alertmanager.run(&[], &["amtool", "check-config", &file]).await?;
    Ok(failed(&ALERTMANAGER_CONFIG, &file, &ran))
}

async fn routes(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let ran = tools
        .alertmanager
        .run(&[], &["sh", "deploy/alertmanager/tests/routes.sh", "deploy/alertmanager/alertmanager.yml"])
        .await?;
    Ok(failed(&ROUTES, &format!("{AM}/tests/routes.txt"), &ran))
}

/// The variables of `example.env` (`KEY=value` lines).
fn example_env(tools: &Tools) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(tools.tree.join(AM).join("example.env")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

async fn rendered(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let env = example_env(tools);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ran = tools.alertmanager.run(&env, &["sh", "deploy/alertmanager/render.sh", TEMPLATE]).await?;
    let file = format!("{AM}/alertmanager.yml");
    if !ran.success {
        return Ok(failed(&RENDERED, TEMPLATE, &ran));
    }
    let checked_in = std::fs::read_to_string(tools.tree.join(&file)).unwrap_or_default();
    if ran.stdout != checked_in {
        return Ok(vec![
            RENDERED.finding(Location::file(&file, None), "differs from the template rendered with example.env"),
        ]);
    }
    Ok(Vec::new())
}

async fn without_email(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let script = format!(
        "f=$(mktemp) && sh deploy/alertmanager/render.sh {TEMPLATE} >\"$f\" && amtool check-config \"$f\" \
         && sh deploy/alertmanager/tests/routes.sh \"$f\""
    );
    let ran = tools.alertmanager.run(&[("ALERT_WEBHOOK_URL", "http://sink:9000/")], &["sh", "-c", &script]).await?;
    Ok(failed(&WITHOUT_EMAIL, TEMPLATE, &ran))
}

async fn renderer_refuses(tools: &Tools) -> Result<Vec<Finding>, ToolboxError> {
    let render = ["sh", "deploy/alertmanager/render.sh", TEMPLATE];
    let complete = [
        ("ALERT_WEBHOOK_URL", "http://x/"),
        ("ALERT_EMAIL_TO", "a@b.c"),
        ("ALERT_EMAIL_FROM", "c@b.c"),
        ("ALERT_SMTP_SMARTHOST", "mail:25"),
    ];
    let mut findings = Vec::new();
    let control = tools.alertmanager.run(&complete, &render).await?;
    if !control.success {
        findings.extend(failed(&RENDERER_REFUSES, TEMPLATE, &control));
    }
    let cases: [(&[(&str, &str)], &str); 2] = [
        (&[], "ALERT_WEBHOOK_URL: must be set"),
        (
            &[("ALERT_WEBHOOK_URL", "http://x/"), ("ALERT_EMAIL_TO", "a@b.c")],
            "set all of ALERT_EMAIL_TO, ALERT_SMTP_SMARTHOST, ALERT_EMAIL_FROM, or none",
        ),
    ];
    for (env, reason) in cases {
        let ran = tools.alertmanager.run(env, &render).await?;
        if ran.success || !ran.said().contains(reason) {
            let what = if ran.success { "accepted".to_owned() } else { format!("refused without saying {reason:?}") };
            findings.push(
                RENDERER_REFUSES.finding(Location::file(TEMPLATE, None), format!("render.sh with {env:?} {what}")),
            );
        }
    }
    Ok(findings)
}
