//! Element-wise activations and their gradients (`shaders/activations.wgsl`;
//! reference: `cpu::activations`).

use super::{grid_1d, same_len};
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};
pub use crate::spec::activation::Activation;

/// The forward and backward entry points of `act`.
fn entries(act: Activation) -> (&'static str, &'static str) {
    match act {
        Activation::LeakyRelu(_) => ("leaky_relu_forward", "leaky_relu_backward"),
        Activation::Selu => ("selu_forward", "selu_backward"),
        Activation::Tanh => ("tanh_forward", "tanh_backward"),
    }
}

fn params(act: Activation, len: usize) -> Params {
    Params {
        len: len as u32,
        alpha: match act {
            Activation::LeakyRelu(a) => a,
            _ => 0.0,
        },
        _pad: [0; 2],
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    len: u32,
    alpha: f32,
    _pad: [u32; 2],
}

/// Records y = f(x).
pub fn forward(
    gpu: &Gpu,
    prog: &mut Program,
    act: Activation,
    x: &Tensor,
    y: &Tensor,
) -> Result<()> {
    let len = same_len(&format!("{act:?} forward"), &[("x", x), ("y", y)])?;
    prog.dispatch(
        gpu,
        ("activations", entries(act).0),
        &params(act, len),
        &[x, y],
        grid_1d(gpu, len),
    )
}

/// Records dx = dy · f'(x).
pub fn backward(
    gpu: &Gpu,
    prog: &mut Program,
    act: Activation,
    x: &Tensor,
    dy: &Tensor,
    dx: &Tensor,
) -> Result<()> {
    let len = same_len(
        &format!("{act:?} backward"),
        &[("x", x), ("dy", dy), ("dx", dx)],
    )?;
    prog.dispatch(
        gpu,
        ("activations", entries(act).1),
        &params(act, len),
        &[x, dx, dy],
        grid_1d(gpu, len),
    )
}

/// The layout `shaders/activations.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "activations", "Params", [len, alpha])
}
