//! The Xen rules as plain functions over plain data: no I/O, no async, no clock, no GitHub
//! types. Everything else in pushgate is an adapter around this module.

pub mod advisory;
pub mod command;
pub mod embargo;
pub mod gate;
pub mod glob;
pub mod governance;
pub mod labels;
pub mod maintainers;
pub mod merge;
pub mod people;
pub mod policy;
pub mod pull;
pub mod release;
pub mod report;
pub mod say;
pub mod support;
pub mod text;
pub mod trailers;
