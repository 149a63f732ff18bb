use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk)]
struct User {
    #[dynafile(sk = "X")]
    id: u64,
}

fn main() {}
