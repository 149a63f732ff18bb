//! Runs `examples/partiql.rs`, so that `cargo test` checks the statements the README shows.

#[path = "../examples/partiql.rs"]
#[allow(dead_code)] // its `main` is for `cargo run`
mod example;

#[test]
fn the_partiql_example_runs() -> dynafile::Result<()> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    example::run(&dir.path().join("shop"))
}
