use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "USER#{idd}", sk = "PROFILE#{nmae}")]
struct User {
    id: u64,
    name: String,
}

fn main() {}
