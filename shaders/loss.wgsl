// The losses on logits, their gradients and their metrics, each in one
// workgroup so the sums are deterministic: binary cross-entropy or the
// hinge loss for the GAN, softmax cross-entropy for the classifier that
// `eval` uses.
//
// For a logit z and label y, with σ the sigmoid:
//   loss = max(z, 0) - z·y + log(1 + exp(-|z|))      (= -y·log σ(z) - (1-y)·log(1-σ(z)))
//   dloss/dz = σ(z) - y
// The first form never overflows; it is what Keras computes for a sigmoid
// output followed by binary cross-entropy. The mean over the batch is the
// loss, so the gradient is scaled by 1/n.

struct Params {
    // samples (rows of logits)
    n: u32,
    // metrics[slot] accumulates this call's statistics
    slot: u32,
    // logits per sample (softmax_cross_entropy; 1 for binary_loss)
    classes: u32,
    // binary_loss: 0 = BCE, 1 = hinge (discriminator), 2 = hinge (generator)
    kind: u32,
}

// One slot of statistics, each added to by every call (mirror:
// `ops::loss::LossMetrics`); the reader divides by `calls`.
struct LossMetrics {
    // mean loss over the batch
    loss: f32,
    // fraction of logits on the side of their label
    accuracy: f32,
    // mean σ(z) over label-1 samples (D(x) for real images)
    mean_sigmoid_positive: f32,
    // mean σ(z) over label-0 samples (D(G(z)) for generated images)
    mean_sigmoid_negative: f32,
    calls: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
// binary_loss: 0 or 1; softmax_cross_entropy: the class index
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> metrics: array<LossMetrics>;

const WG: u32 = 256u;
// loss, correct, Σσ over y=1, count y=1, Σσ over y=0, count y=0
var<workgroup> partial: array<array<f32, 6>, 256>;

fn sigmoid(v: f32) -> f32 {
    if v >= 0.0 {
        return 1.0 / (1.0 + exp(-v));
    }
    let e = exp(v);
    return e / (1.0 + e);
}

// (loss, dloss/dz) of one sample for the binary loss p.kind:
// - BCE, above;
// - the discriminator's hinge loss (Lim & Ye 2017; Miyato et al. 2018),
//   with the label y ∈ {0, 1} as the sign t = 2y - 1:
//     loss = max(0, 1 - t·z),   dloss/dz = -t where t·z < 1, else 0;
// - the generator's side of the hinge GAN: loss = -z, dloss/dz = -1 (its
//   labels, all 1, only feed the metrics).
fn binary_loss_and_grad(z: f32, y: f32) -> vec2<f32> {
    switch p.kind {
        case 0u: {
            return vec2(max(z, 0.0) - z * y + log(1.0 + exp(-abs(z))), sigmoid(z) - y);
        }
        case 1u: {
            let t = select(-1.0, 1.0, y > 0.5);
            let margin = 1.0 - t * z;
            return vec2(max(margin, 0.0), select(0.0, -t, margin > 0.0));
        }
        default: {
            return vec2(-z, -1.0);
        }
    }
}

// The binary loss p.kind averaged over the batch, its gradient, and the
// same metrics for every kind: accuracy and the mean σ(z) over each label.
@compute @workgroup_size(256)
fn binary_loss(@builtin(local_invocation_id) lid3: vec3<u32>) {
    let lid = lid3.x;
    var acc: array<f32, 6>;
    let inv_n = 1.0 / f32(p.n);
    for (var i = lid; i < p.n; i += WG) {
        let z = logits[i];
        let y = labels[i];
        let s = sigmoid(z);
        let loss_grad = binary_loss_and_grad(z, y);
        acc[0] += loss_grad.x;
        let positive = y > 0.5;
        acc[1] += select(0.0, 1.0, (z > 0.0) == positive);
        acc[2] += select(0.0, s, positive);
        acc[3] += select(0.0, 1.0, positive);
        acc[4] += select(s, 0.0, positive);
        acc[5] += select(1.0, 0.0, positive);
        grad[i] = loss_grad.y * inv_n;
    }
    partial[lid] = acc;
    reduce_partials(lid);
    if lid == 0u {
        let t = partial[0];
        let o = p.slot;
        metrics[o].loss += t[0] * inv_n;
        metrics[o].accuracy += t[1] * inv_n;
        metrics[o].mean_sigmoid_positive += select(0.0, t[2] / t[3], t[3] > 0.0);
        metrics[o].mean_sigmoid_negative += select(0.0, t[4] / t[5], t[5] > 0.0);
        metrics[o].calls += 1.0;
    }
}

// Softmax cross-entropy of each row of logits [n, classes] against its
// class label, averaged over the rows:
//   loss = log Σ_c exp(z_c - m) - (z_label - m),   m = max_c z_c
//   dloss/dz_c = (softmax(z)_c - [c = label]) / n
// Subtracting the row's maximum keeps every exp in (0, 1]. Accuracy counts
// rows whose first largest logit is the label.
@compute @workgroup_size(256)
fn softmax_cross_entropy(@builtin(local_invocation_id) lid3: vec3<u32>) {
    let lid = lid3.x;
    var acc: array<f32, 6>;
    let inv_n = 1.0 / f32(p.n);
    for (var r = lid; r < p.n; r += WG) {
        let base = r * p.classes;
        var top = logits[base];
        var best = 0u;
        for (var c = 1u; c < p.classes; c++) {
            if logits[base + c] > top {
                top = logits[base + c];
                best = c;
            }
        }
        var total = 0.0;
        for (var c = 0u; c < p.classes; c++) {
            total += exp(logits[base + c] - top);
        }
        // The loader checks labels; the clamp only keeps a bad one in the row.
        let label = min(u32(labels[r]), p.classes - 1u);
        acc[0] += log(total) - (logits[base + label] - top);
        acc[1] += select(0.0, 1.0, best == label);
        for (var c = 0u; c < p.classes; c++) {
            let one_hot = select(0.0, 1.0, c == label);
            grad[base + c] = (exp(logits[base + c] - top) / total - one_hot) * inv_n;
        }
    }
    partial[lid] = acc;
    reduce_partials(lid);
    if lid == 0u {
        let o = p.slot;
        metrics[o].loss += partial[0][0] * inv_n;
        metrics[o].accuracy += partial[0][1] * inv_n;
        metrics[o].calls += 1.0;
    }
}

// partial[0] = Σ partial[0..WG], by a fixed tree; every invocation calls
// it, and it ends with a barrier.
fn reduce_partials(lid: u32) {
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        workgroupBarrier();
        if lid < stride {
            for (var j = 0u; j < 6u; j++) {
                partial[lid][j] += partial[lid + stride][j];
            }
        }
    }
    workgroupBarrier();
}
