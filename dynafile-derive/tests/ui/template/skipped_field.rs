use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "USER#{id}")]
struct User {
    id: u64,
    #[serde(skip)]
    cache: u8,
}

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "ITEM#{cache}")]
struct Item {
    #[serde(skip_serializing)]
    cache: u8,
}

fn main() {}
