//! The generator: latent noise → image in [-1, 1], as recorded dispatches.

use super::params::{Init, ParamSet, ParamSpec};
use super::{ModelShape, GEN_BASE_CHANNELS, GEN_MID_CHANNELS, KERNEL};
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::activations::{self, Activation};
use crate::ops::batchnorm;
use crate::ops::conv::{self, Conv2dGrads, Conv2dTensors};
use crate::ops::embedding::{add_class_rows, class_rows_gradient};
use crate::ops::matmul::{matmul, Operand};
use crate::ops::reduce::sum_columns;
use crate::spec::conv::{conv2d_transpose_geometry, Geometry};

/// How batch normalisation runs in a forward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BnMode {
    /// Batch statistics; fold them into the running ones when asked.
    Train { update_running: bool },
    /// Running statistics (sampling).
    Inference,
}

pub struct Generator {
    pub shape: ModelShape,
    pub params: ParamSet,
    /// Running [μ, σ²] of the two batch norms, `bn1.running` and
    /// `bn2.running`: not trained (no optimiser state), checkpointed under
    /// the generator's names like its parameters.
    pub running: ParamSet,
}

/// Activations of one batch, kept for the backward pass.
pub struct GenWorkspace {
    pub batch: usize,
    geo1: Geometry,
    geo2: Geometry,
    /// Latent input [batch, latent]; the training step fills it with noise.
    pub z: Tensor,
    /// A conditional generator's classes [batch], as float class indices.
    pub labels: Option<Tensor>,
    /// A morph between classes (`interpolate --from-class --to-class`):
    /// the class code is (1 - t)·one-hot(labels) + t·one-hot(to).
    pub morph: Option<ClassMorph>,
    h0: Tensor,
    stats1: Tensor,
    h1: Tensor,
    col1: Tensor,
    a1: Tensor,
    s1: Tensor,
    stats2: Tensor,
    h2: Tensor,
    col2: Tensor,
    a2: Tensor,
    grads: Option<GenGrads>,
}

/// A blend of two classes per sample, each [batch].
pub struct ClassMorph {
    /// The second class of each sample.
    pub to: Tensor,
    /// 1 - t: the weight of `labels`' class.
    pub weight_from: Tensor,
    /// t: the weight of `to`'s class.
    pub weight_to: Tensor,
}

struct GenGrads {
    d_a2: Tensor,
    dcol2: Tensor,
    d_h2: Tensor,
    d_s1: Tensor,
    d_a1: Tensor,
    dcol1: Tensor,
    d_h1: Tensor,
    d_h0: Tensor,
}

impl Generator {
    /// Parameters in Keras' layouts (see `model::keras`); a conditional
    /// generator's class rows come last, so that the unconditional
    /// parameters and their seeded initial values stay as they were.
    pub fn specs(shape: &ModelShape) -> Vec<ParamSpec> {
        let (h, w) = shape.seed_hw();
        let features = h * w * GEN_BASE_CHANNELS;
        let k2 = KERNEL * KERNEL;
        let mut specs = vec![
            ParamSpec::new(
                "dense.kernel",
                &[shape.latent, features],
                Init::Glorot {
                    fan_in: shape.latent,
                    fan_out: features,
                },
            ),
            ParamSpec::new("dense.bias", &[features], Init::Zeros),
            ParamSpec::new("bn1.gamma_beta", &[2, GEN_BASE_CHANNELS], Init::GammaBeta),
            ParamSpec::new(
                "deconv1.kernel",
                &[KERNEL, KERNEL, GEN_MID_CHANNELS, GEN_BASE_CHANNELS],
                Init::Glorot {
                    fan_in: k2 * GEN_MID_CHANNELS,
                    fan_out: k2 * GEN_BASE_CHANNELS,
                },
            ),
            ParamSpec::new("deconv1.bias", &[GEN_MID_CHANNELS], Init::Zeros),
            ParamSpec::new("bn2.gamma_beta", &[2, GEN_MID_CHANNELS], Init::GammaBeta),
            ParamSpec::new(
                "deconv2.kernel",
                &[KERNEL, KERNEL, shape.channels, GEN_MID_CHANNELS],
                Init::Glorot {
                    fan_in: k2 * shape.channels,
                    fan_out: k2 * GEN_MID_CHANNELS,
                },
            ),
            ParamSpec::new("deconv2.bias", &[shape.channels], Init::Zeros),
        ];
        if shape.is_conditional() {
            // Dense's rows for a one-hot class code joined to z.
            specs.push(ParamSpec::new(
                "dense.class_kernel",
                &[shape.classes, features],
                Init::Glorot {
                    fan_in: shape.latent + shape.classes,
                    fan_out: features,
                },
            ));
        }
        specs
    }

    /// The batch norms' running statistics, Keras' initial mean 0 and
    /// variance 1.
    pub fn running_specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::new("bn1.running", &[2, GEN_BASE_CHANNELS], Init::MeanVariance),
            ParamSpec::new("bn2.running", &[2, GEN_MID_CHANNELS], Init::MeanVariance),
        ]
    }

    pub fn new(gpu: &Gpu, shape: ModelShape, optimizer_states: usize) -> Result<Generator> {
        let params = ParamSet::new(gpu, "generator", Self::specs(&shape), optimizer_states)?;
        let running = ParamSet::new(
            gpu,
            "generator running statistics",
            Self::running_specs(),
            0,
        )?;
        running.write_constant_inits(gpu)?;
        Ok(Generator {
            shape,
            params,
            running,
        })
    }

    pub fn workspace(&self, gpu: &Gpu, batch: usize, with_grads: bool) -> Result<GenWorkspace> {
        let s = &self.shape;
        let (h, w) = s.seed_hw();
        let geo1 = conv2d_transpose_geometry("generator deconv1", batch, (h, w), &s.gen_deconv1())?;
        let geo2 = conv2d_transpose_geometry(
            "generator deconv2",
            batch,
            (geo1.h, geo1.w),
            &s.gen_deconv2(),
        )?;
        let z = |label: &str, shape: &[usize]| gpu.zeros(label, shape);
        let grads = if with_grads {
            Some(GenGrads {
                d_a2: z("gen d_a2", &geo2.image_shape())?,
                dcol2: z("gen dcol2", &[geo2.rows(), geo2.cols()])?,
                d_h2: z("gen d_h2", &geo1.image_shape())?,
                d_s1: z("gen d_s1", &geo1.image_shape())?,
                d_a1: z("gen d_a1", &geo1.image_shape())?,
                dcol1: z("gen dcol1", &[geo1.rows(), geo1.cols()])?,
                d_h1: z("gen d_h1", &[batch, h, w, GEN_BASE_CHANNELS])?,
                d_h0: z("gen d_h0", &[batch, h, w, GEN_BASE_CHANNELS])?,
            })
        } else {
            None
        };
        Ok(GenWorkspace {
            batch,
            z: z("gen z", &[batch, s.latent])?,
            labels: match s.is_conditional() {
                true => Some(z("gen classes", &[batch])?),
                false => None,
            },
            morph: None,
            h0: z("gen h0", &[batch, h, w, GEN_BASE_CHANNELS])?,
            stats1: z("gen bn1 stats", &[2, GEN_BASE_CHANNELS])?,
            h1: z("gen h1", &[batch, h, w, GEN_BASE_CHANNELS])?,
            col1: z("gen col1", &[geo1.rows(), geo1.cols()])?,
            a1: z("gen a1", &geo1.image_shape())?,
            s1: z("gen s1", &geo1.image_shape())?,
            stats2: z("gen bn2 stats", &[2, GEN_MID_CHANNELS])?,
            h2: z("gen h2", &geo1.image_shape())?,
            col2: z("gen col2", &[geo2.rows(), geo2.cols()])?,
            a2: z("gen a2", &geo2.image_shape())?,
            geo1,
            geo2,
            grads,
        })
    }

    /// An inference workspace whose conditional generator blends two
    /// classes per sample ([`ClassMorph`]).
    pub fn morph_workspace(&self, gpu: &Gpu, batch: usize) -> Result<GenWorkspace> {
        let mut ws = self.workspace(gpu, batch, false)?;
        if self.shape.is_conditional() {
            ws.morph = Some(ClassMorph {
                to: gpu.zeros("gen morph classes", &[batch])?,
                weight_from: gpu.zeros("gen morph weights from", &[batch])?,
                weight_to: gpu.zeros("gen morph weights to", &[batch])?,
            });
        }
        Ok(ws)
    }

    /// Batch norm `i` (0 or 1) from x into y, saving its statistics.
    fn batchnorm(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        mode: BnMode,
        i: usize,
        [x, stats, y]: [&Tensor; 3],
    ) -> Result<()> {
        let gb = self.params.value(["bn1.gamma_beta", "bn2.gamma_beta"][i]);
        let running = self.running.value(["bn1.running", "bn2.running"][i]);
        match mode {
            BnMode::Train { update_running } => {
                batchnorm::forward_train(gpu, prog, x, &gb, stats, &running, update_running, y)
            }
            BnMode::Inference => batchnorm::forward_inference(gpu, prog, x, &gb, &running, y),
        }
    }

    /// Batch norm `i`'s backward pass: [dγ, dβ] into the gradients, and dx.
    fn batchnorm_backward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        i: usize,
        [x, stats, dy, dx]: [&Tensor; 4],
    ) -> Result<()> {
        let name = ["bn1.gamma_beta", "bn2.gamma_beta"][i];
        let p = &self.params;
        batchnorm::backward(gpu, prog, x, stats, &p.value(name), dy, &p.grad(name), dx)
    }

    /// Transposed convolution `i` (0: deconv1, 1: deconv2) of the workspace:
    /// forward, or with `backward` = [dy, dcol workspace, dx] its gradients.
    fn deconv(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &GenWorkspace,
        i: usize,
        backward: Option<[&Tensor; 3]>,
    ) -> Result<()> {
        let (name, geo, in_c, x, col, y) = match i {
            0 => (
                "deconv1",
                &ws.geo1,
                GEN_BASE_CHANNELS,
                &ws.h1,
                &ws.col1,
                &ws.a1,
            ),
            _ => (
                "deconv2",
                &ws.geo2,
                GEN_MID_CHANNELS,
                &ws.h2,
                &ws.col2,
                &ws.a2,
            ),
        };
        let (kernel, bias) = (format!("{name}.kernel"), format!("{name}.bias"));
        let p = &self.params;
        let t = Conv2dTensors {
            x,
            w: &p.value(&kernel),
            b: &p.value(&bias),
            col,
            y,
        };
        match backward {
            None => conv::conv2d_transpose_forward(gpu, prog, geo, in_c, &t),
            Some([dy, dcol, dx]) => {
                let (dw, db) = (p.grad(&kernel), p.grad(&bias));
                let grads = Conv2dGrads {
                    dy,
                    dw: Some((&dw, &db)),
                    dcol,
                    dx: Some(dx),
                };
                conv::conv2d_transpose_backward(gpu, prog, geo, in_c, &t, &grads)
            }
        }
    }

    /// Records image = G(ws.z) (conditional: G(ws.z, ws.labels)) into `out`
    /// ([batch, height, width, channels]).
    pub fn record_forward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &GenWorkspace,
        mode: BnMode,
        out: &Tensor,
    ) -> Result<()> {
        let p = &self.params;
        let h0 = ws.h0.reshape(&[ws.batch, ws.h0.len() / ws.batch])?;
        matmul(
            gpu,
            prog,
            Operand::plain(&ws.z),
            Operand::plain(&p.value("dense.kernel")),
            Some(&p.value("dense.bias")),
            &h0,
        )?;
        if let Some(labels) = &ws.labels {
            let rows = p.value("dense.class_kernel");
            match &ws.morph {
                None => add_class_rows(gpu, prog, &rows, labels, None, &h0)?,
                Some(m) => {
                    add_class_rows(gpu, prog, &rows, labels, Some(&m.weight_from), &h0)?;
                    add_class_rows(gpu, prog, &rows, &m.to, Some(&m.weight_to), &h0)?;
                }
            }
        }
        self.batchnorm(gpu, prog, mode, 0, [&ws.h0, &ws.stats1, &ws.h1])?;
        self.deconv(gpu, prog, ws, 0, None)?;
        activations::forward(gpu, prog, Activation::Selu, &ws.a1, &ws.s1)?;
        self.batchnorm(gpu, prog, mode, 1, [&ws.s1, &ws.stats2, &ws.h2])?;
        self.deconv(gpu, prog, ws, 1, None)?;
        activations::forward(gpu, prog, Activation::Tanh, &ws.a2, out)
    }

    /// Records the parameter gradients of Σ d_out · G(z) into the gradient
    /// buffer (after a training-mode forward pass on the same workspace).
    pub fn record_backward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &GenWorkspace,
        d_out: &Tensor,
    ) -> Result<()> {
        let p = &self.params;
        let g = ws
            .grads
            .as_ref()
            .expect("generator workspace was made without gradients");
        activations::backward(gpu, prog, Activation::Tanh, &ws.a2, d_out, &g.d_a2)?;
        self.deconv(gpu, prog, ws, 1, Some([&g.d_a2, &g.dcol2, &g.d_h2]))?;
        self.batchnorm_backward(gpu, prog, 1, [&ws.s1, &ws.stats2, &g.d_h2, &g.d_s1])?;
        activations::backward(gpu, prog, Activation::Selu, &ws.a1, &g.d_s1, &g.d_a1)?;
        self.deconv(gpu, prog, ws, 0, Some([&g.d_a1, &g.dcol1, &g.d_h1]))?;
        self.batchnorm_backward(gpu, prog, 0, [&ws.h0, &ws.stats1, &g.d_h1, &g.d_h0])?;
        let d_h0 = g.d_h0.reshape(&[ws.batch, g.d_h0.len() / ws.batch])?;
        matmul(
            gpu,
            prog,
            Operand::transposed(&ws.z),
            Operand::plain(&d_h0),
            None,
            &p.grad("dense.kernel"),
        )?;
        if let Some(labels) = &ws.labels {
            let grad = p.grad("dense.class_kernel");
            class_rows_gradient(gpu, prog, &d_h0, labels, None, &grad)?;
        }
        sum_columns(gpu, prog, &d_h0, &p.grad("dense.bias"), 1.0)
    }
}
