//! SARIF 2.1.0: the rules as `tool.driver.rules`, each finding a result located by file and line.

use std::path::Path;

use serde_json::{Value, json};

use crate::policy::finding::Finding;
use crate::policy::rules;

const BASE_ID: &str = "PROJECTROOT";

/// The SARIF log; relative files resolve against `root` (the absolute project directory).
pub fn sarif(findings: &[Finding], root: &Path) -> Value {
    let rules: Vec<Value> = rules::ALL
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "defaultConfiguration": {"level": "error"},
            })
        })
        .collect();
    let results: Vec<Value> = findings.iter().map(result).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "stackproof",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": {BASE_ID: {"uri": format!("file://{}/", uri_path(root).trim_end_matches('/'))}},
            "results": results,
        }],
    })
}

fn result(finding: &Finding) -> Value {
    let rule_index = rules::ALL.iter().position(|rule| std::ptr::eq(*rule, finding.rule));
    let text = match &finding.service {
        Some(service) => format!("service {service}: {}", finding.message),
        None => finding.message.clone(),
    };
    let mut artifact = json!({"uri": uri_path(&finding.at.file)});
    if finding.at.file.is_relative() {
        artifact["uriBaseId"] = json!(BASE_ID);
    } else {
        artifact["uri"] = json!(format!("file://{}", uri_path(&finding.at.file)));
    }
    let mut physical = json!({"artifactLocation": artifact});
    if let Some(line) = finding.at.line {
        physical["region"] = json!({"startLine": line});
    }
    json!({
        "ruleId": finding.rule.id,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
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
