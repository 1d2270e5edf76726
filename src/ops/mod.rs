//! GPU ops: each module records the dispatches of one shader file in
//! `shaders/` into a [`Program`](crate::gpu::Program), after checking shapes.
//! `src/cpu/` holds the matching plain-Rust reference of each.

pub mod activations;
pub mod batchnorm;
pub mod conv;
pub mod data;
pub mod dropout;
pub mod loss;
pub mod matmul;
pub mod optim;
pub mod random;
pub mod reduce;

use crate::error::{shape_err, Result};
use crate::gpu::Tensor;

/// Workgroups for a 1-D kernel of 256 invocations over `len` elements,
/// folded into a second dimension past 65535 workgroups (the shaders
/// rebuild the index as x + y · 256 · groups_x).
pub(crate) fn grid_1d(len: usize) -> [u32; 3] {
    let groups = len.div_ceil(256);
    if groups <= 65535 {
        [groups as u32, 1, 1]
    } else {
        [65535, groups.div_ceil(65535) as u32, 1]
    }
}

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
