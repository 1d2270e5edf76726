//! Which matrix kernels an adapter can run (`shaders/probe.wgsl`): the
//! subgroup kernels share loads between aligned groups of 8 lanes and
//! derive their tile from the invocation index, so they need subgroups of a
//! multiple of 8 lanes laid over consecutive invocations. Vulkan, Metal and
//! D3D12 do not promise that layout, so it is measured once per device.

use super::{Gpu, Program};
use crate::error::Result;

/// Invocations in the probe's workgroup, as in the subgroup kernels.
const INVOCATIONS: usize = 64;

/// What the probe saw: `None` if every subgroup suits the subgroup kernels,
/// else why not.
pub async fn subgroup_layout_problem(gpu: &Gpu) -> Result<Option<String>> {
    let out = gpu.zeros("subgroup probe", &[2 * INVOCATIONS])?;
    let mut prog = Program::new();
    prog.dispatch(
        gpu,
        ("probe", "subgroup_layout"),
        &[0u32; 4],
        &[&out],
        [1, 1, 1],
    )?;
    gpu.run(&prog)?;
    let lanes: Vec<u32> = gpu.download(&out).await?;
    Ok(layout_problem(&lanes))
}

/// Checks (lane, size) pairs per invocation index.
fn layout_problem(lanes: &[u32]) -> Option<String> {
    for (index, pair) in lanes.chunks(2).enumerate() {
        let (lane, size) = (pair[0], pair[1]);
        if size == 0 || !size.is_multiple_of(8) {
            return Some(format!("a subgroup of {size} lanes is not a multiple of 8"));
        }
        if lane != index as u32 % size {
            return Some(format!(
                "invocation {index} is lane {lane} of a {size}-lane subgroup, not lane {}",
                index as u32 % size
            ));
        }
    }
    None
}
