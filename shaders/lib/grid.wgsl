// The 1-D dispatch grid of src/ops/grid.rs: workgroups of GRID_WORKGROUP
// invocations over a flat range of elements. Past the device's limit of
// workgroups per dimension the grid folds into a second dimension, so the
// flat index is x + y · (workgroups in x) · GRID_WORKGROUP. Kernels on this
// grid declare @workgroup_size(GRID_WORKGROUP) and skip indices past their
// length.

const GRID_WORKGROUP: u32 = 256u;

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * GRID_WORKGROUP;
}
