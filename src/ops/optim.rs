//! Adam and RMSprop updates with Keras' semantics, one dispatch per
//! parameter buffer (`shaders/optim.wgsl`; reference: `cpu::optim`).

use super::{grid_1d, same_len};
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::spec::optim::Optimizer;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    len: u32,
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

/// Records one update of `param` from `grad`. `state` holds the optimiser's
/// tensors (Adam: [m, v]; RMSprop: [v]); the counter's step + 1 is Adam's t.
pub fn step(
    gpu: &Gpu,
    prog: &mut Program,
    opt: &Optimizer,
    param: &Tensor,
    grad: &Tensor,
    state: &[Tensor],
    counter: &Tensor,
) -> Result<()> {
    let op = "optimizer step";
    if state.len() != opt.state_count() {
        return shape_err(
            op,
            format!(
                "{opt:?} needs {} state tensors, got {}",
                opt.state_count(),
                state.len()
            ),
        );
    }
    let mut named = vec![("param", param), ("grad", grad)];
    named.extend(state.iter().map(|s| ("state", s)));
    let len = same_len(op, &named)?;
    // A length in 4s: the vec4 kernels, one invocation per 4 parameters.
    let vec4 = len.is_multiple_of(4);
    // Adam's bias correction reads the step counter.
    let (entry, params, reads_counter) = match *opt {
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => (["adam", "adam_vec4"], (lr, beta1, beta2, eps), true),
        Optimizer::Rmsprop { lr, rho, eps } => {
            (["rmsprop", "rmsprop_vec4"], (lr, rho, 0.0, eps), false)
        }
    };
    let (lr, beta1, beta2, eps) = params;
    let params = Params {
        len: len as u32,
        lr,
        beta1,
        beta2,
        eps,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
    };
    let first = if vec4 { 6 } else { 1 };
    let mut args: Vec<(u32, &Tensor)> = vec![(first, param), (first + 1, grad)];
    args.extend((first + 2..).zip(state));
    if reads_counter {
        args.push((5, counter));
    }
    let (entry, groups) = match vec4 {
        true => (entry[1], grid_1d(gpu, len / 4)),
        false => (entry[0], grid_1d(gpu, len)),
    };
    prog.dispatch_at(gpu, ("optim", entry), &params, &args, groups)
}

/// The layout `shaders/optim.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(Params, "optim", "Params", [len, lr, beta1, beta2, eps])
}
