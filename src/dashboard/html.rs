//! The dashboard's pages, rendered with maud from the values in [`super::view`]. Every status
//! is written as a word; colours (from the stylesheet) only repeat it.

use crate::core::release::ReleaseView;
use crate::core::support::{SupportStatus, SupportView};
use maud::{html, Markup, DOCTYPE};

use super::view::{
    ChartPoint, CurrentFlight, FailureRow, FlightRow, GateView, Governance, Overview, PullRow,
    RepoPage, SwitchRow,
};
use crate::core::text::{human_seconds, short, utc};

/// What every internal link carries: the read token when it came in the query, so that a
/// reader who opened a private page by link can follow its links.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub query: String,
}

impl Links {
    pub fn with_token(token: Option<&str>) -> Links {
        Links {
            query: token
                .map(|t| {
                    format!(
                        "?token={}",
                        percent_encoding::utf8_percent_encode(
                            t,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
                .unwrap_or_default(),
        }
    }

    fn to(&self, path: &str) -> String {
        format!("{path}{}", self.query)
    }
}

fn layout(title: &str, links: &Links, json: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                // No favicon request (a 404 would be a console error).
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(super::STYLE_PATH);
            }
            body {
                header {
                    nav {
                        a href=(links.to("/")) { "pushgate" }
                        " · "
                        a href=(links.to(json)) { "JSON" }
                        " · "
                        a href="/metrics" { "metrics" }
                    }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

fn when(seconds: i64) -> String {
    utc(seconds)
}

fn sha(text: &str) -> Markup {
    html! { code title=(text) { (short(text)) } }
}

/// A status word in a badge; the class only colours it.
fn badge(word: &str, class: &str) -> Markup {
    html! { span class={ "badge " (class) } { (word) } }
}

fn pull_link(p: &PullRow) -> Markup {
    match &p.url {
        Some(url) => html! { a href=(url) { "#" (p.pr) } },
        None => html! { "#" (p.pr) },
    }
}

/// `/`: every repository at a glance, and the deliveries that failed for good.
pub fn overview(o: &Overview, links: &Links) -> String {
    let body = html! {
        h1 { "pushgate" }
        p data-count="queue-pending" data-value=(o.queue.pending) {
            "Queue: " (o.queue.pending) " pending, " (o.queue.failed) " failed."
        }
        h2 { "Repositories" }
        @if o.repositories.is_empty() {
            p { "No repository has sent anything yet." }
        } @else {
            table.repos {
                thead { tr {
                    th { "Repository" } th { "master" } th { "staging" } th { "Current flight" }
                    th { "Gate" } th { "Release blockers" } th { "Open PRs" } th { "PRs waiting for acks" }
                } }
                tbody {
                    @for r in &o.repositories {
                        tr data-repo=(r.repo) {
                            td {
                                a href=(links.to(&format!("/repos/{}", r.repo))) { (r.repo) }
                                @if r.private { " " (badge("private", "muted")) }
                            }
                            @match &r.gate {
                                Some(g) => {
                                    td { (sha(&g.master)) }
                                    td { (sha(&g.staging)) " (" (g.commits_ahead) " ahead)" }
                                    td { @match &g.flight {
                                        Some(f) => { "#" (f.id) " " (f.phase) " " (sha(&f.tip)) }
                                        None => { "none" }
                                    } }
                                    td { @if g.blocked { (badge("BLOCKED", "bad")) } @else { (badge("open", "good")) } }
                                }
                                None => {
                                    td colspan="4" { "no push gate" }
                                }
                            }
                            td data-count="release-blockers" data-value=(r.release_blockers.unwrap_or(0)) {
                                @match r.release_blockers {
                                    Some(n) => { (n) }
                                    None => { "—" }
                                }
                            }
                            td data-count="open-pull-requests" data-value=(r.open_pull_requests) { (r.open_pull_requests) }
                            td data-count="waiting-for-acks" data-value=(r.waiting_for_acks) { (r.waiting_for_acks) }
                        }
                    }
                }
            }
        }
        (failures(&o.failures))
    };
    layout("pushgate", links, "/api/status", body)
}

fn failures(rows: &[FailureRow]) -> Markup {
    html! {
        @if !rows.is_empty() {
            h2 { "Failed deliveries" }
            table {
                thead { tr { th { "Delivery" } th { "Event" } th { "Repository" } th { "When" } th { "Why" } } }
                tbody { @for f in rows {
                    tr {
                        td { code { (f.delivery) } }
                        td { (f.event) }
                        td { (f.repo) }
                        td { (when(f.failed_at / 1000)) }
                        td { (f.error) }
                    }
                } }
            }
        }
    }
}

/// `/repos/{owner}/{repo}`.
pub fn repository(p: &RepoPage, links: &Links) -> String {
    let body = html! {
        h1 { (p.repo) @if p.private { " " (badge("private", "muted")) } }
        p { a href=(links.to("/")) { "all repositories" } }
        section #gate {
            h2 { "Push gate" }
            @match &p.gate {
                Some(g) => { (gate(g)) }
                None => { p { "No push gate state yet." } }
            }
        }
        section #flights {
            h2 { "Flights" }
            (chart(&p.flight_outcomes))
            (flights(&p.flights))
        }
        section #pulls {
            h2 { "Pull requests" }
            p data-count="waiting-for-acks" data-value=(p.waiting_for_acks) {
                (p.pull_requests.len()) " open, " (p.waiting_for_acks) " waiting for acks."
            }
            (pulls(&p.pull_requests))
        }
        section #release {
            h2 { "Release" }
            (release(&p.release))
        }
        section #support {
            h2 { "Support matrix" }
            (support(&p.support))
        }
        section #governance {
            h2 { "Governance" }
            (governance(&p.governance))
        }
        section #audit {
            h2 { "Audit log" }
            (audit(&p.audit))
        }
        (failures(&p.failures))
    };
    layout(&p.repo, links, &format!("/api/repos/{}", p.repo), body)
}

fn gate(g: &GateView) -> Markup {
    html! {
        p.gate-state {
            "Gate: "
            @match &g.block {
                Some(b) => {
                    (badge("BLOCKED", "bad")) " by @" (b.by) " since " (when(b.at))
                    @if !b.reason.is_empty() { ": " (b.reason) }
                }
                None => { (badge("open", "good")) }
            }
        }
        dl.refs {
            dt { "master" } dd { (sha(&g.master)) }
            dt { "staging" } dd { (sha(&g.staging)) }
            dt { "ahead" } dd data-count="commits-ahead" data-value=(g.commits_ahead) { (g.commits_ahead) " commit(s) on staging not on master" }
        }
        @if let Some(since) = g.diverged_since {
            p.warning { (badge("warning", "bad")) " master is not an ancestor of staging since " (when(since)) ": a committer must repair staging." }
        }
        @if let Some(why) = &g.rejected {
            p.warning { (badge("warning", "bad")) " GitHub refused the last fast-forward of master: " (why) }
        }
        @match &g.current_flight {
            Some(f) => { (current(f)) }
            None => { p { "No flight running: staging has nothing untested ahead of master." } }
        }
    }
}

fn outcome(word: &str) -> Markup {
    let class = match word {
        "passed" => "good",
        "failed" => "bad",
        "pending" => "wait",
        _ => "muted",
    };
    badge(if word == "none" { "no result" } else { word }, class)
}

fn current(f: &CurrentFlight) -> Markup {
    html! {
        h3 { "Current flight #" (f.id) }
        p {
            "Tip " (sha(&f.tip)) " (" (f.commits) " commit(s)) against baseline " (sha(&f.baseline))
            ", " (f.phase) " since " (when(f.started_at)) "; times out at " (when(f.deadline)) "."
        }
        table.checks {
            thead { tr { th { "Required check" } th { "On the tip" } th { "On the baseline" } th { "Posted by" } } }
            tbody { @for c in &f.checks {
                tr {
                    td { (c.name) }
                    td { (outcome(c.tip)) }
                    td { (outcome(c.baseline)) }
                    td { (c.posted_by.as_deref().unwrap_or("—")) }
                }
            } }
        }
    }
}

fn result_class(result: &str) -> &'static str {
    match result {
        "passed" => "good",
        "regressed" | "timed-out" => "bad",
        _ => "muted",
    }
}

/// Flight outcomes over time: one bar per flight, oldest on the left, tall for passed and
/// regressed, short for the others; the label, each bar's title and the dates under it say it
/// in words.
fn chart(points: &[ChartPoint]) -> Markup {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return html! { p { "No flight has finished yet." } };
    };
    let (width, height) = (600.0_f64, 48.0_f64);
    let slot = (width / points.len() as f64).min(24.0);
    let bar = (slot - 1.0).max(1.0);
    let count = |word: &str| points.iter().filter(|p| p.result == word).count();
    let label = format!(
        "Last {} flights: {} passed, {} regressed, {} timed out, {} superseded or dropped",
        points.len(),
        count("passed"),
        count("regressed"),
        count("timed-out"),
        count("superseded") + count("dropped"),
    );
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" width="600" height="52" viewBox="0 0 600 52"
                role="img" aria-label=(label) {
                title { (label) }
                line x1="0" y1=(height) x2=(width) y2=(height) class="axis" {}
                @for (i, p) in points.iter().enumerate() {
                    @let h = match p.result.as_str() { "passed" | "regressed" | "timed-out" => height, _ => height / 3.0 };
                    rect x=(format!("{:.1}", i as f64 * slot)) y=(format!("{:.1}", height - h))
                        width=(format!("{bar:.1}")) height=(format!("{h:.1}"))
                        class=(result_class(&p.result)) {
                        title { "#" (p.id) " " (p.result) " at " (when(p.finished_at)) }
                    }
                }
            }
            figcaption data-count="flights-charted" data-value=(points.len()) {
                (label) ", from flight #" (first.id) " (" (when(first.finished_at)) ") to #" (last.id)
                " (" (when(last.finished_at)) "). Green: passed; red: regressed or timed out; grey (short): superseded or dropped."
            }
        }
    }
}

fn flights(rows: &[FlightRow]) -> Markup {
    html! {
        @if !rows.is_empty() {
            table.flights {
                caption data-count="flights-listed" data-value=(rows.len()) { "The last " (rows.len()) " finished flights, newest first" }
                thead { tr { th { "Flight" } th { "Tip" } th { "Commits" } th { "Result" } th { "Finished" } th { "Duration" } th { "Culprit" } } }
                tbody { @for f in rows {
                    tr {
                        td { "#" (f.id) }
                        td { (sha(&f.tip)) }
                        td { (f.commits) }
                        td {
                            (badge(&f.result, result_class(&f.result)))
                            @if !f.checks.is_empty() {
                                " " (if f.result == "passed" { "flaky: " } else { "in " }) (f.checks.join(", "))
                            }
                        }
                        td { (when(f.finished_at)) }
                        td { (human_seconds(f.duration_seconds)) }
                        td {
                            @if let Some(c) = &f.culprit {
                                (sha(c))
                                @match (&f.culprit_url, f.culprit_pull) {
                                    (Some(url), Some(n)) => { " " a href=(url) { "#" (n) } }
                                    (None, Some(n)) => { " #" (n) }
                                    _ => {}
                                }
                                @if let Some(about) = &f.culprit_about { " (" (about) ")" }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn pulls(rows: &[PullRow]) -> Markup {
    html! {
        @if !rows.is_empty() {
            table.pulls {
                thead { tr { th { "PR" } th { "Title" } th { "Author" } th { "Acks" } th { "Missing" } th { "Whom to ask" } } }
                tbody { @for p in rows {
                    tr {
                        td { (pull_link(p)) }
                        td { (p.title) }
                        td { (p.author.as_deref().unwrap_or("—")) }
                        td { @if p.acks == "complete" { (badge("complete", "good")) } @else { (badge("missing", "bad")) } }
                        td { @if !p.missing.is_empty() { ul { @for m in &p.missing { li { (m) } } } } }
                        td { (p.ask.join(", ")) }
                    }
                } }
            }
        }
    }
}

fn release(view: &Option<ReleaseView>) -> Markup {
    let Some(view) = view else {
        return html! { p { "No release check run yet." } };
    };
    if let Some(failed) = &view.failed {
        return html! { p { (badge("held", "bad")) " pushgate could not answer for the release, which is held: " (failed) } };
    }
    let blockers = view.blockers.as_deref().unwrap_or_default();
    html! {
        @if blockers.is_empty() {
            p data-count="release-blockers" data-value="0" { (badge("clear", "good")) " Nothing holds the release." }
        } @else {
            p data-count="release-blockers" data-value=(blockers.len()) { (badge("held", "bad")) " The release is held by " (blockers.len()) " open issue(s):" }
            table {
                thead { tr { th { "Issue" } th { "Title" } th { "Why" } } }
                tbody { @for b in blockers {
                    tr { td { "#" (b.number) } td { (b.title) } td { (b.reason) } }
                } }
            }
        }
    }
}

fn support(view: &Option<SupportView>) -> Markup {
    let Some(view) = view else {
        return html! { p { "No SUPPORT.md read yet (it is read on pushes that change it)." } };
    };
    let counts: Vec<String> = view
        .counts
        .iter()
        .filter(|c| c.lines > 0)
        .map(|c| format!("{} {}", c.lines, c.status))
        .collect();
    html! {
        p { (view.file) " at " code { (short(&view.sha)) } ": " (counts.join(", ")) "." }
        @if !view.unparsed.is_empty() {
            p { "Lines that cannot be read (labels were left alone):" }
            ul { @for u in &view.unparsed { li { "line " (u.line) ": " code { (u.text) } } } }
        }
        table.support {
            thead { tr { th { "Category" } th { "Feature" } th { "Status" } th { "Lifecycle" } } }
            tbody { @for f in &view.features {
                tr {
                    td { (f.category) }
                    td { (f.name) }
                    td { @for (i, s) in f.statuses.iter().enumerate() {
                        @if i > 0 { br; }
                        @if let Some(q) = &s.qualifier { (q) ": " }
                        (s.text)
                    } }
                    td { @for (i, s) in f.statuses.iter().enumerate() {
                        @if i > 0 { br; }
                        (lifecycle(s.status))
                    } }
                }
            } }
        }
    }
}

/// A lifecycle status as a badge.
fn lifecycle(status: SupportStatus) -> Markup {
    let word = status.to_string();
    let class = match word.to_ascii_lowercase().as_str() {
        w if w.starts_with("supported") => "good",
        w if w.contains("not") || w.contains("deprecated") => "bad",
        _ => "wait",
    };
    badge(&word, class)
}

fn governance(g: &Governance) -> Markup {
    html! {
        @if g.open.is_empty() {
            p { "No vote or lazy consensus is open." }
        } @else {
            table.decisions {
                caption data-count="decisions-open" data-value=(g.open.len()) { (g.open.len()) " open" }
                thead { tr { th { "On" } th { "What" } th { "Opened by" } th { "Opened" } th { "Deadline" } } }
                tbody { @for d in &g.open {
                    tr {
                        td { "#" (d.number) }
                        td { (d.kind) @if !d.scheme.is_empty() { " (" (d.scheme) ")" } }
                        td { "@" (d.opened_by) }
                        td { (when(d.opened_at)) }
                        td { (when(d.deadline)) }
                    }
                } }
            }
        }
        // Only what may be public: the pull request and the time, never an advisory's
        // content or who was told.
        section #embargoes {
            h3 { "Embargoes" }
            @if g.embargoes.is_empty() {
                p { "No pull request is embargoed." }
            } @else {
                table data-count="embargoes" data-value=(g.embargoes.len()) {
                    thead { tr { th { "Pull request" } th { "Held until" } } }
                    tbody { @for e in &g.embargoes { tr {
                        td { "#" (e.number) }
                        td { (when(e.until)) }
                    } } }
                }
            }
        }
        // Only advisories on public issues, or past their disclosure.
        section #advisories {
            h3 { "Security advisories" }
            @if g.advisories.is_empty() {
                p { "No advisory to show." }
            } @else {
                table data-count="advisories" data-value=(g.advisories.len()) {
                    thead { tr { th { "Advisory" } th { "Issue" } th { "Reported" } th { "Fix due" } th { "Pre-disclosure" } th { "Disclosure" } } }
                    tbody { @for a in &g.advisories { tr {
                        td { (a.name) @if a.disclosed { " " (badge("disclosed", "good")) } }
                        td { "#" (a.number) }
                        td { (when(a.reported_at)) }
                        td { (when(a.fix_due)) }
                        td { @if let Some(p) = a.predisclosure_at { (when(p)) } @else { "not set" } }
                        td { @if let Some(d) = a.disclosure_at { (when(d)) } @else { "not set" } }
                    } } }
                }
            }
        }
        @if !g.log.is_empty() {
            h3 { "What happened" }
            ul.log { @for e in &g.log {
                li { (when(e.at)) ": @" (e.who) " on #" (e.number) ": " (e.what) }
            } }
        }
    }
}

fn audit(rows: &[SwitchRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p { "No committer has switched the gate." }
        } @else {
            table.audit {
                caption data-count="gate-switches" data-value=(rows.len()) { "Gate switches, newest first" }
                thead { tr { th { "When" } th { "Who" } th { "What" } th { "Why" } } }
                tbody { @for s in rows {
                    tr { td { (when(s.at)) } td { "@" (s.by) } td { (s.what) } td { (s.reason) } }
                } }
            }
        }
    }
}
