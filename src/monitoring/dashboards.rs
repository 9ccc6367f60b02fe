//! The queries of the provisioned Grafana dashboards, made runnable against Prometheus itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::policy::LoadError;

/// One query of one dashboard panel.
pub struct PanelQuery {
    /// `dashboard uid / panel title`, for messages.
    pub panel: String,
    /// PromQL with Grafana's macros and the dashboard's variables replaced.
    pub expr: String,
}

/// A dashboard's template variable whose values come from `label_values(metric, label)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelVariable {
    /// The variable's name (`route` for `$route`).
    pub name: String,
    /// The metric whose series give the values.
    pub metric: String,
    /// The label whose values they are.
    pub label: String,
}

/// Values to give each variable, by name; one missing from it matches anything.
pub type Values = BTreeMap<String, Vec<String>>;

/// Every panel query of every dashboard in `dir`, with Grafana's macros replaced
/// (`$__rate_interval` and `$__interval` become `1m`, `$__range` `1h`) and each template
/// variable given `values`: a variable with values matches exactly those
/// (`label=~"(?:a|b)"`, as Grafana sends a multi-value selection), so a query on a label the
/// metric does not have matches nothing; one without matches anything (`label=~".*"`: an
/// equality with `.*` would match nothing, and an empty answer would prove nothing). A variable
/// that is not declared stays, and fails to parse.
pub fn queries(dir: &Path, values: &Values) -> Result<Vec<PanelQuery>, LoadError> {
    let mut found = Vec::new();
    for dashboard in load_all(dir)? {
        found.extend(of(&dashboard, values));
    }
    found.sort_by(|a, b| a.panel.cmp(&b.panel));
    Ok(found)
}

/// The variables of the dashboards in `dir` whose values a `label_values(metric, label)` query
/// gives (Grafana asks Prometheus; so can a check).
pub fn label_variables(dir: &Path) -> Result<Vec<LabelVariable>, LoadError> {
    let mut found = BTreeSet::new();
    for dashboard in load_all(dir)? {
        for variable in list(&dashboard["templating"]["list"]) {
            let query = variable["query"]["query"].as_str().or_else(|| variable["query"].as_str()).unwrap_or_default();
            let Some(inner) = query.trim().strip_prefix("label_values(").and_then(|q| q.strip_suffix(')')) else {
                continue;
            };
            if let (Some(name), Some((metric, label))) = (variable["name"].as_str(), inner.rsplit_once(',')) {
                let (metric, label) = (metric.trim().to_owned(), label.trim().to_owned());
                found.insert(LabelVariable { name: name.to_owned(), metric, label });
            }
        }
    }
    Ok(found.into_iter().collect())
}

fn load_all(dir: &Path) -> Result<Vec<Value>, LoadError> {
    let mut dashboards = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::read(dir, source))?;
    for entry in entries {
        let path = entry.map_err(|source| LoadError::read(dir, source))?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::read(&path, source))?;
            dashboards.push(serde_json::from_str(&text).map_err(|e| LoadError::Invalid {
                path: path.clone(),
                at: None,
                message: format!("not JSON: {e}"),
            })?);
        }
    }
    Ok(dashboards)
}

fn of(dashboard: &Value, values: &Values) -> Vec<PanelQuery> {
    let uid = dashboard["uid"].as_str().unwrap_or("?");
    let mut variables: Vec<&str> = list(&dashboard["templating"]["list"]).filter_map(|v| v["name"].as_str()).collect();
    variables.sort_by_key(|name| std::cmp::Reverse(name.len())); // `$routes` before `$route`
    // Rows hold their panels one level down.
    let panels = list(&dashboard["panels"]).flat_map(|p| std::iter::once(p).chain(list(&p["panels"])));
    panels
        .flat_map(|panel| list(&panel["targets"]).map(move |target| (panel, target)))
        .filter_map(|(panel, target)| {
            let expr = target["expr"].as_str()?;
            let title = panel["title"].as_str().unwrap_or("untitled");
            Some(PanelQuery { panel: format!("{uid} / {title}"), expr: runnable(expr, &variables, values) })
        })
        .collect()
}

fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn runnable(expr: &str, variables: &[&str], values: &Values) -> String {
    let mut expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h");
    for name in variables {
        let pattern = match values.get(*name) {
            Some(values) => format!("(?:{})", values.iter().map(|v| regex_escaped(v)).collect::<Vec<_>>().join("|")),
            None => ".*".to_owned(),
        };
        for spelled in [format!("${{{name}}}"), format!("${name}")] {
            let matcher = format!("=~\"{pattern}\"");
            expr = expr.replace(&format!("!=\"{spelled}\""), &matcher).replace(&format!("=\"{spelled}\""), &matcher);
            expr = expr.replace(&spelled, &pattern);
        }
    }
    expr
}

/// `text` as a literal in a PromQL regex inside a double-quoted string: RE2 metacharacters
/// escaped, and the backslashes doubled for the string.
fn regex_escaped(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push_str("\\\\");
        } else if c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Values;

    fn dashboard() -> serde_json::Value {
        json!({"uid": "d", "templating": {"list": [{"name": "route",
            "query": {"query": "label_values(x, route)"}}]}, "panels": [
            {"type": "row", "title": "row", "panels": [
                {"title": "rate", "targets": [{"expr": "rate(x{route=~\"$route\"}[$__rate_interval])"}]}]},
            {"title": "top", "targets": [{"expr": "y{a=\"${route}\"}"}, {"refId": "B"}]}]})
    }

    fn shown(values: &Values) -> Vec<String> {
        super::of(&dashboard(), values).iter().map(|q| format!("{}: {}", q.panel, q.expr)).collect()
    }

    #[test]
    fn nested_panels_macros_and_variables_become_runnable_queries() {
        assert_eq!(shown(&Values::new()), ["d / rate: rate(x{route=~\".*\"}[1m])", "d / top: y{a=~\".*\"}"]);
    }

    #[test]
    fn known_values_match_exactly_those_escaped() {
        let values = Values::from([("route".to_owned(), vec!["/api/x".to_owned(), "a.b".to_owned()])]);
        assert_eq!(
            shown(&values),
            ["d / rate: rate(x{route=~\"(?:/api/x|a\\\\.b)\"}[1m])", "d / top: y{a=~\"(?:/api/x|a\\\\.b)\"}"]
        );
    }

    #[test]
    fn label_values_variables_are_found() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("d.json"), dashboard().to_string()).unwrap();
        let found = super::label_variables(dir.path()).unwrap();
        assert_eq!(found, [super::LabelVariable { name: "route".into(), metric: "x".into(), label: "route".into() }]);
    }
}
