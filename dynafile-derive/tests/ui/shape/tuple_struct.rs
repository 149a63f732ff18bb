use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
#[dynafile(pk = "USER#{0}")]
struct User(u64, String);

fn main() {}
