//! Load profiles and what is made of a run, without running one: every profile in
//! `loadtests/` loads; a broken profile is refused naming its file, line and key (nginx's rate
//! limits included); thresholds are judged as a pure function, saying by how much a breach
//! missed; the reports say the same; and the nightly workflow runs only what exists.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;
use stackproof::load::budget;
use stackproof::load::observed::{Observed, Route};
use stackproof::load::report::{self, Summary};
use stackproof::load::{Profile, Thresholds, evaluate};
use stackproof::policy::yaml;
use stackproof::repo;

fn profiles() -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(repo::path("loadtests"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yml") {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

fn every_profile_in_loadtests_loads_and_is_named_for_its_file() -> Result<()> {
    let found = profiles()?;
    assert!(found.len() >= 2, "expected at least smoke and nightly, found {found:?}");
    for path in found {
        let profile = Profile::load(&path)?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        assert_eq!(profile.name, stem, "{}", path.display());
    }
    Ok(())
}

fn the_smoke_profile_is_short_and_the_nightly_one_long() -> Result<()> {
    let smoke = Profile::load(&repo::path("loadtests/smoke.yml"))?;
    let nightly = Profile::load(&repo::path("loadtests/nightly.yml"))?;
    assert!(
        smoke.ramp_seconds + smoke.duration_seconds < 45,
        "smoke runs for {} s",
        smoke.ramp_seconds + smoke.duration_seconds
    );
    assert!(smoke.users <= 10, "smoke has {} users", smoke.users);
    assert!(nightly.duration_seconds >= 300, "nightly holds for only {} s", nightly.duration_seconds);
    assert_eq!(smoke.thresholds.max_error_rate, 0.0, "throughput is void unless no request failed");
    Ok(())
}

/// The smoke profile with each `(from, to)` edit made (each `from` must be there).
fn broken(edits: &[(&str, &str)]) -> Result<String> {
    let mut text = std::fs::read_to_string(repo::path("loadtests/smoke.yml"))?;
    for (from, to) in edits {
        anyhow::ensure!(text.contains(from), "the smoke profile no longer contains {from:?}");
        text = text.replacen(from, to, 1);
    }
    Ok(text)
}

const SLOW_ACCOUNTS: [(&str, &str); 3] = [
    ("users: 6", "users: 18"),
    ("{min: 500, max: 1000}", "{min: 5000, max: 9000}"),
    ("{min: 300, max: 700}", "{min: 3000, max: 7000}"),
];

/// Each broken profile (edits of the smoke profile) and what its refusal must start with.
const BROKEN: [(&[(&str, &str)], &str); 8] = [
    (&[("users: 6", "users: 0")], ":6: users is 0; it must be between 1 and 10000 concurrent users"),
    (
        &[("users: 6", "users: 6\nspeed: 11")],
        ":7: unknown field `speed`, expected one of `name`, `description`, `users`",
    ),
    (
        &[("name: analysis", "name: shopping")],
        ":16: scenarios.2.name is \"shopping\"; it must be one of browse, account, analysis, front-page",
    ),
    (&[("name: analysis", "name: browse")], ":16: scenarios.2.name repeats \"browse\""),
    (&[("{min: 300, max: 700}", "{min: 900, max: 700}")], ":18: scenarios.2.think_time_ms has min 900 above max 700"),
    (
        &[("{min: 300, max: 700}", "{min: 0, max: 700}")],
        ":18: scenarios.2.think_time_ms.min is 0; analysis calls the API",
    ),
    (&[("users: 6", "users: 20")], ":6: users could send up to 38.0 API requests/s, above nginx's 20 per address"),
    (&SLOW_ACCOUNTS, ":7: ramp_seconds is 3; 6 users log in, more than nginx lets through in that time (5.2)"),
];

fn a_broken_profile_is_refused_naming_file_line_and_key() -> Result<()> {
    for (edits, says) in BROKEN {
        let text = broken(edits)?;
        let error = Profile::parse(Path::new("loadtests/broken.yml"), text.as_bytes()).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("loadtests/broken.yml{says}")),
            "{error}\ndoes not start with: loadtests/broken.yml{says}"
        );
    }
    Ok(())
}

fn a_yaml_syntax_error_names_file_and_line() {
    let error = Profile::parse(Path::new("loadtests/bad.yml"), b"name: smoke\nusers: [\n").unwrap_err().to_string();
    assert!(error.starts_with("loadtests/bad.yml:"), "{error}");
    assert!(error.contains("invalid YAML"), "{error}");
}

/// `zone=<zone>` settings in nginx's config: (rate per second, burst).
fn nginx_limit(zone: &str) -> Result<(f64, usize)> {
    let limits = std::fs::read_to_string(repo::path("deploy/nginx/conf.d/01-limits.conf"))?;
    let https = std::fs::read_to_string(repo::path("deploy/nginx/conf.d/30-https.conf"))?;
    let rate = limits
        .split(&format!("zone={zone}:"))
        .nth(1)
        .and_then(|rest| rest.split("rate=").nth(1))
        .and_then(|rest| rest.split(';').next())
        .with_context(|| format!("no rate for zone {zone}"))?;
    let per_second = match rate.strip_suffix("r/m") {
        Some(per_minute) => per_minute.parse::<f64>()? / 60.0,
        None => rate.strip_suffix("r/s").context("unknown unit")?.parse()?,
    };
    let burst = https
        .split(&format!("limit_req zone={zone} burst="))
        .nth(1)
        .and_then(|rest| rest.split([' ', ';']).next())
        .with_context(|| format!("no burst for zone {zone}"))?
        .parse()?;
    Ok((per_second, burst))
}

fn the_budget_knows_nginxs_real_rate_limits() -> Result<()> {
    assert_eq!(nginx_limit("api")?, (budget::API_PER_SECOND, budget::API_BURST));
    assert_eq!(nginx_limit("login")?, (budget::LOGINS_PER_MINUTE / 60.0, budget::LOGIN_BURST));
    Ok(())
}

const LIMITS: Thresholds = Thresholds { p95_ms: 300, p99_ms: 800, max_error_rate: 0.0, min_rps: 20.0 };

fn observed(requests: usize, failures: usize, p95_ms: f64, p99_ms: f64) -> Observed {
    Observed {
        requests,
        failures,
        rate_limited: 0,
        seconds: 20.0,
        p50_ms: p95_ms / 3.0,
        p95_ms,
        p99_ms,
        max_ms: p99_ms * 2.0,
        routes: vec![Route { name: "GET /".to_owned(), requests, failures, p95_ms }],
    }
}

fn messages(observed: &Observed) -> Vec<(String, bool, String)> {
    evaluate(&LIMITS, observed).into_iter().map(|v| (v.threshold, v.passed, v.message)).collect()
}

fn a_run_inside_every_limit_passes_every_threshold() {
    let verdicts = messages(&observed(1000, 0, 120.0, 410.0));
    assert_eq!(
        verdicts,
        [
            ("p95_ms".to_owned(), true, "p95_ms: 120.0 ms is within the limit of 300 ms".to_owned()),
            ("p99_ms".to_owned(), true, "p99_ms: 410.0 ms is within the limit of 800 ms".to_owned()),
            (
                "max_error_rate".to_owned(),
                true,
                "max_error_rate: 0.00% (0 of 1000 requests failed) is within the limit of 0.00%".to_owned()
            ),
            ("min_rps".to_owned(), true, "min_rps: 50.0 req/s is within the limit of 20 req/s".to_owned()),
        ]
    );
}

fn a_breach_says_which_threshold_and_by_how_much() {
    let verdicts = messages(&observed(300, 0, 412.0, 800.0));
    assert_eq!(
        verdicts[0],
        ("p95_ms".to_owned(), false, "p95_ms: 412.0 ms is above the limit of 300 ms by 112.0 ms (+37%)".to_owned())
    );
    assert!(verdicts[1].1, "a figure exactly at its limit holds: {:?}", verdicts[1]);
    assert_eq!(
        verdicts[3],
        (
            "min_rps".to_owned(),
            false,
            "min_rps: 15.0 req/s is below the limit of 20 req/s by 5.0 req/s (-25%)".to_owned()
        )
    );
}

fn failed_requests_break_the_error_rate_and_void_the_throughput() {
    let mut run = observed(1000, 25, 50.0, 90.0);
    run.rate_limited = 20;
    let verdicts = messages(&run);
    assert_eq!(
        verdicts[2].2,
        "max_error_rate: 2.50% (25 of 1000 requests failed, 20 of them 429 from a rate limit) is above the limit of 0.00% by 2.50 points"
    );
    assert_eq!(
        verdicts[3],
        (
            "min_rps".to_owned(),
            false,
            "min_rps: 50.0 req/s is void: 25 requests failed, and failures are answered fast".to_owned()
        )
    );
    assert!(verdicts[0].1 && verdicts[1].1, "fast answers still hold the latency thresholds");
}

fn a_run_without_requests_fails_every_threshold() {
    let verdicts = messages(&observed(0, 0, 0.0, 0.0));
    assert!(
        verdicts.iter().all(|(_, passed, message)| !passed && message.ends_with("no request was made")),
        "{verdicts:?}"
    );
}

fn summary(name: &str, run: Observed) -> Summary {
    Summary {
        profile: name.to_owned(),
        target: "https://stackproof.test:1/".to_owned(),
        thresholds: LIMITS,
        verdicts: evaluate(&LIMITS, &run),
        observed: run,
    }
}

fn the_junit_summary_has_one_case_per_threshold_and_a_failure_per_breach() {
    let xml = report::junit(&summary("smoke", observed(300, 0, 412.0, 100.0)));
    assert_eq!(xml.matches("<testcase ").count(), 4, "{xml}");
    assert!(xml.contains("<testsuite name=\"loadtest smoke\" tests=\"4\" failures=\"2\""), "{xml}");
    assert!(
        xml.contains(
            "<failure type=\"threshold\" message=\"p95_ms: 412.0 ms is above the limit of 300 ms by 112.0 ms (+37%)\">"
        ),
        "{xml}"
    );
}

fn a_baseline_comparison_gives_each_metrics_change_and_direction() -> Result<()> {
    let before = summary("smoke", observed(1000, 0, 100.0, 200.0));
    let after = summary("smoke", observed(900, 0, 150.0, 200.0));
    let lines: Vec<String> = report::compare(&before, &after).iter().map(|d| d.line()).collect();
    assert!(lines.contains(&"p95 (ms): 100.0 -> 150.0, +50.0 (+50%), worse".to_owned()), "{lines:#?}");
    assert!(lines.contains(&"p99 (ms): 200.0 -> 200.0, +0.0 (+0%), unchanged".to_owned()), "{lines:#?}");
    assert!(lines.contains(&"throughput (req/s): 50.0 -> 45.0, -5.0 (-10%), worse".to_owned()), "{lines:#?}");
    assert!(lines.contains(&"p95 of GET / (ms): 100.0 -> 150.0, +50.0 (+50%), worse".to_owned()), "{lines:#?}");
    let page = report::markdown(&before, &after);
    assert!(page.contains("| p95 (ms) | 100.0 | 150.0 | +50.0 (+50%) | worse |"), "{page}");
    // A summary written by one run is the next run's baseline.
    let dir = tempfile::tempdir()?;
    after.write(dir.path(), Some(&before))?;
    assert_eq!(Summary::load(dir.path())?, after);
    assert!(dir.path().join(report::COMPARISON).is_file());
    let error = Summary::load(&dir.path().join(report::JUNIT)).unwrap_err().to_string();
    assert!(error.contains("junit.xml: not a summary.json written by loadtest"), "{error}");
    Ok(())
}

fn the_nightly_workflow_runs_the_nightly_profile_with_files_that_exist() -> Result<()> {
    let path = repo::path("ci/workflows/nightly.yml");
    let workflow = yaml::load(&path)?;
    let triggers = &workflow["on"];
    assert!(triggers["schedule"][0]["cron"].is_string(), "no schedule: {triggers}");
    assert!(triggers.get("workflow_dispatch").is_some(), "no manual trigger: {triggers}");
    let runs = crate::common::workflow_commands(&workflow);
    let script = runs.join("\n");
    assert!(script.contains("ci/prepare.sh"), "the machine is not prepared:\n{script}");
    let words: Vec<&str> = script.split_whitespace().map(|w| w.trim_matches(['"', '\''])).collect();
    let mut report_dirs = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let next = words.get(index + 1).copied().unwrap_or_default();
        match *word {
            "--profile" => {
                let profile = Profile::load(&repo::path(next))?;
                assert_eq!(profile.name, "nightly", "the nightly workflow runs profile {}", profile.name);
            }
            "--bin" => assert!(repo::path(&format!("src/bin/{next}.rs")).is_file(), "no binary {next}"),
            "--report-dir" => report_dirs.push(next.to_owned()),
            repo_file if ["ci/", "loadtests/", "src/", "docs/", "deploy/"].iter().any(|p| repo_file.starts_with(p)) => {
                assert!(repo::path(repo_file).exists(), "the workflow uses {repo_file}, which does not exist");
            }
            _ => {}
        }
    }
    assert!(words.windows(2).any(|w| w == ["--bin", "loadtest"]), "the workflow does not run loadtest:\n{script}");
    assert!(words.contains(&"--release"), "a debug build would measure the client:\n{script}");
    let uploaded: Vec<String> = workflow_runs_uploads(&workflow);
    assert!(
        !report_dirs.is_empty() && report_dirs.iter().all(|dir| uploaded.contains(dir)),
        "reports {report_dirs:?} are not uploaded ({uploaded:?})"
    );
    Ok(())
}

/// The paths uploaded by `actions/upload-artifact` steps.
fn workflow_runs_uploads(workflow: &Value) -> Vec<String> {
    let jobs = workflow["jobs"].as_object().cloned().unwrap_or_default();
    jobs.values()
        .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
        .filter(|step| step["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
        .filter_map(|step| step["with"]["path"].as_str().map(|p| p.trim().to_owned()))
        .collect()
}

/// Profiles, thresholds and reports, judged without a run.
pub fn suite() -> stackproof::suite::Suite<()> {
    stackproof::suite::Suite::plain("loadtest")
        .with(crate::common::test(
            "every-profile-in-loadtests-loads-and-is-named-for-its-file",
            every_profile_in_loadtests_loads_and_is_named_for_its_file,
        ))
        .with(crate::common::test(
            "the-smoke-profile-is-short-and-the-nightly-one-long",
            the_smoke_profile_is_short_and_the_nightly_one_long,
        ))
        .with(crate::common::test(
            "a-broken-profile-is-refused-naming-file-line-and-key",
            a_broken_profile_is_refused_naming_file_line_and_key,
        ))
        .with(crate::common::unit("a-yaml-syntax-error-names-file-and-line", a_yaml_syntax_error_names_file_and_line))
        .with(crate::common::test("the-budget-knows-nginxs-real-rate-limits", the_budget_knows_nginxs_real_rate_limits))
        .with(crate::common::unit(
            "a-run-inside-every-limit-passes-every-threshold",
            a_run_inside_every_limit_passes_every_threshold,
        ))
        .with(crate::common::unit(
            "a-breach-says-which-threshold-and-by-how-much",
            a_breach_says_which_threshold_and_by_how_much,
        ))
        .with(crate::common::unit(
            "failed-requests-break-the-error-rate-and-void-the-throughput",
            failed_requests_break_the_error_rate_and_void_the_throughput,
        ))
        .with(crate::common::unit(
            "a-run-without-requests-fails-every-threshold",
            a_run_without_requests_fails_every_threshold,
        ))
        .with(crate::common::unit(
            "the-junit-summary-has-one-case-per-threshold-and-a-failure-per-breach",
            the_junit_summary_has_one_case_per_threshold_and_a_failure_per_breach,
        ))
        .with(crate::common::test(
            "a-baseline-comparison-gives-each-metrics-change-and-direction",
            a_baseline_comparison_gives_each_metrics_change_and_direction,
        ))
        .with(crate::common::test(
            "the-nightly-workflow-runs-the-nightly-profile-with-files-that-exist",
            the_nightly_workflow_runs_the_nightly_profile_with_files_that_exist,
        ))
}
