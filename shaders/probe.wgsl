// How the adapter lays subgroups over a 1-D workgroup: each invocation
// writes its subgroup lane and the subgroup size. src/gpu/probe.rs reads
// this once per device and uses the subgroup kernels (tile_subgroup.wgsl)
// only where every subgroup has a multiple of 8 lanes and lane = index mod
// size, which those kernels rely on.

@group(0) @binding(1) var<storage, read_write> lanes: array<u32>;

@compute @workgroup_size(64)
fn subgroup_layout(@builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
    lanes[2u * lid] = lane;
    lanes[2u * lid + 1u] = size;
}
