// Inverted dropout as Keras does it (rng.wgsl is prepended): in training,
// each element is kept with probability 1 - rate and scaled by 1 / (1 - rate)
// so the expected activation is unchanged; at inference it is the identity.
// The forward pass stores the per-element factor (0 or 1 / (1 - rate)) and
// the backward pass multiplies the upstream gradient by the same factor.
//
// The discriminator's LeakyReLU → dropout pairs run as one pass each way
// (leaky_relu_dropout_*): the stored factor carries the sign of the
// activation's input (+m where x > 0, else -m), which is all LeakyReLU's
// gradient needs, so neither x nor LeakyReLU's output is kept. Both give
// the same bits as the two kernels in turn.

struct Params {
    len: u32,
    // An element is kept when its random u32 is >= threshold = rate · 2³²;
    // integer comparison makes the mask bit-identical on every device.
    threshold: u32,
    scale: f32,
    seed: u32,
    salt: u32,
    // LeakyReLU's slope below zero (the leaky_relu_dropout_* kernels).
    alpha: f32,
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

// Element i's factor: 0 or 1 / (1 - rate), from the step's random stream.
fn keep_factor(i: u32) -> f32 {
    let key = rng_key(p.seed, p.salt, counter.step);
    return select(0.0, p.scale, rng_u32(key, i) >= p.threshold);
}

@compute @workgroup_size(GRID_WORKGROUP)
fn dropout_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        let m = keep_factor(i);
        mask[i] = m;
        output[i] = input[i] * m;
    }
}

// output = dropout(LeakyReLU(input)); mask = ±factor, signed as input.
@compute @workgroup_size(GRID_WORKGROUP)
fn leaky_relu_dropout_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        let m = keep_factor(i);
        let x = input[i];
        let positive = x > 0.0;
        mask[i] = select(-m, m, positive);
        output[i] = select(p.alpha * x, x, positive) * m;
    }
}

// output = the gradient at LeakyReLU's input from input = the gradient at
// dropout's output. A dropped element's factor is ±0: its gradient is a
// zero either way, of the same sign as the two-kernel pair gives.
@compute @workgroup_size(GRID_WORKGROUP)
fn leaky_relu_dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        let g = mask[i];
        let d = input[i] * abs(g);
        output[i] = select(p.alpha * d, d, g > 0.0);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        output[i] = input[i] * mask[i];
    }
}
