// Element-wise activations and their gradients. Every backward kernel takes
// the pre-activation input x and the upstream gradient dy, and writes
// dx = dy · f'(x), so a layer only keeps its input for the backward pass.

struct Params {
    len: u32,
    alpha: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// Forward kernels write y here, backward kernels write dx.
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;

@compute @workgroup_size(GRID_WORKGROUP)
fn leaky_relu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len { out[i] = select(p.alpha * x[i], x[i], x[i] > 0.0); }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn leaky_relu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len { out[i] = select(p.alpha * dy[i], dy[i], x[i] > 0.0); }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn selu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        let v = x[i];
        out[i] = selu(v);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn selu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len { out[i] = selu_grad(dy[i], x[i]); }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn tanh_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len { out[i] = stable_tanh(x[i]); }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn tanh_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len { out[i] = tanh_grad(dy[i], x[i]); }
}

