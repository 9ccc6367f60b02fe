//! Brief, deterministic fuzzing of the loaders, and of the outline that finds keys' lines:
//! valid fixtures mutated (bit flips, truncations, deletions, repeats, and insertions of YAML
//! and Dockerfile syntax, tabs, NULs, huge numbers and invalid UTF-8) never make them panic, and
//! every error a loader returns names its file.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use stackproof::policy::dockerfile::Dockerfile;
use stackproof::policy::env_file::EnvFile;
use stackproof::policy::harness_config::HarnessConfig;
use stackproof::policy::outline::Outline;
use stackproof::policy::{ComposeSource, LoadError};
use stackproof::repo;

const CASES: usize = 1000;

/// Fragments that tend to break parsers.
const INSERTS: &[&[u8]] = &[
    b":",
    b": ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\t",
    b"\0",
    b"-",
    b"- ",
    b"\n",
    b"\n  ",
    b"#",
    b"\"",
    b"'",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!binary ",
    b"? ",
    b"|",
    b">-\n",
    b"---\n",
    b"\\\n",
    b"${",
    b"$",
    b"=",
    b"99999999999999999999999999999",
    b"-1e400",
    b"0x",
    b".nan",
    b"\xff",
    b"\xc3",
    b"FROM",
    b"USER 0\n",
    b"<<EOF\n",
    b"export ",
];

/// xorshift64: tiny, fast and the same on every machine.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % bound.max(1) as u64).expect("below a usize bound")
    }
}

/// `input` with one to three random edits.
fn mutate(rng: &mut XorShift, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 => bytes.truncate(at),
            2 => {
                let end = (at + 1 + rng.below(16)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            3 => {
                let end = (at + 1 + rng.below(64)).min(bytes.len());
                let repeated = bytes[at.min(end)..end].to_vec();
                bytes.splice(at..at, repeated);
            }
            _ => {
                let fragment = INSERTS[rng.below(INSERTS.len())];
                bytes.splice(at..at, fragment.iter().copied());
            }
        }
    }
    bytes
}

/// Feeds `CASES` mutations of `fixture` to `load`: no panic, and every error names the file.
fn fuzz(seed: u64, fixture: &str, load: impl Fn(&Path, &[u8]) -> Result<(), LoadError>) {
    let path = repo::path(fixture);
    let original = std::fs::read(&path).expect("the fixture exists");
    load(&path, &original).unwrap_or_else(|e| panic!("the unmutated fixture must load: {e}"));
    let name = path.file_name().expect("a file").to_string_lossy().into_owned();
    let mut rng = XorShift(seed);
    let mut rejected = 0;
    for case in 0..CASES {
        let input = mutate(&mut rng, &original);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| load(&path, &input)));
        let shown = || String::from_utf8_lossy(&input).into_owned();
        match outcome {
            Err(_) => panic!("{fixture}: case {case} panicked on input:\n{}", shown()),
            Ok(Err(error)) => {
                let said = error.to_string();
                assert!(said.contains(&name), "{fixture}: case {case}: error does not name the file: {said}");
                rejected += 1;
            }
            Ok(Ok(())) => {}
        }
    }
    assert!(rejected > CASES / 20, "{fixture}: only {rejected} of {CASES} mutations were rejected: weak mutations?");
}

fn the_compose_loader_and_its_outline_survive_mutated_compose_files() {
    fuzz(0x5eed_c0de_0001, "fixtures/policy/clean/compose.yml", |path, bytes| {
        let text = String::from_utf8_lossy(bytes);
        Outline::new(&text).find(&["services", "app", "environment", "WORKERS"]);
        Outline::new(&text).find(&["services", "proxy", "ports", "1"]);
        ComposeSource::parse(path, bytes).map(drop)
    });
}

fn the_dockerfile_parser_survives_mutated_dockerfiles() {
    fuzz(0x5eed_c0de_0002, "fixtures/policy/clean/app/Dockerfile", |path, bytes| {
        Dockerfile::parse(path, bytes).map(drop)
    });
}

fn the_env_file_parser_survives_mutated_env_files() {
    fuzz(0x5eed_c0de_0003, "fixtures/policy/clean/.env.example", |path, bytes| EnvFile::parse(path, bytes).map(drop));
}

fn the_harness_config_loader_survives_mutated_configs() {
    fuzz(0x5eed_c0de_0004, "fixtures/policy/schemas/harness-config/valid.yml", |path, bytes| {
        HarnessConfig::parse(path, bytes).map(drop)
    });
}

/// Every loader fuzzed.
pub fn suite() -> stackproof::suite::Suite<()> {
    stackproof::suite::Suite::plain("fuzz")
        .with(crate::common::unit(
            "the-compose-loader-and-its-outline-survive-mutated-compose-files",
            the_compose_loader_and_its_outline_survive_mutated_compose_files,
        ))
        .with(crate::common::unit(
            "the-dockerfile-parser-survives-mutated-dockerfiles",
            the_dockerfile_parser_survives_mutated_dockerfiles,
        ))
        .with(crate::common::unit(
            "the-env-file-parser-survives-mutated-env-files",
            the_env_file_parser_survives_mutated_env_files,
        ))
        .with(crate::common::unit(
            "the-harness-config-loader-survives-mutated-configs",
            the_harness_config_loader_survives_mutated_configs,
        ))
}
