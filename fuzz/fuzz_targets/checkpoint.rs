//! Any bytes through the checkpoint loader: an error or a checkpoint whose
//! every tensor passed its checksum, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gan_gpu::train::checkpoint::from_bytes(std::path::Path::new("fuzz input"), data);
});
