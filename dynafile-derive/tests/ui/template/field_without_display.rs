use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "USER#{tags}")]
struct User {
    tags: Vec<String>,
}

fn main() {}
