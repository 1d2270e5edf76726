use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::Program;
use gan_gpu::ops::counter::StepCounter;
use gan_gpu::ops::optim::step;
use gan_gpu::spec::optim::Optimizer;
use wasm_bindgen_test::wasm_bindgen_test;

async fn run_steps(opt: Optimizer, len: usize, steps: u32) {
    let gpu = gpu().await;
    let p0 = random(len, 1);
    let grads: Vec<Vec<f32>> = (0..steps).map(|s| random(len, 10 + s as u64)).collect();
    let param = gpu.upload("param", &[len], &p0).unwrap();
    let grad = gpu.zeros("grad", &[len]).unwrap();
    let state: Vec<_> = (0..opt.state_count())
        .map(|_| gpu.zeros("state", &[len]).unwrap())
        .collect();
    let counter = StepCounter::default().upload(gpu, "counter").unwrap();
    let mut prog = Program::new();
    step(gpu, &mut prog, &opt, &param, &grad, &state, &counter).unwrap();
    let mut p_ref = to64(&p0);
    let mut s_ref = vec![vec![0.0; len]; opt.state_count()];
    for (s, g) in grads.iter().enumerate() {
        gpu.write(&grad, g).unwrap();
        StepCounter {
            step: s as u32,
            batch_start: 0,
        }
        .write(gpu, &counter)
        .unwrap();
        gpu.run(&prog).unwrap();
        cpu::optim::step(&opt, &mut p_ref, &to64(g), &mut s_ref, s as u32 + 1);
    }
    // Adam's update is lr · m/√v: a ratio of f32 running sums, good to
    // ~1e-6 relative; the parameter moves by ~lr per step from O(1) values.
    assert_close(
        &format!("{opt:?} param"),
        &gpu.download::<f32>(&param).await.unwrap(),
        &p_ref,
        1e-5,
    );
    for (k, (t, r)) in state.iter().zip(&s_ref).enumerate() {
        assert_close(
            &format!("{opt:?} state {k}"),
            &gpu.download::<f32>(t).await.unwrap(),
            r,
            1e-5,
        );
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn adam_and_rmsprop_match_reference_over_steps() {
    for len in [1, 7, 1000, 70_001] {
        run_steps(Optimizer::adam(2e-4), len, 3).await;
        run_steps(Optimizer::rmsprop(1e-3), len, 3).await;
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn first_adam_step_is_lr_times_sign() {
    // With zero moments, step 1 gives m/√v = g/|g| after bias correction:
    // every parameter moves by lr against its gradient's sign (up to ε).
    let opt = Optimizer::adam(0.01);
    let mut p = vec![0.0, 0.0, 0.0];
    let mut s = vec![vec![0.0; 3]; 2];
    cpu::optim::step(&opt, &mut p, &[0.5, -2.0, 0.1], &mut s, 1);
    for (v, want) in p.iter().zip([-0.01, 0.01, -0.01]) {
        assert!((v - want).abs() < 1e-6, "{p:?}");
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn mismatched_state_is_an_error() {
    let gpu = gpu().await;
    let a = gpu.zeros("a", &[4]).unwrap();
    let b = gpu.zeros("b", &[5]).unwrap();
    let c = gpu.zeros("c", &[1]).unwrap();
    let err = step(
        gpu,
        &mut Program::new(),
        &Optimizer::adam(1e-3),
        &a,
        &b,
        &[a.clone(), a.clone()],
        &c,
    )
    .unwrap_err();
    assert!(err.to_string().contains("grad has 5 elements"), "{err}");
    let err = step(
        gpu,
        &mut Program::new(),
        &Optimizer::adam(1e-3),
        &a,
        &a,
        std::slice::from_ref(&a),
        &c,
    )
    .unwrap_err();
    assert!(err.to_string().contains("needs 2 state tensors"), "{err}");
}
