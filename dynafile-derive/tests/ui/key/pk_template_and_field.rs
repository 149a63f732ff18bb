use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "USER#{id}")]
struct User {
    #[dynafile(pk)]
    id: u64,
}

fn main() {}
