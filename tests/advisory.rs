//! The security timeline through the real service against the fake GitHub: committers and the
//! security team track an advisory on an issue, its dates follow the report and the
//! disclosure, one status comment is kept current, each reminder reaches the security team
//! once (across a re-run and a restart), embargoes naming it are listed, and the dashboard
//! shows nothing of a private issue's advisory before its disclosure. Cora and Quinn are
//! committers (THE REST); Sec is the configured security team; Nora is neither.

mod support;

use pushgate::sim::BOT_LOGIN;
use pushgate::store::Advisory;
use serde_json::Value;
use support::*;

const DAY: i64 = 86_400;

fn config() -> String {
    format!("{CONFIG}\n[governance]\nsecurity_team = [\"sec-gh\"]\n")
}

fn bot_comments(world: &World, n: u64) -> Vec<(u64, String)> {
    world
        .gh
        .comments_on(REPO, n)
        .into_iter()
        .filter(|c| c.user == BOT_LOGIN)
        .map(|c| (c.id, c.body))
        .collect()
}

fn said(world: &World, n: u64, text: &str) -> usize {
    bot_comments(world, n)
        .iter()
        .filter(|(_, b)| b.contains(text))
        .count()
}

/// The advisory's status comments on the issue: (id, body).
fn statuses(world: &World, n: u64, name: &str) -> Vec<(u64, String)> {
    let marker = format!("<!-- pushgate:advisory {name} -->");
    bot_comments(world, n)
        .into_iter()
        .filter(|(_, b)| b.contains(&marker))
        .collect()
}

/// A whole minute `offset` seconds from pushgate's now: as written in a command, and as Unix
/// seconds.
fn minute(world: &World, offset: i64) -> (String, i64) {
    let at = (world.service().clock.now() + offset) / 60 * 60;
    (pushgate::core::text::utc(at), at)
}

async fn advisory(world: &World, name: &str) -> Option<Advisory> {
    world.service().store.advisory(REPO, name).await.unwrap()
}

/// `login` comments `body` on issue `n` of a private repository (the payload says so).
async fn comment_privately(world: &World, n: u64, login: &str, body: &str) {
    let comment = world.gh.add_comment(REPO, n, login, body);
    let mut event = world.gh.issue_comment_event(REPO, n, comment);
    event["repository"]["private"] = true.into();
    assert_eq!(world.send("issue_comment", &event).await.0, 202);
    world.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_committers_and_the_security_team_track_an_advisory_and_others_are_refused() {
    let world = World::new(&config()).await;
    let issue = world.gh.open_issue(REPO, "sec-gh", "Guest escape", &[]);
    world
        .comment(issue, "nora-gh", "/pushgate advisory XSA-1")
        .await;
    let refusal =
        "@nora-gh: only committers and the security team can track an advisory; nothing changed.";
    assert_eq!(said(&world, issue, refusal), 1);
    // One line (and the hidden marker).
    assert!(bot_comments(&world, issue)
        .iter()
        .all(|(_, b)| b.trim_end().lines().count() <= 3 && b.starts_with(refusal)));
    assert!(advisory(&world, "XSA-1").await.is_none());
    assert!(statuses(&world, issue, "XSA-1").is_empty());

    world
        .comment(issue, "sec-gh", "/pushgate advisory XSA-1")
        .await;
    let tracked = advisory(&world, "XSA-1").await.expect("tracked");
    assert_eq!(
        (tracked.number, tracked.started_by.as_str()),
        (issue as i64, "sec-gh")
    );
    assert_eq!(said(&world, issue, "@sec-gh: tracking advisory XSA-1"), 1);
    assert_eq!(statuses(&world, issue, "XSA-1").len(), 1);

    let other = world.gh.open_issue(REPO, "cora-gh", "Another", &[]);
    world
        .comment(other, "cora-gh", "/pushgate advisory XSA-2")
        .await;
    assert!(advisory(&world, "XSA-2").await.is_some(), "a committer");
    // One name, one issue.
    world
        .comment(other, "quinn-gh", "/pushgate advisory XSA-1")
        .await;
    assert_eq!(
        said(
            &world,
            other,
            &format!("@quinn-gh: advisory XSA-1 is tracked on #{issue}; nothing changed.")
        ),
        1
    );
    // A disclosure for an advisory not tracked, and a time that is none.
    world
        .comment(
            other,
            "cora-gh",
            "/pushgate advisory XSA-3 disclose 2099-01-01",
        )
        .await;
    assert_eq!(said(&world, other, "is more than two years ahead"), 1);
    let (soon, _) = minute(&world, 3 * DAY);
    world
        .comment(
            other,
            "cora-gh",
            &format!("/pushgate advisory XSA-3 disclose {soon}"),
        )
        .await;
    assert_eq!(said(&world, other, "no advisory XSA-3 is tracked here"), 1);
    // On a pull request: refused there.
    let pr = world
        .gh
        .open_pr(REPO, "nora-gh", "staging", "staging", "Fix it");
    world
        .comment(pr, "cora-gh", "/pushgate advisory XSA-4")
        .await;
    assert_eq!(
        said(&world, pr, "an advisory is tracked on an issue"),
        1,
        "{:?}",
        bot_comments(&world, pr)
    );
    assert!(advisory(&world, "XSA-4").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_follows_the_report_and_the_disclosure_in_one_status_comment() {
    let world = World::new(&config()).await;
    let issue = world.gh.open_issue(REPO, "sec-gh", "Guest escape", &[]);
    let (reported_text, reported) = minute(&world, -2 * DAY);
    world
        .comment(
            issue,
            "sec-gh",
            &format!("/pushgate advisory XSA-7 reported {reported_text}"),
        )
        .await;
    let a = advisory(&world, "XSA-7").await.expect("tracked");
    assert_eq!(
        (a.reported_at, a.fix_due, a.disclose_at, a.next_at),
        (reported, reported + 7 * DAY, None, Some(reported + 6 * DAY))
    );
    let first = statuses(&world, issue, "XSA-7");
    assert_eq!(first.len(), 1);
    let (id, body) = &first[0];
    let utc = pushgate::core::text::utc;
    assert!(
        body.contains(&format!(
            "| Fix due | {} | pending |",
            utc(reported + 7 * DAY)
        )),
        "{body}"
    );
    assert!(body.contains("disclose <UTC time>"), "{body}");

    let (disclose_text, disclose) = minute(&world, 30 * DAY);
    world
        .comment(
            issue,
            "sec-gh",
            &format!("/pushgate advisory XSA-7 disclose {disclose_text}"),
        )
        .await;
    let a = advisory(&world, "XSA-7").await.expect("tracked");
    assert_eq!(
        (a.fix_due, a.predisclose_at, a.disclose_at),
        (
            reported + 7 * DAY,
            Some(disclose - 14 * DAY),
            Some(disclose)
        )
    );
    assert_eq!(
        said(
            &world,
            issue,
            &format!(
                "pre-disclosure {}, announcement {disclose_text}.",
                utc(disclose - 14 * DAY)
            )
        ),
        1
    );
    // The same comment, edited.
    let now = statuses(&world, issue, "XSA-7");
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].0, *id);
    assert!(now[0].1.contains(&format!(
        "| Pre-disclosure | {} | pending |",
        utc(disclose - 14 * DAY)
    )));
    assert!(now[0]
        .1
        .contains(&format!("| Announcement | {disclose_text} | pending |")));

    // An embargo naming the advisory is listed, and its lift too.
    let pr = world
        .gh
        .open_pr(REPO, "nora-gh", "staging", "staging", "Fix it");
    let (until_text, _) = minute(&world, 3 * 3600);
    world
        .comment(
            pr,
            "cora-gh",
            &format!("/pushgate embargo {until_text} advisory XSA-7"),
        )
        .await;
    let now = statuses(&world, issue, "XSA-7");
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].0, *id);
    assert!(
        now[0].1.contains(&format!("#{pr} (until {until_text})")),
        "{}",
        now[0].1
    );
    world.comment(pr, "cora-gh", "/pushgate embargo lift").await;
    let now = statuses(&world, issue, "XSA-7");
    assert_eq!((now.len(), now[0].0), (1, *id));
    assert!(
        now[0].1.contains(&format!("#{pr} (lifted)")),
        "{}",
        now[0].1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_reminder_reaches_the_security_team_once_across_a_re_run_and_a_restart() {
    let mut world = World::new(&config()).await;
    let issue = world.gh.open_issue(REPO, "cora-gh", "Guest escape", &[]);
    let (reported_text, reported) = minute(&world, -60);
    let (disclose_text, disclose) = minute(&world, 30 * DAY);
    world
        .comment(
            issue,
            "cora-gh",
            &format!("/pushgate advisory XSA-9 reported {reported_text}"),
        )
        .await;
    world
        .comment(
            issue,
            "cora-gh",
            &format!("/pushgate advisory XSA-9 disclose {disclose_text}"),
        )
        .await;
    let fix = "reminder: the fix for **XSA-9** is due";
    let pre = "reminder: the pre-disclosure of **XSA-9**";
    let ann = "reminder: the public announcement of **XSA-9**";
    // Nothing before its time.
    world.service().clock.advance(5 * DAY);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    world.settle().await;
    assert_eq!(said(&world, issue, fix), 0);

    // A day before the fix is due: once, mentioning the security team.
    world.service().clock.advance(DAY + 60);
    wait_until("the fix reminder", || said(&world, issue, fix) == 1).await;
    world.settle().await;
    assert_eq!(said(&world, issue, "@sec-gh: reminder: the fix"), 1);
    let a = advisory(&world, "XSA-9").await.unwrap();
    assert_eq!(a.done, [format!("fix-due@{}", reported + 7 * DAY)]);
    assert_eq!(a.next_at, Some(disclose - 15 * DAY));

    // A re-run after a crash between the reminder and the store's record of it: the step is
    // due again in the store, and a delivery runs it again. The reminder is not sent twice.
    let pool = sqlx::SqlitePool::connect(&world.database_url)
        .await
        .unwrap();
    sqlx::query("UPDATE advisories SET done = '', next_at = $1 WHERE name = 'XSA-9'")
        .bind(reported + 6 * DAY)
        .execute(&pool)
        .await
        .unwrap();
    let mut again = pushgate::worker::synthetic(
        "advisory re-run",
        REPO,
        INSTALLATION as i64,
        issue as i64,
        "advisory-deadline",
    );
    again.payload = pushgate::store::Payload::json(&serde_json::json!({
        "action": "advisory-deadline",
        "number": issue,
        "name": "XSA-9",
        "repository": { "full_name": REPO, "default_branch": "staging" },
        "installation": { "id": INSTALLATION },
    }));
    let store = world.service().store.clone();
    store
        .insert_deliveries(&[again], world.service().clock.now_millis())
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while advisory(&world, "XSA-9")
        .await
        .is_some_and(|a| a.done.is_empty())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the re-run never recorded the step"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    world.settle().await;
    assert_eq!(said(&world, issue, fix), 1);

    // A restart; the clock crosses the pre-disclosure's reminder on the new process.
    let offset = world.service().clock.now() - chrono::Utc::now().timestamp();
    world.service.take().unwrap().kill();
    let restarted = pushgate::service::start(settings(&world.database_url, &world.api, "again"))
        .await
        .unwrap();
    restarted.clock.advance(offset);
    world.service = Some(restarted);
    world
        .service()
        .clock
        .advance(disclose - 15 * DAY - world.service().clock.now() + 60);
    wait_until("the pre-disclosure reminder", || {
        said(&world, issue, pre) == 1
    })
    .await;
    world.settle().await;
    // The announcement's reminder, then the disclosure itself (no mention, the status says it).
    world.service().clock.advance(14 * DAY);
    wait_until("the announcement reminder", || {
        said(&world, issue, ann) == 1
    })
    .await;
    world.service().clock.advance(DAY);
    wait_until("the disclosure in the status", || {
        statuses(&world, issue, "XSA-9")
            .iter()
            .any(|(_, b)| b.contains(&format!("| Announcement | {disclose_text} | disclosed |")))
    })
    .await;
    world.settle().await;
    for text in [fix, pre, ann] {
        assert_eq!(said(&world, issue, text), 1, "{text}");
    }
    assert_eq!(statuses(&world, issue, "XSA-9").len(), 1);
    let a = advisory(&world, "XSA-9").await.unwrap();
    assert_eq!((a.done.len(), a.next_at), (4, None));
}

async fn api(world: &World, token: &str) -> Value {
    world
        .http
        .get(world.url(&format!("/api/repos/{REPO}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn page(world: &World, token: &str) -> String {
    world
        .http
        .get(world.url(&format!("/repos/{REPO}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_issues_advisory_is_not_on_the_dashboard_before_its_disclosure() {
    let mut world = World::new(&config()).await;
    if let Some(service) = world.service.take() {
        service.shutdown(std::time::Duration::from_secs(5)).await;
    }
    let mut s = settings(&world.database_url, &world.api, "dashboard");
    s.dashboard_token = Some("tok".to_string());
    world.service = Some(pushgate::service::start(s).await.unwrap());

    let secret = world.gh.open_issue(REPO, "sec-gh", "Guest escape", &[]);
    let (disclose_text, disclose) = minute(&world, 20 * DAY);
    comment_privately(&world, secret, "sec-gh", "/pushgate advisory XSA-11").await;
    comment_privately(
        &world,
        secret,
        "sec-gh",
        &format!("/pushgate advisory XSA-11 disclose {disclose_text}"),
    )
    .await;
    comment_privately(&world, secret, "nora-gh", "/pushgate advisory XSA-12").await;
    assert!(advisory(&world, "XSA-11").await.unwrap().private);
    // A public issue's advisory is shown at once.
    let open = world.gh.open_issue(REPO, "sec-gh", "Public hardening", &[]);
    world
        .comment(open, "sec-gh", "/pushgate advisory XSA-10")
        .await;

    // Even with the read token, nothing of XSA-11 before its time: not listed, not in the
    // log, not on the page.
    let shown = api(&world, "tok").await;
    let names: Vec<&str> = shown["governance"]["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["XSA-10"], "{shown}");
    let text = shown.to_string();
    assert!(
        !text.contains("XSA-11") && !text.contains("XSA-12"),
        "{text}"
    );
    let html = page(&world, "tok").await;
    assert!(html.contains("XSA-10"));
    assert!(
        !html.contains("XSA-11") && !html.contains("XSA-12"),
        "{html}"
    );

    // From its disclosure time, it is.
    world
        .service()
        .clock
        .advance(disclose - world.service().clock.now());
    let shown = api(&world, "tok").await;
    let row = shown["governance"]["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "XSA-11")
        .cloned()
        .unwrap_or_else(|| panic!("{shown}"));
    assert_eq!(
        (
            row["number"].as_u64(),
            row["disclosure_at"].as_i64(),
            row["disclosed"].as_bool()
        ),
        (Some(secret), Some(disclose), Some(true))
    );
    assert!(page(&world, "tok").await.contains("XSA-11"));
    // A refused command on a private repository stays out of the log.
    assert!(!api(&world, "tok").await.to_string().contains("XSA-12"));
}
