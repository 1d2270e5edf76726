use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::Program;
use gan_gpu::ops::counter::StepCounter;
use gan_gpu::ops::data::{gather_images, gather_labels, pack_bytes};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn gather_matches_reference_at_an_offset() {
    let gpu = gpu().await;
    let (images, pixels, batch) = (10, 7 * 7 + 2, 3);
    let bytes: Vec<u8> = (0..images * pixels).map(|i| (i * 37 % 256) as u8).collect();
    let order: Vec<u32> = vec![4, 9, 0, 2, 7, 1, 3, 5, 6, 8];
    let dataset = gpu
        .upload("dataset", &[bytes.len().div_ceil(4)], &pack_bytes(&bytes))
        .unwrap();
    let order_t = gpu.upload("order", &[order.len()], &order).unwrap();
    let counter = StepCounter {
        step: 0,
        batch_start: 5,
    }
    .upload(gpu, "counter")
    .unwrap();
    let out = gpu.zeros("out", &[2 * batch * pixels]).unwrap();
    let mut prog = Program::new();
    gather_images(
        gpu,
        &mut prog,
        &dataset,
        &order_t,
        &counter,
        pixels,
        batch,
        &out,
        batch * pixels,
    )
    .unwrap();
    gpu.run(&prog).unwrap();
    let got: Vec<f32> = gpu.download(&out).await.unwrap();
    assert!(
        got[..batch * pixels].iter().all(|&v| v == 0.0),
        "wrote before the offset"
    );
    let want = cpu::data::gather_images(&bytes, &order, 5, batch, pixels);
    // byte / 127.5 - 1: WGSL allows division 2.5 ULP of error (SwiftShader
    // takes it; lavapipe divides exactly), so 3 ULP of the quotient (~1 in
    // 2^22) relative to the values' RMS floor.
    assert_close("gathered batch", &got[batch * pixels..], &want, 4e-7);
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn overflowing_batch_is_an_error() {
    let gpu = gpu().await;
    let t = gpu.zeros("t", &[10]).unwrap();
    let counter = StepCounter::default().upload(gpu, "counter").unwrap();
    let err = gather_images(gpu, &mut Program::new(), &t, &t, &counter, 4, 3, &t, 0).unwrap_err();
    assert!(err.to_string().contains("overflow"), "{err}");
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn gather_labels_matches_reference() {
    let gpu = gpu().await;
    let labels: Vec<u8> = (0..11).map(|i| (i * 7 % 10) as u8).collect();
    let order: Vec<u32> = vec![4, 9, 0, 2, 7, 1, 3, 5, 6, 8, 10];
    let packed = gpu
        .upload("labels", &[labels.len().div_ceil(4)], &pack_bytes(&labels))
        .unwrap();
    let order_t = gpu.upload("order", &[order.len()], &order).unwrap();
    let counter = StepCounter {
        step: 0,
        batch_start: 6,
    }
    .upload(gpu, "counter")
    .unwrap();
    let out = gpu.upload("out", &[6], &[-1.0f32; 6]).unwrap();
    let mut prog = Program::new();
    // At offset 1, as the conditional discriminator's batch takes its
    // second half's labels.
    gather_labels(gpu, &mut prog, &packed, &order_t, &counter, 5, &out, 1).unwrap();
    gpu.run(&prog).unwrap();
    let got: Vec<f32> = gpu.download(&out).await.unwrap();
    let want = cpu::data::gather_labels(&labels, &order, 6, 5);
    assert_close("gathered labels", &got[1..], &want, 0.0);
    assert_eq!(got[0], -1.0, "wrote before the offset");
}
