// Batch normalisation over the channels of an NHWC tensor viewed as
// [rows, channels], rows = batch · height · width, as Keras'
// BatchNormalization(axis=-1) computes it: ε = 1e-3, biased batch variance,
// running statistics r ← momentum · r + (1 - momentum) · batch statistic.
//
// Forward (training):  x̂ = (x - μ) / √(σ² + ε),  y = γ x̂ + β
// Backward, with m = rows:
//   dβ = Σ dy,  dγ = Σ dy · x̂,  dx = γ / √(σ² + ε) / m · (m·dy - dβ - x̂ · dγ)
// The per-channel sums use one workgroup per channel and a fixed-order tree,
// so they are deterministic. The variance is a second pass over (x - μ)²,
// not E[x²] - μ², which loses every digit when |μ| ≫ σ. In training each
// direction is one dispatch: the workgroup that sums a channel goes on to
// normalise it (bn_forward) or to write its dx (bn_backward). In the
// generator a batch norm's input is the previous block's SELU, whose
// gradient bn_backward_selu applies as it stores dx (lib/activation.wgsl);
// the SELU's input is a transposed convolution's output, and the same
// workgroup sums its channel of that gradient: the convolution's bias
// gradient.
// With the channels in 4s, the *_vec4 kernels do the same for 4 channels
// per workgroup, reading vec4s: each channel's terms are added in the same
// order, so the bits are the same, and a vec4 load costs a CPU driver
// (lavapipe) about what a scalar one does: 3-4× faster there.

struct Params {
    rows: u32,
    channels: u32,
    eps: f32,
    momentum: f32,
    // bn_stats: 1 to update the running statistics
    update_running: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// x, in both directions (the backward pass recomputes x̂)
@group(0) @binding(1) var<storage, read> x: array<f32>;
// [μ (channels), 1/√(σ² + ε) (channels)]: written by bn_forward, read by
// bn_backward*; bn_normalize_running: [running μ, running σ²]
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
// [γ (channels), β (channels)]
@group(0) @binding(3) var<storage, read> gamma_beta: array<f32>;
// bn_forward: [running μ, running σ²] (read-write); bn_normalize_running:
// y; bn_backward: [dγ, dβ]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// bn_backward*: dy
@group(0) @binding(5) var<storage, read> dy: array<f32>;
// bn_backward_selu: the pre-activation of the SELU whose output x is
@group(0) @binding(6) var<storage, read> selu_input: array<f32>;
// bn_forward: y; bn_backward: dx
@group(0) @binding(7) var<storage, read_write> result: array<f32>;
// bn_backward_selu: the bias gradient of the convolution before the SELU
@group(0) @binding(8) var<storage, read_write> bias_grad: array<f32>;

// The same tensors as vec4s of 4 channels, for the *_vec4 kernels
// (channels a multiple of 4).
@group(0) @binding(9) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read> selu_input4: array<vec4<f32>>;
@group(0) @binding(12) var<storage, read_write> result4: array<vec4<f32>>;

const WG: u32 = 256u;
var<workgroup> partial: array<f32, 256>;
var<workgroup> partial2: array<f32, 256>;
var<workgroup> partial4: array<vec4<f32>, 256>;
var<workgroup> partial4b: array<vec4<f32>, 256>;

fn tree_reduce4(lid: u32) {
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        workgroupBarrier();
        if lid < stride {
            partial4[lid] += partial4[lid + stride];
            partial4b[lid] += partial4b[lid + stride];
        }
    }
    workgroupBarrier();
}

// Channels 4·cb .. 4·cb + 4: (means, variances), as channel_mean_var.
fn block_mean_var(lid: u32, cb: u32) -> array<vec4<f32>, 2> {
    let c4 = p.channels / 4u;
    var s = vec4(0.0);
    for (var r = lid; r < p.rows; r += WG) {
        s += x4[r * c4 + cb];
    }
    partial4[lid] = s;
    partial4b[lid] = vec4(0.0);
    tree_reduce4(lid);
    let mean = partial4[0] / f32(p.rows);
    workgroupBarrier();
    var q = vec4(0.0);
    for (var r = lid; r < p.rows; r += WG) {
        let d = x4[r * c4 + cb] - mean;
        q += d * d;
    }
    partial4[lid] = q;
    tree_reduce4(lid);
    return array(mean, partial4[0] / f32(p.rows));
}

@compute @workgroup_size(256)
fn bn_forward_vec4(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lid = lid3.x;
    let cb = wid.x;
    let c = p.channels;
    let c4 = c / 4u;
    let mv = block_mean_var(lid, cb);
    let mean = mv[0];
    let inv_std = 1.0 / sqrt(mv[1] + p.eps);
    if lid < 4u {
        let ch = 4u * cb + lid;
        stats[ch] = mean[lid];
        stats[c + ch] = inv_std[lid];
        if p.update_running == 1u {
            out[ch] = p.momentum * out[ch] + (1.0 - p.momentum) * mean[lid];
            out[c + ch] = p.momentum * out[c + ch] + (1.0 - p.momentum) * mv[1][lid];
        }
    }
    let gamma = gamma_beta4(cb);
    let beta = gamma_beta4(cb + c4);
    for (var r = lid; r < p.rows; r += WG) {
        let i = r * c4 + cb;
        let xhat = (x4[i] - mean) * inv_std;
        result4[i] = gamma * xhat + beta;
    }
}

fn tree_reduce2(lid: u32) {
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        workgroupBarrier();
        if lid < stride {
            partial[lid] += partial[lid + stride];
            partial2[lid] += partial2[lid + stride];
        }
    }
    workgroupBarrier();
}

// Channel ch's (mean, variance about the mean), in every invocation of its
// workgroup.
fn channel_mean_var(lid: u32, ch: u32) -> vec2<f32> {
    let c = p.channels;
    var s = 0.0;
    for (var r = lid; r < p.rows; r += WG) {
        s += x[r * c + ch];
    }
    partial[lid] = s;
    partial2[lid] = 0.0;
    tree_reduce2(lid);
    let mean = partial[0] / f32(p.rows);
    workgroupBarrier();
    var q = 0.0;
    for (var r = lid; r < p.rows; r += WG) {
        let d = x[r * c + ch] - mean;
        q += d * d;
    }
    partial[lid] = q;
    tree_reduce2(lid);
    return vec2(mean, partial[0] / f32(p.rows));
}

// One workgroup per channel: mean, variance about the mean, the running
// statistics, then y = γ x̂ + β over the channel.
@compute @workgroup_size(256)
fn bn_forward(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lid = lid3.x;
    let ch = wid.x;
    let c = p.channels;
    let mv = channel_mean_var(lid, ch);
    let mean = mv.x;
    let inv_std = 1.0 / sqrt(mv.y + p.eps);
    if lid == 0u {
        stats[ch] = mean;
        stats[c + ch] = inv_std;
        if p.update_running == 1u {
            out[ch] = p.momentum * out[ch] + (1.0 - p.momentum) * mean;
            out[c + ch] = p.momentum * out[c + ch] + (1.0 - p.momentum) * mv.y;
        }
    }
    for (var r = lid; r < p.rows; r += WG) {
        let i = r * c + ch;
        let xhat = (x[i] - mean) * inv_std;
        result[i] = gamma_beta[ch] * xhat + gamma_beta[c + ch];
    }
}

// Inference: `stats` holds the running [μ, σ²] instead.
@compute @workgroup_size(GRID_WORKGROUP)
fn bn_normalize_running(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.rows * p.channels {
        return;
    }
    let ch = i % p.channels;
    let xhat = (x[i] - stats[ch]) / sqrt(stats[p.channels + ch] + p.eps);
    out[i] = gamma_beta[ch] * xhat + gamma_beta[p.channels + ch];
}

// One workgroup per channel: dγ = Σ dy · x̂ and dβ = Σ dy, stored, then
// returned for dx over the channel.
fn backward_sums(lid: u32, ch: u32) -> vec2<f32> {
    let c = p.channels;
    let mean = stats[ch];
    let inv_std = stats[c + ch];
    var sg = 0.0;
    var sb = 0.0;
    for (var r = lid; r < p.rows; r += WG) {
        let i = r * c + ch;
        sg += dy[i] * (x[i] - mean) * inv_std;
        sb += dy[i];
    }
    partial[lid] = sg;
    partial2[lid] = sb;
    tree_reduce2(lid);
    let dgamma = partial[0];
    let dbeta = partial2[0];
    if lid == 0u {
        out[ch] = dgamma;
        out[c + ch] = dbeta;
    }
    return vec2(dgamma, dbeta);
}

// dx at element i of channel ch from the channel's sums.
fn backward_dx(i: u32, ch: u32, sums: vec2<f32>) -> f32 {
    let c = p.channels;
    let inv_std = stats[c + ch];
    let xhat = (x[i] - stats[ch]) * inv_std;
    let m = f32(p.rows);
    return gamma_beta[ch] * inv_std / m * (m * dy[i] - sums.y - xhat * sums.x);
}

@compute @workgroup_size(256)
fn bn_backward(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lid = lid3.x;
    let ch = wid.x;
    let sums = backward_sums(lid, ch);
    for (var r = lid; r < p.rows; r += WG) {
        let i = r * p.channels + ch;
        result[i] = backward_dx(i, ch, sums);
    }
}

// bn_backward, then the gradient of the SELU in front: result is the
// gradient at the SELU's input. Within an ulp or so of the two kernels in
// turn, not bit for bit: the driver may order the fused products
// differently.
@compute @workgroup_size(256)
fn bn_backward_selu(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lid = lid3.x;
    let ch = wid.x;
    let sums = backward_sums(lid, ch);
    var s = 0.0;
    for (var r = lid; r < p.rows; r += WG) {
        let i = r * p.channels + ch;
        let d = selu_grad(backward_dx(i, ch, sums), selu_input[i]);
        result[i] = d;
        s += d;
    }
    // Every invocation has read the sums out of partial[0] and partial2[0].
    workgroupBarrier();
    partial[lid] = s;
    partial2[lid] = 0.0;
    tree_reduce2(lid);
    if lid == 0u {
        bias_grad[ch] = partial[0];
    }
}

// Channels 4·cb .. 4·cb + 4: backward_sums, (dγ, dβ) as vec4s.
fn block_backward_sums(lid: u32, cb: u32) -> array<vec4<f32>, 2> {
    let c = p.channels;
    let c4 = c / 4u;
    let mean = stats4(cb);
    let inv_std = stats4(cb + c4);
    var sg = vec4(0.0);
    var sb = vec4(0.0);
    for (var r = lid; r < p.rows; r += WG) {
        let i = r * c4 + cb;
        sg += dy4[i] * (x4[i] - mean) * inv_std;
        sb += dy4[i];
    }
    partial4[lid] = sg;
    partial4b[lid] = sb;
    tree_reduce4(lid);
    let dgamma = partial4[0];
    let dbeta = partial4b[0];
    if lid < 4u {
        out[4u * cb + lid] = dgamma[lid];
        out[c + 4u * cb + lid] = dbeta[lid];
    }
    return array(dgamma, dbeta);
}

// Elements 4·j .. 4·j + 4 of stats or gamma_beta, whose halves are per
// channel: channel block cb is j = cb in the first half (μ, γ) and
// j = cb + channels / 4 in the second (1/√(σ² + ε), β).
fn stats4(j: u32) -> vec4<f32> {
    return vec4(stats[4u * j], stats[4u * j + 1u], stats[4u * j + 2u], stats[4u * j + 3u]);
}

fn gamma_beta4(j: u32) -> vec4<f32> {
    return vec4(gamma_beta[4u * j], gamma_beta[4u * j + 1u], gamma_beta[4u * j + 2u], gamma_beta[4u * j + 3u]);
}

// backward_dx for vec4 i of channel block cb.
fn block_backward_dx(i: u32, cb: u32, sums: array<vec4<f32>, 2>) -> vec4<f32> {
    let inv_std = stats4(cb + p.channels / 4u);
    let xhat = (x4[i] - stats4(cb)) * inv_std;
    let m = f32(p.rows);
    return gamma_beta4(cb) * inv_std / m * (m * dy4[i] - sums[1] - xhat * sums[0]);
}

@compute @workgroup_size(256)
fn bn_backward_vec4(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lid = lid3.x;
    let cb = wid.x;
    let sums = block_backward_sums(lid, cb);
    for (var r = lid; r < p.rows; r += WG) {
        let i = r * (p.channels / 4u) + cb;
        result4[i] = block_backward_dx(i, cb, sums);
    }
}

@compute @workgroup_size(256)
fn bn_backward_selu_vec4(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lid = lid3.x;
    let cb = wid.x;
    let sums = block_backward_sums(lid, cb);
    var s = vec4(0.0);
    for (var r = lid; r < p.rows; r += WG) {
        let i = r * (p.channels / 4u) + cb;
        let dx = block_backward_dx(i, cb, sums);
        let pre = selu_input4[i];
        let d = vec4(selu_grad(dx.x, pre.x), selu_grad(dx.y, pre.y), selu_grad(dx.z, pre.z), selu_grad(dx.w, pre.w));
        result4[i] = d;
        s += d;
    }
    workgroupBarrier();
    partial4[lid] = s;
    partial4b[lid] = vec4(0.0);
    tree_reduce4(lid);
    if lid < 4u {
        bias_grad[4u * cb + lid] = partial4[0][lid];
    }
}
