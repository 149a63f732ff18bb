//! Tests of the PartiQL parser.

use super::parse;

#[test]
fn scratch() {
    for text in [
        "SELECT * FROM t WHERE a.b[0] = ? AND x IS NOT MISSING AND y IN [1, 2] AND z = <<1, 2>>",
        "UPDATE t SET a = a + 1, b = list_append(b, [1]) REMOVE c SET d = {'x': ?} WHERE pk = ? RETURNING ALL NEW *",
    ] {
        println!("{text}\n  => {:?}", parse(text).map(|s| s.to_string()));
    }
}
