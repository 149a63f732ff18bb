use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "A#{id}", sk = "X")]
#[dynafile(sk = "Y")]
struct User {
    id: u64,
}

fn main() {}
