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

@compute @workgroup_size(GRID_WORKGROUP)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.len {
        return;
    }
    let t = f32(counter.step + 1u);
    let alpha = p.lr * sqrt(1.0 - pow(p.beta2, t)) / (1.0 - pow(p.beta1, t));
    let g = grad[i];
    let m = p.beta1 * moment1[i] + (1.0 - p.beta1) * g;
    let v = p.beta2 * moment2[i] + (1.0 - p.beta2) * g * g;
    moment1[i] = m;
    moment2[i] = v;
    param[i] -= alpha * m / (sqrt(v) + p.eps);
}

@compute @workgroup_size(GRID_WORKGROUP)
fn rmsprop(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.len {
        return;
    }
    let g = grad[i];
    let v = p.beta1 * moment1[i] + (1.0 - p.beta1) * g * g;
    moment1[i] = v;
    param[i] -= p.lr * g / sqrt(v + p.eps);
}
