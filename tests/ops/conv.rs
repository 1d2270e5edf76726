use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::{Gpu, Program, Tensor};
use gan_gpu::ops::conv::*;
use gan_gpu::spec::conv::*;
use wasm_bindgen_test::wasm_bindgen_test;

fn spec(
    in_c: usize,
    out_c: usize,
    kernel: (usize, usize),
    stride: usize,
    padding: Padding,
) -> ConvSpec {
    ConvSpec {
        in_c,
        out_c,
        kernel,
        stride,
        padding,
    }
}

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
    conv2d_geometry("test conv", n, hw, &spec(c, out_c, (k, k), s, p)).unwrap()
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn same_padding_follows_tensorflow() {
    // 28 → 14 with k = 5, s = 2: total padding 3, one before and two after.
    let g = geo(1, (28, 28), 1, 64, 5, 2, Padding::Same);
    assert_eq!((g.oh, g.ow, g.pad_top, g.pad_left), (14, 14, 1, 1));
    let g = geo(1, (14, 14), 64, 128, 5, 2, Padding::Same);
    assert_eq!((g.oh, g.pad_top), (7, 1));
    let g = geo(1, (28, 28), 1, 1, 5, 2, Padding::Valid);
    assert_eq!((g.oh, g.pad_top), (12, 0));
    let t = conv2d_transpose_geometry("t", 1, (7, 7), &spec(128, 64, (5, 5), 2, Padding::Same))
        .unwrap();
    assert_eq!((t.h, t.w, t.oh, t.pad_top), (14, 14, 7, 1));
    let t = conv2d_transpose_geometry("t", 1, (7, 7), &spec(128, 64, (5, 5), 2, Padding::Valid))
        .unwrap();
    assert_eq!((t.h, t.pad_top), (17, 0));
}

/// Every layer of the seed's model, worked by hand from TF's rule
/// (out = ⌈in / s⌉, total padding (out - 1)·s + k - in, the smaller half
/// before): 28 → 14 and 14 → 7 pad 1 before and 2 after; each transposed
/// convolution is the adjoint of the convolution from its output back to
/// its input, so 7 → 14 and 14 → 28 pad the same way.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn every_model_layer_pads_as_worked_by_hand() {
    let m = gan_gpu::model::ModelShape::new(100, 28, 28).unwrap();
    let c1 = conv2d_geometry("disc conv1", 1, (28, 28), &m.disc_conv(0)).unwrap();
    assert_eq!((c1.h, c1.oh, c1.pad_top, c1.pad_left), (28, 14, 1, 1));
    let c2 = conv2d_geometry("disc conv2", 1, (14, 14), &m.disc_conv(1)).unwrap();
    assert_eq!((c2.h, c2.oh, c2.pad_top, c2.pad_left), (14, 7, 1, 1));
    let d1 = conv2d_transpose_geometry("gen deconv1", 1, m.seed_hw(), &m.gen_deconv(0)).unwrap();
    assert_eq!(
        (d1.oh, d1.h, d1.pad_top, d1.pad_left, d1.c),
        (7, 14, 1, 1, 64)
    );
    let d2 = conv2d_transpose_geometry("gen deconv2", 1, (14, 14), &m.gen_deconv(1)).unwrap();
    assert_eq!(
        (d2.oh, d2.h, d2.pad_top, d2.pad_left, d2.c),
        (14, 28, 1, 1, 1)
    );
    // 2 after: the last patch of 14 starts at 13·2 - 1 = 25 and ends at 29.
    assert_eq!((c1.oh - 1) * c1.stride + c1.kh - c1.pad_top - c1.h, 2);
}

/// A hand-worked case where the padding split matters: width 5, k = 4,
/// s = 2, "same" → 3 outputs, total padding 3 = 1 before + 2 after.
/// Padded input [0, 1, 2, 3, 4, 5, 0, 0] with weights [1, 10, 100, 1000]:
/// windows [0,1,2,3] → 3210, [2,3,4,5] → 5432, [4,5,0,0] → 54.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn hand_worked_asymmetric_padding() {
    let g = conv2d_geometry("hand", 1, (1, 5), &spec(1, 1, (1, 4), 2, Padding::Same)).unwrap();
    let x = [1.0f32, 2.0, 3.0, 4.0, 5.0];
    let w = [1.0f32, 10.0, 100.0, 1000.0];
    let want = vec![3210.0, 5432.0, 54.0];
    assert_eq!(
        cpu::conv::conv2d_forward(&g, 1, &to64(&x), &to64(&w), &[0.0]),
        want
    );
    let got = gpu_conv_forward(&g, 1, &x, &w, &[0.0]).await;
    assert_close("hand-worked conv", &got, &want, 1e-7);
}

async fn gpu_conv_forward(g: &Geometry, out_c: usize, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    let gpu = gpu().await;
    let up = |label, shape: &[usize], data| gpu.upload(label, shape, data).unwrap();
    let (xt, wt, bt) = (
        up("x", &g.image_shape(), x),
        up("w", &[g.kh, g.kw, g.c, out_c], w),
        up("b", &[out_c], b),
    );
    let col = gpu.zeros("col", &[g.rows(), g.cols()]).unwrap();
    let y = gpu.zeros("y", &[g.n, g.oh, g.ow, out_c]).unwrap();
    let mut prog = Program::new();
    let t = Conv2dTensors {
        x: &xt,
        w: &wt,
        b: &bt,
        col: &col,
        y: &y,
    };
    conv2d_forward(gpu, &mut prog, g, out_c, &t).unwrap();
    gpu.run(&prog).unwrap();
    gpu.download(&y).await.unwrap()
}

/// One layer's forward and both backward products in one program, against
/// the reference: inputs [x, w, b, dy], outputs [y, dx, dw, db]. Every case
/// runs on the default device (on subgroup adapters: the implicit-im2col
/// products where channels allow) and on the one without subgroups
/// (explicit im2col + matmul), so both lowerings are held to the reference.
struct LayerCase {
    name: String,
    g: Geometry,
    /// [x, w, b, dy] shapes.
    inputs: [Vec<usize>; 4],
    transpose: bool,
    other_c: usize,
}

impl LayerCase {
    async fn run(&self, reference: impl Fn(&[Vec<f64>]) -> Vec<Vec<f64>> + Copy) {
        let gpus: Vec<_> = kernel_paths().await.into_iter().map(|(g, _)| g).collect();
        self.run_on(&gpus, reference).await;
    }

    async fn run_on(
        &self,
        devices: &[&Gpu],
        reference: impl Fn(&[Vec<f64>]) -> Vec<Vec<f64>> + Copy,
    ) {
        let inputs: Vec<(Vec<usize>, Vec<f32>)> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), random(s.iter().product(), 1 + i as u64)))
            .collect();
        let [x, w, b, dy] = self.inputs.clone();
        let outputs = [dy, x, w, b];
        let (g, c, transpose) = (self.g, self.other_c, self.transpose);
        for &gpu in devices {
            check_op_on(
                gpu,
                &self.name,
                &inputs,
                &outputs,
                TOL,
                |gpu, prog, i, o| {
                    let col = col_workspace(gpu, "col", &g, c)?;
                    let dcol = col_workspace(gpu, "dcol", &g, c)?;
                    let t = Conv2dTensors {
                        x: &i[0],
                        w: &i[1],
                        b: &i[2],
                        col: &col,
                        y: &o[0],
                    };
                    let d = Conv2dGrads {
                        dy: &i[3],
                        dw: Some(&o[2]),
                        db: Some(&o[3]),
                        dcol: &dcol,
                        dx: Some(&o[1]),
                        dx_through: None,
                    };
                    if transpose {
                        conv2d_transpose_forward(gpu, prog, &g, c, &t)?;
                        conv2d_transpose_backward(gpu, prog, &g, c, &t, &d)
                    } else {
                        conv2d_forward(gpu, prog, &g, c, &t)?;
                        conv2d_backward(gpu, prog, &g, c, &t, &d)
                    }
                },
                reference,
            )
            .await;
        }
    }
}

fn conv_layer(g: Geometry, out_c: usize) -> LayerCase {
    LayerCase {
        name: format!("conv2d {g:?} -> {out_c}"),
        g,
        inputs: [
            g.image_shape().to_vec(),
            vec![g.kh, g.kw, g.c, out_c],
            vec![out_c],
            vec![g.n, g.oh, g.ow, out_c],
        ],
        transpose: false,
        other_c: out_c,
    }
}

fn conv_reference(g: Geometry, out_c: usize) -> impl Fn(&[Vec<f64>]) -> Vec<Vec<f64>> + Copy {
    move |i| {
        let y = cpu::conv::conv2d_forward(&g, out_c, &i[0], &i[1], &i[2]);
        let (dx, dw, db) = cpu::conv::conv2d_backward(&g, out_c, &i[0], &i[1], &i[3]);
        vec![y, dx, dw, db]
    }
}

async fn conv_case(g: Geometry, out_c: usize) {
    conv_layer(g, out_c).run(conv_reference(g, out_c)).await;
}

fn transpose_layer(g: Geometry, in_c: usize) -> LayerCase {
    LayerCase {
        name: format!("conv2d_transpose {g:?} from {in_c}"),
        g,
        inputs: [
            vec![g.n, g.oh, g.ow, in_c],
            vec![g.kh, g.kw, g.c, in_c],
            vec![g.c],
            g.image_shape().to_vec(),
        ],
        transpose: true,
        other_c: in_c,
    }
}

fn transpose_reference(g: Geometry, in_c: usize) -> impl Fn(&[Vec<f64>]) -> Vec<Vec<f64>> + Copy {
    move |i| {
        let y = cpu::conv::conv2d_transpose_forward(&g, in_c, &i[0], &i[1], &i[2]);
        let (dx, dw, db) = cpu::conv::conv2d_transpose_backward(&g, in_c, &i[0], &i[1], &i[3]);
        vec![y, dx, dw, db]
    }
}

async fn transpose_case(g: Geometry, in_c: usize) {
    transpose_layer(g, in_c)
        .run(transpose_reference(g, in_c))
        .await;
}

/// Column matrices past the binding limit (lavapipe's and WebGPU's 128 MiB,
/// which disc conv2's passes at batch 256) are processed a chunk of images
/// at a time, weight gradients summed over the chunks. Here the limit is
/// [`SMALL_BINDING`] (24 KiB): each case's column matrix holds 6,400 bytes
/// per image, so its 5 images run as chunks of 3 and 2, with and without
/// the subgroup kernels. The first case's forward gathers im2col on
/// subgroup adapters (4 channels) while its weight gradient cannot (it
/// needs 8); the second's input gradient gathers.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn conv_layers_split_column_matrices_past_the_binding_limit() {
    let devices = [
        gpu_with_small_bindings(false).await,
        gpu_with_small_bindings(true).await,
    ];
    let g = geo(5, (8, 8), 4, 16, 5, 2, Padding::Same);
    let col_bytes = (g.rows() * g.cols() * 4) as u64;
    assert!(col_bytes / 5 * 3 <= SMALL_BINDING && col_bytes / 5 * 4 > SMALL_BINDING);
    conv_layer(g, 16)
        .run_on(&devices, conv_reference(g, 16))
        .await;
    let spec = spec(16, 4, (5, 5), 2, Padding::Same);
    let t = conv2d_transpose_geometry("test", 5, (4, 4), &spec).unwrap();
    assert_eq!(t.rows() * t.cols() * 4, col_bytes as usize);
    transpose_layer(t, 16)
        .run_on(&devices, transpose_reference(t, 16))
        .await;
    // One image's column matrix over the limit is an error that says so.
    let big = geo(1, (28, 28), 4, 16, 5, 1, Padding::Same);
    let err = col_workspace(devices[0], "col", &big, 16).unwrap_err();
    assert!(err.to_string().contains("storage binding limit"), "{err}");
}

/// A layer whose products both gather im2col (the discriminator's, on
/// subgroup adapters) gets a one-element column workspace; a layer that
/// materialises im2col in either pass gets the whole matrix. The step's
/// tests run with these workspaces, where a pass reading a one-element one
/// would stop with a shape error.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn only_a_materialised_im2col_gets_a_column_workspace() {
    let m = gan_gpu::model::ModelShape::new(100, 28, 28).unwrap();
    let conv2 = conv2d_geometry("disc conv2", 4, (14, 14), &m.disc_conv(1)).unwrap();
    let len = |gpu, g: &Geometry, out_c| forward_col_workspace(gpu, "col", g, out_c).unwrap().len();
    let without = gpu_without_subgroups().await;
    assert!(!gathers_im2col(without, &conv2, 128));
    assert_eq!(len(without, &conv2, 128), conv2.rows() * conv2.cols());
    // 4 channels: the forward pass gathers, the weight gradient needs 8.
    let with = gpu().await;
    let four = geo(2, (8, 8), 4, 16, 5, 2, Padding::Same);
    assert!(!gathers_im2col(with, &four, 16));
    assert_eq!(len(with, &four, 16), four.rows() * four.cols());
    assert_eq!(gathers_im2col(with, &conv2, 128), with.subgroup_matmul);
    if with.subgroup_matmul {
        assert_eq!(len(with, &conv2, 128), 1);
    }
    // The input gradient's column matrix: summed per pixel from dy on
    // subgroup adapters (64 channels in vec4s), unless it passes through
    // tanh's gradient, which only col2im applies.
    let adjoint = |gpu, tanh| {
        adjoint_col_workspace(gpu, "dcol", &conv2, 128, tanh)
            .unwrap()
            .len()
    };
    let whole = conv2.rows() * conv2.cols();
    assert_eq!(adjoint(without, false), whole);
    assert_eq!(adjoint(with, true), whole);
    assert_eq!(
        adjoint(with, false),
        if with.subgroup_matmul { 1 } else { whole }
    );
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn conv2d_parity() {
    conv_case(geo(2, (7, 5), 3, 4, 3, 1, Padding::Same), 4).await;
    conv_case(geo(1, (28, 28), 1, 8, 5, 2, Padding::Same), 8).await;
    conv_case(geo(2, (14, 14), 8, 16, 5, 2, Padding::Same), 16).await;
    conv_case(geo(2, (9, 9), 2, 3, 3, 2, Padding::Valid), 3).await;
    conv_case(geo(3, (4, 6), 5, 7, 1, 1, Padding::Same), 7).await;
    conv_case(geo(1, (5, 5), 1, 1, 5, 3, Padding::Same), 1).await;
    // 784 patches: the weight gradient splits over them.
    conv_case(geo(4, (28, 28), 8, 8, 5, 2, Padding::Same), 8).await;
    // One channel, gathered pixel by pixel on subgroup adapters: 784
    // patches split the weight gradient; 75 patches of 9 taps leave a K
    // and an M that are no multiples of 4.
    conv_case(geo(4, (28, 28), 1, 8, 5, 2, Padding::Same), 8).await;
    conv_case(geo(3, (9, 9), 1, 4, 3, 2, Padding::Same), 4).await;
    // 7·7 = 49 taps: the one-channel weight gradient's rows span two of its
    // 32-row workgroups.
    conv_case(geo(2, (14, 14), 1, 8, 7, 2, Padding::Same), 8).await;
    // Output rows of 3 and 2 patches, under the 4 by which the weight
    // gradients step each lane's patch: a step crosses rows and images.
    conv_case(geo(3, (5, 5), 8, 4, 3, 2, Padding::Same), 4).await;
    conv_case(geo(5, (6, 6), 1, 4, 3, 3, Padding::Same), 4).await;
    // Input gradients summed per class of pixels (conv_t on subgroup
    // adapters): strides 3 and 1, image sides the stride does not divide,
    // valid padding, 72 channels (two column blocks of C), and an image 2
    // rows high at stride 3, whose third class of rows is empty.
    conv_case(geo(2, (7, 8), 4, 8, 3, 3, Padding::Same), 8).await;
    conv_case(geo(2, (2, 4), 4, 4, 3, 3, Padding::Same), 4).await;
    conv_case(geo(2, (5, 6), 4, 4, 3, 1, Padding::Same), 4).await;
    conv_case(geo(2, (9, 9), 4, 8, 3, 2, Padding::Valid), 8).await;
    conv_case(geo(1, (6, 6), 72, 4, 3, 2, Padding::Same), 4).await;
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn conv2d_transpose_parity() {
    let t = |n, hw, in_c, out_c, k, s, p| {
        conv2d_transpose_geometry("test", n, hw, &spec(in_c, out_c, (k, k), s, p)).unwrap()
    };
    transpose_case(t(2, (7, 7), 8, 4, 5, 2, Padding::Same), 8).await;
    transpose_case(t(2, (14, 14), 4, 1, 5, 2, Padding::Same), 4).await;
    transpose_case(t(1, (3, 3), 2, 3, 3, 2, Padding::Valid), 2).await;
    transpose_case(t(2, (3, 5), 3, 2, 1, 1, Padding::Same), 3).await;
    transpose_case(t(1, (4, 4), 1, 1, 2, 3, Padding::Valid), 1).await;
    transpose_case(t(2, (5, 5), 4, 8, 3, 2, Padding::Same), 4).await;
    transpose_case(t(8, (8, 8), 8, 8, 3, 2, Padding::Same), 8).await;
    // The same classes of pixels from the transposed side.
    transpose_case(t(2, (3, 4), 4, 4, 3, 3, Padding::Same), 4).await;
    transpose_case(t(1, (4, 5), 4, 8, 3, 1, Padding::Same), 4).await;
    transpose_case(t(2, (4, 4), 4, 72, 5, 2, Padding::Valid), 4).await;
}

/// ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩ with the same kernel and no bias:
/// the transposed convolution is exactly the convolution's adjoint.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn transpose_is_the_adjoint_of_conv() {
    let gpu = gpu().await;
    let (in_c, out_c) = (3, 5);
    let g = geo(2, (9, 8), in_c, out_c, 5, 2, Padding::Same);
    let x = random(g.n * g.h * g.w * in_c, 1);
    let y = random(g.rows() * out_c, 2);
    let w = random(g.cols() * out_c, 3);
    let zero_out = vec![0.0f32; out_c];
    let zero_in = vec![0.0f32; in_c];
    let conv_x = gpu_conv_forward(&g, out_c, &x, &w, &zero_out).await;
    let (yt, wt, bt) = (
        gpu.upload("y", &[g.n, g.oh, g.ow, out_c], &y).unwrap(),
        gpu.upload("w", &[g.kh, g.kw, in_c, out_c], &w).unwrap(),
        gpu.upload("b", &[in_c], &zero_in).unwrap(),
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
    let convt_y: Vec<f32> = gpu.download(&out).await.unwrap();
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

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn cpu_backward_matches_finite_differences() {
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

    let t = conv2d_transpose_geometry("t", 2, (3, 2), &spec(in_c, out_c, (3, 3), 2, Padding::Same))
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

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn bad_layers_are_errors_naming_layer_and_shapes() {
    let err = conv2d_geometry(
        "disc.conv1",
        1,
        (28, 28),
        &spec(1, 64, (5, 5), 0, Padding::Same),
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
        &spec(0, 64, (5, 5), 2, Padding::Same),
    )
    .unwrap_err();
    assert!(err.to_string().contains("channels 0"), "{err}");
    let err = conv2d_geometry("c", 1, (4, 4), &spec(1, 1, (5, 5), 1, Padding::Valid)).unwrap_err();
    assert!(err.to_string().contains("kernel 5 is larger"), "{err}");
    let err = conv2d_transpose_geometry(
        "gen.deconv1",
        1,
        (7, 7),
        &spec(128, 0, (5, 5), 2, Padding::Same),
    )
    .unwrap_err();
    assert!(err.to_string().contains("gen.deconv1"), "{err}");
    // A kernel with the wrong input channel count.
    let gpu = gpu().await;
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

/// The generator's transposed convolutions apply SELU or tanh in col2im's
/// store: the same bits as col2im then the element-wise activation, and the
/// unfused CPU reference within the layer tolerance, for 4-channel (vec4)
/// and 1-channel images, whole and in chunks past a binding limit.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn transpose_forward_applies_its_activation_in_the_same_pass() {
    use gan_gpu::ops::activations::{self, Activation};
    let t = |n, hw, in_c, out_c| {
        let spec = spec(in_c, out_c, (5, 5), 2, Padding::Same);
        conv2d_transpose_geometry("test", n, hw, &spec).unwrap()
    };
    let cases = [
        (t(5, (4, 4), 16, 4), 16, Activation::Selu),
        (t(3, (4, 4), 8, 1), 8, Activation::Tanh),
    ];
    for (g, in_c, act) in cases {
        for gpu in [gpu().await, gpu_with_small_bindings(false).await] {
            let x = random(g.rows() * in_c, 1);
            let w = random(g.cols() * in_c, 2);
            let b = random(g.c, 3);
            let up = |label, shape: &[usize], v: &[f32]| gpu.upload(label, shape, v).unwrap();
            let (xt, wt, bt) = (
                up("x", &[g.n, g.oh, g.ow, in_c], &x),
                up("w", &[g.kh, g.kw, g.c, in_c], &w),
                up("b", &[g.c], &b),
            );
            let col = col_workspace(gpu, "col", &g, in_c).unwrap();
            let zeros = || gpu.zeros("image", &g.image_shape()).unwrap();
            let (pre, out, pre2, out2) = (zeros(), zeros(), zeros(), zeros());
            let tensors = |y| Conv2dTensors {
                x: &xt,
                w: &wt,
                b: &bt,
                col: &col,
                y,
            };
            let mut prog = Program::new();
            conv2d_transpose_forward_activation(
                gpu,
                &mut prog,
                &g,
                in_c,
                &tensors(&pre),
                (act, &out),
            )
            .unwrap();
            conv2d_transpose_forward(gpu, &mut prog, &g, in_c, &tensors(&pre2)).unwrap();
            activations::forward(gpu, &mut prog, act, &pre2, &out2).unwrap();
            gpu.run(&prog).unwrap();
            let mut got = Vec::new();
            for t in [&pre, &pre2, &out, &out2] {
                got.push(gpu.download::<f32>(t).await.unwrap());
            }
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got[0]), bits(&got[1]), "{act:?} pre-activation");
            assert_eq!(bits(&got[2]), bits(&got[3]), "{act:?} activation");
            let y = cpu::conv::conv2d_transpose_forward(&g, in_c, &to64(&x), &to64(&w), &to64(&b));
            assert_close("pre-activation", &got[0], &y, TOL);
            let want = cpu::activations::forward(act, &y);
            assert_close(&format!("{act:?}"), &got[2], &want, TOL);
        }
    }
    let gpu = gpu().await;
    let g = cases[0].0;
    let image = gpu.zeros("image", &g.image_shape()).unwrap();
    let col = gpu.zeros("col", &[g.rows(), g.cols()]).unwrap();
    let bias = gpu.zeros("bias", &[g.c]).unwrap();
    let err = col2im_bias_activation(
        gpu,
        &mut Program::new(),
        &g,
        &Cols::ByPatch(col),
        &bias,
        Activation::LeakyRelu(0.2),
        &image,
        &image,
    )
    .unwrap_err();
    assert!(err.to_string().contains("SELU or tanh"), "{err}");
}

/// A convolution's input gradient on random dy and kernel (from seeds 2
/// and 3), recorded with and without an activation below to pass through:
/// the fixture of the `input_gradient_passes_through_*` tests.
struct InputGradient {
    g: Geometry,
    out_c: usize,
    w: Vec<f32>,
    dy: Vec<f32>,
    tensors: [Tensor; 7],
}

impl InputGradient {
    fn new(gpu: &Gpu, g: Geometry, out_c: usize) -> InputGradient {
        let w = random(g.cols() * out_c, 2);
        let dy = random(g.rows() * out_c, 3);
        let patches = [g.n, g.oh, g.ow, out_c];
        let tensors = [
            gpu.upload("w", &[g.kh, g.kw, g.c, out_c], &w).unwrap(),
            gpu.upload("dy", &patches, &dy).unwrap(),
            gpu.zeros("x", &g.image_shape()).unwrap(),
            gpu.zeros("b", &[out_c]).unwrap(),
            gpu.zeros("y", &patches).unwrap(),
            col_workspace(gpu, "col", &g, out_c).unwrap(),
            col_workspace(gpu, "dcol", &g, out_c).unwrap(),
        ];
        InputGradient {
            g,
            out_c,
            w,
            dy,
            tensors,
        }
    }

    fn record(&self, gpu: &Gpu, prog: &mut Program, dx: &Tensor, through: Option<Through>) {
        let [w, dy, x, b, y, col, dcol] = &self.tensors;
        let t = Conv2dTensors { x, w, b, col, y };
        let d = Conv2dGrads {
            dy,
            dw: None,
            db: None,
            dcol,
            dx: Some(dx),
            dx_through: through,
        };
        conv2d_backward(gpu, prog, &self.g, self.out_c, &t, &d).unwrap();
    }

    /// The CPU reference of the plain input gradient.
    fn reference(&self) -> Vec<f64> {
        let g = &self.g;
        let x = vec![0.0; g.n * g.h * g.w * g.c];
        cpu::conv::conv2d_backward(g, self.out_c, &x, &to64(&self.w), &to64(&self.dy)).0
    }
}

/// A discriminator convolution's input gradient goes on through the
/// LeakyReLU → dropout of the layer below in col2im's store: the same bits
/// as col2im then `leaky_relu_dropout_backward`, and the unfused CPU
/// reference (the convolution's input gradient, dropout's gradient, then
/// LeakyReLU's) within the layer tolerance, for 8 channels (vec4) and 3,
/// whole and in chunks past a binding limit.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn input_gradient_passes_through_leaky_relu_dropout_in_the_same_pass() {
    use gan_gpu::ops::activations::Activation;
    use gan_gpu::ops::counter::RngSource;
    use gan_gpu::ops::dropout::{
        leaky_relu_dropout_backward, leaky_relu_dropout_forward, LeakyReluDropout,
    };
    let (alpha, rate) = (0.2f32, 0.3f32);
    for (g, out_c) in [
        (geo(5, (8, 8), 8, 16, 5, 2, Padding::Same), 16),
        (geo(5, (8, 8), 3, 4, 5, 1, Padding::Same), 4),
    ] {
        for gpu in [gpu().await, gpu_with_small_bindings(false).await] {
            let case = InputGradient::new(gpu, g, out_c);
            let pre = random(g.n * g.h * g.w * g.c, 1);
            let pre_t = gpu
                .upload("pre-activation", &g.image_shape(), &pre)
                .unwrap();
            let zeros = |label| gpu.zeros(label, &g.image_shape()).unwrap();
            let (factor, out, dx, d_drop, dx2) = (
                zeros("factor"),
                zeros("out"),
                zeros("dx"),
                zeros("d_drop"),
                zeros("dx2"),
            );
            let ctr = step_counter(gpu, 5);
            let rng = RngSource {
                seed: 7,
                salt: 1,
                counter: &ctr,
            };
            let through = Through::LeakyReluDropout(LeakyReluDropout {
                factor: &factor,
                alpha,
            });
            let mut prog = Program::new();
            leaky_relu_dropout_forward(gpu, &mut prog, alpha, rate, rng, &pre_t, &factor, &out)
                .unwrap();
            case.record(gpu, &mut prog, &dx, Some(through));
            case.record(gpu, &mut prog, &d_drop, None);
            leaky_relu_dropout_backward(gpu, &mut prog, alpha, &factor, &d_drop, &dx2).unwrap();
            gpu.run(&prog).unwrap();
            let mut got = Vec::new();
            for t in [&dx, &dx2, &factor] {
                got.push(gpu.download::<f32>(t).await.unwrap());
            }
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got[0]), bits(&got[1]), "{g:?}");
            let mask: Vec<f64> = got[2].iter().map(|f| f.abs() as f64).collect();
            let want = cpu::activations::backward(
                Activation::LeakyRelu(alpha),
                &to64(&pre),
                &cpu::dropout::backward(&mask, &case.reference()),
            );
            let what = "input gradient through LeakyReLU → dropout";
            assert_close(what, &got[0], &want, TOL);
        }
    }
}

/// Where a layer's bias gradient follows its weight gradient in memory (as
/// in a parameter set), the gathered weight-gradient product also makes the
/// bias gradient, as its row of ones: one dispatch fewer than a separate
/// `sum_columns`, and the same values within the layer tolerance, for one
/// and eight channels, whole and split over the patches. Without subgroups,
/// or where the two are apart, the separate pass runs.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn bias_gradient_comes_out_of_the_weight_gradient_product() {
    for (g, out_c) in [
        (geo(4, (28, 28), 1, 64, 5, 2, Padding::Same), 64),
        (geo(2, (14, 14), 8, 16, 5, 2, Padding::Same), 16),
        (geo(4, (28, 28), 8, 8, 5, 2, Padding::Same), 8),
    ] {
        let x = random(g.n * g.h * g.w * g.c, 1);
        let dy = random(g.rows() * out_c, 2);
        let (_, dw_ref, db_ref) = cpu::conv::conv2d_backward(
            &g,
            out_c,
            &to64(&x),
            &vec![0.0; g.cols() * out_c],
            &to64(&dy),
        );
        for (gpu, _) in kernel_paths().await {
            let xt = gpu.upload("x", &g.image_shape(), &x).unwrap();
            let dyt = gpu.upload("dy", &[g.n, g.oh, g.ow, out_c], &dy).unwrap();
            let w = gpu.zeros("w", &[g.kh, g.kw, g.c, out_c]).unwrap();
            let b = gpu.zeros("b", &[out_c]).unwrap();
            let col = col_workspace(gpu, "col", &g, out_c).unwrap();
            let dcol = col_workspace(gpu, "dcol", &g, out_c).unwrap();
            // Adjacent, as a parameter set lays them out; and apart.
            let dw_len = g.cols() * out_c;
            let grads = gpu.zeros("grads", &[dw_len + out_c]).unwrap();
            let adjacent = (
                grads.view(0, &[g.kh, g.kw, g.c, out_c]).unwrap(),
                grads.view(dw_len, &[out_c]).unwrap(),
            );
            let apart = (
                gpu.zeros("dw", w.shape()).unwrap(),
                gpu.zeros("db", &[out_c]).unwrap(),
            );
            let y = gpu.zeros("y", &[g.n, g.oh, g.ow, out_c]).unwrap();
            let t = Conv2dTensors {
                x: &xt,
                w: &w,
                b: &b,
                col: &col,
                y: &y,
            };
            let mut lens = Vec::new();
            let mut got = Vec::new();
            for (dw, db) in [&adjacent, &apart] {
                let mut prog = Program::new();
                let d = Conv2dGrads {
                    dy: &dyt,
                    dw: Some(dw),
                    db: Some(db),
                    dcol: &dcol,
                    dx: None,
                    dx_through: None,
                };
                // The forward pass leaves im2col(x) for a product that
                // does not gather it.
                conv2d_forward(gpu, &mut prog, &g, out_c, &t).unwrap();
                let forward = prog.len();
                conv2d_backward(gpu, &mut prog, &g, out_c, &t, &d).unwrap();
                gpu.run(&prog).unwrap();
                lens.push(prog.len() - forward);
                got.push((
                    gpu.download::<f32>(dw).await.unwrap(),
                    gpu.download::<f32>(db).await.unwrap(),
                ));
            }
            let name = format!("{g:?} -> {out_c} on {}", gpu.info.name);
            let folds = gpu.subgroup_matmul;
            assert_eq!(
                lens[0] + folds as usize,
                lens[1],
                "{name}: dispatches {lens:?}"
            );
            for ((dw, db), how) in got.iter().zip(["adjacent", "apart"]) {
                assert_close(&format!("{name}, {how}: dw"), dw, &dw_ref, TOL);
                assert_close(&format!("{name}, {how}: db"), db, &db_ref, TOL);
            }
        }
    }
}

/// In the generator's step the discriminator's first input gradient goes on
/// through the generator's tanh in col2im's store: the same bits as col2im
/// then `tanh_backward`, and the CPU reference, for one and three image
/// channels, whole and in chunks past a binding limit.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn input_gradient_passes_through_tanh_in_the_same_pass() {
    use gan_gpu::ops::activations::{self, Activation};
    for (g, out_c) in [
        (geo(5, (8, 8), 1, 16, 5, 2, Padding::Same), 16),
        (geo(5, (8, 8), 3, 4, 5, 1, Padding::Same), 4),
    ] {
        for gpu in [gpu().await, gpu_with_small_bindings(false).await] {
            let case = InputGradient::new(gpu, g, out_c);
            let pre = random(g.n * g.h * g.w * g.c, 4);
            let pre_t = gpu.upload("tanh input", &g.image_shape(), &pre).unwrap();
            let zeros = |label| gpu.zeros(label, &g.image_shape()).unwrap();
            let (d_pre, d_image, d_pre2) = (zeros("d_pre"), zeros("d_image"), zeros("d_pre2"));
            let mut prog = Program::new();
            case.record(gpu, &mut prog, &d_pre, Some(Through::Tanh { pre: &pre_t }));
            case.record(gpu, &mut prog, &d_image, None);
            activations::backward(gpu, &mut prog, Activation::Tanh, &pre_t, &d_image, &d_pre2)
                .unwrap();
            gpu.run(&prog).unwrap();
            let got = gpu.download::<f32>(&d_pre).await.unwrap();
            let two = gpu.download::<f32>(&d_pre2).await.unwrap();
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&two), "{g:?}");
            let want = cpu::activations::backward(Activation::Tanh, &to64(&pre), &case.reference());
            assert_close("input gradient through tanh", &got, &want, TOL);
        }
    }
}

/// A discriminator block's forward pass, the convolution then LeakyReLU →
/// dropout, in one product store where the product gathers im2col: the same
/// bits (output and signed factor) as `conv2d_forward` then
/// `leaky_relu_dropout_forward`, which the adapters without subgroups run,
/// and the unfused CPU reference, for one and eight channels.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn forward_applies_leaky_relu_dropout_in_the_store() {
    use gan_gpu::ops::activations::Activation;
    use gan_gpu::ops::counter::{RngSource, StepCounter};
    use gan_gpu::ops::dropout::{leaky_relu_dropout_forward, LeakyReluDropoutForward};
    let (alpha, rate) = (0.2f32, 0.3f32);
    for (g, out_c) in [
        (geo(3, (28, 28), 1, 16, 5, 2, Padding::Same), 16),
        (geo(2, (14, 14), 8, 12, 5, 2, Padding::Same), 12),
    ] {
        let x = random(g.n * g.h * g.w * g.c, 7);
        let w = random(g.cols() * out_c, 8);
        let b = random(out_c, 9);
        for (gpu, _) in kernel_paths().await {
            let up = |label, shape: &[usize], v: &[f32]| gpu.upload(label, shape, v).unwrap();
            let (xt, wt, bt) = (
                up("x", &g.image_shape(), &x),
                up("w", &[g.kh, g.kw, g.c, out_c], &w),
                up("b", &[out_c], &b),
            );
            let patches = [g.n, g.oh, g.ow, out_c];
            let zeros = |label| gpu.zeros(label, &patches).unwrap();
            let (pre, out, factor, pre2, out2, factor2) = (
                zeros("pre"),
                zeros("out"),
                zeros("factor"),
                zeros("pre2"),
                zeros("out2"),
                zeros("factor2"),
            );
            let col = col_workspace(gpu, "col", &g, out_c).unwrap();
            let ctr = step_counter(gpu, 3);
            let rng = RngSource {
                seed: 5,
                salt: 6,
                counter: &ctr,
            };
            let tensors = |y| Conv2dTensors {
                x: &xt,
                w: &wt,
                b: &bt,
                col: &col,
                y,
            };
            let then = LeakyReluDropoutForward {
                alpha,
                rate,
                rng,
                factor: &factor,
            };
            let mut prog = Program::new();
            conv2d_forward_leaky_relu_dropout(
                gpu,
                &mut prog,
                &g,
                out_c,
                &tensors(&pre),
                then,
                &out,
            )
            .unwrap();
            let fused = prog.len();
            conv2d_forward(gpu, &mut prog, &g, out_c, &tensors(&pre2)).unwrap();
            leaky_relu_dropout_forward(gpu, &mut prog, alpha, rate, rng, &pre2, &factor2, &out2)
                .unwrap();
            gpu.run(&prog).unwrap();
            let name = format!("{g:?} on {}", gpu.info.name);
            if gpu.subgroup_matmul {
                assert_eq!(fused, 1, "{name}: one dispatch");
            }
            let mut got = Vec::new();
            for t in [&out, &out2, &factor, &factor2] {
                got.push(gpu.download::<f32>(t).await.unwrap());
            }
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got[0]), bits(&got[1]), "{name}: output");
            assert_eq!(bits(&got[2]), bits(&got[3]), "{name}: factor");
            let y = cpu::conv::conv2d_forward(&g, out_c, &to64(&x), &to64(&w), &to64(&b));
            let leaky = cpu::activations::forward(Activation::LeakyRelu(alpha), &y);
            let (want, _) = cpu::dropout::forward(&leaky, rate, 5, 6, 3);
            assert_close(&name, &got[0], &want, TOL);
        }
    }
    let gpu = gpu().await;
    let g = geo(1, (8, 8), 1, 4, 3, 1, Padding::Same);
    let z = |shape: &[usize]| gpu.zeros("t", shape).unwrap();
    let (x, w, b, y, f) = (
        z(&g.image_shape()),
        z(&[3, 3, 1, 4]),
        z(&[4]),
        z(&[1, 8, 8, 4]),
        z(&[1, 8, 8, 4]),
    );
    let ctr = StepCounter::default().upload(gpu, "counter").unwrap();
    let then = LeakyReluDropoutForward {
        alpha,
        rate: 1.0,
        rng: RngSource {
            seed: 0,
            salt: 0,
            counter: &ctr,
        },
        factor: &f,
    };
    let t = Conv2dTensors {
        x: &x,
        w: &w,
        b: &b,
        col: &z(&[64, 9]),
        y: &y,
    };
    let err = conv2d_forward_leaky_relu_dropout(gpu, &mut Program::new(), &g, 4, &t, then, &y)
        .unwrap_err();
    assert!(err.to_string().contains("rate 1"), "{err}");
}

/// A transposed convolution's input gradient has no activation epilogue:
/// asking for one is an error naming the layer, not a silent plain dx.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn transpose_backward_refuses_an_activation_to_pass_through() {
    let gpu = gpu().await;
    let g =
        conv2d_transpose_geometry("t", 1, (4, 4), &spec(4, 1, (3, 3), 2, Padding::Same)).unwrap();
    let z = |shape: &[usize]| gpu.zeros("t", shape).unwrap();
    let (x, w, b, y) = (
        z(&[1, 4, 4, 4]),
        z(&[3, 3, 1, 4]),
        z(&[1]),
        z(&g.image_shape()),
    );
    let (col, dx) = (col_workspace(gpu, "col", &g, 4).unwrap(), z(&[1, 4, 4, 4]));
    let t = Conv2dTensors {
        x: &x,
        w: &w,
        b: &b,
        col: &col,
        y: &y,
    };
    let d = Conv2dGrads {
        dy: &y,
        dw: None,
        db: None,
        dcol: &col,
        dx: Some(&dx),
        dx_through: Some(Through::Tanh { pre: &dx }),
    };
    let err = conv2d_transpose_backward(gpu, &mut Program::new(), &g, 4, &t, &d).unwrap_err();
    assert!(
        err.to_string().contains("conv2d_transpose backward"),
        "{err}"
    );
}

/// col2im reads a column matrix laid [cols, rows] (`Cols::ByTap`, what the
/// one-channel products make) to the same bits as its transpose laid
/// [rows, cols], in every col2im kernel, and both match a col2im written
/// out here. With 4 channels the by-patch matrix takes the vec4 kernels and
/// the by-tap one the scalar ones.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn col2im_reads_columns_by_tap_as_by_patch() {
    use gan_gpu::ops::dropout::LeakyReluDropout;
    use gan_gpu::spec::activation::Activation;
    let gpu = gpu().await;
    for g in [
        geo(2, (8, 8), 1, 1, 5, 2, Padding::Same),
        geo(2, (6, 6), 4, 1, 3, 2, Padding::Same),
    ] {
        let (rows, cols) = (g.rows(), g.cols());
        let by_patch = random(rows * cols, 5);
        let by_tap: Vec<f32> = (0..cols * rows)
            .map(|i| by_patch[(i % rows) * cols + i / rows])
            .collect();
        let mut want = vec![0.0f64; g.n * g.h * g.w * g.c];
        for (i, &v) in by_patch.iter().enumerate() {
            let (row, col) = (i / cols, i % cols);
            let (b, oy, ox) = (row / (g.oh * g.ow), row / g.ow % g.oh, row % g.ow);
            let (tap, ci) = (col / g.c, col % g.c);
            let iy = (oy * g.stride + tap / g.kw) as isize - g.pad_top as isize;
            let ix = (ox * g.stride + tap % g.kw) as isize - g.pad_left as isize;
            if (0..g.h as isize).contains(&iy) && (0..g.w as isize).contains(&ix) {
                want[((b * g.h + iy as usize) * g.w + ix as usize) * g.c + ci] += v as f64;
            }
        }
        let image = g.image_shape();
        let a = gpu.upload("by patch", &[rows, cols], &by_patch).unwrap();
        let t = gpu.upload("by tap", &[cols, rows], &by_tap).unwrap();
        let bias = gpu.upload("bias", &[g.c], &random(g.c, 6)).unwrap();
        let saved = gpu.upload("saved", &image, &random(want.len(), 7)).unwrap();
        // Per layout: col2im, with bias, SELU's pre-activation and
        // activation, tanh's, through LeakyReLU → dropout, through tanh.
        const OUTPUTS: usize = 8;
        let outs: Vec<Tensor> = (0..2 * OUTPUTS)
            .map(|_| gpu.zeros("out", &image).unwrap())
            .collect();
        let mut prog = Program::new();
        for (layout, cols) in [Cols::ByPatch(a), Cols::ByTap(t)].iter().enumerate() {
            let o = &outs[layout * OUTPUTS..];
            col2im(gpu, &mut prog, &g, cols, None, &o[0]).unwrap();
            col2im(gpu, &mut prog, &g, cols, Some(&bias), &o[1]).unwrap();
            let (selu, tanh) = (Activation::Selu, Activation::Tanh);
            col2im_bias_activation(gpu, &mut prog, &g, cols, &bias, selu, &o[2], &o[3]).unwrap();
            col2im_bias_activation(gpu, &mut prog, &g, cols, &bias, tanh, &o[4], &o[5]).unwrap();
            let leaky = Through::LeakyReluDropout(LeakyReluDropout {
                factor: &saved,
                alpha: 0.2,
            });
            col2im_through(gpu, &mut prog, &g, cols, leaky, &o[6]).unwrap();
            let tanh_back = Through::Tanh { pre: &saved };
            col2im_through(gpu, &mut prog, &g, cols, tanh_back, &o[7]).unwrap();
        }
        gpu.run(&prog).unwrap();
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let mut got = Vec::new();
        for o in &outs {
            got.push(gpu.download::<f32>(o).await.unwrap());
        }
        for i in 0..OUTPUTS {
            assert_eq!(bits(&got[i]), bits(&got[OUTPUTS + i]), "{g:?} output {i}");
        }
        assert_close("col2im", &got[0], &want, TOL);
    }
}
