//! `loadtest`: runs a load profile against the production stack (booted here and torn down
//! afterwards, or an already running one on loopback), judges the profile's thresholds and
//! writes the reports. Exit codes: 0 every threshold held, 1 a threshold broke, 2 the run
//! could not be made.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use stackproof::load::attack::{self, Options};
use stackproof::load::report::{self, Summary};
use stackproof::load::{LoadTestError, Profile, Target};
use stackproof::prod;

#[derive(Parser)]
#[command(name = "loadtest", version, about = "Load tests the production stack against a profile's thresholds")]
struct Cli {
    /// The load profile.
    #[arg(long, value_name = "FILE", default_value = "loadtests/smoke.yml")]
    profile: PathBuf,
    /// Send load to this running stack instead of booting one (loopback hosts only).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The only CA to trust for --base-url (PEM).
    #[arg(long, value_name = "FILE", requires = "base_url")]
    ca: Option<PathBuf>,
    /// Where reports go [default: target/loadtest/<profile name>].
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// An earlier run's summary.json (or its report directory) to compare with.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Cap all users together at N requests per second (to measure latency at a set load).
    #[arg(long, value_name = "N")]
    max_rps: Option<usize>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "stackproof=info,goose=warn".into()),
        )
        .try_init();
    match run(Cli::parse()).await {
        Ok(summary) if summary.passed() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<Summary> {
    let profile = Profile::load(&cli.profile)?;
    let baseline = cli.baseline.as_deref().map(Summary::load).transpose()?;
    let report_dir = cli.report_dir.clone().unwrap_or_else(|| Path::new("target/loadtest").join(&profile.name));
    let options = Options { report_dir: Some(report_dir.clone()), max_rps: cli.max_rps };
    let summary = match &cli.base_url {
        Some(url) => {
            let ca = cli.ca.as_deref().map(|path| std::fs::read(path).map_err(|error| LoadTestError::io(path, error)));
            measure(&profile, &Target::new(url, ca.transpose()?).await?, &options).await?
        }
        None => {
            let booted = prod::BootedSite::boot("loadtest", |spec, _| spec).await.map_err(LoadTestError::from)?;
            let outcome = match Target::of(&booted.site) {
                Ok(target) => measure(&profile, &target, &options).await,
                Err(error) => Err(error.into()),
            };
            booted.down().await?;
            outcome?
        }
    };
    for verdict in &summary.verdicts {
        println!("{} {}", if verdict.passed { "PASS" } else { "FAIL" }, verdict.message);
    }
    let written = summary.write(&report_dir, baseline.as_ref())?;
    if let Some(before) = &baseline {
        println!("against the baseline {}:", cli.baseline.as_deref().unwrap_or(Path::new("")).display());
        for delta in report::compare(before, &summary) {
            println!("  {}", delta.line());
        }
    }
    let goose = report::GOOSE_REPORTS.iter().map(|name| report_dir.join(name));
    let files: Vec<String> = goose.chain(written).map(|p| p.display().to_string()).collect();
    println!("reports: {}", files.join(", "));
    Ok(summary)
}

/// Runs the profile against `target` and judges it, saying what it does.
async fn measure(profile: &Profile, target: &Target, options: &Options) -> Result<Summary> {
    println!("loadtest {}: {} users against {}", profile.name, profile.users, target.base_url());
    let summary = attack::measure(profile, target, options).await?;
    println!("loadtest {}: {}", profile.name, summary.observed);
    Ok(summary)
}
