//! End-to-end tests across the rds-dr crates live in `tests/`.
