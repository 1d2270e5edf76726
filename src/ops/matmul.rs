//! Matrix products for the dense layers and the im2col convolutions
//! (reference: `cpu::matmul`). Three shader files, chosen per product:
//! `shaders/matmul_subgroup.wgsl` on adapters with subgroups of 8+ lanes,
//! `shaders/matmul_vec4.wgsl` elsewhere when the contiguous dimensions are
//! multiples of 4, and `shaders/matmul.wgsl` (any shape, and N = 1) for the
//! rest. Weight gradients whose outputs are too small to fill the device
//! are split over K.

use super::fits_u32;
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

/// The uniform of every matmul kernel; the trailing image geometry is read
/// only by the implicit-im2col products (`shaders/conv_implicit.wgsl`).
/// Mirrored by `shaders/lib/matmul_params.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct Params {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    /// Length of one K slice of a split-K tn product (0: unsplit).
    pub k_split: u32,
    pub a_stride_m: u32,
    pub a_stride_k: u32,
    pub b_stride_k: u32,
    pub b_stride_n: u32,
    pub h: u32,
    pub w: u32,
    pub c4: u32,
    pub oh: u32,
    pub ow: u32,
    pub kh: u32,
    pub kw: u32,
    pub stride: u32,
    pub pad_top: u32,
    pub pad_left: u32,
    /// 1: A gets a last row of ones (`shaders/conv_implicit.wgsl`'s weight
    /// gradients, whose last row of C is then the bias gradient).
    pub ones_row: u32,
    /// `shaders/conv_implicit.wgsl`'s *_leaky_relu_dropout: LeakyReLU's
    /// slope, and dropout's seed, salt, threshold and scale.
    pub alpha: f32,
    pub drop_seed: u32,
    pub drop_salt: u32,
    pub drop_threshold: u32,
    pub drop_scale: f32,
    /// `shaders/conv_implicit.wgsl`'s conv_t_bias_activation: 1 SELU, 2 tanh.
    pub activation: u32,
    pub _pad1: [u32; 2],
}

/// An operand and whether it is used transposed: `A` is stored [M, K]
/// (`transposed: false`) or [K, M] (`transposed: true`).
#[derive(Clone, Copy)]
pub struct Operand<'a> {
    pub tensor: &'a Tensor,
    pub transposed: bool,
}

impl<'a> Operand<'a> {
    pub fn plain(tensor: &'a Tensor) -> Self {
        Operand {
            tensor,
            transposed: false,
        }
    }
    pub fn transposed(tensor: &'a Tensor) -> Self {
        Operand {
            tensor,
            transposed: true,
        }
    }
    /// (rows, cols) of the operand as used in the product.
    fn dims(&self, op: &str, what: &str) -> Result<(usize, usize)> {
        let s = self.tensor.shape();
        if s.len() != 2 {
            return shape_err(op, format!("{what} must be 2-D, got shape {s:?}"));
        }
        Ok(if self.transposed {
            (s[1], s[0])
        } else {
            (s[0], s[1])
        })
    }
}

/// Records C = op(A) · op(B) (+ bias), C of shape [M, N].
pub fn matmul(
    gpu: &Gpu,
    prog: &mut Program,
    a: Operand,
    b: Operand,
    bias: Option<&Tensor>,
    c: &Tensor,
) -> Result<()> {
    let op = "matmul";
    let (m, k) = a.dims(op, "A")?;
    let (kb, n) = b.dims(op, "B")?;
    let cs = c.shape();
    if k != kb || cs != [m, n] {
        return shape_err(
            op,
            format!(
                "A {:?}{} · B {:?}{} cannot give C {cs:?}",
                a.tensor.shape(),
                if a.transposed { "ᵀ" } else { "" },
                b.tensor.shape(),
                if b.transposed { "ᵀ" } else { "" },
            ),
        );
    }
    if let Some(bias) = bias {
        if bias.len() != n {
            return shape_err(
                op,
                format!("bias {:?} does not match {n} output columns", bias.shape()),
            );
        }
    }
    fits_u32(op, m * n.max(k))?;
    fits_u32(op, k * n)?;
    let (a_stride_m, a_stride_k) = if a.transposed { (1, m) } else { (k, 1) };
    let (b_stride_k, b_stride_n) = if b.transposed { (1, k) } else { (n, 1) };
    let params = Params {
        m: m as u32,
        n: n as u32,
        k: k as u32,
        a_stride_m: a_stride_m as u32,
        a_stride_k: a_stride_k as u32,
        b_stride_k: b_stride_k as u32,
        b_stride_n: b_stride_n as u32,
        ..Default::default()
    };
    let groups = [n.div_ceil(64) as u32, m.div_ceil(64) as u32, 1];
    let (a_t, b_t) = (a.transposed, b.transposed);
    let (m4, n4, k4) = (
        m.is_multiple_of(4),
        n.is_multiple_of(4),
        k.is_multiple_of(4),
    );
    let vec4_entry = match (a_t, b_t, bias.is_some()) {
        (false, false, false) if k4 && n4 => Some("matmul_nn"),
        (false, false, true) if k4 && n4 => Some("matmul_nn_bias"),
        (true, false, false) if m4 && n4 => Some("matmul_tn"),
        (false, true, false) if k4 && n4 => Some("matmul_nt"),
        _ => None,
    };
    let mut args = vec![a.tensor, b.tensor, c];
    args.extend(bias);
    if let Some(entry) = vec4_entry {
        // Each workgroup covers a 64×64 block of C (8×8 invocations, 8×8 each).
        let shader = if gpu.subgroup_matmul {
            "matmul_subgroup"
        } else {
            "matmul_vec4"
        };
        // A short M (a one-channel kernel's 25 taps) in 32-row workgroups.
        let (entry, groups) = match entry {
            "matmul_nt" if gpu.subgroup_matmul && m <= 32 => {
                ("matmul_nt_32", [groups[0], m.div_ceil(32) as u32, 1])
            }
            _ => (entry, groups),
        };
        return dispatch_product(
            gpu,
            prog,
            (shader, entry),
            &params,
            &numbered(&args),
            groups,
        );
    }
    // One dimension is not a multiple of 4 (the one-channel convolutions'
    // 5·5·1 = 25): the subgroup file reads that operand, or writes C, as
    // scalars and keeps vec4s for the rest.
    if gpu.subgroup_matmul {
        let any = match (a_t, b_t, bias) {
            (false, false, None) if n4 => Some((
                "matmul_nn_any_k",
                vec![(5, a.tensor), (2, b.tensor), (3, c)],
            )),
            (false, false, Some(bias)) if n4 => Some((
                "matmul_nn_any_k_bias",
                vec![(5, a.tensor), (2, b.tensor), (3, c), (4, bias)],
            )),
            (true, false, None) if n4 => Some((
                "matmul_tn_any_m",
                vec![(5, a.tensor), (2, b.tensor), (3, c)],
            )),
            (false, true, None) if k4 => Some((
                "matmul_nt_any_n",
                vec![(1, a.tensor), (2, b.tensor), (6, c)],
            )),
            _ => None,
        };
        if let Some((entry, bound)) = any {
            if entry == "matmul_tn_any_m" {
                return tn_product(gpu, prog, params, 64, c, |p, params, target, groups| {
                    dispatch_product(
                        gpu,
                        p,
                        ("matmul_subgroup", entry),
                        params,
                        &[(5, a.tensor), (2, b.tensor), (3, target)],
                        groups,
                    )
                });
            }
            let kernel = ("matmul_subgroup", entry);
            return dispatch_product(gpu, prog, kernel, &params, &bound, groups);
        }
    }
    // A long dot product per row: split K across a workgroup; with K short
    // and M long, one invocation per row instead.
    if n == 1 && k >= m {
        let rows = super::grid::folded(m, gpu.max_workgroups() as usize);
        let entry = if bias.is_some() {
            "matvec_bias"
        } else {
            "matvec"
        };
        return dispatch_product(
            gpu,
            prog,
            ("matmul", entry),
            &params,
            &numbered(&args),
            rows,
        );
    }
    if n == 1 && bias.is_none() {
        let groups = super::grid_1d(gpu, m);
        let kernel = ("matmul", "matvec_rows");
        return dispatch_product(gpu, prog, kernel, &params, &numbered(&args), groups);
    }
    let entry = if bias.is_some() {
        "matmul_bias"
    } else {
        "matmul"
    };
    dispatch_product(
        gpu,
        prog,
        ("matmul", entry),
        &params,
        &numbered(&args),
        groups,
    )
}

/// Records one product's dispatch, of the kernel's texel variant where the
/// adapter reads operands by texel fetch (`Gpu::texel_operands`), and
/// counts its 2·M·N·K FLOPs (from `params`) for the profile.
pub(crate) fn dispatch_product(
    gpu: &Gpu,
    prog: &mut Program,
    kernel: (&'static str, &'static str),
    params: &Params,
    args: &[(u32, &Tensor)],
    workgroups: [u32; 3],
) -> Result<()> {
    let (m, n, k) = (params.m as usize, params.n as usize, params.k as usize);
    dispatch_product_of(gpu, prog, kernel, params, args, workgroups, flops(m, n, k))
}

/// [`dispatch_product`] for a product whose FLOPs are not 2·M·N·K of its
/// params (the adjoint convolution sums only the taps that reach a pixel).
pub(crate) fn dispatch_product_of(
    gpu: &Gpu,
    prog: &mut Program,
    kernel: (&'static str, &'static str),
    params: &Params,
    args: &[(u32, &Tensor)],
    workgroups: [u32; 3],
    flops: f64,
) -> Result<()> {
    let kernel = match crate::shaders::texel_variant(kernel.0) {
        Some(variant) if gpu.texel_operands => (variant, kernel.1),
        _ => kernel,
    };
    prog.dispatch_at(gpu, kernel, params, args, workgroups)?;
    prog.count_flops(flops);
    Ok(())
}

/// `args` bound at 1, 2, ... in order.
fn numbered<'a>(args: &[&'a Tensor]) -> Vec<(u32, &'a Tensor)> {
    (1..).zip(args.iter().copied()).collect()
}

/// Workgroups a product should offer the device before splitting its K:
/// enough for every core of a large GPU (and both of a small CPU).
const TARGET_WORKGROUPS: usize = 128;
/// The shortest K slice worth a workgroup of its own.
const MIN_SLICE: usize = 256;

/// How to split the K of an [M, K]ᵀ·[K, N] product whose output is too small
/// to fill the device: (slices, slice length), or None to leave it whole.
/// Weight gradients are such products: small outputs, K = batch · pixels.
fn split_k(m: usize, n: usize, k: usize) -> Option<(usize, usize)> {
    let blocks = m.div_ceil(64) * n.div_ceil(64);
    let slices = TARGET_WORKGROUPS.div_ceil(blocks).min(k / MIN_SLICE);
    if slices < 2 {
        return None;
    }
    let len = k.div_ceil(slices).next_multiple_of(4);
    Some((k.div_ceil(len), len))
}

/// Records a tn-style product into `c` ([M, N]) through `dispatch(program,
/// params, target, workgroups)`, split over K into slices summed afterwards
/// (in a fixed order) when that adds parallelism. Each workgroup covers
/// `rows` rows × 64 columns of C.
pub(crate) fn tn_product(
    gpu: &Gpu,
    prog: &mut Program,
    mut params: Params,
    rows: usize,
    c: &Tensor,
    dispatch: impl FnOnce(&mut Program, &Params, &Tensor, [u32; 3]) -> Result<()>,
) -> Result<()> {
    let (m, n, k) = (params.m as usize, params.n as usize, params.k as usize);
    let groups = [n.div_ceil(64) as u32, m.div_ceil(rows) as u32, 1];
    match split_k(m, n, k) {
        None => dispatch(prog, &params, c, groups),
        Some((slices, len)) => {
            params.k_split = len as u32;
            let partial = gpu.zeros("split-K partial sums", &[slices, m * n])?;
            dispatch(
                prog,
                &params,
                &partial,
                [groups[0], groups[1], slices as u32],
            )?;
            super::reduce::sum_slices(gpu, prog, &partial, c)
        }
    }
}

/// Records a dense layer's weight gradient dw[M, N] = inputᵀ · d and its
/// bias gradient db[N] = Σ_k d as one product (input [K, M], d [K, N]: the
/// layer's input and the gradient at its output), where db follows dw in
/// memory (as in a parameter set) and a kernel takes a row of ones (N = 1
/// everywhere, else the subgroup kernels); returns false, recording
/// nothing, elsewhere.
pub fn weight_and_bias_grads(
    gpu: &Gpu,
    prog: &mut Program,
    input: &Tensor,
    d: &Tensor,
    (dw, db): (&Tensor, &Tensor),
) -> Result<bool> {
    let op = "dense weight and bias gradients";
    let (&[k, m], &[kd, n]) = (input.shape(), d.shape()) else {
        return shape_err(op, "input and d must be 2-D".to_string());
    };
    if kd != k || dw.len() != m * n || db.len() != n {
        return shape_err(
            op,
            format!(
                "input {:?} and d {:?} do not give dw {:?} and db {:?}",
                input.shape(),
                d.shape(),
                dw.shape(),
                db.shape()
            ),
        );
    }
    let both = match dw.followed_by(db) {
        Some(both) if n == 1 || (gpu.subgroup_matmul && n.is_multiple_of(4)) => both,
        _ => return Ok(false),
    };
    fits_u32(op, (m + 1) * n.max(k))?;
    let params = Params {
        m: (m + 1) as u32,
        n: n as u32,
        k: k as u32,
        ones_row: 1,
        ..Default::default()
    };
    if n == 1 {
        let params = Params {
            a_stride_m: 1,
            a_stride_k: m as u32,
            b_stride_k: 1,
            ..params
        };
        let groups = super::grid_1d(gpu, m + 1);
        let args = numbered(&[input, d, &both]);
        dispatch_product(gpu, prog, ("matmul", "matvec_rows"), &params, &args, groups)?;
        return Ok(true);
    }
    tn_product(gpu, prog, params, 64, &both, |p, params, target, groups| {
        dispatch_product(
            gpu,
            p,
            ("matmul_subgroup", "matmul_tn_any_m"),
            params,
            &[(5, input), (2, d), (3, target)],
            groups,
        )
    })?;
    Ok(true)
}

/// FLOPs of an [M, K] · [K, N] product.
pub fn flops(m: usize, n: usize, k: usize) -> f64 {
    2.0 * m as f64 * n as f64 * k as f64
}

/// The layout `shaders/matmul_vec4.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(
        Params,
        "matmul_vec4",
        "Params",
        [
            m,
            n,
            k,
            k_split,
            a_stride_m,
            a_stride_k,
            b_stride_k,
            b_stride_n,
            h,
            w,
            c4,
            oh,
            ow,
            kh,
            kw,
            stride,
            pad_top,
            pad_left,
            ones_row,
            alpha,
            drop_seed,
            drop_salt,
            drop_threshold,
            drop_scale,
            activation
        ]
    )
}
