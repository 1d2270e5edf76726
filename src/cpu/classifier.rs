//! Reference of the classifier's forward and backward pass
//! (`model::classifier`), built from the reference ops, for the test that
//! holds the GPU gradients against it.

use super::{activations, conv, dropout, loss, matmul, reduce};
use crate::model::classifier::{CLASSES, CONV_CHANNELS, DROPOUT_RATE, FEATURES};
use crate::model::{KERNEL, LEAKY_SLOPE};
use crate::ops::activations::Activation;
use crate::spec::conv::{conv2d_geometry, ConvSpec, Padding};
use std::collections::BTreeMap;

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE);

/// The dropout's stream: (seed, salt, counter), as `RngSource` names it.
pub type DropoutStream = (u32, u32, u32);

/// Loss and the gradient of every parameter (named as in
/// `Classifier::specs`) of one batch x [n, h, w, 1] with class `labels`.
pub fn gradients(
    params: &BTreeMap<String, Vec<f64>>,
    (h, w): (usize, usize),
    x: &[f64],
    labels: &[usize],
    (seed, salt, counter): DropoutStream,
) -> (f64, BTreeMap<String, Vec<f64>>) {
    let n = labels.len();
    let p = |name: &str| params[name].as_slice();
    let spec = |in_c, out_c| ConvSpec {
        in_c,
        out_c,
        kernel: (KERNEL, KERNEL),
        stride: 2,
        padding: Padding::Same,
    };
    let (c1, c2) = CONV_CHANNELS;
    let g1 = conv2d_geometry("c1", n, (h, w), &spec(1, c1)).expect("valid geometry");
    let g2 = conv2d_geometry("c2", n, (g1.oh, g1.ow), &spec(c1, c2)).expect("valid geometry");
    let flat = g2.oh * g2.ow * c2;

    let a1 = conv::conv2d_forward(&g1, c1, x, p("conv1.kernel"), p("conv1.bias"));
    let l1 = activations::forward(LEAKY, &a1);
    let a2 = conv::conv2d_forward(&g2, c2, &l1, p("conv2.kernel"), p("conv2.bias"));
    let l2 = activations::forward(LEAKY, &a2);
    let mut hidden = matmul::matmul(&l2, p("dense1.kernel"), n, flat, FEATURES);
    matmul::add_bias(&mut hidden, p("dense1.bias"));
    let features = activations::forward(LEAKY, &hidden);
    let (dropped, mask) = dropout::forward(&features, DROPOUT_RATE, seed, salt, counter);
    let mut logits = matmul::matmul(&dropped, p("dense2.kernel"), n, FEATURES, CLASSES);
    matmul::add_bias(&mut logits, p("dense2.bias"));
    let ce = loss::softmax_cross_entropy(&logits, CLASSES, labels);

    let mut grads = BTreeMap::new();
    let (d_dropped, dw2) =
        matmul::matmul_backward(&dropped, p("dense2.kernel"), &ce.grad, n, FEATURES, CLASSES);
    grads.insert("dense2.kernel".into(), dw2);
    grads.insert("dense2.bias".into(), reduce::sum_columns(&ce.grad, CLASSES));
    let d_features = dropout::backward(&mask, &d_dropped);
    let d_hidden = activations::backward(LEAKY, &hidden, &d_features);
    let (d_l2, dw1) =
        matmul::matmul_backward(&l2, p("dense1.kernel"), &d_hidden, n, flat, FEATURES);
    grads.insert("dense1.kernel".into(), dw1);
    grads.insert(
        "dense1.bias".into(),
        reduce::sum_columns(&d_hidden, FEATURES),
    );
    let d_a2 = activations::backward(LEAKY, &a2, &d_l2);
    let (d_l1, dk2, db2) = conv::conv2d_backward(&g2, c2, &l1, p("conv2.kernel"), &d_a2);
    grads.insert("conv2.kernel".into(), dk2);
    grads.insert("conv2.bias".into(), db2);
    let d_a1 = activations::backward(LEAKY, &a1, &d_l1);
    let (_, dk1, db1) = conv::conv2d_backward(&g1, c1, x, p("conv1.kernel"), &d_a1);
    grads.insert("conv1.kernel".into(), dk1);
    grads.insert("conv1.bias".into(), db1);
    (ce.loss, grads)
}
