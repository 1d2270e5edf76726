use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::Program;
use gan_gpu::ops::counter::RngSource;
use gan_gpu::ops::counter::StepCounter;
use gan_gpu::ops::dropout::{backward, forward};
use wasm_bindgen_test::wasm_bindgen_test;

async fn run_forward(
    x: &[f32],
    rate: f32,
    seed: u32,
    salt: u32,
    counter: u32,
) -> (Vec<f32>, Vec<f32>) {
    let gpu = gpu().await;
    let xt = gpu.upload("x", &[x.len()], x).unwrap();
    let mask = gpu.zeros("mask", &[x.len()]).unwrap();
    let y = gpu.zeros("y", &[x.len()]).unwrap();
    let ctr = StepCounter {
        step: counter,
        batch_start: 0,
    }
    .upload(gpu, "counter")
    .unwrap();
    let mut prog = Program::new();
    forward(
        gpu,
        &mut prog,
        rate,
        RngSource {
            seed,
            salt,
            counter: &ctr,
        },
        &xt,
        &mask,
        &y,
    )
    .unwrap();
    gpu.run(&prog).unwrap();
    (
        gpu.download(&y).await.unwrap(),
        gpu.download(&mask).await.unwrap(),
    )
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn mask_is_bit_identical_to_the_reference() {
    for len in [1, 7, 100, 70_001] {
        let x = random(len, len as u64);
        let (y, mask) = run_forward(&x, 0.3, 1234, 7, 42).await;
        let (y_ref, mask_ref) = cpu::dropout::forward(&to64(&x), 0.3, 1234, 7, 42);
        // The keep decision is an integer comparison: the mask must match
        // exactly, and y = x · mask is one f32 multiplication.
        let mask_ref32: Vec<f32> = mask_ref.iter().map(|&m| m as f32).collect();
        assert_eq!(mask, mask_ref32, "dropout mask, len {len}");
        assert_close("dropout y", &y, &y_ref, 1e-6);
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn keeps_the_expected_fraction_and_scales_inversely() {
    let n = 100_000;
    let (_, mask) = run_forward(&vec![1.0; n], 0.3, 9, 1, 0).await;
    let kept = mask.iter().filter(|&&m| m > 0.0).count() as f64 / n as f64;
    // Binomial std at n = 1e5 is 0.0015; 0.01 is over 6 sigma.
    assert!((kept - 0.7).abs() < 0.01, "kept fraction {kept}");
    assert!(mask
        .iter()
        .all(|&m| m == 0.0 || (m - 1.0 / 0.7).abs() < 1e-6));
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn seeded_reproducible_and_new_per_step() {
    let x = random(1000, 3);
    assert_eq!(
        run_forward(&x, 0.5, 5, 1, 3).await,
        run_forward(&x, 0.5, 5, 1, 3).await
    );
    assert_ne!(
        run_forward(&x, 0.5, 5, 1, 3).await.1,
        run_forward(&x, 0.5, 5, 1, 4).await.1
    );
    assert_ne!(
        run_forward(&x, 0.5, 5, 1, 3).await.1,
        run_forward(&x, 0.5, 5, 2, 3).await.1
    );
    assert_ne!(
        run_forward(&x, 0.5, 5, 1, 3).await.1,
        run_forward(&x, 0.5, 6, 1, 3).await.1
    );
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn rate_zero_is_identity() {
    let x = random(500, 4);
    let (y, _) = run_forward(&x, 0.0, 1, 1, 1).await;
    assert_eq!(y, x);
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn backward_reuses_the_mask() {
    let len = 1000;
    let mask: Vec<f32> = random(len, 1)
        .iter()
        .map(|&v| if v > 0.0 { 2.0 } else { 0.0 })
        .collect();
    check_op(
        "dropout backward",
        &[(vec![len], mask), (vec![len], random(len, 2))],
        &[vec![len]],
        1e-7,
        |gpu, prog, i, o| backward(gpu, prog, &i[0], &i[1], &o[0]),
        |i| vec![cpu::dropout::backward(&i[0], &i[1])],
    )
    .await;
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn bad_rate_is_an_error() {
    let gpu = gpu().await;
    let t = gpu.zeros("t", &[4]).unwrap();
    let ctr = StepCounter {
        step: 0u32,
        batch_start: 0,
    }
    .upload(gpu, "counter")
    .unwrap();
    let err = forward(
        gpu,
        &mut Program::new(),
        1.0,
        RngSource {
            seed: 0,
            salt: 0,
            counter: &ctr,
        },
        &t,
        &t,
        &t,
    )
    .unwrap_err();
    assert!(err.to_string().contains("rate 1"), "{err}");
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn cpu_backward_matches_finite_differences() {
    let x = to64(&random(50, 8));
    let r = to64(&random(50, 9));
    let (_, mask) = cpu::dropout::forward(&x, 0.3, 3, 4, 5);
    let analytic = cpu::dropout::backward(&mask, &r);
    check_gradient(
        "dropout",
        &x,
        |x| dot(&cpu::dropout::forward(x, 0.3, 3, 4, 5).0, &r),
        &analytic,
        1e-6,
    );
}

/// The keep rule both sides follow, worked by hand: rate · 2³² truncated,
/// with the rate as the f32 the model stores (0.3f32 is
/// 0.300000011920928955078125, and that · 4294967296 is exactly
/// 1288490240), and the inverted-dropout scale.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn keep_rule_is_pinned() {
    use gan_gpu::spec::dropout::{scale, threshold};
    assert_eq!(threshold(0.0), 0);
    assert_eq!(threshold(0.3), 1_288_490_240);
    assert_eq!(threshold(0.5), 2_147_483_648);
    assert!((scale(0.3) as f64 - 1.0 / 0.7).abs() < 1e-6);
    assert_eq!(scale(0.5), 2.0);
}

/// The discriminator's fused LeakyReLU → dropout, both ways, against the
/// unfused CPU reference (LeakyReLU, then dropout; dropout's gradient, then
/// LeakyReLU's) and bit for bit against the two GPU kernels in turn, on
/// inputs that include exact zeros (LeakyReLU's kink) and negative zeros.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn leaky_relu_dropout_matches_the_two_kernels() {
    use gan_gpu::ops::activations::{self, Activation};
    use gan_gpu::ops::dropout::{leaky_relu_dropout_backward, leaky_relu_dropout_forward};
    let gpu = gpu().await;
    let (alpha, rate, len) = (0.2f32, 0.3f32, 10_007);
    let mut x = random(len, 11);
    for i in (0..len).step_by(97) {
        x[i] = if i % 2 == 0 { 0.0 } else { -0.0 };
    }
    let dy = random(len, 12);
    let ctr = step_counter(gpu, 17);
    let rng = RngSource {
        seed: 99,
        salt: 3,
        counter: &ctr,
    };
    let up = |label, v: &[f32]| gpu.upload(label, &[len], v).unwrap();
    let zero = |label| gpu.zeros(label, &[len]).unwrap();
    let (xt, dyt) = (up("x", &x), up("dy", &dy));
    let (factor, y, dx) = (zero("factor"), zero("y"), zero("dx"));
    let (l, mask, y2, dl, dx2) = (zero("l"), zero("mask"), zero("y2"), zero("dl"), zero("dx2"));
    let leaky = Activation::LeakyRelu(alpha);
    let mut prog = Program::new();
    leaky_relu_dropout_forward(gpu, &mut prog, alpha, rate, rng, &xt, &factor, &y).unwrap();
    leaky_relu_dropout_backward(gpu, &mut prog, alpha, &factor, &dyt, &dx).unwrap();
    activations::forward(gpu, &mut prog, leaky, &xt, &l).unwrap();
    forward(gpu, &mut prog, rate, rng, &l, &mask, &y2).unwrap();
    backward(gpu, &mut prog, &mask, &dyt, &dl).unwrap();
    activations::backward(gpu, &mut prog, leaky, &xt, &dl, &dx2).unwrap();
    gpu.run(&prog).unwrap();
    let mut got = Vec::new();
    for t in [&y, &y2, &dx, &dx2, &factor, &mask] {
        got.push(gpu.download::<f32>(t).await.unwrap());
    }
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got[0]), bits(&got[1]), "forward");
    assert_eq!(bits(&got[2]), bits(&got[3]), "backward");
    let (f, m) = (&got[4], &got[5]);
    assert!(
        f.iter().zip(m).all(|(f, m)| f.abs() == *m),
        "|factor| is the mask"
    );
    assert!(
        f.iter()
            .zip(&x)
            .all(|(f, x)| *f == 0.0 || (*f > 0.0) == (*x > 0.0)),
        "the factor is signed as x"
    );
    let (y_ref, mask_ref) = cpu::dropout::forward(
        &cpu::activations::forward(leaky, &to64(&x)),
        rate,
        99,
        3,
        17,
    );
    let dx_ref = cpu::activations::backward(
        leaky,
        &to64(&x),
        &cpu::dropout::backward(&mask_ref, &to64(&dy)),
    );
    assert_close("fused forward", &got[0], &y_ref, 1e-6);
    assert_close("fused backward", &got[2], &dx_ref, 1e-6);
}

/// The discriminator's dense input gradient (d_logits · kernelᵀ, a K = 1
/// product) goes through the top block's LeakyReLU → dropout in the same
/// pass: the same values as the matmul then `leaky_relu_dropout_backward`
/// (a zero may differ in sign: the matmul adds its product onto +0), and
/// the unfused CPU reference, with exact zeros among the inputs.
/// 300 columns run the vec4 kernel, 301 the scalar one.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn dense_input_gradient_passes_through_leaky_relu_dropout() {
    for cols in [300, 301] {
        dense_input_gradient_case(cols).await;
    }
}

async fn dense_input_gradient_case(cols: usize) {
    use gan_gpu::ops::dropout::{
        dense_leaky_relu_dropout_backward, leaky_relu_dropout_backward, leaky_relu_dropout_forward,
        LeakyReluDropout,
    };
    use gan_gpu::ops::matmul::{matmul, Operand};
    let gpu = gpu().await;
    let (alpha, rate, rows) = (0.2f32, 0.3f32, 37);
    let len = rows * cols;
    let pre = random(len, 21);
    let mut d_out = random(rows, 22);
    d_out[3] = 0.0;
    d_out[4] = -0.0;
    let mut kernel = random(cols, 23);
    kernel[5] = -0.0;
    let ctr = step_counter(gpu, 4);
    let rng = RngSource {
        seed: 8,
        salt: 2,
        counter: &ctr,
    };
    let pre_t = gpu.upload("pre", &[rows, cols], &pre).unwrap();
    let d_out_t = gpu.upload("d_out", &[rows, 1], &d_out).unwrap();
    let kernel_t = gpu.upload("kernel", &[cols, 1], &kernel).unwrap();
    let zero = |label| gpu.zeros(label, &[rows, cols]).unwrap();
    let (factor, y, dx, d_drop, dx2) = (zero("f"), zero("y"), zero("dx"), zero("dd"), zero("dx2"));
    let through = LeakyReluDropout {
        factor: &factor,
        alpha,
    };
    let mut prog = Program::new();
    leaky_relu_dropout_forward(gpu, &mut prog, alpha, rate, rng, &pre_t, &factor, &y).unwrap();
    dense_leaky_relu_dropout_backward(gpu, &mut prog, through, &d_out_t, &kernel_t, &dx).unwrap();
    let (a, b) = (Operand::plain(&d_out_t), Operand::transposed(&kernel_t));
    matmul(gpu, &mut prog, a, b, None, &d_drop).unwrap();
    leaky_relu_dropout_backward(gpu, &mut prog, alpha, &factor, &d_drop, &dx2).unwrap();
    gpu.run(&prog).unwrap();
    let mut got = Vec::new();
    for t in [&dx, &dx2, &factor] {
        got.push(gpu.download::<f32>(t).await.unwrap());
    }
    let differ = got[0].iter().zip(&got[1]).filter(|(a, b)| a != b).count();
    assert_eq!(
        differ, 0,
        "elements that differ from the two kernels' result"
    );
    let d_in = cpu::matmul::matmul(&to64(&d_out), &to64(&kernel), rows, 1, cols);
    let mask: Vec<f64> = got[2].iter().map(|f| f.abs() as f64).collect();
    let leaky = gan_gpu::ops::activations::Activation::LeakyRelu(alpha);
    let want =
        cpu::activations::backward(leaky, &to64(&pre), &cpu::dropout::backward(&mask, &d_in));
    assert_close(
        "dense input gradient through LeakyReLU → dropout",
        &got[0],
        &want,
        1e-6,
    );
    let wrong = gpu.zeros("wrong", &[rows, cols + 1]).unwrap();
    let err = dense_leaky_relu_dropout_backward(
        gpu,
        &mut Program::new(),
        through,
        &d_out_t,
        &kernel_t,
        &wrong,
    )
    .unwrap_err();
    assert!(err.to_string().contains("dx"), "{err}");
}
