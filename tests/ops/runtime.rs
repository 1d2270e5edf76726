//! The runtime's error path that a browser takes for every validation
//! error: one that no error scope caught is reported by the next readback,
//! natively as in the browser.

use gan_gpu::gpu::{AdapterChoice, Gpu};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn an_uncaught_gpu_error_fails_the_next_readback() {
    // Its own device: the error stays with the device it happened on.
    let gpu = Gpu::new(&AdapterChoice::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let t = gpu.upload("t", &[4], &[1.0f32, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!(gpu.download::<f32>(&t).await.unwrap(), [1.0, 2.0, 3.0, 4.0]);
    // MAP_READ may only pair with COPY_DST: an invalid buffer, created
    // outside any error scope.
    let _bad = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("invalid on purpose"),
        size: 16,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    let err = gpu.download::<f32>(&t).await.unwrap_err().to_string();
    assert!(
        err.contains("earlier GPU command") && err.contains("invalid on purpose"),
        "{err}"
    );
}
