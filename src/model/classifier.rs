//! The feature network of `gan-gpu eval`: a small Fashion-MNIST classifier
//! trained on the project's own kernels (`gan-gpu classifier train`).
//!
//! Conv2D(32, 5×5, s2, same) → LeakyReLU(0.2) → Conv2D(64, 5×5, s2, same)
//! → LeakyReLU(0.2) → Flatten → Dense(128) → LeakyReLU(0.2) → Dropout(0.3)
//! → Dense(10). The 128 activations before the dropout are the features
//! that FID, KID and precision/recall compare; the logits give the class.

use super::params::{Init, ParamSet, ParamSpec};
use super::{stride_2, KERNEL, LEAKY_SLOPE};
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::activations::{self, Activation};
use crate::ops::conv::{self, Conv2dGrads, Conv2dTensors};
use crate::ops::counter::RngSource;
use crate::ops::dropout;
use crate::ops::matmul::{matmul, Operand};
use crate::ops::reduce::sum_columns;
use crate::spec::conv::{conv2d_geometry, Geometry};

pub const CLASSES: usize = 10;
pub const CONV_CHANNELS: (usize, usize) = (32, 64);
pub const FEATURES: usize = 128;
pub const DROPOUT_RATE: f32 = 0.3;
const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE);

/// Fashion-MNIST's class names, by label.
pub const FASHION_MNIST_CLASSES: [&str; CLASSES] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

pub struct Classifier {
    /// (height, width) of its input images.
    pub hw: (usize, usize),
    pub params: ParamSet,
}

/// Activations of one batch; `grads` only where the batch trains.
pub struct ClassifierWorkspace {
    pub batch: usize,
    geo: [Geometry; 2],
    cols: [Tensor; 2],
    /// Pre-activation and activation of conv1 and conv2.
    conv_out: [(Tensor, Tensor); 2],
    /// Dense1 before its activation.
    hidden: Tensor,
    /// [batch, FEATURES]: the features `eval` compares.
    pub features: Tensor,
    /// [batch, CLASSES]
    pub logits: Tensor,
    grads: Option<Backward>,
}

struct Backward {
    mask: Tensor,
    dropped: Tensor,
    d_logits: Tensor,
    d_dropped: Tensor,
    d_features: Tensor,
    d_hidden: Tensor,
    /// Gradients of conv2's activation and pre-activation, then conv1's.
    d_conv: [(Tensor, Tensor); 2],
    /// conv2's input-gradient columns; conv1 wants no input gradient, so
    /// it needs no columns of its own.
    dcol2: Tensor,
}

impl Classifier {
    fn flat((h, w): (usize, usize)) -> usize {
        h.div_ceil(2).div_ceil(2) * w.div_ceil(2).div_ceil(2) * CONV_CHANNELS.1
    }

    /// Parameters in Keras' layouts.
    pub fn specs(hw: (usize, usize)) -> Vec<ParamSpec> {
        let (c1, c2) = CONV_CHANNELS;
        let k2 = KERNEL * KERNEL;
        let flat = Self::flat(hw);
        let glorot = |fan_in, fan_out| Init::Glorot { fan_in, fan_out };
        vec![
            ParamSpec::new(
                "conv1.kernel",
                &[KERNEL, KERNEL, 1, c1],
                glorot(k2, k2 * c1),
            ),
            ParamSpec::new("conv1.bias", &[c1], Init::Zeros),
            ParamSpec::new(
                "conv2.kernel",
                &[KERNEL, KERNEL, c1, c2],
                glorot(k2 * c1, k2 * c2),
            ),
            ParamSpec::new("conv2.bias", &[c2], Init::Zeros),
            ParamSpec::new("dense1.kernel", &[flat, FEATURES], glorot(flat, FEATURES)),
            ParamSpec::new("dense1.bias", &[FEATURES], Init::Zeros),
            ParamSpec::new(
                "dense2.kernel",
                &[FEATURES, CLASSES],
                glorot(FEATURES, CLASSES),
            ),
            ParamSpec::new("dense2.bias", &[CLASSES], Init::Zeros),
        ]
    }

    pub fn new(gpu: &Gpu, hw: (usize, usize), optimizer_states: usize) -> Result<Classifier> {
        Ok(Classifier {
            params: ParamSet::new(gpu, "classifier", Self::specs(hw), optimizer_states)?,
            hw,
        })
    }

    /// Buffers for batches of `batch` images; with `train`, also the
    /// dropout and the backward pass.
    pub fn workspace(&self, gpu: &Gpu, batch: usize, train: bool) -> Result<ClassifierWorkspace> {
        let (c1, c2) = CONV_CHANNELS;
        let geo1 = conv2d_geometry("classifier conv1", batch, self.hw, &stride_2(1, c1))?;
        let geo2 = conv2d_geometry(
            "classifier conv2",
            batch,
            (geo1.oh, geo1.ow),
            &stride_2(c1, c2),
        )?;
        let z = |label: &str, shape: &[usize]| gpu.zeros(label, shape);
        let act1 = [batch, geo1.oh, geo1.ow, c1];
        let act2 = [batch, geo2.oh, geo2.ow, c2];
        let pair = |name: &str, shape: &[usize]| -> Result<(Tensor, Tensor)> {
            Ok((z(&format!("{name} pre"), shape)?, z(name, shape)?))
        };
        let grads = if train {
            Some(Backward {
                mask: z("classifier dropout mask", &[batch, FEATURES])?,
                dropped: z("classifier dropped", &[batch, FEATURES])?,
                d_logits: z("classifier d_logits", &[batch, CLASSES])?,
                d_dropped: z("classifier d_dropped", &[batch, FEATURES])?,
                d_features: z("classifier d_features", &[batch, FEATURES])?,
                d_hidden: z("classifier d_hidden", &[batch, FEATURES])?,
                d_conv: [
                    pair("classifier d_conv2", &act2)?,
                    pair("classifier d_conv1", &act1)?,
                ],
                dcol2: conv::adjoint_col_workspace(gpu, "classifier dcol2", &geo2, c2, false)?,
            })
        } else {
            None
        };
        Ok(ClassifierWorkspace {
            batch,
            cols: [
                conv::forward_col_workspace(gpu, "classifier col1", &geo1, c1)?,
                conv::forward_col_workspace(gpu, "classifier col2", &geo2, c2)?,
            ],
            conv_out: [
                pair("classifier conv1", &act1)?,
                pair("classifier conv2", &act2)?,
            ],
            hidden: z("classifier hidden", &[batch, FEATURES])?,
            features: z("classifier features", &[batch, FEATURES])?,
            logits: z("classifier logits", &[batch, CLASSES])?,
            grads,
            geo: [geo1, geo2],
        })
    }

    /// Conv `i` (0, 1) of the workspace on `x`; with `dy`, its backward
    /// pass (weight gradients, and the input gradient into `dx` if given).
    fn conv(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &ClassifierWorkspace,
        i: usize,
        x: &Tensor,
        backward: Option<(&Tensor, &Tensor, Option<&Tensor>)>,
    ) -> Result<()> {
        let name = ["conv1", "conv2"][i];
        let out_c = [CONV_CHANNELS.0, CONV_CHANNELS.1][i];
        let (kernel, bias) = (format!("{name}.kernel"), format!("{name}.bias"));
        let p = &self.params;
        let t = Conv2dTensors {
            x,
            w: &p.value(&kernel),
            b: &p.value(&bias),
            col: &ws.cols[i],
            y: &ws.conv_out[i].0,
        };
        match backward {
            None => conv::conv2d_forward(gpu, prog, &ws.geo[i], out_c, &t),
            Some((dy, dcol, dx)) => {
                let (dw, db) = (p.grad(&kernel), p.grad(&bias));
                let grads = Conv2dGrads {
                    dy,
                    dw: Some(&dw),
                    db: Some(&db),
                    dcol,
                    dx,
                    dx_through: None,
                };
                conv::conv2d_backward(gpu, prog, &ws.geo[i], out_c, &t, &grads)
            }
        }
    }

    /// Dense layer `name`: y = x · kernel + bias.
    fn dense(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        name: &str,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<()> {
        let p = &self.params;
        matmul(
            gpu,
            prog,
            Operand::plain(x),
            Operand::plain(&p.value(&format!("{name}.kernel"))),
            Some(&p.value(&format!("{name}.bias"))),
            y,
        )
    }

    /// Dense layer `name`'s backward pass from `dy` with input `x`: its
    /// weight gradients, and dx = dy · kernelᵀ.
    fn dense_backward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        name: &str,
        x: &Tensor,
        dy: &Tensor,
        dx: Option<&Tensor>,
    ) -> Result<()> {
        let p = &self.params;
        let kernel = format!("{name}.kernel");
        let dw = p.grad(&kernel);
        matmul(
            gpu,
            prog,
            Operand::transposed(x),
            Operand::plain(dy),
            None,
            &dw,
        )?;
        sum_columns(gpu, prog, dy, &p.grad(&format!("{name}.bias")), 1.0)?;
        match dx {
            Some(dx) => matmul(
                gpu,
                prog,
                Operand::plain(dy),
                Operand::transposed(&p.value(&kernel)),
                None,
                dx,
            ),
            None => Ok(()),
        }
    }

    /// Records features and logits of x [batch, h, w, 1] (images in
    /// [-1, 1]). A training workspace applies the dropout, drawing from
    /// `dropout`; an inference one has none.
    pub fn record_forward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &ClassifierWorkspace,
        x: &Tensor,
        dropout: Option<RngSource>,
    ) -> Result<()> {
        self.conv(gpu, prog, ws, 0, x, None)?;
        activations::forward(gpu, prog, LEAKY, &ws.conv_out[0].0, &ws.conv_out[0].1)?;
        self.conv(gpu, prog, ws, 1, &ws.conv_out[0].1, None)?;
        activations::forward(gpu, prog, LEAKY, &ws.conv_out[1].0, &ws.conv_out[1].1)?;
        let flat = self.flat_view(ws, &ws.conv_out[1].1)?;
        self.dense(gpu, prog, "dense1", &flat, &ws.hidden)?;
        activations::forward(gpu, prog, LEAKY, &ws.hidden, &ws.features)?;
        let head_in = match (&ws.grads, dropout) {
            (Some(g), Some(rng)) => {
                let features = &ws.features;
                dropout::forward(gpu, prog, DROPOUT_RATE, rng, features, &g.mask, &g.dropped)?;
                &g.dropped
            }
            (None, None) => &ws.features,
            _ => {
                return Err(crate::Error::Config(
                    "the classifier's dropout stream goes with a training workspace".into(),
                ))
            }
        };
        self.dense(gpu, prog, "dense2", head_in, &ws.logits)
    }

    /// The gradient of the loss with respect to the logits goes here
    /// before `record_backward` (a training workspace only).
    pub fn d_logits<'a>(&self, ws: &'a ClassifierWorkspace) -> Option<&'a Tensor> {
        ws.grads.as_ref().map(|g| &g.d_logits)
    }

    /// Records every parameter gradient from `d_logits(ws)`, after a
    /// forward pass on `x` with the same training workspace.
    pub fn record_backward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &ClassifierWorkspace,
        x: &Tensor,
    ) -> Result<()> {
        let Some(g) = &ws.grads else {
            return Err(crate::Error::Config(
                "the classifier's backward pass needs a training workspace".into(),
            ));
        };
        self.dense_backward(
            gpu,
            prog,
            "dense2",
            &g.dropped,
            &g.d_logits,
            Some(&g.d_dropped),
        )?;
        dropout::backward(gpu, prog, &g.mask, &g.d_dropped, &g.d_features)?;
        activations::backward(gpu, prog, LEAKY, &ws.hidden, &g.d_features, &g.d_hidden)?;
        let flat = self.flat_view(ws, &ws.conv_out[1].1)?;
        let d_flat = self.flat_view(ws, &g.d_conv[0].0)?;
        self.dense_backward(gpu, prog, "dense1", &flat, &g.d_hidden, Some(&d_flat))?;
        let [(d_act2, d_pre2), (d_act1, d_pre1)] = &g.d_conv;
        activations::backward(gpu, prog, LEAKY, &ws.conv_out[1].0, d_act2, d_pre2)?;
        let conv1_out = &ws.conv_out[0].1;
        self.conv(
            gpu,
            prog,
            ws,
            1,
            conv1_out,
            Some((d_pre2, &g.dcol2, Some(d_act1))),
        )?;
        activations::backward(gpu, prog, LEAKY, &ws.conv_out[0].0, d_act1, d_pre1)?;
        self.conv(gpu, prog, ws, 0, x, Some((d_pre1, &g.dcol2, None)))
    }

    fn flat_view(&self, ws: &ClassifierWorkspace, t: &Tensor) -> Result<Tensor> {
        t.reshape(&[ws.batch, Self::flat(self.hw)])
    }
}
