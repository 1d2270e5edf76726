//! Any bytes through the IDX reader: an error or images, never a panic
//! and never more memory than the header promises.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gan_gpu::data::images_from_bytes(std::path::Path::new("fuzz input"), data);
});
