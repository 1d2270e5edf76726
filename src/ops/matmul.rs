//! Matrix products for the dense layers and the im2col convolutions
//! (`shaders/matmul.wgsl`; reference: `cpu::matmul`).

use super::fits_u32;
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
    a_stride_m: u32,
    a_stride_k: u32,
    b_stride_k: u32,
    b_stride_n: u32,
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
        _pad: 0,
        a_stride_m: a_stride_m as u32,
        a_stride_k: a_stride_k as u32,
        b_stride_k: b_stride_k as u32,
        b_stride_n: b_stride_n as u32,
    };
    // Each workgroup covers a 64×64 block of C (8×8 invocations, 8×8 each).
    let groups = [n.div_ceil(64) as u32, m.div_ceil(64) as u32, 1];
    match bias {
        None => prog.dispatch(
            gpu,
            ("matmul", "matmul"),
            &params,
            &[a.tensor, b.tensor, c],
            groups,
        ),
        Some(bias) => prog.dispatch(
            gpu,
            ("matmul", "matmul_bias"),
            &params,
            &[a.tensor, b.tensor, c, bias],
            groups,
        ),
    }
}

/// FLOPs of an [M, K] · [K, N] product.
pub fn flops(m: usize, n: usize, k: usize) -> f64 {
    2.0 * m as f64 * n as f64 * k as f64
}
