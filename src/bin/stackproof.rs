//! `stackproof`: the checks as a command.
//!   check   the static suite (compose rules, Kubernetes rules) on a project, no engine needed
//!   verify  the live edge checks against a running site, read-only unless told otherwise
//!   list    every registered check
//! Exit codes: 0 clean, 1 findings, 2 usage or load error (the message names the file, field or
//! URL).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand};
use stackproof::check::report::{self, Run};
use stackproof::check::{self, Kind, Meta};
use stackproof::edge::{self, Target};
use stackproof::k8s::{self, ComposeApp, Manifests};
use stackproof::policy::{self, Project, ProjectOptions};
use stackproof::site::Site;

#[derive(Parser)]
#[command(name = "stackproof", version, about = "Proves a Compose deployment of the stock-analysis platform safe")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checks a compose project (and its Kubernetes manifests) without running it.
    Check(CheckArgs),
    /// Checks a running site from the outside: TLS, certificate, redirects, headers, cookies,
    /// refusals, what must stay hidden.
    Verify(VerifyArgs),
    /// Lists every check: id, name, kind, what it proves.
    List(ListArgs),
}

/// File options are relative to the current directory; defaults are looked for in PATH.
#[derive(Args)]
struct CheckArgs {
    /// The compose project directory.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// A compose file, repeatable [default: stackproof.yml's prod files, else compose.prod.yml if
    /// present, else compose.yml]
    #[arg(long, value_name = "FILE")]
    compose: Vec<PathBuf>,
    /// The env file documenting every variable; the project is rendered with exactly its values
    /// [default: stackproof.yml's env_file, else .env.example]
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// The harness config [default: stackproof.yml if present]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The folder holding kustomization.yaml [default: PATH/deploy/k8s if it has one]
    #[arg(long, value_name = "DIR")]
    k8s: Option<PathBuf>,
    #[command(flatten)]
    reports: Reports,
    /// List the checks and exit (as `stackproof list`).
    #[arg(long)]
    list_rules: bool,
}

#[derive(Args)]
struct VerifyArgs {
    /// Where the site's HTTPS answers, e.g. https://shop.example or https://203.0.113.5:443.
    #[arg(long, value_name = "URL")]
    base_url: String,
    /// The CA the certificate must chain to [default: the system's roots].
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// The name the site serves (SNI, Host, certificate) [default: the base URL's host].
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,
    /// Where its plain HTTP answers [default: the base URL's host on port 80].
    #[arg(long, value_name = "URL")]
    http_url: Option<String>,
    /// Also run the checks that change state (register accounts, spend rate-limit budgets).
    #[arg(long)]
    allow_writes: bool,
    /// Days the certificate must still be valid for (the expiry alert warns at 14).
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    min_days: i64,
    #[command(flatten)]
    reports: Reports,
}

#[derive(Args)]
struct Reports {
    /// Also write the results as SARIF 2.1.0 to FILE.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

#[derive(Args)]
struct ListArgs {
    /// Only this kind: compose, kubernetes, hardening, edge, monitoring or drill.
    #[arg(long, value_name = "KIND")]
    kind: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Check(args) if args.list_rules => list(None),
        Command::Check(args) => check(args).await,
        Command::Verify(args) => verify(args).await,
        Command::List(args) => list(args.kind.as_deref()),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn list(kind: Option<&str>) -> Result<ExitCode> {
    let wanted = match kind {
        Some(name) => Some(Kind::parse(name).ok_or_else(|| {
            anyhow!("--kind {name:?} is not one of compose, kubernetes, hardening, edge, monitoring, drill")
        })?),
        None => None,
    };
    for meta in check::catalog().into_iter().filter(|m| wanted.is_none_or(|k| m.kind == k)) {
        println!("{}  {:<11} {:<52} {}", meta.id, meta.kind.name(), meta.name, meta.summary);
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(args: CheckArgs) -> Result<ExitCode> {
    let options = ProjectOptions {
        dir: args.path.clone(),
        compose: args.compose.clone(),
        env_file: args.env_file.clone(),
        config: args.config.clone(),
    };
    let project = Project::load(&options).await?;
    let mut run = policy::check(&project);
    let k8s_dir = args.k8s.clone().unwrap_or_else(|| args.path.join("deploy/k8s"));
    let explicit = args.k8s.is_some();
    let skip_k8s =
        |why: String| k8s::rules::ALL.iter().map(|r| (&r.meta, why.clone())).collect::<Vec<(&'static Meta, String)>>();
    if k8s_dir.join(k8s::KUSTOMIZATION).is_file() {
        match ComposeApp::of(&project) {
            Ok(app) => {
                let manifests = Manifests::load(&k8s_dir, None, app)?;
                run = merge(run, k8s::rules::check(&manifests));
            }
            Err(why) if explicit => {
                return Err(anyhow!("cannot compare {} with the compose app: {why}", k8s_dir.display()));
            }
            Err(why) => {
                run.skipped.extend(skip_k8s(format!("the Kubernetes manifests cannot be compared with compose: {why}")))
            }
        }
    } else if explicit {
        return Err(anyhow!("{}: no {} there", k8s_dir.display(), k8s::KUSTOMIZATION));
    } else {
        run.skipped.extend(skip_k8s(format!("no {} in {}", k8s::KUSTOMIZATION, k8s_dir.display())));
    }
    write_reports(&run, "stackproof check", &args.path, project.root(), &args.reports)
}

/// One run of two: both checks' lists and findings.
fn merge(mut into: Run, other: Run) -> Run {
    let mut ran = std::mem::take(&mut into.ran);
    ran.extend(other.ran);
    let mut findings = std::mem::take(&mut into.findings);
    findings.extend(other.findings);
    let mut merged = Run::new(ran, findings);
    merged.skipped = into.skipped.into_iter().chain(other.skipped).collect();
    merged
}

async fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let ca = match &args.ca {
        Some(path) => Some(std::fs::read(path).with_context(|| format!("--ca {}", path.display()))?),
        None => None,
    };
    let site = Site::new(&args.base_url, args.server_name.as_deref(), args.http_url.as_deref(), ca).await?;
    let target = Target { site: &site, stack: None, min_days_left: args.min_days };
    let run = edge::verify(&target, args.allow_writes).await;
    write_reports(&run, "stackproof verify", Path::new(""), &std::env::current_dir()?, &args.reports)
}

fn write_reports(run: &Run, suite: &str, base: &Path, root: &Path, reports: &Reports) -> Result<ExitCode> {
    print!("{}", report::human(run, base));
    if let Some(path) = &reports.sarif {
        write(path, &serde_json::to_string_pretty(&report::sarif(run, root))?)?;
    }
    if let Some(path) = &reports.junit {
        write(path, &report::junit(run, suite, base))?;
    }
    Ok(if run.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|error| anyhow!("cannot write {}: {error}", path.display()))
}
