use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::ops::activations::{backward, forward, Activation};
use wasm_bindgen_test::wasm_bindgen_test;

const ALL: [Activation; 3] = [
    Activation::LeakyRelu(0.2),
    Activation::Selu,
    Activation::Tanh,
];

/// exp and the division in SELU/tanh differ from f64 by a few ulps of
/// f32; 1e-5 relative is ~100 ulps.
const TOL: f64 = 1e-5;

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn forward_and_backward_parity() {
    for act in ALL {
        for len in [1, 7, 1000, 70_001] {
            // Inputs in [-4, 4) reach the saturated tail of tanh.
            let x: Vec<f32> = random(len, len as u64).iter().map(|v| v * 4.0).collect();
            let dy = random(len, 99);
            check_op(
                &format!("{act:?} forward, {len}"),
                &[(vec![len], x.clone())],
                &[vec![len]],
                TOL,
                |gpu, prog, i, o| forward(gpu, prog, act, &i[0], &o[0]),
                |i| vec![cpu::activations::forward(act, &i[0])],
            )
            .await;
            check_op(
                &format!("{act:?} backward, {len}"),
                &[(vec![len], x), (vec![len], dy)],
                &[vec![len]],
                TOL,
                |gpu, prog, i, o| backward(gpu, prog, act, &i[0], &i[1], &o[0]),
                |i| vec![cpu::activations::backward(act, &i[0], &i[1])],
            )
            .await;
        }
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn extreme_inputs_stay_finite() {
    let x = vec![-1e4f32, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4];
    for act in ALL {
        check_op(
            &format!("{act:?} on extreme inputs"),
            &[(vec![x.len()], x.clone())],
            &[vec![x.len()]],
            TOL,
            |gpu, prog, i, o| forward(gpu, prog, act, &i[0], &o[0]),
            |i| vec![cpu::activations::forward(act, &i[0])],
        )
        .await;
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn backward_matches_finite_differences() {
    // Points away from the kink at 0 of ReLU and LeakyReLU.
    let x: Vec<f64> = to64(&random(20, 5))
        .iter()
        .map(|v| v * 3.0 + if *v > 0.0 { 0.1 } else { -0.1 })
        .collect();
    let r = to64(&random(20, 6));
    for act in ALL {
        let analytic = cpu::activations::backward(act, &x, &r);
        check_gradient(
            &format!("{act:?}"),
            &x,
            |x| dot(&cpu::activations::forward(act, x), &r),
            &analytic,
            1e-6,
        );
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn length_mismatch_is_an_error() {
    let gpu = gpu().await;
    let x = gpu.zeros("x", &[10]).unwrap();
    let y = gpu.zeros("y", &[11]).unwrap();
    let err = forward(
        gpu,
        &mut gan_gpu::gpu::Program::new(),
        Activation::Tanh,
        &x,
        &y,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("Tanh forward") && err.to_string().contains("[11]"),
        "{err}"
    );
}
