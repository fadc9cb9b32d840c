//! `pushgate release-gate --repo` against the fake GitHub: a regression in a Supported feature
//! holds the release (exit 1); one in a Tech Preview feature does not; no token is exit 2.

use pushgate::sim::FakeGitHub;

const REPO: &str = "xen-like/hypervisor";
const SUPPORT: &str = "# Feature Support\n\n## Guests\n\n### x86/PV\n\n    Status: Supported\n\n### ARM/SMMUv3\n\n    Status: Tech Preview\n";

async fn repo_with(issues: &[(&str, &[&str])]) -> (FakeGitHub, String, String) {
    let (gh, addr) = FakeGitHub::start().await;
    gh.add_installation(7, "xen-like");
    gh.add_repo(7, REPO, "master");
    gh.commit(
        REPO,
        "master",
        ("C", "c@x.example"),
        "init",
        &[("SUPPORT.md", Some(SUPPORT))],
    );
    let token = gh.mint_token(7);
    let api = format!("http://{addr}");
    let http = reqwest::Client::new();
    for (title, labels) in issues {
        let status = http
            .post(format!("{api}/repos/{REPO}/issues"))
            .header("authorization", format!("token {token}"))
            .json(&serde_json::json!({ "title": title, "labels": labels }))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 201);
    }
    (gh, api, token)
}

async fn release_gate(api: &str, token: Option<&str>) -> (i32, String, String) {
    let (api, token) = (api.to_string(), token.map(str::to_string));
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pushgate"));
        command
            .args(["release-gate", "--repo", REPO])
            .env("PUSHGATE_GITHUB_API", &api)
            .env_remove("GITHUB_TOKEN")
            .env_remove("PUSHGATE_TOKEN");
        if let Some(token) = token {
            command.env("GITHUB_TOKEN", token);
        }
        let out = command.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_in_a_supported_feature_holds_the_release() {
    let (_gh, api, token) = repo_with(&[
        (
            "PV guests crash on boot",
            &["regression", "feature: x86/PV"],
        ),
        ("SMMUv3 faults", &["regression", "feature: ARM/SMMUv3"]),
        ("Typo in docs", &["docs"]),
    ])
    .await;
    let (code, stdout, stderr) = release_gate(&api, Some(&token)).await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("#1 PV guests crash on boot"), "{stdout}");
    assert!(stdout.contains("x86/PV, which is Supported"), "{stdout}");
    assert!(
        !stdout.contains("SMMUv3 faults"),
        "a Tech Preview feature does not hold it: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_blocking_passes_and_release_blocker_always_holds() {
    let (_gh, api, token) =
        repo_with(&[("SMMUv3 faults", &["regression", "feature: ARM/SMMUv3"])]).await;
    let (code, stdout, _) = release_gate(&api, Some(&token)).await;
    assert_eq!(code, 0, "{stdout}");
    let (_gh, api, token) = repo_with(&[("Must fix", &["release-blocker"])]).await;
    let (code, stdout, _) = release_gate(&api, Some(&token)).await;
    assert_eq!(code, 1, "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_token_is_a_clear_error() {
    let (code, _, stderr) = release_gate("http://127.0.0.1:9", None).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("GITHUB_TOKEN"), "{stderr}");
}
