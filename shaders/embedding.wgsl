// Class conditioning (`--conditional`): a table [classes, width] holding one
// row per class, looked up by each sample's label (a float class index, as
// data.wgsl gathers it). The generator adds its class's row to Dense's
// output: the one-hot code joined to z, whose Dense weights are exactly
// these rows. The discriminator adds ⟨row of its class, features⟩ to its
// logit: Miyato & Koyama's (2018) projection.
//
//   add_class_rows             out[b, f] += table[y_b, f]
//   add_scaled_class_rows      out[b, f] += scale[b] · table[y_b, f]
//   class_rows_gradient        out[c, f]  = Σ_{b: y_b = c} rows[b, f]
//   scaled_class_rows_gradient out[c, f]  = Σ_{b: y_b = c} scale[b] · rows[b, f]
//   projection                 out[b]    += Σ_f table[y_b, f] · rows[b, f]
//
// The scaled and unscaled forms are separate entry points, not one with a
// flag, because an entry point binds every buffer it reads: the unscaled
// ones are dispatched without a scale buffer.
//
// The gradients of the table loop over the batch in order, one invocation
// per element, and the projection sums one sample per workgroup (tree_sum),
// so every result is deterministic. A label outside [0, classes) selects no
// row (the loaders refuse such labels; this only keeps reads in bounds).

struct Params {
    // samples: rows of `rows` and `out` (a table gradient: of `rows`)
    batch: u32,
    // elements per row
    width: u32,
    classes: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read> rows: array<f32>;
@group(0) @binding(4) var<storage, read> scale: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

// Sample b's class, or `classes` where its label is not one.
fn class_of(b: u32) -> u32 {
    let label = labels[b];
    if label >= 0.0 && label < f32(p.classes) {
        return u32(label);
    }
    return p.classes;
}

// out[i] += s · table[y_b, f] for element i = b·width + f.
fn add_row_element(i: u32, s: f32) {
    let c = class_of(i / p.width);
    if c < p.classes {
        out[i] += s * table[c * p.width + i % p.width];
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn add_class_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.batch * p.width {
        add_row_element(i, 1.0);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn add_scaled_class_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.batch * p.width {
        add_row_element(i, scale[i / p.width]);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn class_rows_gradient(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.classes * p.width {
        return;
    }
    let c = i / p.width;
    let f = i % p.width;
    var sum = 0.0;
    for (var b = 0u; b < p.batch; b++) {
        if class_of(b) == c {
            sum += rows[b * p.width + f];
        }
    }
    out[i] = sum;
}

@compute @workgroup_size(GRID_WORKGROUP)
fn scaled_class_rows_gradient(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.classes * p.width {
        return;
    }
    let c = i / p.width;
    let f = i % p.width;
    var sum = 0.0;
    for (var b = 0u; b < p.batch; b++) {
        if class_of(b) == c {
            sum += scale[b] * rows[b * p.width + f];
        }
    }
    out[i] = sum;
}

// One workgroup per sample: workgroup (x, y) is sample x + y·(workgroups in
// x), so batches past the per-dimension limit fold like the 1-D grid.
@compute @workgroup_size(TREE_WG)
fn projection(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
    let b = wid.x + wid.y * nwg.x;
    if b >= p.batch {
        return;
    }
    let lid = lid3.x;
    let c = class_of(b);
    var sum = 0.0;
    if c < p.classes {
        for (var f = lid; f < p.width; f += TREE_WG) {
            sum += table[c * p.width + f] * rows[b * p.width + f];
        }
    }
    partial[lid] = sum;
    let total = tree_sum(lid);
    if lid == 0u {
        out[b] += total;
    }
}
