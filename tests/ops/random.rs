use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::Program;
use gan_gpu::ops::counter::RngSource;
use gan_gpu::ops::counter::StepCounter;
use gan_gpu::ops::random::{normal, uniform};
use wasm_bindgen_test::wasm_bindgen_test;

async fn draw(len: usize, normal_dist: bool, counter: u32) -> Vec<f32> {
    let gpu = gpu().await;
    let out = gpu.zeros("out", &[len]).unwrap();
    let ctr = StepCounter {
        step: counter,
        batch_start: 0,
    }
    .upload(gpu, "counter")
    .unwrap();
    let rng = RngSource {
        seed: 77,
        salt: 3,
        counter: &ctr,
    };
    let mut prog = Program::new();
    if normal_dist {
        normal(gpu, &mut prog, rng, &out, 0.5, 2.0).unwrap();
    } else {
        uniform(gpu, &mut prog, rng, &out, -0.25, 0.75).unwrap();
    }
    gpu.run(&prog).unwrap();
    gpu.download(&out).await.unwrap()
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn uniform_matches_reference_and_range() {
    for len in [1, 7, 100_000] {
        let got = draw(len, false, 5).await;
        // Same 24 random bits on both sides; only the f32 affine map differs.
        assert_close(
            "uniform",
            &got,
            &cpu::rng::fill_uniform(len, 77, 3, 5, -0.25, 0.75),
            1e-6,
        );
        assert!(got.iter().all(|&v| (-0.25..0.75).contains(&v)));
    }
    let got = draw(100_000, false, 5).await;
    let mean = got.iter().map(|&v| v as f64).sum::<f64>() / got.len() as f64;
    // U[-0.25, 0.75) has mean 0.25 and std 0.29; the mean's std is 0.0009.
    assert!((mean - 0.25).abs() < 0.006, "mean {mean}");
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn normal_matches_reference_and_moments() {
    let len = 100_000;
    let got = draw(len, true, 9).await;
    // log and sqrt in f32 against f64 (the cosine is our own polynomial,
    // within 3e-8): a few ulps, amplified where log(u1) is near 0; 1e-4
    // relative (with the RMS floor) covers it on lavapipe and SwiftShader.
    assert_close(
        "normal",
        &got,
        &cpu::rng::fill_normal(len, 77, 3, 9, 0.5, 2.0),
        1e-4,
    );
    let mean = got.iter().map(|&v| v as f64).sum::<f64>() / len as f64;
    let var = got.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / len as f64;
    assert!((mean - 0.5).abs() < 0.04, "mean {mean}");
    assert!((var.sqrt() - 2.0).abs() < 0.04, "std {}", var.sqrt());
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn counter_gives_new_numbers_seed_reproduces() {
    assert_eq!(draw(256, true, 1).await, draw(256, true, 1).await);
    assert_ne!(draw(256, true, 1).await, draw(256, true, 2).await);
}
