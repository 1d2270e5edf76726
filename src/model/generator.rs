//! The generator: latent noise → image in [-1, 1], as recorded dispatches.

use super::params::{Init, ParamSet, ParamSpec};
use super::{ModelShape, KERNEL, MAX_BLOCKS};
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::activations::Activation;
use crate::ops::batchnorm::{self, ThroughSelu};
use crate::ops::conv::{self, Conv2dGrads, Conv2dTensors};
use crate::ops::embedding::{add_class_rows, class_rows_gradient};
use crate::ops::matmul::{matmul, weight_and_bias_grads, Operand};
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
    /// Running [μ, σ²] of the batch norms, `bn1.running`, `bn2.running`, …:
    /// not trained (no optimiser state), checkpointed under the
    /// generator's names like its parameters.
    pub running: ParamSet,
}

/// Names of block i's tensors (0-based; the checkpoint counts from 1).
const BN_GAMMA_BETA: [&str; MAX_BLOCKS] = [
    "bn1.gamma_beta",
    "bn2.gamma_beta",
    "bn3.gamma_beta",
    "bn4.gamma_beta",
];
const BN_RUNNING: [&str; MAX_BLOCKS] = ["bn1.running", "bn2.running", "bn3.running", "bn4.running"];
const DECONV_KERNEL: [&str; MAX_BLOCKS] = [
    "deconv1.kernel",
    "deconv2.kernel",
    "deconv3.kernel",
    "deconv4.kernel",
];
const DECONV_BIAS: [&str; MAX_BLOCKS] = [
    "deconv1.bias",
    "deconv2.bias",
    "deconv3.bias",
    "deconv4.bias",
];

/// Activations of one batch, kept for the backward pass.
pub struct GenWorkspace {
    pub batch: usize,
    /// Latent input [batch, latent]; the training step fills it with noise.
    pub z: Tensor,
    /// A conditional generator's classes [batch], as float class indices.
    pub labels: Option<Tensor>,
    /// A morph between classes (`interpolate --from-class --to-class`):
    /// the class code is (1 - t)·one-hot(labels) + t·one-hot(to).
    pub morph: Option<ClassMorph>,
    /// Dense's output.
    h0: Tensor,
    blocks: Vec<GenBlock>,
}

/// Block i: batch norm of its input (Dense's output, or the previous
/// block's SELU), the transposed convolution, then SELU (tanh, into the
/// caller's image, in the last block).
struct GenBlock {
    geo: Geometry,
    in_c: usize,
    stats: Tensor,
    /// Batch norm's output, the convolution's input.
    h: Tensor,
    col: Tensor,
    /// The convolution's output.
    a: Tensor,
    /// SELU(a), the next block's input; none in the last block.
    s: Option<Tensor>,
    grads: Option<GenBlockGrads>,
}

struct GenBlockGrads {
    d_a: Tensor,
    dcol: Tensor,
    d_h: Tensor,
    /// The gradient at Dense's output, in block 0 only: a later block's
    /// batch norm writes the gradient at the previous block's SELU input
    /// (its `d_a`) instead.
    d_in: Option<Tensor>,
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

/// What [`Generator::deconv`] records.
enum DeconvPass<'a> {
    /// The forward pass, its activation (SELU or tanh) into this tensor.
    Forward(Activation, &'a Tensor),
    /// The gradients.
    Backward,
}

impl Generator {
    /// Parameters in Keras' layouts (see `model::keras`), block by block;
    /// a conditional generator's class rows come last, so that the
    /// unconditional parameters and their seeded initial values stay as
    /// they were.
    pub fn specs(shape: &ModelShape) -> Vec<ParamSpec> {
        let (h, w) = shape.seed_hw();
        let features = h * w * shape.seed_channels();
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
        ];
        for i in 0..shape.blocks {
            let spec = shape.gen_deconv(i);
            specs.extend([
                ParamSpec::new(BN_GAMMA_BETA[i], &[2, spec.in_c], Init::GammaBeta),
                ParamSpec::new(
                    DECONV_KERNEL[i],
                    &[KERNEL, KERNEL, spec.out_c, spec.in_c],
                    Init::Glorot {
                        fan_in: k2 * spec.out_c,
                        fan_out: k2 * spec.in_c,
                    },
                ),
                ParamSpec::new(DECONV_BIAS[i], &[spec.out_c], Init::Zeros),
            ]);
        }
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
    pub fn running_specs(shape: &ModelShape) -> Vec<ParamSpec> {
        (0..shape.blocks)
            .map(|i| {
                let c = shape.gen_deconv(i).in_c;
                ParamSpec::new(BN_RUNNING[i], &[2, c], Init::MeanVariance)
            })
            .collect()
    }

    pub fn new(gpu: &Gpu, shape: ModelShape, optimizer_states: usize) -> Result<Generator> {
        let params = ParamSet::new(gpu, "generator", Self::specs(&shape), optimizer_states)?;
        let running = ParamSet::new(
            gpu,
            "generator running statistics",
            Self::running_specs(&shape),
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
        let z = |label: &str, shape: &[usize]| gpu.zeros(label, shape);
        let mut blocks = Vec::with_capacity(s.blocks);
        let mut hw = (h, w);
        for i in 0..s.blocks {
            let spec = s.gen_deconv(i);
            let name = format!("generator deconv{}", i + 1);
            let geo = conv2d_transpose_geometry(&name, batch, hw, &spec)?;
            let input = [batch, hw.0, hw.1, spec.in_c];
            let last = i + 1 == s.blocks;
            let grads = match with_grads {
                true => Some(GenBlockGrads {
                    d_a: z("gen d_a", &geo.image_shape())?,
                    dcol: conv::col_workspace(gpu, "gen dcol", &geo, spec.in_c)?,
                    d_h: z("gen d_h", &input)?,
                    d_in: match i {
                        0 => Some(z("gen d_in", &input)?),
                        _ => None,
                    },
                }),
                false => None,
            };
            blocks.push(GenBlock {
                in_c: spec.in_c,
                stats: z("gen bn stats", &[2, spec.in_c])?,
                h: z("gen h", &input)?,
                col: conv::adjoint_col_workspace(gpu, "gen col", &geo, spec.in_c, false)?,
                a: z("gen a", &geo.image_shape())?,
                s: match last {
                    true => None,
                    false => Some(z("gen s", &geo.image_shape())?),
                },
                grads,
                geo,
            });
            hw = (geo.h, geo.w);
        }
        Ok(GenWorkspace {
            batch,
            z: z("gen z", &[batch, s.latent])?,
            labels: match s.is_conditional() {
                true => Some(z("gen classes", &[batch])?),
                false => None,
            },
            morph: None,
            h0: z("gen h0", &[batch, h, w, s.seed_channels()])?,
            blocks,
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

    /// Block `i`'s input: Dense's output, or the previous block's SELU.
    fn d_h0(ws: &GenWorkspace) -> &Tensor {
        ws.blocks[0]
            .grads
            .as_ref()
            .and_then(|g| g.d_in.as_ref())
            .expect("generator workspace was made without gradients")
    }

    fn block_input(ws: &GenWorkspace, i: usize) -> &Tensor {
        match i {
            0 => &ws.h0,
            _ => ws.blocks[i - 1]
                .s
                .as_ref()
                .expect("a hidden block has a SELU"),
        }
    }

    /// Block `i`'s batch norm, into its `h`.
    fn batchnorm(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &GenWorkspace,
        mode: BnMode,
        i: usize,
    ) -> Result<()> {
        let (x, b) = (Self::block_input(ws, i), &ws.blocks[i]);
        let gb = self.params.value(BN_GAMMA_BETA[i]);
        let running = self.running.value(BN_RUNNING[i]);
        match mode {
            BnMode::Train { update_running } => batchnorm::forward_train(
                gpu,
                prog,
                x,
                &gb,
                &b.stats,
                &running,
                update_running,
                &b.h,
            ),
            BnMode::Inference => batchnorm::forward_inference(gpu, prog, x, &gb, &running, &b.h),
        }
    }

    /// Block `i`'s transposed convolution, forward or backward.
    fn deconv(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &GenWorkspace,
        i: usize,
        pass: DeconvPass,
    ) -> Result<()> {
        let b = &ws.blocks[i];
        let p = &self.params;
        let t = Conv2dTensors {
            x: &b.h,
            w: &p.value(DECONV_KERNEL[i]),
            b: &p.value(DECONV_BIAS[i]),
            col: &b.col,
            y: &b.a,
        };
        if let DeconvPass::Forward(act, out) = pass {
            return conv::conv2d_transpose_forward_activation(
                gpu,
                prog,
                &b.geo,
                b.in_c,
                &t,
                (act, out),
            );
        }
        let g = b
            .grads
            .as_ref()
            .expect("generator workspace was made without gradients");
        let (dw, db) = (p.grad(DECONV_KERNEL[i]), p.grad(DECONV_BIAS[i]));
        // The next block's batch norm sums the bias gradient of a block
        // before the last.
        let last = i + 1 == ws.blocks.len();
        let grads = Conv2dGrads {
            dy: &g.d_a,
            dw: Some(&dw),
            db: last.then_some(&db),
            dcol: &g.dcol,
            dx: Some(&g.d_h),
            dx_through: None,
        };
        conv::conv2d_transpose_backward(gpu, prog, &b.geo, b.in_c, &t, &grads)
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
        prog.layer("G dense forward", |prog| {
            matmul(
                gpu,
                prog,
                Operand::plain(&ws.z),
                Operand::plain(&p.value("dense.kernel")),
                Some(&p.value("dense.bias")),
                &h0,
            )?;
            let Some(labels) = &ws.labels else {
                return Ok(());
            };
            let rows = p.value("dense.class_kernel");
            match &ws.morph {
                None => add_class_rows(gpu, prog, &rows, labels, None, &h0),
                Some(m) => {
                    add_class_rows(gpu, prog, &rows, labels, Some(&m.weight_from), &h0)?;
                    add_class_rows(gpu, prog, &rows, &m.to, Some(&m.weight_to), &h0)
                }
            }
        })?;
        for (i, b) in ws.blocks.iter().enumerate() {
            prog.layer(&format!("G bn{} forward", i + 1), |prog| {
                self.batchnorm(gpu, prog, ws, mode, i)
            })?;
            let pass = match &b.s {
                Some(s) => DeconvPass::Forward(Activation::Selu, s),
                None => DeconvPass::Forward(Activation::Tanh, out),
            };
            prog.layer(&format!("G deconv{} forward", i + 1), |prog| {
                self.deconv(gpu, prog, ws, i, pass)
            })?;
        }
        Ok(())
    }

    /// The input of the generator's last activation, tanh, and where the
    /// gradient at it goes: (pre, d_pre). The discriminator's input
    /// gradient passes through tanh into `d_pre` as it is stored
    /// (`DiscGrads::InputThroughTanh`), ready for [`Self::record_backward`].
    pub fn tanh_input<'a>(&self, ws: &'a GenWorkspace) -> (&'a Tensor, &'a Tensor) {
        let last = ws.blocks.last().expect("a generator has blocks");
        let grads = last
            .grads
            .as_ref()
            .expect("generator workspace was made without gradients");
        (&last.a, &grads.d_a)
    }

    /// Records the parameter gradients of Σ d_out · G(z) into the gradient
    /// buffer, after a training-mode forward pass on the same workspace and
    /// with the gradient at tanh's input in place (see [`Self::tanh_input`]).
    pub fn record_backward(&self, gpu: &Gpu, prog: &mut Program, ws: &GenWorkspace) -> Result<()> {
        let p = &self.params;
        let grads = |i: usize| {
            ws.blocks[i]
                .grads
                .as_ref()
                .expect("generator workspace was made without gradients")
        };
        for i in (0..ws.blocks.len()).rev() {
            let (b, g) = (&ws.blocks[i], grads(i));
            prog.layer(&format!("G deconv{} backward", i + 1), |prog| {
                self.deconv(gpu, prog, ws, i, DeconvPass::Backward)
            })?;
            let name = BN_GAMMA_BETA[i];
            let x = Self::block_input(ws, i);
            // The gradient at Dense's output, or through the previous
            // block's SELU into its d_a, with its bias gradient (counted
            // in this layer's time).
            let bias_grad;
            let (selu, dx) = match i.checked_sub(1) {
                Some(j) => {
                    bias_grad = p.grad(DECONV_BIAS[j]);
                    let selu = ThroughSelu {
                        pre: &ws.blocks[j].a,
                        bias_grad: &bias_grad,
                    };
                    (Some(selu), &grads(j).d_a)
                }
                None => (None, Self::d_h0(ws)),
            };
            prog.layer(&format!("G bn{} backward", i + 1), |prog| {
                batchnorm::backward(
                    gpu,
                    prog,
                    x,
                    &b.stats,
                    &p.value(name),
                    &g.d_h,
                    &p.grad(name),
                    selu,
                    dx,
                )
            })?;
        }
        let d_h0 = Self::d_h0(ws);
        let d_h0 = d_h0.reshape(&[ws.batch, d_h0.len() / ws.batch])?;
        let (dw, db) = (p.grad("dense.kernel"), p.grad("dense.bias"));
        prog.layer("G dense backward", |prog| {
            // One product for both where it can, else the bias gradient's
            // own pass.
            if !weight_and_bias_grads(gpu, prog, &ws.z, &d_h0, (&dw, &db))? {
                let z = Operand::transposed(&ws.z);
                matmul(gpu, prog, z, Operand::plain(&d_h0), None, &dw)?;
                sum_columns(gpu, prog, &d_h0, &db, 1.0)?;
            }
            match &ws.labels {
                Some(labels) => {
                    let grad = p.grad("dense.class_kernel");
                    class_rows_gradient(gpu, prog, &d_h0, labels, None, &grad)
                }
                None => Ok(()),
            }
        })
    }
}
