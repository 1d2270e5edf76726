use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::Program;
use gan_gpu::ops::embedding::{add_class_rows, class_rows_gradient, projection};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wasm_bindgen_test::wasm_bindgen_test;

/// (batch, width, classes): a single element; odd sizes; the width of the
/// generator's Dense output and of the discriminator's features (both
/// 7·7·128) at batch 64; more samples than a workgroup has invocations.
const CASES: [(usize, usize, usize); 5] = [
    (1, 1, 1),
    (5, 7, 3),
    (64, 6272, 10),
    (32, 300, 2),
    (300, 33, 10),
];

/// Seeded class labels as floats; with `strays`, the last two are -1 and
/// `classes`, which select no row.
fn labels(batch: usize, classes: usize, seed: u64, strays: bool) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut y: Vec<f32> = (0..batch)
        .map(|_| rng.random_range(0..classes) as f32)
        .collect();
    if strays && batch >= 3 {
        y[batch - 2] = -1.0;
        y[batch - 1] = classes as f32;
    }
    y
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn class_rows_match_reference() {
    for (k, &(batch, width, classes)) in CASES.iter().enumerate() {
        let seed = 10 * k as u64;
        let y = labels(batch, classes, seed, k == 4);
        let inputs = [
            (vec![classes, width], random(classes * width, seed + 1)),
            (vec![batch], y),
            (vec![batch], random(batch, seed + 2)),
            (vec![batch, width], random(batch * width, seed + 3)),
        ];
        let start = inputs[3].1.clone();
        for scaled in [false, true] {
            let name =
                format!("add_class_rows {batch}x{width}, {classes} classes, scaled {scaled}");
            // Adds to `out` in place: it starts as input 3.
            check_op(
                &name,
                &inputs,
                &[vec![batch, width]],
                // One product and one sum per element.
                1e-6,
                |gpu, prog, i, o| {
                    gpu.write(&o[0], &start)?;
                    add_class_rows(gpu, prog, &i[0], &i[1], scaled.then_some(&i[2]), &o[0])
                },
                |i| {
                    let mut out = i[3].clone();
                    let scale = scaled.then_some(&i[2][..]);
                    cpu::embedding::add_class_rows(&i[0], width, &i[1], scale, &mut out);
                    vec![out]
                },
            )
            .await;
            let name =
                format!("class_rows_gradient {batch}x{width}, {classes} classes, scaled {scaled}");
            check_op(
                &name,
                &inputs,
                &[vec![classes, width]],
                // Sums of up to 300 terms of either sign.
                1e-5,
                |gpu, prog, i, o| {
                    class_rows_gradient(gpu, prog, &i[3], &i[1], scaled.then_some(&i[2]), &o[0])
                },
                |i| {
                    let scale = scaled.then_some(&i[2][..]);
                    vec![cpu::embedding::class_rows_gradient(
                        &i[3], width, &i[1], scale, classes,
                    )]
                },
            )
            .await;
        }
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn projection_matches_reference() {
    for (k, &(batch, width, classes)) in CASES.iter().enumerate() {
        let seed = 100 + 10 * k as u64;
        let inputs = [
            (vec![classes, width], random(classes * width, seed + 1)),
            (vec![batch], labels(batch, classes, seed, k == 4)),
            (vec![batch, width], random(batch * width, seed + 2)),
            (vec![batch, 1], random(batch, seed + 3)),
        ];
        let start = inputs[3].1.clone();
        check_op(
            &format!("projection {batch}x{width}, {classes} classes"),
            &inputs,
            &[vec![batch, 1]],
            // A sum of up to 6,272 products of either sign, relative to the
            // output's RMS.
            2e-5,
            |gpu, prog, i, o| {
                gpu.write(&o[0], &start)?;
                projection(gpu, prog, &i[0], &i[1], &i[2], &o[0])
            },
            |i| {
                let p = cpu::embedding::projection(&i[0], width, &i[1], &i[2]);
                vec![p.iter().zip(&i[3]).map(|(p, o)| p + o).collect()]
            },
        )
        .await;
    }
}

/// The gradients the models use, against finite differences of the
/// references: Σ r·(out + table rows) for the generator's lookup, and
/// Σ r·projection for the discriminator's, each with respect to the table
/// and (the projection) the features.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn cpu_class_row_gradients_match_finite_differences() {
    let (batch, width, classes) = (6, 4, 3);
    let y = to64(&labels(batch, classes, 7, true));
    let table = to64(&random(classes * width, 8));
    let rows = to64(&random(batch * width, 9));
    let r_rows = to64(&random(batch * width, 10));
    let r_out = to64(&random(batch, 11));

    let lookup = |t: &[f64]| {
        let mut out = vec![0.0; batch * width];
        cpu::embedding::add_class_rows(t, width, &y, None, &mut out);
        dot(&out, &r_rows)
    };
    let analytic = cpu::embedding::class_rows_gradient(&r_rows, width, &y, None, classes);
    check_gradient("lookup / table", &table, lookup, &analytic, 1e-6);

    let project_table = |t: &[f64]| dot(&cpu::embedding::projection(t, width, &y, &rows), &r_out);
    let analytic = cpu::embedding::class_rows_gradient(&rows, width, &y, Some(&r_out), classes);
    check_gradient("projection / table", &table, project_table, &analytic, 1e-6);

    let project_rows = |x: &[f64]| dot(&cpu::embedding::projection(&table, width, &y, x), &r_out);
    let mut analytic = vec![0.0; batch * width];
    cpu::embedding::add_class_rows(&table, width, &y, Some(&r_out), &mut analytic);
    check_gradient("projection / rows", &rows, project_rows, &analytic, 1e-6);
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn class_row_shape_errors_name_the_problem() {
    let gpu = gpu().await;
    let z = |shape: &[usize]| gpu.zeros("t", shape).unwrap();
    let mut prog = Program::new();
    let (table, labels, out) = (z(&[3, 4]), z(&[5]), z(&[5, 4]));
    let err = add_class_rows(gpu, &mut prog, &z(&[12]), &labels, None, &out).unwrap_err();
    assert!(err.to_string().contains("not [classes, width]"), "{err}");
    let err = add_class_rows(gpu, &mut prog, &table, &labels, None, &z(&[5, 3])).unwrap_err();
    assert!(err.to_string().contains("is not 5 rows of 4"), "{err}");
    let err = add_class_rows(gpu, &mut prog, &table, &labels, Some(&z(&[4])), &out).unwrap_err();
    assert!(err.to_string().contains("one value per label"), "{err}");
    let err = projection(gpu, &mut prog, &table, &labels, &out, &z(&[4])).unwrap_err();
    assert!(err.to_string().contains("one value per label (5)"), "{err}");
    assert!(prog.is_empty());
}
