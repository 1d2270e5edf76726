// A workgroup's deterministic sum: each of TREE_WG invocations leaves its
// partial sum in `partial`, then tree_sum adds them pairwise in a fixed
// order (no float atomics), so the same input gives bit-identical sums on
// every run. Kernels that use it run @workgroup_size(TREE_WG).

const TREE_WG: u32 = 256u;
var<workgroup> partial: array<f32, TREE_WG>;

// The sum of partial[0 .. TREE_WG], once every invocation has written its own.
fn tree_sum(lid: u32) -> f32 {
    for (var stride = TREE_WG / 2u; stride > 0u; stride /= 2u) {
        workgroupBarrier();
        if lid < stride {
            partial[lid] += partial[lid + stride];
        }
    }
    workgroupBarrier();
    return partial[0];
}
