//! JSON conversions on arbitrary text: plain JSON and DynamoDB JSON never panic. An item read
//! from DynamoDB JSON writes back as DynamoDB JSON that reads as the same item, and that text
//! is a fixed point; every item read (either way) survives the storage encoding.
#![no_main]

use dynafile::__fuzz::{decode_item, encode_item};
use dynafile::Item;
use libfuzzer_sys::fuzz_target;

fn check_storage(item: &Item) {
    assert_eq!(decode_item(&encode_item(item)).as_ref(), Some(item));
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(item) = Item::from_json(&json) {
        check_storage(&item);
        // Plain JSON loses types (binary, sets, numbers beyond f64), but writing it again
        // must still be JSON that converts.
        assert!(Item::from_json(&item.to_json()).is_ok(), "{json}");
    }
    if let Ok(item) = Item::from_dynamodb_json(&json) {
        check_storage(&item);
        let written = item.to_dynamodb_json();
        let again = Item::from_dynamodb_json(&written);
        assert_eq!(again.as_ref().ok(), Some(&item), "{written}");
        if let Ok(again) = again {
            assert_eq!(again.to_dynamodb_json(), written);
        }
    }
});
