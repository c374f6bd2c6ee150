//! One module per subcommand.

pub mod check;
pub mod completions;
pub mod demo;
pub mod export;
pub mod fake_server;
pub mod fetch;
pub mod impact;
pub mod relations;
pub mod serve;
pub mod topology;
