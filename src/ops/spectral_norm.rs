//! Spectral normalisation of a weight matrix (`shaders/spectral_norm.wgsl`;
//! reference: `cpu::spectral_norm`): `--spectral-norm` uses every kernel of
//! the discriminator as W / σ(W).

use super::grid_1d;
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    index: u32,
    _pad: u32,
}

/// One normalised matrix: the weights `w` ([rows, cols] elements, any
/// shape), the persistent left vector `u` [cols], the scratch right vector
/// `v` [rows], slot `index` of `sigma`, and `w_sn`, where W / σ goes.
pub struct Spectral<'a> {
    pub w: &'a Tensor,
    pub rows: usize,
    pub u: &'a Tensor,
    pub v: &'a Tensor,
    pub sigma: &'a Tensor,
    pub index: usize,
    pub w_sn: &'a Tensor,
}

impl Spectral<'_> {
    fn params(&self, op: &str) -> Result<Params> {
        let (rows, len) = (self.rows, self.w.len());
        if rows == 0 || !len.is_multiple_of(rows) {
            return shape_err(op, format!("w {:?} is not {rows} rows", self.w.shape()));
        }
        let cols = len / rows;
        if self.u.len() != cols
            || self.v.len() != rows
            || self.w_sn.len() != len
            || self.index >= self.sigma.len()
        {
            return shape_err(
                op,
                format!(
                    "w {:?} as [{rows}, {cols}] needs u [{cols}], v [{rows}], w_sn of {len} and sigma slot {}; got u {:?}, v {:?}, w_sn {:?}, sigma {:?}",
                    self.w.shape(),
                    self.index,
                    self.u.shape(),
                    self.v.shape(),
                    self.w_sn.shape(),
                    self.sigma.shape()
                ),
            );
        }
        Ok(Params {
            rows: rows as u32,
            cols: cols as u32,
            index: self.index as u32,
            _pad: 0,
        })
    }
}

/// Records one power-iteration step (u, v and σ updated) and w_sn = W / σ.
pub fn forward(gpu: &Gpu, prog: &mut Program, s: &Spectral) -> Result<()> {
    let params = s.params("spectral_norm forward")?;
    prog.dispatch(
        gpu,
        ("spectral_norm", "power_iteration"),
        &params,
        &[s.w, s.u, s.v, s.sigma],
        [1, 1, 1],
    )?;
    prog.dispatch_at(
        gpu,
        ("spectral_norm", "normalize_weights"),
        &params,
        &[(1, s.w), (4, s.sigma), (5, s.w_sn)],
        grid_1d(gpu, s.w.len()),
    )
}

/// Records grad ← (grad - ⟨grad, w_sn⟩ v uᵀ) / σ in place: the gradient
/// with respect to W from the one with respect to W / σ, after `forward`.
pub fn backward(gpu: &Gpu, prog: &mut Program, s: &Spectral, grad: &Tensor) -> Result<()> {
    let op = "spectral_norm backward";
    let params = s.params(op)?;
    if grad.len() != s.w.len() {
        return shape_err(
            op,
            format!("grad {:?} does not match w {:?}", grad.shape(), s.w.shape()),
        );
    }
    prog.dispatch_at(
        gpu,
        ("spectral_norm", "backward_weights"),
        &params,
        &[(2, s.u), (3, s.v), (4, s.sigma), (5, s.w_sn), (6, grad)],
        [1, 1, 1],
    )
}

/// The layout `shaders/spectral_norm.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "spectral_norm", "Params", [rows, cols, index])
}
