use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "USER#{id}", table = "users")]
struct User {
    #[dynafile(partition)]
    id: u64,
}

fn main() {}
