//! Benchmarks of the MAINTAINERS engine on real trees (Xen and Linux, from the shared corpus,
//! read with [`pushgate::corpus::read`]):
//!
//! * `parse/xen`, `parse/linux`: [`Maintainers::parse`] of the whole file.
//! * `approvers/xen-all-paths`, `approvers/linux-all-paths`: with one [`Matcher`] built up
//!   front, [`Matcher::sections_for`] then [`Maintainers::approvers`] for every path of the
//!   tree's `files.txt` (throughput in paths per second).
//! * `matcher/build-linux`: [`Matcher::new`] on Linux's parsed MAINTAINERS.
//!
//! Before matching, literal patterns naming a directory of the tree get their trailing `/`
//! ([`Maintainers::resolve_directories`], with the directories taken from `files.txt`), as
//! `pushgate` does with a real tree.
//!
//! A corpus file that is missing is reported on stderr and the benchmarks needing it are
//! skipped.
//!
//! Run with `cargo bench --bench maintainers` (add a filter such as `-- approvers/` to run
//! some only).

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use pushgate::core::maintainers::{Maintainers, Matcher};

const XEN_MAINTAINERS: &str = "xen/MAINTAINERS";
const XEN_FILES: &str = "xen/files.txt";
const LINUX_MAINTAINERS: &str = "linux/MAINTAINERS";
const LINUX_FILES: &str = "linux/files.txt";

/// The text of a corpus file, or `None` (with a message on stderr) when it cannot be read.
fn read(relative: &str, needed_by: &str) -> Option<String> {
    match pushgate::corpus::read(relative) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("skipping {needed_by}: {error}");
            None
        }
    }
}

/// The non-empty lines of a `files.txt`.
fn paths_of(files: &str) -> Vec<&str> {
    files.lines().filter(|line| !line.is_empty()).collect()
}

/// Every directory that holds one of `paths`, at any depth.
fn directories_of<'a>(paths: &[&'a str]) -> HashSet<&'a str> {
    let mut directories = HashSet::new();
    for path in paths {
        let mut end = path.len();
        while let Some(slash) = path[..end].rfind('/') {
            if !directories.insert(&path[..slash]) {
                // Its parents are already in.
                break;
            }
            end = slash;
        }
    }
    directories
}

/// The tree's MAINTAINERS, parsed, with directories resolved against the tree's paths.
fn resolved(maintainers: &str, paths: &[&str]) -> Maintainers {
    let directories = directories_of(paths);
    let mut parsed = Maintainers::parse(maintainers);
    parsed.resolve_directories(|p| directories.contains(p));
    parsed
}

fn bench_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, path) in [("xen", XEN_MAINTAINERS), ("linux", LINUX_MAINTAINERS)] {
        let Some(text) = read(path, &format!("parse/{name}")) else {
            continue;
        };
        group.bench_function(name, |b| b.iter(|| Maintainers::parse(black_box(&text))));
    }
    group.finish();
}

/// Approvers of every path of one tree, with the matcher built once.
fn bench_all_paths(
    c: &mut Criterion,
    name: &str,
    maintainers_path: &str,
    files_path: &str,
    configure: impl FnOnce(&mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>),
) {
    let id = format!("approvers/{name}");
    let (Some(maintainers), Some(files)) = (read(maintainers_path, &id), read(files_path, &id))
    else {
        return;
    };
    let paths = paths_of(&files);
    let matcher = Matcher::new(resolved(&maintainers, &paths));
    let mut group = c.benchmark_group("approvers");
    configure(&mut group);
    group.throughput(Throughput::Elements(paths.len() as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            for path in &paths {
                let matches = matcher.sections_for(black_box(path));
                black_box(matcher.maintainers().approvers(&matches));
            }
        })
    });
    group.finish();
}

fn bench_approvers(c: &mut Criterion) {
    bench_all_paths(c, "xen-all-paths", XEN_MAINTAINERS, XEN_FILES, |_| {});
    bench_all_paths(
        c,
        "linux-all-paths",
        LINUX_MAINTAINERS,
        LINUX_FILES,
        |group| {
            group
                .sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(3))
                .measurement_time(Duration::from_secs(15));
        },
    );
}

fn bench_matcher_build(c: &mut Criterion) {
    let id = "matcher/build-linux";
    let (Some(maintainers), Some(files)) = (read(LINUX_MAINTAINERS, id), read(LINUX_FILES, id))
    else {
        return;
    };
    let parsed = resolved(&maintainers, &paths_of(&files));
    let mut group = c.benchmark_group("matcher");
    group.bench_function("build-linux", |b| {
        b.iter_batched(
            || parsed.clone(),
            |maintainers| Matcher::new(black_box(maintainers)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_parse, bench_approvers, bench_matcher_build);
criterion_main!(benches);
