use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
struct User {
    #[dynafile(pk)]
    #[serde(skip)]
    id: u64,
}

fn main() {}
