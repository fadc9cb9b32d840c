//! pushgate brings the Xen Project's way of developing to GitHub repositories: maintainer acks
//! per MAINTAINERS paths, a staging-to-master push gate, support status labels and a release
//! gate. `core` holds the rules; everything else adapts the world to it.

pub mod cli;
pub mod config;
pub mod core;
pub mod corpus;
pub mod dashboard;
pub mod demo;
pub mod git;
pub mod github;
pub mod handlers;
pub mod ingest;
pub mod metrics;
pub mod outage;
pub mod runner;
pub mod server;
pub mod service;
pub mod sim;
pub mod store;
pub mod worker;
