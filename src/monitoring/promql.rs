//! The metric names a PromQL expression reads, without a PromQL parser (Prometheus itself
//! judges the syntax): identifiers that are not functions, keywords, label names of matchers
//! or grouping lists, strings, numbers or durations.

use std::collections::BTreeSet;

/// Keywords that take a list of label names: `by (job)`, `on (instance)`, `group_left (x)`.
const GROUPING: [&str; 6] = ["by", "without", "on", "ignoring", "group_left", "group_right"];
/// Keywords that stand alone, and aggregations (whose `by (...)` may come before the parenthesis).
const OPERATORS: [&str; 20] = [
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "atan2",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
];

/// Every metric (or recording rule) name `expr` selects.
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '"' | '\'' | '`' | '{' | '[') {
            i = past_closing(&chars, i);
        } else if c.is_ascii_digit() || c == '.' {
            i = end_of_word(&chars, i);
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let end = end_of_word(&chars, i);
            let word: String = chars[i..end].iter().collect();
            let next = chars[end..].iter().position(|c| !c.is_whitespace()).map(|p| end + p);
            let calls = next.is_some_and(|n| chars[n] == '(');
            i = match next {
                Some(list) if calls && GROUPING.contains(&word.as_str()) => past_closing(&chars, list),
                _ => end,
            };
            if !calls && !GROUPING.contains(&word.as_str()) && !OPERATORS.contains(&word.as_str()) {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

fn end_of_word(chars: &[char], start: usize) -> usize {
    let more = |c: &char| c.is_ascii_alphanumeric() || *c == '_' || *c == ':' || *c == '.';
    chars[start..].iter().position(|c| !more(c)).map_or(chars.len(), |p| start + p)
}

/// The index after the bracket or quote that closes the one at `open`, skipping quoted
/// strings inside (a `}` in a label value does not close the matcher).
fn past_closing(chars: &[char], open: usize) -> usize {
    let close = match chars[open] {
        '{' => '}',
        '[' => ']',
        '(' => ')',
        quote => quote,
    };
    let is_quote = close == chars[open];
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if is_quote => i += 1,
            c if c == close => return i + 1,
            '"' | '\'' | '`' if !is_quote => i = past_closing(chars, i) - 1,
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::metric_names;

    fn names(expr: &str) -> Vec<String> {
        metric_names(expr).into_iter().collect()
    }

    #[test]
    fn functions_groupings_matchers_and_ranges_are_not_metrics() {
        let expr = r#"histogram_quantile(0.95, sum by (route, le) (rate(x_bucket{route=~"a}b", le!="1"}[5m])))"#;
        assert_eq!(names(expr), ["x_bucket"]);
    }

    #[test]
    fn both_sides_of_a_binary_operation_with_modifiers_are_read() {
        let expr = "a / on (job) group_left (x) b > bool 1e3 offset 5m or sum(c) without (i) and vector(0)";
        assert_eq!(names(expr), ["a", "b", "c"]);
    }

    #[test]
    fn recording_rule_names_keep_their_colons() {
        assert_eq!(names("max(job:stockapp_http_requests:rate5m) * 100"), ["job:stockapp_http_requests:rate5m"]);
        assert_eq!(names("time() - node_boot_time_seconds"), ["node_boot_time_seconds"]);
    }
}
