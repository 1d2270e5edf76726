use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::Program;
use gan_gpu::ops::counter::StepCounter;
use gan_gpu::ops::ema::{update, Decay};
use wasm_bindgen_test::wasm_bindgen_test;

/// A copy, then updates at steps 0 (d = 0.1), 3 (d = 4/13) and 5000
/// (d = decay): the warm-up and its cap are both exercised.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn ema_matches_reference_over_steps() {
    let gpu = gpu().await;
    let decay = 0.999f32;
    for len in [1, 7, 1000, 70_001] {
        let param = gpu.upload("param", &[len], &random(len, 1)).unwrap();
        let average = gpu.upload("average", &[len], &random(len, 2)).unwrap();
        let counter = StepCounter::default().upload(gpu, "counter").unwrap();
        let mut copy = Program::new();
        update(gpu, &mut copy, Decay::Copy, &param, &average, &counter).unwrap();
        gpu.run(&copy).unwrap();
        let mut want = to64(&random(len, 1));
        assert_close(
            "copy",
            &gpu.download::<f32>(&average).await.unwrap(),
            &want,
            0.0,
        );
        let mut prog = Program::new();
        update(
            gpu,
            &mut prog,
            Decay::WarmUp(decay),
            &param,
            &average,
            &counter,
        )
        .unwrap();
        for (k, step) in [0u32, 3, 5000].into_iter().enumerate() {
            let p = random(len, 10 + k as u64);
            gpu.write(&param, &p).unwrap();
            StepCounter {
                step,
                batch_start: 0,
            }
            .write(gpu, &counter)
            .unwrap();
            gpu.run(&prog).unwrap();
            let d = cpu::ema::warmed_up_decay(decay as f64, step);
            cpu::ema::update(&mut want, &to64(&p), d);
            // Two f32 products and a sum of O(1) values per update.
            assert_close(
                &format!("step {step}"),
                &gpu.download::<f32>(&average).await.unwrap(),
                &want,
                1e-6,
            );
        }
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn warm_up_follows_tensorflow() {
    assert!((cpu::ema::warmed_up_decay(0.999, 0) - 0.1).abs() < 1e-15);
    assert!((cpu::ema::warmed_up_decay(0.999, 90) - 91.0 / 100.0).abs() < 1e-15);
    assert_eq!(cpu::ema::warmed_up_decay(0.999, 100_000), 0.999);
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn bad_decay_and_shapes_are_errors() {
    let gpu = gpu().await;
    let a = gpu.zeros("a", &[4]).unwrap();
    let b = gpu.zeros("b", &[5]).unwrap();
    let c = StepCounter::default().upload(gpu, "counter").unwrap();
    let err = update(gpu, &mut Program::new(), Decay::Copy, &a, &b, &c).unwrap_err();
    assert!(err.to_string().contains("average has 5 elements"), "{err}");
    let err = update(gpu, &mut Program::new(), Decay::WarmUp(1.0), &a, &a, &c).unwrap_err();
    assert!(
        err.to_string().contains("decay 1 is not in [0, 1)"),
        "{err}"
    );
}
