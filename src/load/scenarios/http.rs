//! Requests as the scenarios make them: bodies read whole (so connections are reused, as a
//! browser's are), JSON posted with the CSRF header, and a response that lacks what the flow
//! needs marked as a failed request, so it counts in the error rate like a bad status does.

use goose::goose::{GooseMethod, GooseRequest, GooseResponse, GooseUser, TransactionError};
use goose::metrics::GooseRequestMetric;
use serde_json::Value;

/// The header Flask-WTF reads the CSRF token from.
const CSRF_HEADER: &str = "X-CSRFToken";

/// What a transaction returns when it stops early.
pub type Stop = Box<TransactionError>;

/// A successful response read whole, with the metric Goose recorded for it.
pub struct Reply {
    metric: GooseRequestMetric,
    /// The body.
    pub body: String,
}

impl Reply {
    /// The body as JSON; if it is not, the request is marked failed.
    pub fn json(&mut self, user: &mut GooseUser) -> Result<Value, Stop> {
        serde_json::from_str(&self.body).map_err(|error| self.fail(user, &format!("the body is not JSON: {error}")))
    }

    /// `found`, or the request marked failed for lacking `what`.
    pub fn require<T>(&mut self, user: &mut GooseUser, found: Option<T>, what: &str) -> Result<T, Stop> {
        found.ok_or_else(|| self.fail(user, &format!("the response has no {what}")))
    }

    /// Marks the request failed because of `why` and returns the error that ends the transaction.
    pub fn fail(&mut self, user: &mut GooseUser, why: &str) -> Stop {
        let name = self.metric.name.clone();
        match user.set_failure(&format!("{name}: {why}"), &mut self.metric, None, None) {
            Err(stop) => stop,
            Ok(()) => Box::new(why.into()),
        }
    }
}

/// GETs `path`, recorded under `name`.
pub async fn get(user: &mut GooseUser, path: &str, name: &str) -> Result<Reply, Stop> {
    let response = user.get_named(path, name).await?;
    read(user, response).await
}

/// POSTs `body` (if any) as JSON to `path` with the CSRF token, recorded under `name`.
pub async fn post(
    user: &mut GooseUser,
    path: &str,
    name: &str,
    csrf: &str,
    body: Option<&Value>,
) -> Result<Reply, Stop> {
    let mut builder = user.get_request_builder(&GooseMethod::Post, path)?.header(CSRF_HEADER, csrf);
    if let Some(body) = body {
        builder = builder.json(body);
    }
    let request =
        GooseRequest::builder().method(GooseMethod::Post).path(path).name(name).set_request_builder(builder).build();
    let response = user.request(request).await?;
    read(user, response).await
}

/// Reads a successful response whole. A failed one (status or transport) Goose has already
/// counted: the transaction just stops.
async fn read(user: &mut GooseUser, response: GooseResponse) -> Result<Reply, Stop> {
    let GooseResponse { request: metric, response } = response;
    match response {
        Ok(response) if metric.success => match response.text().await {
            Ok(body) => Ok(Reply { metric, body }),
            Err(error) => Err(Reply { metric, body: String::new() }.fail(user, &format!("reading the body: {error}"))),
        },
        _ => Err(Box::new(TransactionError::RequestFailed { raw_request: Box::new(metric) })),
    }
}
