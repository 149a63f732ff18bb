use dynafile::DynaItem;

#[derive(DynaItem)]
#[dynafile(pk = "BITS")]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
