use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
struct User {
    id: u64,
    name: String,
}

fn main() {}
