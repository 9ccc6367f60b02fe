//! SARIF 2.1.0: the checks that ran as `tool.driver.rules`, each finding a result located by
//! file and line (or by service, container and URL), with its fix; skipped checks as
//! notifications.

use std::path::Path;

use serde_json::{Value, json};

use super::Run;
use crate::check::Finding;

const BASE_ID: &str = "PROJECTROOT";

/// The SARIF log; relative files resolve against `root` (the absolute project directory).
pub fn sarif(run: &Run, root: &Path) -> Value {
    let rules: Vec<Value> = run
        .ran
        .iter()
        .chain(run.skipped.iter().map(|(check, _)| check))
        .map(|check| {
            json!({
                "id": check.id,
                "name": check.name,
                "shortDescription": {"text": check.summary},
                "help": {"text": check.fix},
                "defaultConfiguration": {"level": check.severity.sarif_level()},
                "properties": {"kind": check.kind.name()},
            })
        })
        .collect();
    let results: Vec<Value> = run.findings.iter().map(|f| result(run, f)).collect();
    let skipped: Vec<Value> = run
        .skipped
        .iter()
        .map(|(check, why)| {
            json!({"level": "note", "message": {"text": format!("skipped: {why}")}, "associatedRule": {"id": check.id}})
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "stackproof",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{"executionSuccessful": true, "toolExecutionNotifications": skipped}],
            "originalUriBaseIds": {BASE_ID: {"uri": format!("file://{}/", uri_path(root).trim_end_matches('/'))}},
            "results": results,
        }],
    })
}

fn result(run: &Run, finding: &Finding) -> Value {
    let rule_index = run.ran.iter().position(|check| std::ptr::eq(*check, finding.check));
    let at = &finding.at;
    let mut location = json!({});
    if let Some(file) = &at.file {
        let mut artifact = json!({"uri": uri_path(file)});
        if file.is_relative() {
            artifact["uriBaseId"] = json!(BASE_ID);
        } else {
            artifact["uri"] = json!(format!("file://{}", uri_path(file)));
        }
        location["physicalLocation"] = json!({"artifactLocation": artifact});
        if let Some(line) = at.line {
            location["physicalLocation"]["region"] = json!({"startLine": line});
        }
    } else if let Some(url) = &at.url {
        location["physicalLocation"] = json!({"artifactLocation": {"uri": url}});
    }
    let logical: Vec<Value> = [("service", &at.service), ("container", &at.container)]
        .into_iter()
        .filter_map(|(kind, name)| name.as_ref().map(|name| json!({"name": name, "kind": kind})))
        .collect();
    if !logical.is_empty() {
        location["logicalLocations"] = json!(logical);
    }
    let text = match &at.service {
        Some(service) => format!("service {service}: {}", finding.message),
        None => finding.message.clone(),
    };
    json!({
        "ruleId": finding.check.id,
        "ruleIndex": rule_index,
        "level": finding.check.severity.sarif_level(),
        "message": {"text": text},
        "locations": [location],
        // A SARIF `fix` must carry file edits; a sentence of advice goes in the properties.
        "properties": {"fix": finding.fix()},
    })
}

/// `path` as a URI path: `/`-separated, everything but unreserved characters percent-encoded.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uri_path;
    use std::path::Path;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(uri_path(Path::new("/a b/c#d/ü")), "/a%20b/c%23d/%C3%BC");
    }
}
