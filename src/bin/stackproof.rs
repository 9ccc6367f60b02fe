//! `stackproof check`: the static validation suite for a compose project. Needs the compose CLI
//! (to render the project) but no Docker engine. Exit codes: 0 clean, 1 findings, 2 usage or
//! load error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::{Args, Parser, Subcommand};
use stackproof::policy::{self, Project, ProjectOptions, report, rules};

#[derive(Parser)]
#[command(name = "stackproof", version, about = "Validation harness for the stock-analysis platform's deployment")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checks a compose project against the schemas and policy rules, without running it.
    Check(Check),
}

/// File options are relative to the current directory; defaults are looked for in PATH.
#[derive(Args)]
struct Check {
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
    /// Also write the findings as SARIF 2.1.0 to FILE.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// Also write the findings as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// List the rules and exit.
    #[arg(long)]
    list_rules: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Command::Check(check) = Cli::parse().command;
    match run(check).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

async fn run(check: Check) -> Result<ExitCode> {
    if check.list_rules {
        for rule in rules::ALL {
            println!("{}  {:<28} {}", rule.id, rule.name, rule.summary);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let options = ProjectOptions {
        dir: check.path.clone(),
        compose: check.compose.clone(),
        env_file: check.env_file.clone(),
        config: check.config.clone(),
    };
    let project = Project::load(&options).await?;
    let findings = policy::check(&project);
    print!("{}", report::human(&findings, &check.path));
    if let Some(path) = &check.sarif {
        write(path, &serde_json::to_string_pretty(&report::sarif(&findings, project.root()))?)?;
    }
    if let Some(path) = &check.junit {
        write(path, &report::junit(&findings, &check.path))?;
    }
    Ok(if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|error| anyhow!("cannot write {}: {error}", path.display()))
}
