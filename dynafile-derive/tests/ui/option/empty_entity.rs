use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "U#{id}", entity = "", entity_attribute = "")]
struct User {
    id: u64,
}

fn main() {}
