use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::{Program, Tensor};
use gan_gpu::ops::conv::*;

/// Products of up to kh·kw·c = 200 terms in f32, accumulated in a
/// different order than the reference: 1e-4 relative to the RMS floor.
const TOL: f64 = 1e-4;

fn geo(
    n: usize,
    hw: (usize, usize),
    c: usize,
    out_c: usize,
    k: usize,
    s: usize,
    p: Padding,
) -> Geometry {
    conv2d_geometry(
        "test conv",
        n,
        hw,
        &ConvSpec {
            in_c: c,
            out_c,
            kernel: (k, k),
            stride: s,
            padding: p,
        },
    )
    .unwrap()
}

#[test]
fn same_padding_follows_tensorflow() {
    // 28 → 14 with k = 5, s = 2: total padding 3, one before and two after.
    let g = geo(1, (28, 28), 1, 64, 5, 2, Padding::Same);
    assert_eq!((g.oh, g.ow, g.pad_top, g.pad_left), (14, 14, 1, 1));
    let g = geo(1, (14, 14), 64, 128, 5, 2, Padding::Same);
    assert_eq!((g.oh, g.pad_top), (7, 1));
    let g = geo(1, (28, 28), 1, 1, 5, 2, Padding::Valid);
    assert_eq!((g.oh, g.pad_top), (12, 0));
    let t = conv2d_transpose_geometry(
        "t",
        1,
        (7, 7),
        &ConvSpec {
            in_c: 128,
            out_c: 64,
            kernel: (5, 5),
            stride: 2,
            padding: Padding::Same,
        },
    )
    .unwrap();
    assert_eq!((t.h, t.w, t.oh, t.pad_top), (14, 14, 7, 1));
    let t = conv2d_transpose_geometry(
        "t",
        1,
        (7, 7),
        &ConvSpec {
            in_c: 128,
            out_c: 64,
            kernel: (5, 5),
            stride: 2,
            padding: Padding::Valid,
        },
    )
    .unwrap();
    assert_eq!((t.h, t.pad_top), (17, 0));
}

/// A hand-worked case where the padding split matters: width 5, k = 4,
/// s = 2, "same" → 3 outputs, total padding 3 = 1 before + 2 after.
/// Padded input [0, 1, 2, 3, 4, 5, 0, 0] with weights [1, 10, 100, 1000]:
/// windows [0,1,2,3] → 3210, [2,3,4,5] → 5432, [4,5,0,0] → 54.
#[test]
fn hand_worked_asymmetric_padding() {
    let g = conv2d_geometry(
        "hand",
        1,
        (1, 5),
        &ConvSpec {
            in_c: 1,
            out_c: 1,
            kernel: (1, 4),
            stride: 2,
            padding: Padding::Same,
        },
    )
    .unwrap();
    let x = [1.0f32, 2.0, 3.0, 4.0, 5.0];
    let w = [1.0f32, 10.0, 100.0, 1000.0];
    let want = vec![3210.0, 5432.0, 54.0];
    assert_eq!(
        cpu::conv::conv2d_forward(&g, 1, &to64(&x), &to64(&w), &[0.0]),
        want
    );
    let got = gpu_conv_forward(&g, 1, &x, &w, &[0.0]);
    assert_close("hand-worked conv", &got, &want, 1e-7);
}

fn upload(label: &str, shape: &[usize], data: &[f32]) -> Tensor {
    gpu().upload(label, shape, data).unwrap()
}

fn upload_on(gpu: &gan_gpu::gpu::Gpu, label: &str, shape: &[usize], data: &[f32]) -> Tensor {
    gpu.upload(label, shape, data).unwrap()
}

fn gpu_conv_forward(g: &Geometry, out_c: usize, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    let gpu = gpu();
    let xt = upload("x", &g.image_shape(), x);
    let wt = upload("w", &[g.kh, g.kw, g.c, out_c], w);
    let bt = upload("b", &[out_c], b);
    let col = gpu.zeros("col", &[g.rows(), g.cols()]).unwrap();
    let y = gpu.zeros("y", &[g.n, g.oh, g.ow, out_c]).unwrap();
    let mut prog = Program::new();
    conv2d_forward(
        gpu,
        &mut prog,
        g,
        out_c,
        &Conv2dTensors {
            x: &xt,
            w: &wt,
            b: &bt,
            col: &col,
            y: &y,
        },
    )
    .unwrap();
    gpu.run(&prog).unwrap();
    gpu.download(&y).unwrap()
}

/// Every case runs on the default device (on subgroup adapters: the
/// implicit-im2col products where channels allow) and on the one without
/// subgroups (explicit im2col + matmul), so both lowerings are held to the
/// reference.
fn conv_case(g: Geometry, out_c: usize) {
    for gpu in [gpu(), gpu_without_subgroups()] {
        conv_case_on(gpu, g, out_c);
    }
}

fn conv_case_on(gpu: &gan_gpu::gpu::Gpu, g: Geometry, out_c: usize) {
    let name = format!("conv2d {g:?} -> {out_c}");
    let x = random(g.n * g.h * g.w * g.c, 1);
    let w = random(g.cols() * out_c, 2);
    let b = random(out_c, 3);
    let dy = random(g.rows() * out_c, 4);
    let (xt, wt, bt, dyt) = (
        upload_on(gpu, "x", &g.image_shape(), &x),
        upload_on(gpu, "w", &[g.kh, g.kw, g.c, out_c], &w),
        upload_on(gpu, "b", &[out_c], &b),
        upload_on(gpu, "dy", &[g.n, g.oh, g.ow, out_c], &dy),
    );
    let col = gpu.zeros("col", &[g.rows(), g.cols()]).unwrap();
    let dcol = gpu.zeros("dcol", &[g.rows(), g.cols()]).unwrap();
    let y = gpu.zeros("y", &[g.n, g.oh, g.ow, out_c]).unwrap();
    let dx = gpu.zeros("dx", &g.image_shape()).unwrap();
    let dw = gpu.zeros("dw", &[g.kh, g.kw, g.c, out_c]).unwrap();
    let db = gpu.zeros("db", &[out_c]).unwrap();
    let t = Conv2dTensors {
        x: &xt,
        w: &wt,
        b: &bt,
        col: &col,
        y: &y,
    };
    let mut prog = Program::new();
    conv2d_forward(gpu, &mut prog, &g, out_c, &t).unwrap();
    conv2d_backward(
        gpu,
        &mut prog,
        &g,
        out_c,
        &t,
        &Conv2dGrads {
            dy: &dyt,
            dw: Some((&dw, &db)),
            dcol: &dcol,
            dx: Some(&dx),
        },
    )
    .unwrap();
    gpu.run(&prog).unwrap();
    let (x64, w64, b64, dy64) = (to64(&x), to64(&w), to64(&b), to64(&dy));
    let y_ref = cpu::conv::conv2d_forward(&g, out_c, &x64, &w64, &b64);
    let (dx_ref, dw_ref, db_ref) = cpu::conv::conv2d_backward(&g, out_c, &x64, &w64, &dy64);
    assert_close(
        &format!("{name} y"),
        &gpu.download::<f32>(&y).unwrap(),
        &y_ref,
        TOL,
    );
    assert_close(
        &format!("{name} dx"),
        &gpu.download::<f32>(&dx).unwrap(),
        &dx_ref,
        TOL,
    );
    assert_close(
        &format!("{name} dw"),
        &gpu.download::<f32>(&dw).unwrap(),
        &dw_ref,
        TOL,
    );
    assert_close(
        &format!("{name} db"),
        &gpu.download::<f32>(&db).unwrap(),
        &db_ref,
        TOL,
    );
}

fn transpose_case(g: Geometry, in_c: usize) {
    for gpu in [gpu(), gpu_without_subgroups()] {
        transpose_case_on(gpu, g, in_c);
    }
}

fn transpose_case_on(gpu: &gan_gpu::gpu::Gpu, g: Geometry, in_c: usize) {
    let name = format!("conv2d_transpose {g:?} from {in_c}");
    let x = random(g.rows() * in_c, 5);
    let w = random(g.cols() * in_c, 6);
    let b = random(g.c, 7);
    let dy = random(g.n * g.h * g.w * g.c, 8);
    let (xt, wt, bt, dyt) = (
        upload_on(gpu, "x", &[g.n, g.oh, g.ow, in_c], &x),
        upload_on(gpu, "w", &[g.kh, g.kw, g.c, in_c], &w),
        upload_on(gpu, "b", &[g.c], &b),
        upload_on(gpu, "dy", &g.image_shape(), &dy),
    );
    let col = gpu.zeros("col", &[g.rows(), g.cols()]).unwrap();
    let dcol = gpu.zeros("dcol", &[g.rows(), g.cols()]).unwrap();
    let y = gpu.zeros("y", &g.image_shape()).unwrap();
    let dx = gpu.zeros("dx", &[g.n, g.oh, g.ow, in_c]).unwrap();
    let dw = gpu.zeros("dw", &[g.kh, g.kw, g.c, in_c]).unwrap();
    let db = gpu.zeros("db", &[g.c]).unwrap();
    let t = Conv2dTensors {
        x: &xt,
        w: &wt,
        b: &bt,
        col: &col,
        y: &y,
    };
    let mut prog = Program::new();
    conv2d_transpose_forward(gpu, &mut prog, &g, in_c, &t).unwrap();
    conv2d_transpose_backward(
        gpu,
        &mut prog,
        &g,
        in_c,
        &t,
        &Conv2dGrads {
            dy: &dyt,
            dw: Some((&dw, &db)),
            dcol: &dcol,
            dx: Some(&dx),
        },
    )
    .unwrap();
    gpu.run(&prog).unwrap();
    let (x64, w64, b64, dy64) = (to64(&x), to64(&w), to64(&b), to64(&dy));
    let y_ref = cpu::conv::conv2d_transpose_forward(&g, in_c, &x64, &w64, &b64);
    let (dx_ref, dw_ref, db_ref) =
        cpu::conv::conv2d_transpose_backward(&g, in_c, &x64, &w64, &dy64);
    assert_close(
        &format!("{name} y"),
        &gpu.download::<f32>(&y).unwrap(),
        &y_ref,
        TOL,
    );
    assert_close(
        &format!("{name} dx"),
        &gpu.download::<f32>(&dx).unwrap(),
        &dx_ref,
        TOL,
    );
    assert_close(
        &format!("{name} dw"),
        &gpu.download::<f32>(&dw).unwrap(),
        &dw_ref,
        TOL,
    );
    assert_close(
        &format!("{name} db"),
        &gpu.download::<f32>(&db).unwrap(),
        &db_ref,
        TOL,
    );
}

#[test]
fn conv2d_parity() {
    conv_case(geo(2, (7, 5), 3, 4, 3, 1, Padding::Same), 4);
    conv_case(geo(1, (28, 28), 1, 8, 5, 2, Padding::Same), 8);
    conv_case(geo(2, (14, 14), 8, 16, 5, 2, Padding::Same), 16);
    conv_case(geo(2, (9, 9), 2, 3, 3, 2, Padding::Valid), 3);
    conv_case(geo(3, (4, 6), 5, 7, 1, 1, Padding::Same), 7);
    conv_case(geo(1, (5, 5), 1, 1, 5, 3, Padding::Same), 1);
    // 784 patches: the weight gradient splits over them.
    conv_case(geo(4, (28, 28), 8, 8, 5, 2, Padding::Same), 8);
}

#[test]
fn conv2d_transpose_parity() {
    let t = |n, hw, in_c, out_c, k, s, p| {
        conv2d_transpose_geometry(
            "test",
            n,
            hw,
            &ConvSpec {
                in_c,
                out_c,
                kernel: (k, k),
                stride: s,
                padding: p,
            },
        )
        .unwrap()
    };
    transpose_case(t(2, (7, 7), 8, 4, 5, 2, Padding::Same), 8);
    transpose_case(t(2, (14, 14), 4, 1, 5, 2, Padding::Same), 4);
    transpose_case(t(1, (3, 3), 2, 3, 3, 2, Padding::Valid), 2);
    transpose_case(t(2, (3, 5), 3, 2, 1, 1, Padding::Same), 3);
    transpose_case(t(1, (4, 4), 1, 1, 2, 3, Padding::Valid), 1);
    transpose_case(t(2, (5, 5), 4, 8, 3, 2, Padding::Same), 4);
    transpose_case(t(8, (8, 8), 8, 8, 3, 2, Padding::Same), 8);
}

/// ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩ with the same kernel and no bias:
/// the transposed convolution is exactly the convolution's adjoint.
#[test]
fn transpose_is_the_adjoint_of_conv() {
    let gpu = gpu();
    let (in_c, out_c) = (3, 5);
    let g = geo(2, (9, 8), in_c, out_c, 5, 2, Padding::Same);
    let x = random(g.n * g.h * g.w * in_c, 1);
    let y = random(g.rows() * out_c, 2);
    let w = random(g.cols() * out_c, 3);
    let zero_out = vec![0.0f32; out_c];
    let zero_in = vec![0.0f32; in_c];
    let conv_x = gpu_conv_forward(&g, out_c, &x, &w, &zero_out);
    let (yt, wt, bt) = (
        upload("y", &[g.n, g.oh, g.ow, out_c], &y),
        upload("w", &[g.kh, g.kw, in_c, out_c], &w),
        upload("b", &[in_c], &zero_in),
    );
    let col = gpu.zeros("col", &[g.rows(), g.cols()]).unwrap();
    let out = gpu.zeros("out", &g.image_shape()).unwrap();
    let mut prog = Program::new();
    conv2d_transpose_forward(
        gpu,
        &mut prog,
        &g,
        out_c,
        &Conv2dTensors {
            x: &yt,
            w: &wt,
            b: &bt,
            col: &col,
            y: &out,
        },
    )
    .unwrap();
    gpu.run(&prog).unwrap();
    let convt_y: Vec<f32> = gpu.download(&out).unwrap();
    let lhs: f64 = conv_x
        .iter()
        .zip(&y)
        .map(|(a, b)| *a as f64 * *b as f64)
        .sum();
    let rhs: f64 = x
        .iter()
        .zip(&convt_y)
        .map(|(a, b)| *a as f64 * *b as f64)
        .sum();
    assert!(
        (lhs - rhs).abs() < 1e-4 * lhs.abs().max(1.0),
        "⟨conv x, y⟩ = {lhs}, ⟨x, convᵀ y⟩ = {rhs}"
    );
    // The same identity holds exactly (to f64 rounding) for the references.
    let (x64, y64, w64) = (to64(&x), to64(&y), to64(&w));
    let l = dot(
        &cpu::conv::conv2d_forward(&g, out_c, &x64, &w64, &vec![0.0; out_c]),
        &y64,
    );
    let r = dot(
        &x64,
        &cpu::conv::conv2d_transpose_forward(&g, out_c, &y64, &w64, &vec![0.0; in_c]),
    );
    assert!((l - r).abs() < 1e-9 * l.abs().max(1.0), "{l} vs {r}");
}

#[test]
fn cpu_backward_matches_finite_differences() {
    let (in_c, out_c) = (2, 3);
    let g = geo(2, (5, 4), in_c, out_c, 3, 2, Padding::Same);
    let x = to64(&random(g.n * g.h * g.w * in_c, 1));
    let w = to64(&random(g.cols() * out_c, 2));
    let b = to64(&random(out_c, 3));
    let r = to64(&random(g.rows() * out_c, 4));
    let (dx, dw, db) = cpu::conv::conv2d_backward(&g, out_c, &x, &w, &r);
    check_gradient(
        "conv2d dx",
        &x,
        |x| dot(&cpu::conv::conv2d_forward(&g, out_c, x, &w, &b), &r),
        &dx,
        1e-6,
    );
    check_gradient(
        "conv2d dw",
        &w,
        |w| dot(&cpu::conv::conv2d_forward(&g, out_c, &x, w, &b), &r),
        &dw,
        1e-6,
    );
    check_gradient(
        "conv2d db",
        &b,
        |b| dot(&cpu::conv::conv2d_forward(&g, out_c, &x, &w, b), &r),
        &db,
        1e-6,
    );

    let t = conv2d_transpose_geometry(
        "t",
        2,
        (3, 2),
        &ConvSpec {
            in_c,
            out_c,
            kernel: (3, 3),
            stride: 2,
            padding: Padding::Same,
        },
    )
    .unwrap();
    let x = to64(&random(t.rows() * in_c, 5));
    let w = to64(&random(t.cols() * in_c, 6));
    let b = to64(&random(out_c, 7));
    let r = to64(&random(t.n * t.h * t.w * out_c, 8));
    let (dx, dw, db) = cpu::conv::conv2d_transpose_backward(&t, in_c, &x, &w, &r);
    let f = |x: &[f64], w: &[f64], b: &[f64]| {
        dot(&cpu::conv::conv2d_transpose_forward(&t, in_c, x, w, b), &r)
    };
    check_gradient("conv2d_transpose dx", &x, |x| f(x, &w, &b), &dx, 1e-6);
    check_gradient("conv2d_transpose dw", &w, |w| f(&x, w, &b), &dw, 1e-6);
    check_gradient("conv2d_transpose db", &b, |b| f(&x, &w, b), &db, 1e-6);
}

#[test]
fn bad_layers_are_errors_naming_layer_and_shapes() {
    let err = conv2d_geometry(
        "disc.conv1",
        1,
        (28, 28),
        &ConvSpec {
            in_c: 1,
            out_c: 64,
            kernel: (5, 5),
            stride: 0,
            padding: Padding::Same,
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("disc.conv1") && err.to_string().contains("stride"),
        "{err}"
    );
    let err = conv2d_geometry(
        "disc.conv1",
        1,
        (28, 28),
        &ConvSpec {
            in_c: 0,
            out_c: 64,
            kernel: (5, 5),
            stride: 2,
            padding: Padding::Same,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("channels 0"), "{err}");
    let err = conv2d_geometry(
        "c",
        1,
        (4, 4),
        &ConvSpec {
            in_c: 1,
            out_c: 1,
            kernel: (5, 5),
            stride: 1,
            padding: Padding::Valid,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("kernel 5 is larger"), "{err}");
    let err = conv2d_transpose_geometry(
        "gen.deconv1",
        1,
        (7, 7),
        &ConvSpec {
            in_c: 128,
            out_c: 0,
            kernel: (5, 5),
            stride: 2,
            padding: Padding::Same,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("gen.deconv1"), "{err}");
    // A kernel with the wrong input channel count.
    let gpu = gpu();
    let g = geo(1, (8, 8), 3, 4, 3, 1, Padding::Same);
    let x = gpu.zeros("x", &g.image_shape()).unwrap();
    let w = gpu.zeros("w", &[3, 3, 2, 4]).unwrap();
    let b = gpu.zeros("b", &[4]).unwrap();
    let col = gpu.zeros("col", &[g.rows(), g.cols()]).unwrap();
    let y = gpu.zeros("y", &[1, 8, 8, 4]).unwrap();
    let err = conv2d_forward(
        gpu,
        &mut Program::new(),
        &g,
        4,
        &Conv2dTensors {
            x: &x,
            w: &w,
            b: &b,
            col: &col,
            y: &y,
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("[3, 3, 2, 4]") && err.to_string().contains("[3, 3, 3, 4]"),
        "{err}"
    );
}
