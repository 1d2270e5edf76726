// Inverted dropout as Keras does it (rng.wgsl is prepended): in training,
// each element is kept with probability 1 - rate and scaled by 1 / (1 - rate)
// so the expected activation is unchanged; at inference it is the identity.
// The forward pass stores the per-element factor (0 or 1 / (1 - rate)) and
// the backward pass multiplies the upstream gradient by the same factor.
//
// The discriminator's LeakyReLU → dropout pairs run as one pass each way
// where they cannot run in the store of the convolution before them
// (conv_implicit.wgsl's *_leaky_relu_dropout)
// (leaky_relu_dropout_*): the stored factor carries the sign of the
// activation's input (+m where x > 0, else -m), which is all LeakyReLU's
// gradient needs, so neither x nor LeakyReLU's output is kept. Both give
// the same bits as the two kernels in turn. The backward pass also runs
// inside the kernel that makes its input gradient: conv.wgsl's col2im,
// and dense_leaky_relu_dropout_backward here for the dense layer on top.

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
    // dense_leaky_relu_dropout_backward: the columns of its outer product.
    cols: u32,
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
// dense_leaky_relu_dropout_backward: the dense layer's one-column kernel
@group(0) @binding(5) var<storage, read> column: array<f32>;
// The same as vec4s, for dense_leaky_relu_dropout_backward_vec4 (columns
// in 4s): a vec4 load costs a CPU driver (lavapipe) about what a scalar
// one does.
@group(0) @binding(6) var<storage, read> mask4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> output4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> column4: array<vec4<f32>>;

// Element i's factor: 0 or 1 / (1 - rate), from the step's random stream.
fn keep_factor(i: u32) -> f32 {
    return dropout_factor(rng_key(p.seed, p.salt, counter.step), i, p.threshold, p.scale);
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
        let r = leaky_relu_dropout(input[i], keep_factor(i), p.alpha);
        output[i] = r.x;
        mask[i] = r.y;
    }
}

// output = the gradient at LeakyReLU's input from input = the gradient at
// dropout's output.
@compute @workgroup_size(GRID_WORKGROUP)
fn leaky_relu_dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        output[i] = leaky_relu_dropout_grad(input[i], mask[i], p.alpha);
    }
}

// The same, where the gradient at dropout's output is the input gradient of
// a dense layer with one output: input (the gradient at its output, one per
// row) times column (its kernel), an outer product [len / cols, cols].
@compute @workgroup_size(GRID_WORKGROUP)
fn dense_leaky_relu_dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        let d = input[i / p.cols] * column[i % p.cols];
        output[i] = leaky_relu_dropout_grad(d, mask[i], p.alpha);
    }
}

// The same for 4 columns at once: the same products, the same bits.
@compute @workgroup_size(GRID_WORKGROUP)
fn dense_leaky_relu_dropout_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    let c4 = p.cols / 4u;
    if i < p.len / 4u {
        let d = input[i / c4] * column4[i % c4];
        let m = mask4[i];
        output4[i] = leaky_relu_dropout_grad4(d, m, p.alpha);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        output[i] = input[i] * mask[i];
    }
}
