use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(sk = "PROFILE")]
struct User {
    id: u64,
}

fn main() {}
