//! GPU ops: each module records the dispatches of one shader file in
//! `shaders/` into a [`Program`](crate::gpu::Program), after checking shapes.
//! `src/cpu/` holds the matching plain-Rust reference of each.

pub mod activations;
pub mod batchnorm;
pub mod conv;
pub mod counter;
pub mod data;
pub mod dropout;
pub mod ema;
pub mod embedding;
pub mod grid;
pub mod loss;
pub mod matmul;
pub mod optim;
pub mod random;
pub mod reduce;
pub mod spectral_norm;

use crate::error::{shape_err, Result};
use crate::gpu::Tensor;
pub(crate) use grid::grid_1d;

/// Checks that every tensor has `len` elements.
pub(crate) fn same_len(op: &str, tensors: &[(&str, &Tensor)]) -> Result<usize> {
    let len = tensors[0].1.len();
    for (name, t) in tensors {
        if t.len() != len {
            let shapes: Vec<String> = tensors
                .iter()
                .map(|(n, t)| format!("{n} {:?}", t.shape()))
                .collect();
            return shape_err(
                op,
                format!(
                    "{name} has {} elements, expected {len}: {}",
                    t.len(),
                    shapes.join(", ")
                ),
            );
        }
    }
    Ok(len)
}

/// Checks that a length fits the u32 indices of the shaders.
pub(crate) fn fits_u32(op: &str, len: usize) -> Result<u32> {
    u32::try_from(len).or_else(|_| shape_err(op, format!("{len} elements exceed 2^32")))
}

/// Every Rust struct that a WGSL struct mirrors, for the layout test.
pub fn mirrors() -> Vec<crate::gpu::mirror::Mirror> {
    vec![
        activations::mirror(),
        batchnorm::mirror(),
        conv::mirror(),
        counter::mirror(),
        data::mirror(),
        dropout::mirror(),
        ema::mirror(),
        embedding::mirror(),
        loss::mirror(),
        loss::metrics_mirror(),
        matmul::mirror(),
        optim::mirror(),
        random::mirror(),
        reduce::mirror(),
        spectral_norm::mirror(),
    ]
}
