use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "USER#{id")]
struct User {
    id: u64,
}

fn main() {}
