//! The 1-D dispatch grid of the elementwise kernels
//! (`shaders/lib/grid.wgsl`): workgroups of [`WORKGROUP`] invocations over a
//! flat range, folded into a second dimension past the device's limit of
//! workgroups per dimension.

use crate::gpu::Gpu;

/// Invocations per workgroup; `GRID_WORKGROUP` in `shaders/lib/grid.wgsl`
/// (a test holds the two equal).
pub const WORKGROUP: usize = 256;

/// Workgroups for `len` elements: [x, y, 1] with x within the device's
/// limit; the shaders rebuild the index as x + y · groups_x · WORKGROUP.
pub fn grid_1d(gpu: &Gpu, len: usize) -> [u32; 3] {
    folded(len.div_ceil(WORKGROUP), gpu.max_workgroups() as usize)
}

/// `groups` workgroups as [x, y, 1] with x ≤ `max`.
pub fn folded(groups: usize, max: usize) -> [u32; 3] {
    if groups <= max {
        [groups as u32, 1, 1]
    } else {
        [max as u32, groups.div_ceil(max) as u32, 1]
    }
}
