// The activations and the gradients that more than one kernel file applies
// (activations.wgsl element-wise; conv.wgsl in col2im's store; dropout.wgsl),
// kept in one place so that every pass gives the same bits.

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

// The activation a kernel's parameters name by code: 1 SELU, else tanh
// (the two the generator's transposed convolutions store).
fn activate(code: u32, v: f32) -> f32 {
    if code == 1u {
        return selu(v);
    }
    return stable_tanh(v);
}

fn activate4(code: u32, v: vec4<f32>) -> vec4<f32> {
    return vec4(activate(code, v.x), activate(code, v.y), activate(code, v.z), activate(code, v.w));
}

// dy · SELU'(v), v the pre-activation.
fn selu_grad(dy: f32, v: f32) -> f32 {
    return dy * SELU_SCALE * select(SELU_ALPHA * exp(v), 1.0, v > 0.0);
}

// dy · tanh'(v), v the pre-activation.
fn tanh_grad(dy: f32, v: f32) -> f32 {
    let t = stable_tanh(v);
    return dy * (1.0 - t * t);
}

// LeakyReLU (slope alpha below zero) then dropout's factor m: (the output,
// m signed as x), the factor leaky_relu_dropout_grad takes back.
fn leaky_relu_dropout(x: f32, m: f32, alpha: f32) -> vec2<f32> {
    let positive = x > 0.0;
    return vec2(select(alpha * x, x, positive) * m, select(-m, m, positive));
}

// The gradient at LeakyReLU's input from d, the gradient at the output of
// the dropout that follows it, and g, the factor leaky_relu_dropout_forward
// stored (dropout.wgsl): the dropout factor signed as LeakyReLU's input. A
// dropped element's factor is ±0: its gradient is a zero either way, of
// the same sign as LeakyReLU's and dropout's gradients in turn give.
fn leaky_relu_dropout_grad(d: f32, g: f32, alpha: f32) -> f32 {
    let v = d * abs(g);
    return select(alpha * v, v, g > 0.0);
}

// leaky_relu_dropout_grad of 4 elements.
fn leaky_relu_dropout_grad4(d: vec4<f32>, g: vec4<f32>, alpha: f32) -> vec4<f32> {
    return vec4(leaky_relu_dropout_grad(d.x, g.x, alpha), leaky_relu_dropout_grad(d.y, g.y, alpha), leaky_relu_dropout_grad(d.z, g.z, alpha), leaky_relu_dropout_grad(d.w, g.w, alpha));
}
