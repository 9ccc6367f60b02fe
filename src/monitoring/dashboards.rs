//! The queries of the provisioned Grafana dashboards, made runnable against Prometheus itself.

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

/// Every panel query of every dashboard in `dir`. As `deploy/grafana/check-dashboards.sh` does,
/// `$__rate_interval` and `$__interval` become `1m` and `$__range` `1h`; each of the dashboard's
/// template variables matches anything: `label="$var"` becomes `label=~".*"` (an equality with
/// `.*` would match nothing, and an empty answer would prove nothing), and a bare `$var` `.*`.
/// A variable that is not declared stays, and fails to parse.
pub fn queries(dir: &Path) -> Result<Vec<PanelQuery>, LoadError> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::read(dir, source))?;
    for entry in entries {
        let path = entry.map_err(|source| LoadError::read(dir, source))?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::read(&path, source))?;
            let dashboard: Value = serde_json::from_str(&text).map_err(|e| LoadError::Invalid {
                path: path.clone(),
                at: None,
                message: format!("not JSON: {e}"),
            })?;
            found.extend(of(&dashboard));
        }
    }
    found.sort_by(|a, b| a.panel.cmp(&b.panel));
    Ok(found)
}

fn of(dashboard: &Value) -> Vec<PanelQuery> {
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
            Some(PanelQuery { panel: format!("{uid} / {title}"), expr: runnable(expr, &variables) })
        })
        .collect()
}

fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn runnable(expr: &str, variables: &[&str]) -> String {
    let mut expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h");
    for name in variables {
        for spelled in [format!("${{{name}}}"), format!("${name}")] {
            expr =
                expr.replace(&format!("=\"{spelled}\""), "=~\".*\"").replace(&format!("!=\"{spelled}\""), "=~\".*\"");
            expr = expr.replace(&spelled, ".*");
        }
    }
    expr
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn nested_panels_macros_and_variables_become_runnable_queries() {
        let dashboard = json!({"uid": "d", "templating": {"list": [{"name": "route"}]}, "panels": [
            {"type": "row", "title": "row", "panels": [
                {"title": "rate", "targets": [{"expr": "rate(x{route=~\"$route\"}[$__rate_interval])"}]}]},
            {"title": "top", "targets": [{"expr": "y{a=\"${route}\"}"}, {"refId": "B"}]}]});
        let queries = super::of(&dashboard);
        let shown: Vec<_> = queries.iter().map(|q| format!("{}: {}", q.panel, q.expr)).collect();
        assert_eq!(shown, ["d / rate: rate(x{route=~\".*\"}[1m])", "d / top: y{a=~\".*\"}"]);
    }
}
