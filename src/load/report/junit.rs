//! JUnit XML: one test case per threshold, a failure element saying by how much it broke.

use super::Summary;

/// The JUnit report of `summary`.
pub fn junit(summary: &Summary) -> String {
    let total = summary.verdicts.len();
    let failed = summary.breaches().count();
    let suite = escape(&format!("loadtest {}", summary.profile));
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml += &format!("<testsuites name=\"{suite}\" tests=\"{total}\" failures=\"{failed}\">\n");
    xml += &format!(
        "  <testsuite name=\"{suite}\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"{}\">\n",
        summary.observed.seconds
    );
    for verdict in &summary.verdicts {
        let name = escape(&verdict.threshold);
        let message = escape(&verdict.message);
        xml += &match verdict.passed {
            true => format!("    <testcase classname=\"stackproof.loadtest\" name=\"{name}\">\n"),
            false => format!(
                "    <testcase classname=\"stackproof.loadtest\" name=\"{name}\">\n      <failure type=\"threshold\" message=\"{message}\">{message}</failure>\n"
            ),
        };
        xml += &format!("      <system-out>{message}</system-out>\n    </testcase>\n");
    }
    xml + "  </testsuite>\n</testsuites>\n"
}

/// `text` safe in XML content and attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
