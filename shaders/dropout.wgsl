// Inverted dropout as Keras does it (rng.wgsl is prepended): in training,
// each element is kept with probability 1 - rate and scaled by 1 / (1 - rate)
// so the expected activation is unchanged; at inference it is the identity.
// The forward pass stores the per-element factor (0 or 1 / (1 - rate)) and
// the backward pass multiplies the upstream gradient by the same factor.

struct Params {
    len: u32,
    // An element is kept when its random u32 is >= threshold = rate · 2³²;
    // integer comparison makes the mask bit-identical on every device.
    threshold: u32,
    scale: f32,
    seed: u32,
    salt: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// forward: x; backward: dy
@group(0) @binding(1) var<storage, read> input: array<f32>;
// written by forward, read by backward
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;
// forward: y; backward: dx
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<storage, read> counter: StepCounter;

@compute @workgroup_size(GRID_WORKGROUP)
fn dropout_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        let key = rng_key(p.seed, p.salt, counter.step);
        let m = select(0.0, p.scale, rng_u32(key, i) >= p.threshold);
        mask[i] = m;
        output[i] = input[i] * m;
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        output[i] = input[i] * mask[i];
    }
}
