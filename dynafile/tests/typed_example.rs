//! Runs `examples/typed.rs`, so that `cargo test` checks the example the README shows.

#[path = "../examples/typed.rs"]
#[allow(dead_code)] // its `main` is for `cargo run`
mod example;

#[test]
fn the_typed_example_runs() -> dynafile::Result<()> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    example::run(&dir.path().join("shop"))
}
