use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "STATUS")]
enum Status {
    Active,
    Closed,
}

fn main() {}
