//! Compile errors of `#[derive(DynaItem)]`: each case under `tests/ui/<family>/` is a struct
//! the derive refuses, with the error it must give in the `.stderr` beside it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*/*.rs");
}
