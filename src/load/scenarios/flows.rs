//! What each kind of user does. Every count here is mirrored in [`Kind::footprint`], which
//! keeps profiles inside nginx's rate limits: change one, change the other.

use goose::goose::{GooseUser, TransactionResult};
use serde_json::{Value, json};

use super::Kind;
use super::http::{Reply, Stop, get, post};

/// Every load-test account's password (accounts live only in the stack under test).
const PASSWORD: &str = "load test password";

/// A signed-up user's session, kept between iterations.
#[derive(Clone)]
struct Account {
    id: i64,
    csrf: String,
    slugs: Vec<String>,
}

/// The symbols an analysis user picks from.
#[derive(Clone)]
struct Symbols(Vec<String>);

/// Runs once when a user starts, after its client is set.
pub async fn start(kind: Kind, user: &mut GooseUser) -> TransactionResult {
    match kind {
        Kind::Browse | Kind::FrontPage => Ok(()),
        Kind::Account => sign_up(user).await,
        Kind::Analysis => list_symbols(user).await,
    }
}

/// One iteration; Goose waits a think time after it.
pub async fn iteration(kind: Kind, user: &mut GooseUser) -> TransactionResult {
    match kind {
        Kind::Browse => browse(user).await,
        Kind::FrontPage => get(user, "/", "/").await.map(drop),
        Kind::Account => study(user).await,
        Kind::Analysis => analyse(user).await,
    }
}

/// Home, the lesson list, one lesson linked from it, the stylesheet.
async fn browse(user: &mut GooseUser) -> TransactionResult {
    get(user, "/", "/").await?;
    let mut list = get(user, "/lessons", "/lessons").await?;
    let slugs = lesson_links(&list.body);
    let slug = list.require(user, pick(&slugs, turn(user)), "link to a lesson")?;
    get(user, &format!("/lessons/{slug}"), "/lessons/{slug}").await?;
    get(user, "/static/style.css", "/static/style.css").await?;
    Ok(())
}

/// Registers a fresh account, logs out and in again (each step hands out a new CSRF token),
/// and keeps the session for the whole run: one login per user, as nginx allows 5 a minute.
async fn sign_up(user: &mut GooseUser) -> TransactionResult {
    let mut csrf = get(user, "/api/csrf", "/api/csrf").await?;
    let token = csrf_token(user, &mut csrf)?;
    let mut lessons = get(user, "/api/lessons", "/api/lessons").await?;
    let listed = lessons.json(user)?;
    let slugs = listed["lessons"].as_array().map(|all| all.iter().filter_map(|l| text(&l["slug"])).collect::<Vec<_>>());
    let slugs = lessons.require(user, slugs.filter(|s| !s.is_empty()), "lessons")?;
    let credentials = json!({"username": username(user), "password": PASSWORD});
    let mut registered = post(user, "/api/auth/register", "/api/auth/register", &token, Some(&credentials)).await?;
    let token = csrf_token(user, &mut registered)?;
    let mut logged_out = post(user, "/api/auth/logout", "/api/auth/logout", &token, None).await?;
    let token = csrf_token(user, &mut logged_out)?;
    let mut logged_in = post(user, "/api/auth/login", "/api/auth/login", &token, Some(&credentials)).await?;
    let body = logged_in.json(user)?;
    let id = logged_in.require(user, body["user"]["id"].as_i64(), "user.id")?;
    let csrf = logged_in.require(user, text(&body["csrf_token"]), "csrf_token")?;
    user.set_session_data(Account { id, csrf, slugs });
    Ok(())
}

/// Completes a lesson and reads the progress; a user whose sign-up failed tries again.
async fn study(user: &mut GooseUser) -> TransactionResult {
    let turn = turn(user);
    let Some(Account { id, csrf, slugs }) = user.get_session_data::<Account>() else {
        return sign_up(user).await;
    };
    let (id, csrf, slug) = (*id, csrf.clone(), slugs[turn % slugs.len()].clone());
    let path = format!("/api/lessons/{slug}/complete");
    post(user, &path, "/api/lessons/{slug}/complete", &csrf, None).await?;
    get(user, &format!("/api/users/{id}/progress"), "/api/users/{id}/progress").await?;
    Ok(())
}

async fn list_symbols(user: &mut GooseUser) -> TransactionResult {
    let mut reply = get(user, "/api/symbols", "/api/symbols").await?;
    let listed = reply.json(user)?;
    let symbols = listed["symbols"].as_array().map(|all| all.iter().filter_map(text).collect::<Vec<_>>());
    let symbols = reply.require(user, symbols.filter(|s| !s.is_empty()), "symbols")?;
    user.set_session_data(Symbols(symbols));
    Ok(())
}

/// Analyses the next symbol over a 20-day window; a user without symbols lists them again.
async fn analyse(user: &mut GooseUser) -> TransactionResult {
    let turn = turn(user);
    let Some(Symbols(symbols)) = user.get_session_data::<Symbols>() else {
        return list_symbols(user).await;
    };
    let symbol = symbols[turn % symbols.len()].clone();
    get(user, &format!("/api/analysis/{symbol}?window=20"), "/api/analysis/{symbol}").await?;
    Ok(())
}

/// The `csrf_token` of a JSON reply, or the request marked failed.
fn csrf_token(user: &mut GooseUser, reply: &mut Reply) -> Result<String, Stop> {
    let body = reply.json(user)?;
    reply.require(user, text(&body["csrf_token"]), "csrf_token")
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// Spreads users and iterations over a list without randomness: reruns are comparable.
fn turn(user: &GooseUser) -> usize {
    user.get_iterations() + user.weighted_users_index
}

fn pick(items: &[String], turn: usize) -> Option<String> {
    (!items.is_empty()).then(|| items[turn % items.len()].clone())
}

/// A username unique to this process and user: `[a-z0-9_]{3,32}` as the app requires.
fn username(user: &GooseUser) -> String {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!("lt{}_{seconds}_{}", std::process::id(), user.weighted_users_index)
}

/// The slugs of `/lessons/<slug>` links in an HTML page, in order, without repeats.
fn lesson_links(html: &str) -> Vec<String> {
    let mut slugs: Vec<String> = Vec::new();
    for after in html.split("href=\"/lessons/").skip(1) {
        let slug = after.split('"').next().unwrap_or_default();
        if !slug.is_empty() && !slug.contains('/') && !slugs.iter().any(|s| s == slug) {
            slugs.push(slug.to_owned());
        }
    }
    slugs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_links_are_read_from_the_list_page() {
        let html = r#"<a href="/lessons">all</a><a href="/lessons/returns">R</a> <a href="/lessons/rsi">RSI</a>
            <a href="/lessons/returns">again</a><a href="/lessons/rsi/complete">form</a>"#;
        assert_eq!(lesson_links(html), ["returns", "rsi"]);
        assert_eq!(pick(&lesson_links(html), 3).as_deref(), Some("rsi"));
        assert_eq!(pick(&[], 3), None);
    }
}
