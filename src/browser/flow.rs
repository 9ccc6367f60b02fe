//! SP442: a new user's path works by clicking, as a user would, in a real browser: from the home
//! page to the registration form, registered (and so logged in), logged out, logged in again
//! through the log-in form, to a lesson, completed with its button, and on the dashboard a new
//! achievement earned. Every page on the way is judged as SP440 judges the anonymous ones, so
//! the pages behind the log-in (the dashboard, a lesson with its form) are covered too.
//!
//! Selectors are the site's contract with its users' browsers: form actions, field names, link
//! targets, the achievements list; never a layout detail.

use super::{Browser, BrowserError, Said};
use crate::check::{Kind, Meta, Severity};
use crate::edge::{Edge, EdgeCheck, Needs, Outcome, Problem, Target, look, problem};
use crate::site::{PASSWORD, fresh_username};

pub static LESSON_FLOW: EdgeCheck = EdgeCheck {
    meta: Meta {
        id: "SP442",
        name: "a-user-earns-an-achievement-by-clicking-in-chromium",
        kind: Kind::Edge,
        severity: Severity::Error,
        summary: "in headless Chromium, clicking from the home page through the register form, log out, the log-in \
                  form, a lesson and its complete button ends on a dashboard showing a newly earned achievement, and \
                  no page on the way logs a CSP violation or a console error",
        fix: "a failed step names its page and the form, field or link it clicked: look there and at what the \
              proxy and the app logged for that request; a CSP violation or console error is fixed as for SP440",
    },
    run: Edge { needs: Needs::Write, exhausts: false, look: look!(lesson_flow) },
};

const REGISTER_FORM: &str = "form[action$=\"/register\"]";
const LOGIN_FORM: &str = "form[action^=\"/login\"]";
const LOGOUT_FORM: &str = "form[action$=\"/logout\"]";
const COMPLETE_FORM: &str = "form[action$=\"/complete\"]";
const EARNED: &str = ".achievements .earned";

async fn lesson_flow(target: &Target<'_>) -> Outcome {
    // Each step survives the machine's network changing under it on its own (see `submit`);
    // should that still end the walk, it runs again from the start, as a new user.
    super::settled(|| async {
        let browser = Browser::open(target.site).await?;
        let mut walk = Walk { browser: &browser, problems: Vec::new() };
        let walked = walk.through().await;
        let mut problems = walk.problems;
        browser.close().await;
        if let Err(failed) = walked {
            problems.push(failed);
        }
        Ok(problems)
    })
    .await
}

/// The path as walked: each page's troubles collected; the first step that fails ends it.
struct Walk<'a> {
    browser: &'a Browser,
    problems: Vec<Problem>,
}

impl Walk<'_> {
    async fn through(&mut self) -> Result<(), Problem> {
        let b = self.browser;
        self.step("open the home page", b.visit("/")).await?;
        self.step("click Register", b.follow("a[href=\"/register\"]")).await?;
        let mut username = String::new();
        let registered = self
            .submit("register", "/register", REGISTER_FORM, || {
                // A fresh name each time: an interrupted registration may have gone through.
                username = fresh_username("browser");
                vec![("username", username.clone()), ("password", PASSWORD.to_owned())]
            })
            .await?;
        self.expect_path(&registered, "/dashboard", "registering (which logs the new user in)")?;
        self.submit("log out", "/dashboard", LOGOUT_FORM, Vec::new).await?;
        self.step("click Log in", b.follow("a[href^=\"/login\"]")).await?;
        let credentials = vec![("username", username.clone()), ("password", PASSWORD.to_owned())];
        let logged_in = self.submit("log in", "/login", LOGIN_FORM, || credentials.clone()).await?;
        self.expect_path(&logged_in, "/dashboard", "logging in")?;
        let before = self.earned(&logged_in.url).await?;
        self.step("click Lessons", b.follow("a[href=\"/lessons\"]")).await?;
        let lesson = self.step("click the first lesson", b.follow("a[href^=\"/lessons/\"]")).await?;
        let path = lesson.url.strip_prefix(&b.site().url("")).unwrap_or("/lessons").to_owned();
        let completed = self.submit("complete the lesson", &path, COMPLETE_FORM, Vec::new).await?;
        if b.has(COMPLETE_FORM).await.map_err(|e| self.failed(&completed.url, "read the lesson page", e))? {
            return Err(problem(
                &completed.url,
                format!("{} still offers to complete it after completing it", lesson.url),
            ));
        }
        let dashboard = self.step("click Dashboard", b.follow("a[href=\"/dashboard\"]")).await?;
        let after = self.earned(&dashboard.url).await?;
        if after.iter().all(|a| before.contains(a)) {
            let flashes = b.texts(".flash").await.unwrap_or_default();
            return Err(problem(
                &dashboard.url,
                format!(
                    "completing {} earned no achievement: earned before {before:?}, after {after:?} (the lesson page \
                     said {flashes:?})",
                    lesson.url
                ),
            ));
        }
        Ok(())
    }

    /// One step: the page it leads to, its troubles noted; or the problem that ends the walk.
    async fn step(
        &mut self,
        what: &str,
        act: impl std::future::Future<Output = Result<Said, BrowserError>>,
    ) -> Result<Said, Problem> {
        let from = self.here().await;
        let said = act.await.map_err(|e| self.failed(&from, what, e))?;
        self.judge(what, said).await
    }

    /// Fills `form` on the current page with `fields()` and clicks its submit button. Where the
    /// machine's network interrupts the post, the user's way is taken: open `page` again and,
    /// if the form is still there (the post did not go through), fill it and submit again; if
    /// it is gone, the post went through.
    async fn submit(
        &mut self,
        what: &str,
        page: &str,
        form: &str,
        mut fields: impl FnMut() -> Vec<(&'static str, String)>,
    ) -> Result<Said, Problem> {
        let mut tries = 0;
        loop {
            tries += 1;
            let here = self.here().await;
            for (field, text) in fields() {
                let css = format!("{form} [name=\"{field}\"]");
                let typed = self.browser.type_into(&css, &text).await;
                typed.map_err(|e| self.failed(&here, &format!("{what}: fill in {field}"), e))?;
            }
            let posted = self.browser.click(&format!("{form} [type=submit]")).await;
            if !super::chromium::interrupted(&posted) || tries == super::chromium::LOADS {
                let said = posted.map_err(|e| self.failed(&here, what, e))?;
                return self.judge(what, said).await;
            }
            tracing::info!("{here}: the network changed under the post ({what}); opening {page} again");
            tokio::time::sleep(super::chromium::SETTLE).await;
            let reopened = self.browser.visit(page).await.map_err(|e| self.failed(&here, what, e))?;
            if !self.browser.has(form).await.map_err(|e| self.failed(&reopened.url, what, e))? {
                return self.judge(what, reopened).await;
            }
        }
    }

    /// Notes the troubles of the page `what` led to.
    async fn judge(&mut self, what: &str, said: Said) -> Result<Said, Problem> {
        let judged = super::pages::judge(self.browser, &said).await.map_err(|e| self.failed(&said.url, what, e))?;
        self.problems.extend(judged);
        Ok(said)
    }

    /// The current page, where it is the site's (before the first page, the browser shows its
    /// new-tab page: the walk starts at the home page).
    async fn here(&self) -> String {
        let site = self.browser.site();
        self.browser.url().await.ok().filter(|u| u.starts_with(&site.url(""))).unwrap_or_else(|| site.url("/"))
    }

    /// The titles of the achievements the dashboard shows as earned.
    async fn earned(&self, url: &str) -> Result<Vec<String>, Problem> {
        self.browser.texts(EARNED).await.map_err(|e| self.failed(url, "read the earned achievements", e))
    }

    fn expect_path(&self, said: &Said, path: &str, after: &str) -> Result<(), Problem> {
        if said.url.split('?').next().is_some_and(|u| u.ends_with(path)) {
            return Ok(());
        }
        Err(problem(&said.url, format!("{after} led here, want {path}")))
    }

    fn failed(&self, url: &str, what: &str, error: BrowserError) -> Problem {
        problem(url, format!("could not {what}: {error}"))
    }
}
