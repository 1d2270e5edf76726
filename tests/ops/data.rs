use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::Program;
use gan_gpu::ops::counter::StepCounter;
use gan_gpu::ops::data::{gather_images, gather_images_shifted, gather_labels, pack_bytes, Shift};
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

/// Gathers `count` shifted images of `hw` from `bytes` in `order` from
/// `start`, at step `step`, after `offset` untouched elements.
async fn shifted(
    bytes: &[u8],
    order: &[u32],
    (start, count, step): (u32, usize, u32),
    hw: (usize, usize),
    shift: Shift,
    offset: usize,
) -> Vec<f32> {
    let gpu = gpu().await;
    let dataset = gpu
        .upload("dataset", &[bytes.len().div_ceil(4)], &pack_bytes(bytes))
        .unwrap();
    let order_t = gpu.upload("order", &[order.len()], order).unwrap();
    let counter = StepCounter {
        step,
        batch_start: start,
    }
    .upload(gpu, "counter")
    .unwrap();
    let pixels = hw.0 * hw.1;
    let out = gpu
        .upload(
            "out",
            &[offset + count * pixels],
            &vec![7.0f32; offset + count * pixels],
        )
        .unwrap();
    let mut prog = Program::new();
    gather_images_shifted(
        gpu, &mut prog, &dataset, &order_t, &counter, hw, count, &out, offset, shift,
    )
    .unwrap();
    gpu.run(&prog).unwrap();
    let got: Vec<f32> = gpu.download(&out).await.unwrap();
    assert!(
        got[..offset].iter().all(|&v| v == 7.0),
        "wrote before the offset"
    );
    got[offset..].to_vec()
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn shifted_gather_matches_reference() {
    let hw = (6, 5);
    let (images, batch) = (20, 12);
    let bytes: Vec<u8> = (0..images * 30).map(|i| (i * 89 % 251 + 1) as u8).collect();
    let order: Vec<u32> = (0..images as u32)
        .map(|i| (i * 7 + 3) % images as u32)
        .collect();
    let shift = Shift {
        max: 2,
        seed: 0x1234_5678,
        salt: 77,
    };
    let got = shifted(&bytes, &order, (5, batch, 11), hw, shift, 3).await;
    let key = cpu::rng::key(shift.seed, shift.salt, 11);
    let want = cpu::data::gather_images_shifted(&bytes, &order, 5, batch, hw, 2, key);
    // byte / 127.5 - 1, as in gather_matches_reference.
    assert_close("shifted batch", &got, &want, 4e-7);
    // Every byte is nonzero, so a black (-1) pixel is one moved in from
    // past the edge: the images moved (each stays put with chance 1/25).
    let moved = got.chunks(30).filter(|image| image.contains(&-1.0)).count();
    assert!(moved >= batch / 2, "{moved} of {batch} images moved");
    // Another step draws other shifts.
    let other = shifted(&bytes, &order, (5, batch, 12), hw, shift, 0).await;
    assert_ne!(got, other, "steps 11 and 12 drew the same shifts");
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_shifted_pixel_stays_within_the_largest_shift() {
    // One lit pixel at (3, 4) of a 7×9 image, gathered 16 times (the
    // order repeats it), so each copy has its own shift.
    let hw = (7, 9);
    let mut bytes = vec![0u8; 63];
    bytes[3 * 9 + 4] = 255;
    let order = vec![0u32; 16];
    let shift = Shift {
        max: 2,
        seed: 5,
        salt: 9,
    };
    let got = shifted(&bytes, &order, (0, 16, 3), hw, shift, 0).await;
    let mut seen = std::collections::BTreeSet::new();
    for image in got.chunks(63) {
        let lit: Vec<usize> = (0..63).filter(|&i| image[i] == 1.0).collect();
        assert_eq!(lit.len(), 1, "one lit pixel, not {lit:?}");
        let (y, x) = (lit[0] / 9, lit[0] % 9);
        assert!(
            y.abs_diff(3) <= 2 && x.abs_diff(4) <= 2,
            "moved to ({y}, {x})"
        );
        seen.insert((y, x));
    }
    assert!(seen.len() > 4, "16 draws hit only {seen:?}");
    // With no shift, the plain gather's batch.
    let still = shifted(&bytes, &order, (0, 16, 3), hw, Shift { max: 0, ..shift }, 0).await;
    assert_close(
        "unshifted",
        &still,
        &cpu::data::gather_images(&bytes, &order, 0, 16, 63),
        0.0,
    );
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_shift_as_large_as_the_image_is_an_error() {
    let gpu = gpu().await;
    let t = gpu.zeros("t", &[64]).unwrap();
    let counter = StepCounter::default().upload(gpu, "counter").unwrap();
    let shift = Shift {
        max: 4,
        seed: 0,
        salt: 0,
    };
    let err = gather_images_shifted(
        gpu,
        &mut Program::new(),
        &t,
        &t,
        &counter,
        (4, 8),
        1,
        &t,
        0,
        shift,
    )
    .unwrap_err();
    assert!(err.to_string().contains("out of its frame"), "{err}");
}
