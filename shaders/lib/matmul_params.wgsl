// The uniform of every matrix-product kernel (matmul*.wgsl and the
// implicit-im2col convolutions of conv_implicit.wgsl); its Rust mirror is
// `ops::matmul::Params`. C[M, N] = op(A) · op(B) with op(A) [M, K].

struct Params {
    m: u32,
    n: u32,
    k: u32,
    // tn kernels: the length of one slice of K (0: all of K). Slice z of the
    // grid sums its slice into C + z·M·N; src/ops/matmul.rs then adds the
    // slices (split-K, for weight gradients whose outputs are too small to
    // fill the device).
    k_split: u32,
    // Element strides of A and B (matmul.wgsl reads any layout through them).
    a_stride_m: u32,
    a_stride_k: u32,
    b_stride_k: u32,
    b_stride_n: u32,
    // conv_implicit.wgsl: the image [.., h, w, 4·c4] and its patch grid.
    h: u32,
    w: u32,
    c4: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    pad_top: u32,
    pad_left: u32,
    // conv_tn, conv1_tn: 1 when A has a last row of ones past the image's
    // M - 1 rows, so that C's last row is the column sums of B (a layer's
    // bias gradient, in the product that makes its weight gradient).
    ones_row: u32,
    // conv_implicit.wgsl's *_leaky_relu_dropout: LeakyReLU's slope, then
    // dropout's stream and threshold (rng.wgsl's dropout_factor).
    alpha: f32,
    drop_seed: u32,
    drop_salt: u32,
    drop_threshold: u32,
    drop_scale: f32,
    // conv_implicit.wgsl's conv_t_bias_activation: 1 SELU, 2 tanh
    // (activation.wgsl's activate).
    activation: u32,
    _pad2: u32,
    _pad3: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
