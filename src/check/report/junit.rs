//! JUnit XML: one test case per check, one failure element per finding, skipped checks as
//! skipped test cases with their reason.

use std::path::Path;

use super::Run;

/// The JUnit report of a run named `suite` (`stackproof check`), files shown under `base`.
pub fn junit(run: &Run, suite: &str, base: &Path) -> String {
    let total = run.ran.len() + run.skipped.len();
    let failed = run.ran.iter().filter(|check| run.of(check).next().is_some()).count();
    let skipped = run.skipped.len();
    let suite = escape(suite);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml += &format!("<testsuites name=\"{suite}\" tests=\"{total}\" failures=\"{failed}\">\n");
    xml += &format!(
        "  <testsuite name=\"{suite}\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\">\n"
    );
    for check in &run.ran {
        let (name, class) = (escape(&check.label()), check.kind.name());
        let failures: Vec<String> = run
            .of(check)
            .map(|f| {
                let line = escape(&f.line_under(base));
                let fix = escape(f.fix());
                format!("      <failure type=\"{}\" message=\"{line}\">{line}\nfix: {fix}</failure>\n", check.id)
            })
            .collect();
        if failures.is_empty() {
            xml += &format!("    <testcase classname=\"stackproof.{class}\" name=\"{name}\"/>\n");
        } else {
            xml += &format!("    <testcase classname=\"stackproof.{class}\" name=\"{name}\">\n");
            xml += &failures.concat();
            xml += "    </testcase>\n";
        }
    }
    for (check, why) in &run.skipped {
        let (name, class, why) = (escape(&check.label()), check.kind.name(), escape(why));
        xml += &format!("    <testcase classname=\"stackproof.{class}\" name=\"{name}\">\n");
        xml += &format!("      <skipped message=\"{why}\"/>\n    </testcase>\n");
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
