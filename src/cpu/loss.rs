//! Reference for `shaders/loss.wgsl`.

/// A binary loss on logits with its gradient and the metrics every binary
/// loss reports.
pub struct BinaryLoss {
    pub loss: f64,
    pub grad: Vec<f64>,
    pub accuracy: f64,
    /// mean σ(z) over samples labelled 1 (D(x) for real images)
    pub mean_prob_pos: f64,
    /// mean σ(z) over samples labelled 0 (D(G(z)))
    pub mean_prob_neg: f64,
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// Mean binary cross-entropy of sigmoid(z) against labels y, written as
/// -y·log σ(z) - (1-y)·log(1-σ(z)) (the definition, not the stable form the
/// shader uses), with its gradient and metrics.
pub fn bce_with_logits(z: &[f64], y: &[f64]) -> BinaryLoss {
    binary(z, y, |zi, yi| {
        let s = sigmoid(zi);
        (-(yi * s.ln() + (1.0 - yi) * (1.0 - s).ln()), s - yi)
    })
}

/// The discriminator's mean hinge loss max(0, 1 - t·z), t = 2y - 1, with
/// its gradient and metrics.
pub fn hinge_discriminator(z: &[f64], y: &[f64]) -> BinaryLoss {
    binary(z, y, |zi, yi| {
        let t = if yi > 0.5 { 1.0 } else { -1.0 };
        if 1.0 - t * zi > 0.0 {
            (1.0 - t * zi, -t)
        } else {
            (0.0, 0.0)
        }
    })
}

/// The generator's hinge-GAN loss, the mean of -z, with its gradient and
/// its metrics against labels `y`.
pub fn hinge_generator(z: &[f64], y: &[f64]) -> BinaryLoss {
    binary(z, y, |zi, _| (-zi, -1.0))
}

/// The mean of `loss_and_grad(z, y)` = (loss, dloss/dz) over the batch,
/// with the accuracy and σ(z) means over each label.
fn binary(z: &[f64], y: &[f64], loss_and_grad: impl Fn(f64, f64) -> (f64, f64)) -> BinaryLoss {
    let n = z.len() as f64;
    let mut loss = 0.0;
    let mut correct = 0.0;
    let (mut pos, mut npos, mut neg, mut nneg) = (0.0, 0.0, 0.0, 0.0);
    let mut grad = Vec::with_capacity(z.len());
    for (&zi, &yi) in z.iter().zip(y) {
        let s = sigmoid(zi);
        let (l, g) = loss_and_grad(zi, yi);
        loss += l;
        if (zi > 0.0) == (yi > 0.5) {
            correct += 1.0;
        }
        if yi > 0.5 {
            pos += s;
            npos += 1.0;
        } else {
            neg += s;
            nneg += 1.0;
        }
        grad.push(g / n);
    }
    BinaryLoss {
        loss: loss / n,
        grad,
        accuracy: correct / n,
        mean_prob_pos: if npos > 0.0 { pos / npos } else { 0.0 },
        mean_prob_neg: if nneg > 0.0 { neg / nneg } else { 0.0 },
    }
}

pub struct SoftmaxCrossEntropy {
    pub loss: f64,
    pub grad: Vec<f64>,
    pub accuracy: f64,
}

/// Mean softmax cross-entropy of logits `z` [n, classes] against class
/// labels, written as -log(exp(z_label) / Σ exp(z_c)) (the definition, not
/// the max-shifted form the shader uses), with its gradient and accuracy
/// (the first largest logit is the label).
pub fn softmax_cross_entropy(z: &[f64], classes: usize, labels: &[usize]) -> SoftmaxCrossEntropy {
    let n = labels.len() as f64;
    let (mut loss, mut correct) = (0.0, 0.0);
    let mut grad = Vec::with_capacity(z.len());
    for (row, &label) in z.chunks(classes).zip(labels) {
        let total: f64 = row.iter().map(|v| v.exp()).sum();
        loss -= (row[label].exp() / total).ln();
        let best = (1..classes).fold(0, |b, c| if row[c] > row[b] { c } else { b });
        if best == label {
            correct += 1.0;
        }
        for (c, v) in row.iter().enumerate() {
            let one_hot = if c == label { 1.0 } else { 0.0 };
            grad.push((v.exp() / total - one_hot) / n);
        }
    }
    SoftmaxCrossEntropy {
        loss: loss / n,
        grad,
        accuracy: correct / n,
    }
}
