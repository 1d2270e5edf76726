// Deterministic sums: each output is reduced by one workgroup in a fixed
// order (strided partial sums, then a tree in workgroup memory), with no
// float atomics, so the same input gives bit-identical output on every run
// (grid.wgsl and tree_sum.wgsl come first).

struct Params {
    rows: u32,
    cols: u32,
    // multiplies the sum: 1 for a sum, 1/n for a mean
    scale: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// out[c] = scale · Σ_r x[r, c] for x of shape [rows, cols]: the bias
// gradient of a dense or convolution layer in NHWC. One workgroup a column.
@compute @workgroup_size(TREE_WG)
fn sum_columns(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lid = lid3.x;
    let col = wid.x;
    var s = 0.0;
    for (var r = lid; r < p.rows; r += TREE_WG) {
        s += x[r * p.cols + col];
    }
    partial[lid] = s;
    let total = tree_sum(lid);
    if lid == 0u {
        out[col] = total * p.scale;
    }
}

// out[i] = scale · Σ_r x[r, i] with one invocation per column: for a few
// rows of many columns (the slices of a split-K product), summed in row
// order, so deterministic too.
@compute @workgroup_size(GRID_WORKGROUP)
fn sum_rows_per_column(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let col = index(gid, nwg);
    if col >= p.cols {
        return;
    }
    var s = 0.0;
    for (var r = 0u; r < p.rows; r++) {
        s += x[r * p.cols + col];
    }
    out[col] = s * p.scale;
}
