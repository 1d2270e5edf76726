use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::Program;
use gan_gpu::ops::reduce::{sum_columns, sum_slices};
use wasm_bindgen_test::wasm_bindgen_test;

/// Sums of up to 10⁵ terms in [-1, 1] in f32: the tree order keeps the
/// error near log₂(n) ulps of the sum of |terms|; judged against the RMS
/// floor, 1e-4 is a margin of ~10x.
const TOL: f64 = 1e-4;

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn sum_columns_parity() {
    for &(rows, cols) in &[(1, 1), (7, 33), (100, 1), (3136, 64), (1, 100), (513, 7)] {
        check_op(
            &format!("sum_columns {rows}x{cols}"),
            &[(vec![rows, cols], random(rows * cols, rows as u64))],
            &[vec![cols]],
            TOL,
            |gpu, prog, i, o| sum_columns(gpu, prog, &i[0], &o[0], 0.5),
            |i| {
                vec![cpu::reduce::sum_columns(&i[0], cols)
                    .iter()
                    .map(|v| v * 0.5)
                    .collect()]
            },
        )
        .await;
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn reductions_are_bit_identical_run_to_run() {
    let gpu = gpu().await;
    let x = gpu.upload("x", &[6272, 64], &random(6272 * 64, 8)).unwrap();
    let cols = gpu.zeros("cols", &[64]).unwrap();
    let slices = gpu.zeros("slices", &[6272 * 8]).unwrap();
    let mut prog = Program::new();
    sum_columns(gpu, &mut prog, &x, &cols, 1.0).unwrap();
    sum_slices(gpu, &mut prog, &x, &slices).unwrap();
    gpu.run(&prog).unwrap();
    let first: (Vec<u32>, Vec<u32>) = (
        gpu.download(&cols).await.unwrap(),
        gpu.download(&slices).await.unwrap(),
    );
    for _ in 0..3 {
        gpu.run(&prog).unwrap();
        let again: (Vec<u32>, Vec<u32>) = (
            gpu.download(&cols).await.unwrap(),
            gpu.download(&slices).await.unwrap(),
        );
        assert_eq!(first, again, "reductions changed between identical runs");
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn indivisible_columns_are_an_error() {
    let gpu = gpu().await;
    let x = gpu.zeros("x", &[10]).unwrap();
    let out = gpu.zeros("out", &[3]).unwrap();
    let err = sum_columns(gpu, &mut Program::new(), &x, &out, 1.0).unwrap_err();
    assert!(err.to_string().contains("sum_columns"), "{err}");
}
