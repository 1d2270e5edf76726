// Optimiser updates with Keras' semantics, one invocation per parameter,
// fused over a whole parameter buffer (every tensor of a network lives in
// one buffer, so one dispatch updates the network).
//
// Adam (Kingma & Ba; Keras' form of the bias correction), step t = counter + 1:
//   m ← β₁m + (1-β₁)g,  v ← β₂v + (1-β₂)g²
//   θ ← θ - lr·√(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε)
// RMSprop (Keras, no momentum, not centred):
//   v ← ρv + (1-ρ)g²,   θ ← θ - lr · g / √(v + ε)

struct Params {
    len: u32,
    lr: f32,
    // Adam: β₁, β₂; RMSprop: ρ, unused
    beta1: f32,
    beta2: f32,
    eps: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
// Adam: first moment; RMSprop: mean square
@group(0) @binding(3) var<storage, read_write> moment1: array<f32>;
@group(0) @binding(4) var<storage, read_write> moment2: array<f32>;
@group(0) @binding(5) var<storage, read> counter: StepCounter;
// The same buffers as vec4s, for the *_vec4 kernels (a length in 4s): one
// invocation per 4 parameters, since a vec4 load costs a CPU driver about
// what a scalar one does. The arithmetic is the same per component, so
// the bits are too.
@group(0) @binding(6) var<storage, read_write> param4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> grad4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> moment1_4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> moment2_4: array<vec4<f32>>;

// Adam's (m, v, step to subtract from θ) from g, m and v.
fn adam_update(g: vec4<f32>, m0: vec4<f32>, v0: vec4<f32>) -> array<vec4<f32>, 3> {
    let t = f32(counter.step + 1u);
    let alpha = p.lr * sqrt(1.0 - pow(p.beta2, t)) / (1.0 - pow(p.beta1, t));
    let m = p.beta1 * m0 + (1.0 - p.beta1) * g;
    let v = p.beta2 * v0 + (1.0 - p.beta2) * g * g;
    return array(m, v, alpha * m / (sqrt(v) + p.eps));
}

// RMSprop's (mean square, step to subtract from θ) from g and the mean square.
fn rmsprop_update(g: vec4<f32>, v0: vec4<f32>) -> array<vec4<f32>, 2> {
    let v = p.beta1 * v0 + (1.0 - p.beta1) * g * g;
    return array(v, p.lr * g / sqrt(v + p.eps));
}

@compute @workgroup_size(GRID_WORKGROUP)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.len {
        return;
    }
    let u = adam_update(vec4(grad[i]), vec4(moment1[i]), vec4(moment2[i]));
    moment1[i] = u[0].x;
    moment2[i] = u[1].x;
    param[i] -= u[2].x;
}

@compute @workgroup_size(GRID_WORKGROUP)
fn adam_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.len / 4u {
        return;
    }
    let u = adam_update(grad4[i], moment1_4[i], moment2_4[i]);
    moment1_4[i] = u[0];
    moment2_4[i] = u[1];
    param4[i] -= u[2];
}

@compute @workgroup_size(GRID_WORKGROUP)
fn rmsprop(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.len {
        return;
    }
    let u = rmsprop_update(vec4(grad[i]), vec4(moment1[i]));
    moment1[i] = u[0].x;
    param[i] -= u[1].x;
}

@compute @workgroup_size(GRID_WORKGROUP)
fn rmsprop_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.len / 4u {
        return;
    }
    let u = rmsprop_update(grad4[i], moment1_4[i]);
    moment1_4[i] = u[0];
    param4[i] -= u[1];
}
