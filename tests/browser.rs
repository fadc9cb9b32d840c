//! The dashboard in a real browser (issue 19): headless Chromium, driven through chromedriver's
//! WebDriver API (JSON over HTTP), loads every page of a running service that played the
//! dashboard story on the fake GitHub. Each page must log no console error, and its key
//! numbers (the `data-count` / `data-value` marks) must equal its JSON twin's. A screenshot of
//! each page goes to `target/screenshots/`, and to `docs/screenshots/` (which README shows)
//! when that file is missing or `PUSHGATE_UPDATE_SCREENSHOTS=1`.
//!
//! Without `chromium` and `chromedriver` on the PATH the test says "SKIPPED" on stderr and
//! passes; `.ci/run` installs them where apt can.

mod dashboard_story;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use dashboard_story::*;
use serde_json::{json, Value};
use support::*;

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromium: &Path, chromedriver: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            session: String::new(),
            _profile: profile,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.url))
                .send()
                .await;
            if let Ok(r) = ready {
                let status: Value = r.json().await.unwrap_or_default();
                if status["value"]["ready"] == true {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", driver._profile.path().display()),
        ];
        let created = driver
            .call(
                reqwest::Method::POST,
                "/session",
                Some(json!({ "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": { "binary": chromium, "args": args },
                    "goog:loggingPrefs": { "browser": "ALL" },
                } } })),
            )
            .await;
        driver.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        driver
    }

    /// One WebDriver command; its `value`.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.url)
        } else {
            format!("{}/session/{}{path}", self.url, self.session)
        };
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("WebDriver JSON");
        let value = answer["value"].clone();
        assert!(value.get("error").is_none(), "WebDriver {path}: {value}");
        value
    }

    async fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// The browser's console entries since the last call, as (level, message).
    async fn console(&self) -> Vec<(String, String)> {
        let entries = self
            .call(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({ "type": "browser" })),
            )
            .await;
        entries
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["level"].as_str().unwrap_or_default().to_string(),
                    e["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// A PNG of the whole page: the window is made as tall as the page first.
    async fn screenshot(&self) -> Vec<u8> {
        let height = self
            .script("return document.documentElement.scrollHeight;")
            .await
            .as_u64()
            .unwrap_or(900)
            .clamp(400, 6000)
            // The window's frame, which headless Chromium counts in its height.
            + 150;
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({ "width": 1280, "height": height })),
        )
        .await;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 PNG"))
            .expect("PNG bytes")
    }

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.url, self.session))
            .send()
            .await;
    }
}

/// The page's marked numbers: `data-count` name → `data-value`, each name once (the first).
async fn counts(driver: &Driver) -> BTreeMap<String, u64> {
    let marks = driver
        .script(
            "return Array.from(document.querySelectorAll('[data-count]'))\
             .map(e => [e.dataset.count, e.dataset.value]);",
        )
        .await;
    let mut counts = BTreeMap::new();
    for mark in marks.as_array().into_iter().flatten() {
        let name = mark[0].as_str().unwrap_or_default().to_string();
        let value = mark[1].as_str().and_then(|v| v.parse().ok());
        if let Some(value) = value {
            counts.entry(name).or_insert(value);
        }
    }
    counts
}

fn save(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "{name} is no PNG");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target/screenshots");
    std::fs::create_dir_all(&target).expect("target/screenshots");
    std::fs::write(target.join(name), png).expect("screenshot written");
    let docs = root.join("docs/screenshots").join(name);
    let update = std::env::var("PUSHGATE_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1");
    if update || !docs.exists() {
        std::fs::create_dir_all(root.join("docs/screenshots")).expect("docs/screenshots");
        std::fs::write(&docs, png).expect("screenshot written");
    }
}

async fn api(world: &World, path: &str) -> Value {
    world
        .http
        .get(world.url(path))
        .send()
        .await
        .expect("JSON twin")
        .json()
        .await
        .expect("JSON")
}

/// Loads a page and checks what every page must: a title, no console error.
async fn load(driver: &Driver, url: &str) {
    driver.open(url).await;
    let title = driver.script("return document.title;").await;
    assert!(
        title.as_str().is_some_and(|t| !t.is_empty()),
        "{url}: {title}"
    );
    let errors: Vec<(String, String)> = driver
        .console()
        .await
        .into_iter()
        .filter(|(level, _)| level == "SEVERE" || level == "ERROR")
        .collect();
    assert!(errors.is_empty(), "{url} logged errors: {errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_page_loads_in_chromium_and_agrees_with_its_json() {
    let (Some(chromium), Some(chromedriver)) = (on_path("chromium"), on_path("chromedriver"))
    else {
        // Written to the process's stderr, past the test harness's capture, so CI's log
        // shows it even though the test passes.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: chromium not installed (tests/browser.rs needs `chromium` and \
             `chromedriver` on the PATH: apt-get install chromium chromium-driver)"
        );
        return;
    };
    let world = World::new(&story_config()).await;
    play(&world).await;
    let driver = Driver::start(&chromium, &chromedriver).await;

    // The front page: each repository's numbers are its JSON's.
    load(&driver, &world.url("/")).await;
    let status = api(&world, "/api/status").await;
    let row = &status["repositories"][0];
    let shown = counts(&driver).await;
    assert_eq!(
        shown.get("waiting-for-acks").copied(),
        row["waiting_for_acks"].as_u64(),
        "{shown:?}"
    );
    assert_eq!(
        shown.get("open-pull-requests").copied(),
        row["open_pull_requests"].as_u64()
    );
    assert_eq!(
        shown.get("release-blockers").copied(),
        row["release_blockers"].as_u64()
    );
    assert_eq!(
        shown.get("queue-pending").copied(),
        status["queue"]["pending"].as_u64()
    );
    assert!(row["waiting_for_acks"].as_u64() > Some(0), "{status}");
    save("overview.png", &driver.screenshot().await);

    // The repository's page.
    load(&driver, &world.url(&format!("/repos/{REPO}"))).await;
    let repo = api(&world, &format!("/api/repos/{REPO}")).await;
    let shown = counts(&driver).await;
    let want = [
        ("waiting-for-acks", repo["waiting_for_acks"].as_u64()),
        ("release-blockers", repo["release_blockers"].as_u64()),
        (
            "flights-listed",
            repo["flights"].as_array().map(|f| f.len() as u64),
        ),
        (
            "flights-charted",
            repo["flight_outcomes"].as_array().map(|f| f.len() as u64),
        ),
        ("commits-ahead", repo["gate"]["commits_ahead"].as_u64()),
        (
            "gate-switches",
            repo["audit"].as_array().map(|a| a.len() as u64),
        ),
    ];
    for (name, value) in want {
        assert!(
            value.is_some_and(|v| v > 0),
            "{name} is empty in the JSON: {repo}"
        );
        assert_eq!(shown.get(name).copied(), value, "{name}: {shown:?}");
    }
    // The chart is drawn: one bar per flight.
    let bars = driver
        .script("return document.querySelectorAll('figure.chart svg rect').length;")
        .await;
    assert_eq!(
        bars.as_u64(),
        repo["flight_outcomes"].as_array().map(|f| f.len() as u64)
    );
    save("repository.png", &driver.screenshot().await);

    // The stylesheet applied (a badge has its border), so the screenshots show the real look.
    let styled = driver
        .script("return getComputedStyle(document.querySelector('.badge')).borderTopStyle;")
        .await;
    assert_eq!(styled, "solid");
    driver.quit().await;
}
