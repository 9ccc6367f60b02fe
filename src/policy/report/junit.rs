//! JUnit XML: one test case per rule, one failure element per finding.

use std::path::Path;

use crate::policy::finding::Finding;
use crate::policy::rules;

/// The JUnit report, files shown under `base`.
pub fn junit(findings: &[Finding], base: &Path) -> String {
    let total = rules::ALL.len();
    let failed = rules::ALL.iter().filter(|rule| findings.iter().any(|f| f.rule.id == rule.id)).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml += &format!("<testsuites name=\"stackproof check\" tests=\"{total}\" failures=\"{failed}\">\n");
    xml += &format!(
        "  <testsuite name=\"stackproof check\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">\n"
    );
    for rule in rules::ALL {
        let name = escape(&format!("{} {}", rule.id, rule.name));
        let failures: Vec<String> = findings
            .iter()
            .filter(|f| f.rule.id == rule.id)
            .map(|f| {
                let line = escape(&f.line_under(base));
                format!("      <failure type=\"{}\" message=\"{line}\">{line}</failure>\n", rule.id)
            })
            .collect();
        match failures.is_empty() {
            true => xml += &format!("    <testcase classname=\"stackproof.policy\" name=\"{name}\"/>\n"),
            false => {
                xml += &format!("    <testcase classname=\"stackproof.policy\" name=\"{name}\">\n");
                xml += &failures.concat();
                xml += "    </testcase>\n";
            }
        }
    }
    xml + "  </testsuite>\n</testsuites>\n"
}

/// `text` safe in XML content and attributes; characters XML 1.0 cannot carry become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&apos;",
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(escape("a<b & \"c\"\u{0}"), "a&lt;b &amp; &quot;c&quot;\u{FFFD}");
    }
}
