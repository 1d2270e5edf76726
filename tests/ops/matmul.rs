use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::{Program, Tensor};
use gan_gpu::ops::matmul::{matmul, Operand};
use wasm_bindgen_test::wasm_bindgen_test;

/// f32 products of K terms accumulate rounding error ~ √K · 2⁻²⁴ relative to
/// the sum of |terms|; with inputs in [-1, 1] and the RMS floor of
/// `assert_close`, 1e-4 leaves a wide margin up to K = 1000 yet catches any
/// wrong index, which errs by O(1).
const TOL: f64 = 1e-4;

async fn case(m: usize, k: usize, n: usize, a_t: bool, b_t: bool, bias: bool) {
    let a = random(m * k, 1 + m as u64);
    let b = random(k * n, 2 + n as u64);
    let bias_v = random(n, 3);
    let a_shape = if a_t { vec![k, m] } else { vec![m, k] };
    let b_shape = if b_t { vec![n, k] } else { vec![k, n] };
    let mut inputs = vec![(a_shape, a), (b_shape, b)];
    if bias {
        inputs.push((vec![n], bias_v));
    }
    for (gpu, path) in kernel_paths().await {
        check_matmul(gpu, path, &inputs, (m, k, n), a_t, b_t, bias).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn check_matmul(
    gpu: &gan_gpu::gpu::Gpu,
    path: &str,
    inputs: &[(Vec<usize>, Vec<f32>)],
    (m, k, n): (usize, usize, usize),
    a_t: bool,
    b_t: bool,
    bias: bool,
) {
    check_op_on(
        gpu,
        &format!("matmul {m}x{k}x{n} a_t={a_t} b_t={b_t} bias={bias} ({path})"),
        inputs,
        &[vec![m, n]],
        TOL,
        |gpu, prog, i, o| {
            let a = if a_t {
                Operand::transposed(&i[0])
            } else {
                Operand::plain(&i[0])
            };
            let b = if b_t {
                Operand::transposed(&i[1])
            } else {
                Operand::plain(&i[1])
            };
            matmul(gpu, prog, a, b, i.get(2), &o[0])
        },
        |i| {
            let a = if a_t {
                cpu::matmul::transpose(&i[0], k, m)
            } else {
                i[0].clone()
            };
            let b = if b_t {
                cpu::matmul::transpose(&i[1], n, k)
            } else {
                i[1].clone()
            };
            let mut c = cpu::matmul::matmul(&a, &b, m, k, n);
            if bias {
                cpu::matmul::add_bias(&mut c, &i[2]);
            }
            vec![c]
        },
    )
    .await;
}

/// Shapes that reach every kernel: odd sizes take the general strided
/// kernel; contiguous dimensions that are multiples of 4 take the vec4
/// kernels (nn, tn, nt), including blocks cut by the edge (12, 20, 36);
/// nt with M ≤ 32 runs 32-row workgroups on subgroup adapters (25 rows
/// over several column blocks, as a one-channel kernel's taps; exactly 32).
/// Long K with a small output splits K into slices (Aᵀ·B: 8×5000·5000×8,
/// 7×3000·3000×12). N = 1 takes a matrix-vector kernel (a workgroup per row for K ≥ M, an
/// invocation per row below).
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn parity_over_odd_shapes_and_transposes() {
    let shapes = [
        (1, 1, 1),
        (7, 33, 100),
        (65, 17, 129),
        (100, 7, 1),
        (300, 9, 1),
        (33, 100, 7),
        (3, 300, 5),
        (64, 64, 64),
        (12, 8, 4),
        (4, 4, 4),
        (36, 20, 12),
        (8, 100, 20),
        (5, 700, 1),
        (2, 1000, 1),
        (8, 5000, 8),
        (7, 3000, 12),
        (25, 64, 200),
        (32, 12, 68),
    ];
    for &(m, k, n) in &shapes {
        for a_t in [false, true] {
            for b_t in [false, true] {
                case(m, k, n, a_t, b_t, false).await;
            }
        }
        case(m, k, n, false, false, true).await;
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn backward_matches_finite_differences() {
    let (m, k, n) = (3, 4, 5);
    let a = to64(&random(m * k, 10));
    let b = to64(&random(k * n, 11));
    let r = to64(&random(m * n, 12));
    let (da, db) = cpu::matmul::matmul_backward(&a, &b, &r, m, k, n);
    check_gradient(
        "matmul dA",
        &a,
        |a| dot(&cpu::matmul::matmul(a, &b, m, k, n), &r),
        &da,
        1e-6,
    );
    check_gradient(
        "matmul dB",
        &b,
        |b| dot(&cpu::matmul::matmul(&a, b, m, k, n), &r),
        &db,
        1e-6,
    );
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn bad_shapes_are_errors_naming_the_op() {
    let gpu = gpu().await;
    let a = gpu.zeros("a", &[3, 4]).unwrap();
    let b = gpu.zeros("b", &[5, 6]).unwrap();
    let c = gpu.zeros("c", &[3, 6]).unwrap();
    let err = matmul(
        gpu,
        &mut Program::new(),
        Operand::plain(&a),
        Operand::plain(&b),
        None,
        &c,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("matmul") && msg.contains("[3, 4]") && msg.contains("[5, 6]"),
        "{msg}"
    );
    let bias = gpu.zeros("bias", &[5]).unwrap();
    let b_ok = gpu.zeros("b", &[4, 6]).unwrap();
    let err = matmul(
        gpu,
        &mut Program::new(),
        Operand::plain(&a),
        Operand::plain(&b_ok),
        Some(&bias),
        &c,
    )
    .unwrap_err();
    assert!(err.to_string().contains("bias"), "{err}");
    let err = gpu.zeros("empty", &[0, 4]).unwrap_err();
    assert!(err.to_string().contains("no elements"), "{err}");
    let three_d = gpu.zeros("t", &[2, 2, 2]).unwrap();
    let err = matmul(
        gpu,
        &mut Program::new(),
        Operand::plain(&three_d),
        Operand::plain(&b_ok),
        None,
        &c,
    )
    .unwrap_err();
    assert!(err.to_string().contains("2-D"), "{err}");
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn binding_over_the_device_limit_is_an_error() {
    let gpu = gpu().await;
    let limit = gpu.limits.max_storage_buffer_binding_size;
    // A [4, K] · B [K, 4] with K one more than lets A fit in a binding.
    let k = (limit / 16 + 1) as usize;
    let a = match gpu.zeros("big", &[4, k]) {
        Ok(a) => a,
        // A device whose largest buffer is the binding limit refuses the
        // allocation itself: the same clear error, one step earlier.
        Err(e) => return assert!(e.to_string().contains("buffer limit"), "{e}"),
    };
    let b = gpu.zeros("b", &[k, 4]).unwrap();
    let c = gpu.zeros("c", &[4, 4]).unwrap();
    let err = matmul(
        gpu,
        &mut Program::new(),
        Operand::plain(&a),
        Operand::plain(&b),
        None,
        &c,
    )
    .unwrap_err();
    assert!(err.to_string().contains("binding limit"), "{err}");
}

/// The subgroup kernels run only with the feature enabled on the device and
/// subgroups of at least 8 lanes; `no_subgroups` turns them off. Their
/// operands are read by texel fetch only where that was measured faster.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn subgroup_kernels_only_where_they_are_valid() {
    let gpu = gpu().await;
    if gpu.subgroup_matmul {
        assert!(gpu.features.contains(wgpu::Features::SUBGROUP) && gpu.info.subgroup_min_size >= 8);
    }
    assert!(!gpu_without_subgroups().await.subgroup_matmul);
    assert!(!gpu.subgroup_reason.is_empty());
    // Texel fetches only on a CPU Vulkan driver, only for the subgroup
    // kernels, and never when turned off.
    if gpu.texel_operands {
        assert!(gpu.subgroup_matmul && gpu.info.device_type == wgpu::DeviceType::Cpu);
        assert_eq!(gpu.info.backend, wgpu::Backend::Vulkan);
    }
    assert!(!gpu_with_storage_operands().await.texel_operands);
    assert!(!gpu_without_subgroups().await.texel_operands);
    assert!(!gpu.texel_reason.is_empty());
}

/// A dense layer's weight and bias gradients as one product where the bias
/// follows the kernel in memory (as in a parameter set): one dispatch (plus
/// a split-K sum where K is long), the values of inputᵀ · d and Σ_k d, on
/// shapes with an M that is no multiple of 4, a K split into slices, and
/// one output (the discriminator's, on every adapter). Where the two are
/// apart, or N > 1 without subgroups, nothing is recorded and the caller
/// runs the two passes.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn dense_weight_and_bias_gradients_in_one_product() {
    use gan_gpu::ops::matmul::weight_and_bias_grads;
    let shapes = [
        (64, 100, 128),
        (37, 5, 64),
        (2048, 8, 64),
        (37, 5, 12),
        (64, 6272, 1),
        (37, 100, 1),
    ];
    for (k, m, n) in shapes {
        let input = random(k * m, 41);
        let d = random(k * n, 42);
        let dw_ref = cpu::matmul::matmul(
            &cpu::matmul::transpose(&to64(&input), k, m),
            &to64(&d),
            m,
            k,
            n,
        );
        let db_ref: Vec<f64> = (0..n)
            .map(|j| (0..k).map(|r| d[r * n + j] as f64).sum())
            .collect();
        for (gpu, _) in kernel_paths().await {
            let it = gpu.upload("input", &[k, m], &input).unwrap();
            let dt = gpu.upload("d", &[k, n], &d).unwrap();
            let padded = (m * n).next_multiple_of(64);
            let grads = gpu.zeros("grads", &[padded + n]).unwrap();
            let (dw, db) = (
                grads.view(0, &[m, n]).unwrap(),
                grads.view(padded, &[n]).unwrap(),
            );
            let mut prog = Program::new();
            let done = weight_and_bias_grads(gpu, &mut prog, &it, &dt, (&dw, &db)).unwrap();
            let adjacent = padded == m * n;
            let name = format!("{k}x{m}ᵀ·{k}x{n} on {}", gpu.info.name);
            assert_eq!(done, adjacent && (n == 1 || gpu.subgroup_matmul), "{name}");
            if !done {
                assert!(prog.is_empty(), "{name}: recorded although it declined");
                continue;
            }
            gpu.run(&prog).unwrap();
            assert_close(
                &name,
                &gpu.download::<f32>(&dw).await.unwrap(),
                &dw_ref,
                TOL,
            );
            let db_got = gpu.download::<f32>(&db).await.unwrap();
            assert_close(&format!("{name} bias"), &db_got, &db_ref, TOL);
        }
    }
    let gpu = gpu().await;
    let t = |shape: &[usize]| gpu.zeros("t", shape).unwrap();
    let grads = t(&[128 * 64 + 64]);
    let (dw, db) = (
        grads.view(0, &[128, 64]).unwrap(),
        grads.view(128 * 64, &[64]).unwrap(),
    );
    let err = weight_and_bias_grads(
        gpu,
        &mut Program::new(),
        &t(&[9, 100]),
        &t(&[8, 64]),
        (&dw, &db),
    )
    .unwrap_err();
    assert!(err.to_string().contains("[9, 100]"), "{err}");
}

/// Where the operands are read by texel fetch, a product copies its A and B
/// into textures right before it runs, inside the program, unless an
/// earlier product copied the same elements and nothing wrote them since.
/// A chain of products that reads again what it read (no new copy), reads
/// what the product before it wrote, and overwrites an operand it read
/// before (a new copy) matches the CPU on every path, with the copies
/// counted on the texel path and none elsewhere.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn products_copy_an_operand_again_only_after_it_is_written() {
    let (m, k, n, p) = (70, 36, 44, 28);
    let (a, b, d, e) = (
        random(m * k, 51),
        random(k * n, 52),
        random(n * p, 53),
        random(p * k, 54),
    );
    let mm = |x: &[f64], y: &[f64], (r, inner, c): (usize, usize, usize)| {
        cpu::matmul::matmul(x, y, r, inner, c)
    };
    let ab = mm(&to64(&a), &to64(&b), (m, k, n));
    let abd = mm(&ab, &to64(&d), (m, n, p));
    let new_a = mm(&abd, &to64(&e), (m, p, k));
    let want = mm(&new_a, &to64(&b), (m, k, n));
    for (gpu, path) in kernel_paths().await {
        let at = gpu.upload("a", &[m, k], &a).unwrap();
        let bt = gpu.upload("b", &[k, n], &b).unwrap();
        let dt = gpu.upload("d", &[n, p], &d).unwrap();
        let et = gpu.upload("e", &[p, k], &e).unwrap();
        let c = |name, shape: &[usize]| gpu.zeros(name, shape).unwrap();
        let (c1, c2, c3, c4) = (
            c("c1", &[m, n]),
            c("c2", &[m, p]),
            c("c3", &[m, n]),
            c("c4", &[m, n]),
        );
        let mut prog = Program::new();
        let mut product = |x: &Tensor, y: &Tensor, out: &Tensor, copies: usize| {
            let before = prog.texel_copies().0;
            matmul(
                gpu,
                &mut prog,
                Operand::plain(x),
                Operand::plain(y),
                None,
                out,
            )
            .unwrap();
            let added = prog.texel_copies().0 - before;
            assert_eq!(added, if gpu.texel_operands { copies } else { 0 }, "{path}");
        };
        product(&at, &bt, &c1, 2);
        product(&c1, &dt, &c2, 2);
        product(&at, &bt, &c3, 0);
        product(&c2, &et, &at, 2);
        product(&at, &bt, &c4, 1);
        gpu.run(&prog).unwrap();
        let c3 = gpu.download::<f32>(&c3).await.unwrap();
        let c4 = gpu.download::<f32>(&c4).await.unwrap();
        assert_close(&format!("{path}: a·b read again"), &c3, &ab, TOL);
        assert_close(&format!("{path}: after a is overwritten"), &c4, &want, TOL);
    }
}
