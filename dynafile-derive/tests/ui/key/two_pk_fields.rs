use dynafile::DynaItem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, DynaItem)]
struct Order {
    #[dynafile(pk)]
    customer: String,
    #[dynafile(pk)]
    order_id: String,
}

fn main() {}
