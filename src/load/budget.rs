//! nginx's per-address rate limits, and whether a profile stays inside them. A load test sends
//! everything from one address, so a profile that could exceed a limit would measure nginx's
//! 429s instead of the site: such a profile is refused before it runs.
//!
//! The estimate is an upper bound: each user is assumed to answer instantly and always wait
//! the shortest think time.

use super::profile::Profile;

/// `limit_req_zone ... zone=api rate=20r/s` (deploy/nginx/conf.d/01-limits.conf): every `/api/`
/// request.
pub const API_PER_SECOND: f64 = 20.0;
/// `limit_req zone=api burst=40` (deploy/nginx/conf.d/30-https.conf).
pub const API_BURST: usize = 40;
/// `limit_req_zone ... zone=login rate=5r/m`: every POST to `/login` and `/api/auth/login`.
pub const LOGINS_PER_MINUTE: f64 = 5.0;
/// `limit_req zone=login burst=5`.
pub const LOGIN_BURST: usize = 5;

/// Each way `profile` could run into a limit, with the key to change.
pub fn check(profile: &Profile) -> Vec<(Vec<String>, String)> {
    let mut problems = Vec::new();
    let (mut peak, mut at_start, mut logins) = (0.0, 0, 0);
    for (index, (mix, users)) in profile.users_per_scenario().into_iter().enumerate() {
        let footprint = mix.kind().footprint();
        at_start += users * footprint.api_at_start;
        logins += users * footprint.logins_at_start;
        let per_iteration = (users * footprint.api_per_iteration) as f64;
        if per_iteration == 0.0 {
            continue;
        }
        if mix.think_time_ms.min == 0 {
            let key = ["scenarios", &index.to_string(), "think_time_ms"].map(str::to_owned).to_vec();
            let why = format!("{} calls the API, so its users must pause", mix.name);
            problems.push((key, format!("scenarios.{index}.think_time_ms.min is 0; {why}")));
        } else {
            peak += per_iteration * 1000.0 / mix.think_time_ms.min as f64;
        }
    }
    let ramp = profile.ramp_seconds as f64;
    if peak > API_PER_SECOND {
        let fix = "lower users or raise think_time_ms.min";
        let message = format!(
            "users could send up to {peak:.1} API requests/s, above nginx's {API_PER_SECOND} per address: {fix}"
        );
        problems.push((vec!["users".to_owned()], message));
    }
    let start_budget = API_BURST as f64 + API_PER_SECOND * ramp;
    if at_start as f64 > start_budget {
        let sent = format!("starting users send {at_start} API requests");
        let message =
            format!("ramp_seconds is {ramp}; {sent}, more than nginx lets through in that time ({start_budget:.0})");
        problems.push((vec!["ramp_seconds".to_owned()], message));
    }
    let login_budget = LOGIN_BURST as f64 + LOGINS_PER_MINUTE * ramp / 60.0;
    if logins as f64 > login_budget {
        let message = format!(
            "ramp_seconds is {ramp}; {logins} users log in, more than nginx lets through in that time ({login_budget:.1}): \
             ramp for longer or run fewer account users"
        );
        problems.push((vec!["ramp_seconds".to_owned()], message));
    }
    problems
}
