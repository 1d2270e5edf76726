// Spectral normalisation (Miyato et al. 2018): a weight matrix W [rows, cols]
// (a Keras kernel [kh, kw, in, out] read as [kh·kw·in, out]) is used as
// W / σ(W), where σ is its largest singular value, estimated by one step of
// power iteration per forward pass from the vector u that persists between
// steps:
//   v = W u / ‖W u‖,   u ← Wᵀ v / ‖Wᵀ v‖,   σ = ‖Wᵀ v‖ = vᵀ W u
// (norms floored at 1e-12, as PyTorch's). The backward treats u and v as
// constants, as Miyato et al. and PyTorch do, so with G = dL/d(W/σ):
//   dL/dW = (G - ⟨G, W/σ⟩ v uᵀ) / σ
// Power iteration and the backward's inner product run in one workgroup,
// so their sums are deterministic.

struct Params {
    rows: u32,
    cols: u32,
    // slot of this matrix's σ in `sigma`
    index: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> sigma: array<f32>;
@group(0) @binding(5) var<storage, read_write> w_sn: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad: array<f32>;

const EPS: f32 = 1e-12;

// One power-iteration step: updates u, writes the normalised v and σ.
@compute @workgroup_size(TREE_WG)
fn power_iteration(@builtin(local_invocation_id) lid3: vec3<u32>) {
    let lid = lid3.x;
    var square = 0.0;
    for (var i = lid; i < p.rows; i += TREE_WG) {
        var s = 0.0;
        for (var j = 0u; j < p.cols; j++) {
            s += w[i * p.cols + j] * u[j];
        }
        v[i] = s;
        square += s * s;
    }
    partial[lid] = square;
    let v_norm = max(sqrt(tree_sum(lid)), EPS);
    // Every invocation has read u and partial[0] and written its part of v.
    storageBarrier();
    square = 0.0;
    for (var j = lid; j < p.cols; j += TREE_WG) {
        var s = 0.0;
        for (var i = 0u; i < p.rows; i++) {
            s += w[i * p.cols + j] * v[i];
        }
        s /= v_norm;
        // Wᵀv, normalised below once σ is known.
        u[j] = s;
        square += s * s;
    }
    partial[lid] = square;
    let largest = max(sqrt(tree_sum(lid)), EPS);
    storageBarrier();
    for (var j = lid; j < p.cols; j += TREE_WG) {
        u[j] /= largest;
    }
    for (var i = lid; i < p.rows; i += TREE_WG) {
        v[i] /= v_norm;
    }
    if lid == 0u {
        sigma[p.index] = largest;
    }
}

// w_sn = W / σ, one invocation per element.
@compute @workgroup_size(GRID_WORKGROUP)
fn normalize_weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = index(gid, nwg);
    if k >= p.rows * p.cols {
        return;
    }
    w_sn[k] = w[k] / sigma[p.index];
}

// grad ← (grad - ⟨grad, w_sn⟩ v uᵀ) / σ, in place.
@compute @workgroup_size(TREE_WG)
fn backward_weights(@builtin(local_invocation_id) lid3: vec3<u32>) {
    let lid = lid3.x;
    let len = p.rows * p.cols;
    var dot = 0.0;
    for (var k = lid; k < len; k += TREE_WG) {
        dot += grad[k] * w_sn[k];
    }
    partial[lid] = dot;
    let total = tree_sum(lid);
    let inv_sigma = 1.0 / sigma[p.index];
    for (var k = lid; k < len; k += TREE_WG) {
        grad[k] = (grad[k] - total * v[k / p.cols] * u[k % p.cols]) * inv_sigma;
    }
}
