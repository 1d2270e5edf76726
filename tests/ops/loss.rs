use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::cpu::loss::BinaryLoss;
use gan_gpu::gpu::Program;
use gan_gpu::ops::loss::{binary_loss, softmax_cross_entropy, BinaryKind, SLOT};
use wasm_bindgen_test::wasm_bindgen_test;

/// A binary loss's CPU reference.
type Reference = fn(&[f64], &[f64]) -> BinaryLoss;

/// Each binary loss and its CPU reference.
const BINARY: [(BinaryKind, Reference); 3] = [
    (BinaryKind::Bce, cpu::loss::bce_with_logits),
    (
        BinaryKind::HingeDiscriminator,
        cpu::loss::hinge_discriminator,
    ),
    (BinaryKind::HingeGenerator, cpu::loss::hinge_generator),
];

async fn run(kind: BinaryKind, z: &[f32], y: &[f32], calls: usize) -> (Vec<f32>, Vec<f32>) {
    let gpu = gpu().await;
    let n = z.len();
    let zt = gpu.upload("z", &[n], z).unwrap();
    let yt = gpu.upload("y", &[n], y).unwrap();
    let g = gpu.zeros("grad", &[n]).unwrap();
    let metrics = gpu.zeros("metrics", &[2 * SLOT]).unwrap();
    let mut prog = Program::new();
    for _ in 0..calls {
        binary_loss(gpu, &mut prog, kind, &zt, &yt, &g, &metrics, 1).unwrap();
    }
    gpu.run(&prog).unwrap();
    (
        gpu.download(&g).await.unwrap(),
        gpu.download(&metrics).await.unwrap(),
    )
}

/// Every binary loss against its definition; logits in ±6 put the hinge
/// samples on both sides of their margin.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn parity_with_the_definition() {
    for (kind, reference) in BINARY {
        let name = format!("{kind:?}");
        for n in [1, 7, 64, 300, 1000] {
            let z: Vec<f32> = random(n, n as u64).iter().map(|v| v * 6.0).collect();
            // Half fake (0), half real (1), as the discriminator's batch.
            let y: Vec<f32> = (0..n).map(|i| if i < n / 2 { 0.0 } else { 1.0 }).collect();
            let (grad, metrics) = run(kind, &z, &y, 2).await;
            let r = reference(&to64(&z), &to64(&y));
            assert_close(&format!("{name} grad"), &grad, &r.grad, 1e-5);
            let m = &metrics[SLOT..2 * SLOT];
            // Two calls accumulate twice the statistics into slot 1; slot 0 is untouched.
            assert!(metrics[..SLOT].iter().all(|&v| v == 0.0));
            let want = [
                2.0 * r.loss,
                2.0 * r.accuracy,
                2.0 * r.mean_prob_pos,
                2.0 * r.mean_prob_neg,
                2.0,
            ];
            assert_close(&format!("{name} metrics n={n}"), &m[..5], &want, 1e-5);
        }
    }
}

/// The hinge loss by hand: inside the margin it is linear, outside zero.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn hinge_has_its_margin() {
    let z = [-2.0f32, 0.5, 2.0, 0.5];
    let y = [0.0f32, 0.0, 1.0, 1.0];
    let (grad, metrics) = run(BinaryKind::HingeDiscriminator, &z, &y, 1).await;
    // Fake at -2 and real at 2 are past the margin; fake at 0.5 costs 1.5,
    // real at 0.5 costs 0.5: mean 0.5.
    assert!((metrics[SLOT] - 0.5).abs() < 1e-6, "loss {}", metrics[SLOT]);
    assert_close("grad", &grad, &[0.0, 0.25, 0.0, -0.25], 1e-7);
    let (grad, metrics) = run(BinaryKind::HingeGenerator, &z, &[1.0; 4], 1).await;
    assert!(
        (metrics[SLOT] + 0.25).abs() < 1e-6,
        "loss {}",
        metrics[SLOT]
    );
    assert_close("grad", &grad, &[-0.25; 4], 1e-7);
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn huge_logits_are_stable() {
    let z = [100.0f32, -100.0, 100.0, -100.0];
    let y = [0.0f32, 1.0, 1.0, 0.0];
    let (grad, metrics) = run(BinaryKind::Bce, &z, &y, 1).await;
    // Two samples are wrong by a logit of 100: loss = (100 + 100 + 0 + 0) / 4.
    assert!(
        (metrics[SLOT] - 50.0).abs() < 1e-4,
        "loss {}",
        metrics[SLOT]
    );
    assert!((metrics[SLOT + 1] - 0.5).abs() < 1e-6);
    assert_close("grad", &grad, &[0.25, -0.25, 0.0, 0.0], 1e-6);
}

/// Each binary loss's CPU gradient, at logits kept 0.05 away from the
/// hinge's kinks at ±1.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn cpu_gradients_match_finite_differences() {
    let z = to64(&random(10, 1))
        .iter()
        .map(|v| v * 3.0)
        .map(|v: f64| {
            if (v.abs() - 1.0).abs() < 0.05 {
                v * 1.1
            } else {
                v
            }
        })
        .collect::<Vec<_>>();
    let y: Vec<f64> = (0..10).map(|i| (i % 2) as f64).collect();
    for (kind, reference) in BINARY {
        check_gradient(
            &format!("{kind:?}"),
            &z,
            |z| reference(z, &y).loss,
            &reference(&z, &y).grad,
            1e-6,
        );
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn missing_slot_is_an_error() {
    let gpu = gpu().await;
    let t = gpu.zeros("t", &[4]).unwrap();
    let metrics = gpu.zeros("metrics", &[SLOT]).unwrap();
    let err = binary_loss(
        gpu,
        &mut Program::new(),
        BinaryKind::Bce,
        &t,
        &t,
        &t,
        &metrics,
        1,
    )
    .unwrap_err();
    assert!(err.to_string().contains("slot 1"), "{err}");
}

async fn run_softmax(z: &[f32], classes: usize, labels: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let gpu = gpu().await;
    let n = labels.len();
    let zt = gpu.upload("z", &[n, classes], z).unwrap();
    let y: Vec<f32> = labels.iter().map(|&l| l as f32).collect();
    let yt = gpu.upload("labels", &[n], &y).unwrap();
    let g = gpu.zeros("grad", &[n, classes]).unwrap();
    let metrics = gpu.zeros("metrics", &[SLOT]).unwrap();
    let mut prog = Program::new();
    softmax_cross_entropy(gpu, &mut prog, &zt, &yt, &g, &metrics, 0).unwrap();
    gpu.run(&prog).unwrap();
    (
        gpu.download(&g).await.unwrap(),
        gpu.download(&metrics).await.unwrap(),
    )
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn softmax_parity_with_the_definition() {
    for (n, classes) in [(1, 2), (7, 10), (300, 10), (1000, 3)] {
        let z: Vec<f32> = random(n * classes, n as u64)
            .iter()
            .map(|v| v * 8.0)
            .collect();
        let labels: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % classes).collect();
        let (grad, metrics) = run_softmax(&z, classes, &labels).await;
        let r = cpu::loss::softmax_cross_entropy(&to64(&z), classes, &labels);
        assert_close(&format!("softmax grad n={n}"), &grad, &r.grad, 1e-5);
        let m = &metrics[..SLOT];
        assert_close(
            &format!("softmax metrics n={n}"),
            &[m[0], m[1], m[4]],
            &[r.loss, r.accuracy, 1.0],
            1e-5,
        );
        // The sigmoid means belong to the binary loss and stay untouched.
        assert_eq!((m[2], m[3]), (0.0, 0.0));
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn softmax_huge_logits_are_stable() {
    // Row 0 is right by a margin of 200, row 1 wrong by 200: the shifted
    // form never takes exp of a large number.
    let z = [100.0f32, -100.0, 0.0, -100.0, 100.0, 0.0];
    let (grad, metrics) = run_softmax(&z, 3, &[0, 0]).await;
    assert!((metrics[0] - 100.0).abs() < 1e-3, "loss {}", metrics[0]);
    assert_eq!(metrics[1], 0.5);
    assert_close("grad", &grad, &[0.0, 0.0, 0.0, -0.5, 0.5, 0.0], 1e-6);
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn softmax_cpu_gradient_matches_finite_differences() {
    let classes = 4;
    let z: Vec<f64> = to64(&random(6 * classes, 5))
        .iter()
        .map(|v| v * 3.0)
        .collect();
    let labels = [0, 3, 1, 2, 2, 0];
    let r = cpu::loss::softmax_cross_entropy(&z, classes, &labels);
    check_gradient(
        "softmax cross-entropy",
        &z,
        |z| cpu::loss::softmax_cross_entropy(z, classes, &labels).loss,
        &r.grad,
        1e-6,
    );
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn softmax_mismatched_shapes_are_an_error() {
    let gpu = gpu().await;
    let z = gpu.zeros("z", &[4, 10]).unwrap();
    let labels = gpu.zeros("labels", &[3]).unwrap();
    let metrics = gpu.zeros("metrics", &[SLOT]).unwrap();
    let err =
        softmax_cross_entropy(gpu, &mut Program::new(), &z, &labels, &z, &metrics, 0).unwrap_err();
    assert!(err.to_string().contains("do not match"), "{err}");
}
