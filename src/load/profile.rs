//! A load profile (`loadtests/*.yml`): checked against `schemas/loadtest-profile.schema.json`,
//! then against what only the harness knows (scenario names, think-time ranges, nginx's rate
//! limits), before it is read. Every error names the file, the line where found, and the key.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::budget;
use super::scenarios::Kind;
use crate::policy::outline::Outline;
use crate::policy::schema::Schema;
use crate::policy::yaml;
use crate::policy::{LoadError, Position};

/// One load test run: who, how many, how long, and the limits that fail it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// e.g. `smoke`.
    pub name: String,
    /// What the profile proves.
    #[serde(default)]
    pub description: String,
    /// Concurrent Goose users.
    pub users: usize,
    /// Seconds over which the users start.
    pub ramp_seconds: u64,
    /// Seconds of full load once every user has started; the run then stops by itself.
    pub duration_seconds: u64,
    /// Which scenarios users run, by weight.
    pub scenarios: Vec<ScenarioMix>,
    /// The limits that fail the run.
    pub thresholds: Thresholds,
}

/// One scenario of a profile and how often users pick it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMix {
    /// The scenario's name, one of [`Kind::ALL`].
    pub name: String,
    /// Relative weight among the profile's scenarios.
    pub weight: usize,
    /// Pause between two iterations of the scenario.
    pub think_time_ms: ThinkTime,
}

impl ScenarioMix {
    /// The scenario this entry names (checked when the profile was loaded).
    pub fn kind(&self) -> Kind {
        Kind::named(&self.name).expect("scenario names are checked when a profile is loaded")
    }
}

/// A range of milliseconds; each pause is drawn from it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThinkTime {
    /// Shortest pause.
    pub min: u64,
    /// Longest pause.
    pub max: u64,
}

/// The service-level thresholds a run must hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// 95th percentile response time (to headers), in ms.
    pub p95_ms: u64,
    /// 99th percentile response time, in ms.
    pub p99_ms: u64,
    /// Largest fraction of failed requests (0 to 1).
    pub max_error_rate: f64,
    /// Fewest requests per second over the run.
    pub min_rps: f64,
}

impl Profile {
    /// Reads, validates and parses the profile at `path`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::read(path, source))?;
        Self::parse(path, &bytes)
    }

    /// Validates and parses `bytes` (the contents of `path`, which names the file in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, LoadError> {
        let document = yaml::parse_mapping(path, bytes)?;
        let text = String::from_utf8_lossy(bytes);
        let invalid = |keys: &[String], message: String| {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let at = Outline::new(&text).find(&keys).map(|(line, _)| Position::line(line));
            LoadError::Invalid { path: path.to_path_buf(), at, message }
        };
        let parsed = serde_json::from_value::<Self>(document.clone());
        let violations = Schema::LoadtestProfile.violations(&document);
        if let Some(first) = violations.first() {
            let message = violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("; ");
            // A key the schema does not know breaks the document as a whole; serde names it.
            return Err(match (&parsed, first.path.is_empty()) {
                (Err(unknown), true) => invalid(&[backticked(&unknown.to_string())], unknown.to_string()),
                _ => invalid(&first.path, message),
            });
        }
        let profile =
            parsed.map_err(|e| LoadError::Invalid { path: path.to_path_buf(), at: None, message: e.to_string() })?;
        if let Some((keys, message)) = profile.problems().into_iter().next() {
            return Err(invalid(&keys, message));
        }
        Ok(profile)
    }

    /// What the schema cannot say: unknown or repeated scenarios, inverted ranges, and plans
    /// that would run into nginx's rate limits (each with the path of the key at fault).
    fn problems(&self) -> Vec<(Vec<String>, String)> {
        let mut problems = Vec::new();
        for (index, mix) in self.scenarios.iter().enumerate() {
            let key = |field: &str| vec!["scenarios".to_owned(), index.to_string(), field.to_owned()];
            if Kind::named(&mix.name).is_none() {
                let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                let message =
                    format!("scenarios.{index}.name is {:?}; it must be one of {}", mix.name, known.join(", "));
                problems.push((key("name"), message));
            } else if self.scenarios[..index].iter().any(|m| m.name == mix.name) {
                problems.push((key("name"), format!("scenarios.{index}.name repeats {:?}", mix.name)));
            }
            if mix.think_time_ms.min > mix.think_time_ms.max {
                let ThinkTime { min, max } = mix.think_time_ms;
                let message = format!("scenarios.{index}.think_time_ms has min {min} above max {max}");
                problems.push((key("think_time_ms"), message));
            }
        }
        if problems.is_empty() {
            problems.extend(budget::check(self));
        }
        problems
    }

    /// How many users run each scenario, as Goose hands them out (round robin by weight).
    pub fn users_per_scenario(&self) -> Vec<(&ScenarioMix, usize)> {
        let weights: Vec<usize> = self.scenarios.iter().map(|m| m.weight).collect();
        let counts = round_robin(&weights, self.users);
        self.scenarios.iter().zip(counts).collect()
    }
}

/// The first word between backticks in serde's message: the unknown field.
fn backticked(message: &str) -> String {
    message.split('`').nth(1).unwrap_or_default().to_owned()
}

/// Goose's round robin: weights are divided by their greatest common divisor, one cycle deals
/// one user per scenario per round while the scenario has weight left, and user `i` takes the
/// `i`-th place of the cycle, repeated.
fn round_robin(weights: &[usize], users: usize) -> Vec<usize> {
    let divisor = weights.iter().copied().fold(0, gcd).max(1);
    let rounds = weights.iter().max().map_or(0, |w| w / divisor);
    let cycle: Vec<usize> = (0..rounds)
        .flat_map(|round| weights.iter().enumerate().filter(move |(_, w)| round < *w / divisor).map(|(i, _)| i))
        .collect();
    let mut counts = vec![0; weights.len()];
    for user in 0..users {
        counts[cycle[user % cycle.len()]] += 1;
    }
    counts
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::round_robin;

    #[test]
    fn users_are_dealt_like_goose_deals_them() {
        // Goose's own example: weights 5 and 3, 20 users: A, B, A, B, A, B, A, A repeated.
        assert_eq!(round_robin(&[5, 3], 20), [12, 8]);
        assert_eq!(round_robin(&[3, 2, 1], 6), [3, 2, 1]);
        assert_eq!(round_robin(&[3, 2, 1], 4), [2, 1, 1]);
        assert_eq!(round_robin(&[2, 2], 3), [2, 1]);
    }
}
