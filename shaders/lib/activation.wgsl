// The generator's activations, shared by activations.wgsl (element-wise)
// and conv.wgsl (the transposed convolutions' col2im epilogue), so that
// both give the same bits.

// Keras' SELU constants (Klambauer et al. 2017).
const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;

fn selu(v: f32) -> f32 {
    return SELU_SCALE * select(SELU_ALPHA * (exp(v) - 1.0), v, v > 0.0);
}

// tanh through exp of a non-positive argument: WGSL's tanh is allowed large
// error for big |v| on some drivers.
fn stable_tanh(v: f32) -> f32 {
    let e = exp(-2.0 * abs(v));
    return sign(v) * (1.0 - e) / (1.0 + e);
}
