//! Embargoes through the real service against the fake GitHub: committers and the security
//! team hold a pull request until a UTC time, `/pushgate merge` is refused before it (however
//! often it is asked), the pull request lands by itself at the time (across a restart too),
//! and a lift ends the hold early. Cora, Xavier and Quinn are the committers (THE REST);
//! Sec is the configured security team.

mod support;

use pushgate::sim::BOT_LOGIN;
use support::*;

const MESSAGE: &str =
    "x86/shadow: fix the leak\n\nSigned-off-by: Nora Newcomer <nora@new.example>\n";

fn config() -> String {
    format!("{CONFIG}\n[governance]\nsecurity_team = [\"sec-gh\"]\n")
}

/// An acked pull request, ready to merge: Sha approves, Xavier acks.
async fn ready_pr(world: &World, branch: &str) -> u64 {
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, branch, &base);
    world.gh.commit(
        REPO,
        branch,
        NEWCOMER,
        MESSAGE,
        &[(SHADOW, Some(&format!("int fixed = 1; /* {branch} */\n")))],
    );
    let pr = world
        .open_branch_pr(branch, "x86/shadow: fix the leak")
        .await;
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    world.settle().await;
    pr
}

/// A whole minute at least `ahead` seconds after pushgate's now, as the command writes it,
/// and as Unix seconds.
fn time_ahead(world: &World, ahead: i64) -> (String, i64) {
    let at = (world.service().clock.now() + ahead + 59) / 60 * 60;
    (pushgate::core::text::utc(at), at)
}

fn bot_comments(world: &World, n: u64) -> Vec<String> {
    world
        .gh
        .comments_on(REPO, n)
        .into_iter()
        .filter(|c| c.user == BOT_LOGIN)
        .map(|c| c.body)
        .collect()
}

fn said(world: &World, n: u64, text: &str) -> usize {
    bot_comments(world, n)
        .iter()
        .filter(|b| b.contains(text))
        .count()
}

/// The newest `pushgate/embargo` run on the pull request's head: (conclusion, title).
fn embargo_check(world: &World, n: u64) -> Option<(String, String)> {
    let head = world.gh.pr_head(REPO, n);
    world
        .gh
        .check_runs(REPO)
        .into_iter()
        .rfind(|c| c.name == "pushgate/embargo" && c.head_sha == head)
        .map(|c| {
            (
                c.conclusion.unwrap_or_default(),
                c.title.unwrap_or_default(),
            )
        })
}

fn staging(world: &World) -> String {
    world.gh.branch_tip(REPO, "staging").unwrap()
}

async fn log(world: &World) -> Vec<(String, String)> {
    world
        .service()
        .store
        .governance_log(REPO)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.who, e.what))
        .collect()
}

/// Moves pushgate's clock on by `seconds` and waits until staging moved from `before`.
async fn land_after(world: &World, seconds: i64, before: &str) {
    world.service().clock.advance(seconds);
    wait_until("staging to move", || staging(world) != before).await;
    world.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committers_embargo_refuses_merges_before_its_time_and_lands_the_pr_at_it() {
    let world = World::new(&config()).await;
    let pr = ready_pr(&world, "leak").await;
    let (written, until) = time_ahead(&world, 2 * 3600);
    world
        .comment(pr, "cora-gh", &format!("/pushgate embargo {written}"))
        .await;
    let shown = format!("Embargoed until {written}");
    assert_eq!(
        embargo_check(&world, pr),
        Some(("failure".to_string(), shown.clone()))
    );
    assert_eq!(
        said(
            &world,
            pr,
            &format!("Embargoed by @cora-gh until {written}")
        ),
        1
    );
    let in_flight = world
        .service()
        .store
        .embargoes_in_flight(REPO)
        .await
        .unwrap();
    assert_eq!(
        in_flight
            .iter()
            .map(|e| (e.number, e.until))
            .collect::<Vec<_>>(),
        [(pr as i64, until)]
    );
    // The dashboard shows the hold (the pull request and its time, nothing else) on the page
    // and in its JSON.
    let api: serde_json::Value = world
        .http
        .get(world.url(&format!("/api/repos/{REPO}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        api["governance"]["embargoes"],
        serde_json::json!([{ "number": pr, "until": until }]),
        "{api}"
    );
    let page = world
        .http
        .get(world.url(&format!("/repos/{REPO}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let section = &page[page.find("id=\"embargoes\"").expect("the embargo section")..];
    assert!(
        section.contains(&format!("#{pr}")) && section.contains(&written),
        "{section}"
    );
    let before = staging(&world);
    for (n, by) in ["cora-gh", "quinn-gh"].into_iter().enumerate() {
        world.comment(pr, by, "/pushgate merge").await;
        assert_eq!(staging(&world), before);
        assert_eq!(
            said(
                &world,
                pr,
                &format!("not merged: embargoed until {written}")
            ),
            n + 1,
            "{:#?}",
            bot_comments(&world, pr)
        );
    }
    // One line each.
    assert!(bot_comments(&world, pr)
        .iter()
        .filter(|b| b.contains("not merged: embargoed"))
        .all(|b| b
            .lines()
            .next()
            .is_some_and(|l| l.contains("embargoed until"))
            && b.trim_end().lines().count() <= 3));
    world.service().clock.advance(3600);
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_eq!(staging(&world), before, "an hour before the time");

    land_after(&world, 3700, &before).await;
    assert_eq!(world.gh.pr_state(REPO, pr), "closed");
    assert_eq!(
        world.gh.file_at(REPO, &staging(&world), SHADOW).as_deref(),
        Some("int fixed = 1; /* leak */\n")
    );
    // Landed with the acks as trailers, as `/pushgate merge` lands.
    let message = world.gh.commit_message(REPO, &staging(&world)).unwrap();
    assert!(
        message.contains("Acked-by: Xavier Ex <xavier@x86.example>"),
        "{message}"
    );
    assert_eq!(
        said(
            &world,
            pr,
            "The embargo set by @cora-gh ended: pushgate landed this pull request by itself"
        ),
        1,
        "{:#?}",
        bot_comments(&world, pr)
    );
    assert_eq!(
        embargo_check(&world, pr),
        Some(("success".to_string(), "Embargo ended".to_string()))
    );
    assert!(world
        .service()
        .store
        .embargoes_in_flight(REPO)
        .await
        .unwrap()
        .is_empty());
    let log = log(&world).await;
    assert!(log.contains(&("cora-gh".to_string(), format!("embargo until {written}"))));
    assert!(log.contains(&(
        "pushgate".to_string(),
        format!("the embargo ended at its time, {written}")
    )));
    assert_eq!(
        log.iter().filter(|(_, w)| w.starts_with("refused")).count(),
        0
    );
    // Exactly one landing, whatever ran twice.
    world.service().clock.advance(600);
    world.settle().await;
    assert_eq!(world.gh.branch_history(REPO, "staging").len(), 2);
}

/// A refusal whose reply GitHub made but whose answer was lost: the delivery runs again, and
/// the refusal is still said once and logged once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_whose_reply_was_lost_is_said_and_logged_once() {
    let world = World::new(&config()).await;
    let pr = ready_pr(&world, "lost").await;
    let (written, _) = time_ahead(&world, 3600);
    world.gh.inject(
        pushgate::sim::Fault::new(pushgate::sim::FaultKind::LostAnswer(502))
            .on(pushgate::sim::endpoint::CREATE_COMMENT),
    );
    world
        .comment(pr, "nora-gh", &format!("/pushgate embargo {written}"))
        .await;
    let refusal = "@nora-gh: only committers and the security team can embargo";
    assert_eq!(said(&world, pr, refusal), 1);
    let logged = log(&world)
        .await
        .into_iter()
        .filter(|(who, what)| who == "nora-gh" && what.contains(refusal))
        .count();
    assert_eq!(logged, 1, "{:?}", log(&world).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_committers_and_the_security_team_embargo_and_others_are_refused_in_one_line() {
    let world = World::new(&config()).await;
    let pr = ready_pr(&world, "wrong").await;
    let (written, _) = time_ahead(&world, 3600);
    let command = format!("/pushgate embargo {written}");
    // Nora wrote the pull request; Sha maintains the code but is no committer.
    for by in ["nora-gh", "sha-gh"] {
        world.comment(pr, by, &command).await;
        assert_eq!(
            said(
                &world,
                pr,
                &format!(
                    "@{by}: only committers and the security team can embargo or lift an \
                     embargo; nothing changed."
                )
            ),
            1
        );
    }
    assert_eq!(embargo_check(&world, pr), None);
    world
        .comment(pr, "cora-gh", "/pushgate embargo next tuesday")
        .await;
    assert_eq!(
        said(&world, pr, "@cora-gh: `next tuesday` is not a UTC time"),
        1
    );
    world
        .comment(pr, "cora-gh", "/pushgate embargo 2020-01-01")
        .await;
    assert_eq!(
        said(&world, pr, "@cora-gh: `2020-01-01` is already past"),
        1
    );
    world.comment(pr, "cora-gh", "/pushgate embargo lift").await;
    assert_eq!(
        said(
            &world,
            pr,
            "@cora-gh: this pull request is under no embargo"
        ),
        1
    );
    let issue = world.gh.open_issue(REPO, "nora-gh", "Embargo me", &[]);
    world.comment(issue, "cora-gh", &command).await;
    assert_eq!(
        said(
            &world,
            issue,
            "an embargo holds a pull request, and this is an issue"
        ),
        1
    );
    assert!(world
        .service()
        .store
        .embargoes_in_flight(REPO)
        .await
        .unwrap()
        .is_empty());

    // The security team may.
    world.comment(pr, "sec-gh", &command).await;
    assert_eq!(
        embargo_check(&world, pr).map(|(c, _)| c).as_deref(),
        Some("failure")
    );
    // A push during the embargo: the new head shows it too.
    let before_push = world.gh.pr_head(REPO, pr);
    world.gh.push_to_pr(
        REPO,
        pr,
        NEWCOMER,
        "more",
        &[(SHADOW, Some("int fixed = 2;\n"))],
    );
    world
        .send(
            "pull_request",
            &world
                .gh
                .pull_request_event(REPO, pr, "synchronize", Some(&before_push)),
        )
        .await;
    world.settle().await;
    assert_eq!(
        embargo_check(&world, pr),
        Some(("failure".to_string(), format!("Embargoed until {written}")))
    );
    // Nobody else lifts it.
    world.comment(pr, "nora-gh", "/pushgate embargo lift").await;
    assert_eq!(
        embargo_check(&world, pr).map(|(c, _)| c).as_deref(),
        Some("failure")
    );
    world.comment(pr, "sec-gh", "/pushgate embargo lift").await;
    assert_eq!(
        embargo_check(&world, pr),
        Some(("success".to_string(), "Embargo lifted".to_string()))
    );
    assert_eq!(said(&world, pr, "@sec-gh lifted the embargo"), 1);
    let log = log(&world).await;
    assert!(log.contains(&("sec-gh".to_string(), format!("embargo until {written}"))));
    assert!(log.contains(&(
        "sec-gh".to_string(),
        format!("lifted the embargo (it was until {written})")
    )));
    // Nora, Sha, the bad time, the past, the lift of nothing, the issue, Nora's lift.
    assert_eq!(
        log.iter().filter(|(_, w)| w.starts_with("refused")).count(),
        7,
        "{log:#?}"
    );
    // Lifted: a committer merges at once (the acks are given again on the new head).
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    let before = staging(&world);
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_ne!(staging(&world), before, "{:#?}", bot_comments(&world, pr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_teams_embargo_ends_at_its_time_and_leaves_the_merge_to_a_committer() {
    let world = World::new(&config()).await;
    let pr = ready_pr(&world, "sec").await;
    let (written, _) = time_ahead(&world, 600);
    world
        .comment(pr, "sec-gh", &format!("/pushgate embargo {written}"))
        .await;
    let before = staging(&world);
    world.service().clock.advance(700);
    wait_until("the end of the embargo", || {
        said(&world, pr, "who is no committer, so pushgate does not land") == 1
    })
    .await;
    world.settle().await;
    assert_eq!(staging(&world), before);
    assert_eq!(
        embargo_check(&world, pr),
        Some(("success".to_string(), "Embargo ended".to_string()))
    );
    world.comment(pr, "quinn-gh", "/pushgate merge").await;
    assert_ne!(staging(&world), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embargo_survives_a_restart_and_lands_at_its_time_on_the_new_process() {
    let mut world = World::new(&config()).await;
    let pr = ready_pr(&world, "restart").await;
    let (written, _) = time_ahead(&world, 3600);
    world
        .comment(pr, "quinn-gh", &format!("/pushgate embargo {written}"))
        .await;
    world.service.take().unwrap().kill();
    let restarted = pushgate::service::start(settings(&world.database_url, &world.api, "again"))
        .await
        .unwrap();
    world.service = Some(restarted);
    let before = staging(&world);
    // Still held on the new process…
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_eq!(staging(&world), before);
    assert_eq!(said(&world, pr, "not merged: embargoed until"), 1);
    // …and the time crossed while it runs lands it.
    land_after(&world, 3700, &before).await;
    assert_eq!(world.gh.pr_state(REPO, pr), "closed");
    assert_eq!(said(&world, pr, "The embargo set by @quinn-gh ended"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embargo_that_ends_while_pushgate_is_down_lands_when_it_starts_again() {
    let mut world = World::new(&config()).await;
    let pr = ready_pr(&world, "down").await;
    let (written, _) = time_ahead(&world, 60);
    world
        .comment(pr, "cora-gh", &format!("/pushgate embargo {written}"))
        .await;
    let before = staging(&world);
    world.service.take().unwrap().kill();
    // The time passes while pushgate is down: the new process starts an hour later.
    let restarted = pushgate::service::start(settings(&world.database_url, &world.api, "again"))
        .await
        .unwrap();
    restarted.clock.advance(3600);
    world.service = Some(restarted);
    wait_until("staging to move", || staging(&world) != before).await;
    world.settle().await;
    assert_eq!(world.gh.pr_state(REPO, pr), "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embargoed_pr_never_lands_before_its_time_however_often_merge_is_asked() {
    let world = World::new(&config()).await;
    let pr = ready_pr(&world, "loop").await;
    let (written, until) = time_ahead(&world, 3600);
    world
        .comment(pr, "xavier-gh", &format!("/pushgate embargo {written}"))
        .await;
    let before = staging(&world);
    let mut rng = Rng(18);
    let committers = ["cora-gh", "quinn-gh", "xavier-gh"];
    let mut asked = 0;
    loop {
        let now = world.service().clock.now();
        // A margin for the seconds real time adds while the loop runs.
        let left = until - now - 30;
        if left <= 0 || asked >= 12 {
            break;
        }
        world
            .service()
            .clock
            .advance(1 + rng.below(usize::try_from(left / 3).unwrap_or(1)) as i64);
        let by = committers[rng.below(committers.len())];
        // Sometimes two at once, to race the lane.
        if rng.chance(30) {
            world.send_comment(pr, by, "/pushgate merge").await;
            asked += 1;
        }
        world.comment(pr, by, "/pushgate merge").await;
        asked += 1;
        assert!(world.service().clock.now() < until);
        assert_eq!(staging(&world), before, "landed before its time");
        assert_eq!(world.gh.pr_state(REPO, pr), "open");
        assert_eq!(said(&world, pr, "not merged: embargoed until"), asked);
    }
    assert!(asked >= 3, "only {asked} merges asked");
    land_after(&world, until - world.service().clock.now() + 1, &before).await;
    assert!(world.service().clock.now() >= until);
    assert_eq!(world.gh.branch_history(REPO, "staging").len(), 2);
    assert_eq!(world.gh.pr_state(REPO, pr), "closed");
}
