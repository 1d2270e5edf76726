//! The discriminator: image → real/fake logit, as recorded dispatches.

use super::params::{Init, ParamSet, ParamSpec};
use super::{ModelShape, DROPOUT_RATE, KERNEL, LEAKY_SLOPE, MAX_BLOCKS};
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::conv::{self, Conv2dGrads, Conv2dTensors, Through};
use crate::ops::counter::RngSource;
use crate::ops::dropout::{self, LeakyReluDropout, LeakyReluDropoutForward};
use crate::ops::embedding::{add_class_rows, class_rows_gradient, projection};
use crate::ops::matmul::{matmul, weight_and_bias_grads, Operand};
use crate::ops::reduce::sum_columns;
use crate::ops::spectral_norm::{self, Spectral};
use crate::spec::conv::{conv2d_geometry, Geometry};

pub struct Discriminator {
    pub shape: ModelShape,
    pub params: ParamSet,
    /// With `--spectral-norm`, every kernel is used as W / σ(W).
    pub spectral: Option<SpectralState>,
}

/// Names of convolution i's tensors (0-based; the checkpoint counts from 1).
const CONV_KERNEL: [&str; MAX_BLOCKS] = [
    "conv1.kernel",
    "conv2.kernel",
    "conv3.kernel",
    "conv4.kernel",
];
const CONV_BIAS: [&str; MAX_BLOCKS] = ["conv1.bias", "conv2.bias", "conv3.bias", "conv4.bias"];
const CONV_SN_U: [&str; MAX_BLOCKS] = ["conv1.sn_u", "conv2.sn_u", "conv3.sn_u", "conv4.sn_u"];

/// The kernels spectral normalisation applies to, each read as a matrix
/// [all dimensions but the last, output channels], with the name of its
/// power-iteration vector u: every convolution's, then dense's.
pub fn spectral_kernels(shape: &ModelShape) -> Vec<(&'static str, &'static str)> {
    let convs = (0..shape.blocks).map(|i| (CONV_KERNEL[i], CONV_SN_U[i]));
    convs.chain([("dense.kernel", "dense.sn_u")]).collect()
}

/// Spectral normalisation's state: the persistent power-iteration vectors
/// (checkpointed), and the buffers each step recomputes.
pub struct SpectralState {
    /// The kernels and their u vectors' names, as [`spectral_kernels`].
    kernels: Vec<(&'static str, &'static str)>,
    /// u of each kernel, named "{layer}.sn_u" [output channels].
    pub vectors: ParamSet,
    /// W / σ of each kernel, in the parameters' layout.
    normalized: Tensor,
    /// v of each kernel [rows].
    v: Vec<Tensor>,
    /// σ of each kernel, in `kernels` order.
    sigma: Tensor,
}

/// Activations of one batch of `batch` images, kept for the backward pass.
pub struct DiscWorkspace {
    pub batch: usize,
    blocks: Vec<DiscBlock>,
    /// [batch, 1]
    pub logits: Tensor,
    /// A conditional discriminator's classes [batch], as float class
    /// indices.
    pub labels: Option<Tensor>,
    /// A conditional discriminator's gradient at the features, which the
    /// projection adds to before the top block's LeakyReLU → dropout
    /// gradient (an unconditional one computes both in one pass).
    d_features: Option<Tensor>,
}

/// Block i: the convolution, then LeakyReLU and dropout (in the product's
/// store where it gathers im2col, else one pass after it); and their
/// gradients.
struct DiscBlock {
    geo: Geometry,
    out_c: usize,
    col: Tensor,
    /// The convolution's output, LeakyReLU's input: written only where
    /// LeakyReLU → dropout runs as a pass of its own (one element
    /// elsewhere).
    a: Tensor,
    /// The dropout factor, signed as `a` (see `ops::dropout`).
    factor: Tensor,
    /// The block's output: the next block's input, or the features.
    d: Tensor,
    /// The gradient at `a`.
    d_a: Tensor,
    dcol: Tensor,
}

/// What [`Discriminator::conv`] records.
enum ConvPass<'a> {
    /// The block's forward pass: the convolution, then LeakyReLU → dropout
    /// into the block's output.
    Forward(LeakyReluDropoutForward<'a>),
    /// The gradients: the input gradient when wanted, with the activation
    /// below that it passes through; the weight gradients when wanted.
    Backward(Option<(&'a Tensor, Through<'a>)>, bool),
}

/// What a backward pass computes.
pub enum DiscGrads<'a> {
    /// The parameter gradients (the discriminator's own step).
    Weights,
    /// Only the gradient with respect to the input images, taken on
    /// through the tanh that made them (the generator's step, through a
    /// frozen discriminator): into `d_pre`, the gradient at `pre`, tanh's
    /// input.
    InputThroughTanh { pre: &'a Tensor, d_pre: &'a Tensor },
}

impl Discriminator {
    /// Parameters in Keras' layouts (see `model::keras`), block by block;
    /// a conditional discriminator's class rows come last, so that the
    /// unconditional parameters and their seeded initial values stay as
    /// they were.
    pub fn specs(shape: &ModelShape) -> Vec<ParamSpec> {
        let k2 = KERNEL * KERNEL;
        let flat = shape.disc_flat();
        let mut specs = Vec::new();
        for i in 0..shape.blocks {
            let spec = shape.disc_conv(i);
            specs.extend([
                ParamSpec::new(
                    CONV_KERNEL[i],
                    &[KERNEL, KERNEL, spec.in_c, spec.out_c],
                    Init::Glorot {
                        fan_in: k2 * spec.in_c,
                        fan_out: k2 * spec.out_c,
                    },
                ),
                ParamSpec::new(CONV_BIAS[i], &[spec.out_c], Init::Zeros),
            ]);
        }
        specs.extend([
            ParamSpec::new(
                "dense.kernel",
                &[flat, 1],
                Init::Glorot {
                    fan_in: flat,
                    fan_out: 1,
                },
            ),
            ParamSpec::new("dense.bias", &[1], Init::Zeros),
        ]);
        if shape.is_conditional() {
            // The projection's class rows, initialised like Dense's kernel,
            // which they extend per class.
            specs.push(ParamSpec::new(
                "projection.class_rows",
                &[shape.classes, flat],
                Init::Glorot {
                    fan_in: flat,
                    fan_out: 1,
                },
            ));
        }
        specs
    }

    /// With `spectral`, the kernels are spectrally normalised.
    pub fn new(
        gpu: &Gpu,
        shape: ModelShape,
        optimizer_states: usize,
        spectral: bool,
    ) -> Result<Discriminator> {
        let params = ParamSet::new(gpu, "discriminator", Self::specs(&shape), optimizer_states)?;
        let spectral = match spectral {
            true => Some(SpectralState::new(gpu, &params, spectral_kernels(&shape))?),
            false => None,
        };
        Ok(Discriminator {
            params,
            shape,
            spectral,
        })
    }

    /// The kernel `name` as the layers use it: W / σ with spectral
    /// normalisation, else W.
    fn kernel(&self, name: &str) -> Tensor {
        match &self.spectral {
            Some(sn) => self.params.view_of(&sn.normalized, name),
            None => self.params.value(name),
        }
    }

    /// Kernel `i` of the spectral state's with its spectral-normalisation
    /// tensors.
    fn spectral_op(
        &self,
        sn: &SpectralState,
        i: usize,
        f: impl FnOnce(&Spectral) -> Result<()>,
    ) -> Result<()> {
        let (name, vector) = sn.kernels[i];
        let w = self.params.value(name);
        let shape = w.shape();
        f(&Spectral {
            w: &w,
            rows: shape[..shape.len() - 1].iter().product(),
            u: &sn.vectors.value(vector),
            v: &sn.v[i],
            sigma: &sn.sigma,
            index: i,
            w_sn: &self.kernel(name),
        })
    }

    pub fn workspace(&self, gpu: &Gpu, batch: usize) -> Result<DiscWorkspace> {
        let s = &self.shape;
        let z = |label: &str, shape: &[usize]| gpu.zeros(label, shape);
        let mut blocks = Vec::with_capacity(s.blocks);
        let mut hw = (s.height, s.width);
        for i in 0..s.blocks {
            let spec = s.disc_conv(i);
            let name = format!("discriminator conv{}", i + 1);
            let geo = conv2d_geometry(&name, batch, hw, &spec)?;
            let act = [batch, geo.oh, geo.ow, spec.out_c];
            blocks.push(DiscBlock {
                out_c: spec.out_c,
                col: conv::forward_col_workspace(gpu, "disc col", &geo, spec.out_c)?,
                a: conv::pre_activation_workspace(gpu, "disc a", &geo, spec.out_c)?,
                factor: z("disc dropout factor", &act)?,
                d: z("disc d", &act)?,
                d_a: z("disc d_a", &act)?,
                // The first layer's input gradient (in the generator's
                // step) passes through the generator's tanh.
                dcol: conv::adjoint_col_workspace(gpu, "disc dcol", &geo, spec.out_c, i == 0)?,
                geo,
            });
            hw = (geo.oh, geo.ow);
        }
        Ok(DiscWorkspace {
            batch,
            blocks,
            logits: z("disc logits", &[batch, 1])?,
            labels: match s.is_conditional() {
                true => Some(z("disc classes", &[batch])?),
                false => None,
            },
            d_features: match s.is_conditional() {
                true => Some(z("disc d_features", &[batch, s.disc_flat()])?),
                false => None,
            },
        })
    }

    /// Block `i`'s convolution reading `x`, one way or the other.
    fn conv(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &DiscWorkspace,
        i: usize,
        x: &Tensor,
        pass: ConvPass,
    ) -> Result<()> {
        let b = &ws.blocks[i];
        let p = &self.params;
        let t = Conv2dTensors {
            x,
            w: &self.kernel(CONV_KERNEL[i]),
            b: &p.value(CONV_BIAS[i]),
            col: &b.col,
            y: &b.a,
        };
        match pass {
            ConvPass::Forward(then) => {
                conv::conv2d_forward_leaky_relu_dropout(gpu, prog, &b.geo, b.out_c, &t, then, &b.d)
            }
            ConvPass::Backward(dx, weights) => {
                let (dw, db) = (p.grad(CONV_KERNEL[i]), p.grad(CONV_BIAS[i]));
                let grads = Conv2dGrads {
                    dy: &b.d_a,
                    dw: weights.then_some(&dw),
                    db: weights.then_some(&db),
                    dcol: &b.dcol,
                    dx: dx.map(|(dx, _)| dx),
                    dx_through: dx.map(|(_, through)| through),
                };
                conv::conv2d_backward(gpu, prog, &b.geo, b.out_c, &t, &grads)
            }
        }
    }

    /// Records logits = D(x) (conditional: D(x, ws.labels)) for x [batch,
    /// height, width, channels], the dropout after convolution i drawing
    /// from `dropout(i)`.
    pub fn record_forward<'a>(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &DiscWorkspace,
        x: &Tensor,
        dropout: impl Fn(usize) -> RngSource<'a>,
    ) -> Result<()> {
        let p = &self.params;
        if let Some(sn) = &self.spectral {
            prog.layer("D spectral norm forward", |prog| {
                (0..sn.kernels.len()).try_for_each(|i| {
                    self.spectral_op(sn, i, |s| spectral_norm::forward(gpu, prog, s))
                })
            })?;
        }
        for (i, b) in ws.blocks.iter().enumerate() {
            let input = match i {
                0 => x,
                _ => &ws.blocks[i - 1].d,
            };
            let then = LeakyReluDropoutForward {
                alpha: LEAKY_SLOPE,
                rate: DROPOUT_RATE,
                rng: dropout(i),
                factor: &b.factor,
            };
            prog.layer(&format!("D conv{} forward", i + 1), |prog| {
                self.conv(gpu, prog, ws, i, input, ConvPass::Forward(then))
            })?;
        }
        let last = ws.blocks.last().expect("a discriminator has blocks");
        let flat = last.d.reshape(&[ws.batch, self.shape.disc_flat()])?;
        prog.layer("D dense forward", |prog| {
            matmul(
                gpu,
                prog,
                Operand::plain(&flat),
                Operand::plain(&self.kernel("dense.kernel")),
                Some(&p.value("dense.bias")),
                &ws.logits,
            )?;
            match &ws.labels {
                Some(labels) => {
                    let rows = p.value("projection.class_rows");
                    projection(gpu, prog, &rows, labels, &flat, &ws.logits)
                }
                None => Ok(()),
            }
        })
    }

    /// The dense layer's part of [`Self::record_backward`]: its weight and
    /// bias gradients when `weight_grads`, and the gradient at its input,
    /// passed on through the last block's LeakyReLU → dropout into its d_a.
    fn dense_backward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &DiscWorkspace,
        d_logits: &Tensor,
        weight_grads: bool,
    ) -> Result<()> {
        let p = &self.params;
        let last = ws.blocks.last().expect("a discriminator has blocks");
        let flat = last.d.reshape(&[ws.batch, self.shape.disc_flat()])?;
        if weight_grads {
            let (dw, db) = (p.grad("dense.kernel"), p.grad("dense.bias"));
            // One product for both where it can, else the bias gradient's
            // own pass.
            if !weight_and_bias_grads(gpu, prog, &flat, d_logits, (&dw, &db))? {
                let features = Operand::transposed(&flat);
                matmul(gpu, prog, features, Operand::plain(d_logits), None, &dw)?;
                sum_columns(gpu, prog, d_logits, &db, 1.0)?;
            }
            if let Some(labels) = &ws.labels {
                let grad = p.grad("projection.class_rows");
                class_rows_gradient(gpu, prog, &flat, labels, Some(d_logits), &grad)?;
            }
        }
        let dense = self.kernel("dense.kernel");
        match (&ws.labels, &ws.d_features) {
            (Some(labels), Some(d_features)) => {
                matmul(
                    gpu,
                    prog,
                    Operand::plain(d_logits),
                    Operand::transposed(&dense),
                    None,
                    d_features,
                )?;
                let rows = p.value("projection.class_rows");
                add_class_rows(gpu, prog, &rows, labels, Some(d_logits), d_features)?;
                dropout::leaky_relu_dropout_backward(
                    gpu,
                    prog,
                    LEAKY_SLOPE,
                    &last.factor,
                    d_features,
                    &last.d_a,
                )?;
            }
            _ => {
                let through = LeakyReluDropout {
                    factor: &last.factor,
                    alpha: LEAKY_SLOPE,
                };
                dropout::dense_leaky_relu_dropout_backward(
                    gpu, prog, through, d_logits, &dense, &last.d_a,
                )?;
            }
        }
        Ok(())
    }

    /// Records the backward pass from `d_logits` after a forward pass on
    /// `x` with the same workspace.
    pub fn record_backward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &DiscWorkspace,
        x: &Tensor,
        d_logits: &Tensor,
        wanted: DiscGrads,
    ) -> Result<()> {
        let (weight_grads, dx) = match wanted {
            DiscGrads::Weights => (true, None),
            DiscGrads::InputThroughTanh { pre, d_pre } => {
                (false, Some((d_pre, Through::Tanh { pre })))
            }
        };
        let p = &self.params;
        prog.layer("D dense backward", |prog| {
            self.dense_backward(gpu, prog, ws, d_logits, weight_grads)
        })?;
        // Each input gradient goes on through the activation below: the
        // LeakyReLU → dropout of the block below, into its d_a, or the
        // images' tanh.
        for i in (0..ws.blocks.len()).rev() {
            let (input, d_input) = match i {
                0 => (x, dx),
                _ => {
                    let below = &ws.blocks[i - 1];
                    let through = Through::LeakyReluDropout(LeakyReluDropout {
                        factor: &below.factor,
                        alpha: LEAKY_SLOPE,
                    });
                    (&below.d, Some((&below.d_a, through)))
                }
            };
            let pass = ConvPass::Backward(d_input, weight_grads);
            prog.layer(&format!("D conv{} backward", i + 1), |prog| {
                self.conv(gpu, prog, ws, i, input, pass)
            })?;
        }
        match (&self.spectral, weight_grads) {
            (Some(sn), true) => prog.layer("D spectral norm backward", |prog| {
                sn.kernels
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, (name, _))| {
                        let grad = p.grad(name);
                        self.spectral_op(sn, i, |s| spectral_norm::backward(gpu, prog, s, &grad))
                    })
            }),
            _ => Ok(()),
        }
    }
}

impl SpectralState {
    fn new(
        gpu: &Gpu,
        params: &ParamSet,
        kernels: Vec<(&'static str, &'static str)>,
    ) -> Result<SpectralState> {
        let mut specs = Vec::new();
        let mut v = Vec::new();
        for &(name, vector) in &kernels {
            let shape = params.value(name).shape().to_vec();
            let (rows, cols) = (
                shape[..shape.len() - 1].iter().product(),
                shape[shape.len() - 1],
            );
            specs.push(ParamSpec::new(vector, &[cols], Init::Ones));
            v.push(gpu.zeros(&format!("spectral norm v of {name}"), &[rows])?);
        }
        let vectors = ParamSet::new(gpu, "spectral norm u", specs, 0)?;
        vectors.write_constant_inits(gpu)?;
        Ok(SpectralState {
            vectors,
            normalized: gpu.zeros("normalised kernels", &[params.values.len()])?,
            v,
            sigma: gpu.zeros("spectral norms", &[kernels.len()])?,
            kernels,
        })
    }
}
