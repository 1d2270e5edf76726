//! The discriminator: image → real/fake logit, as recorded dispatches.

use super::params::{Init, ParamSet, ParamSpec};
use super::{ModelShape, DISC_CHANNELS, DROPOUT_RATE, KERNEL, LEAKY_SLOPE};
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::activations::{self, Activation};
use crate::ops::conv::{self, Conv2dGrads, Conv2dTensors};
use crate::ops::counter::RngSource;
use crate::ops::dropout;
use crate::ops::embedding::{add_class_rows, class_rows_gradient, projection};
use crate::ops::matmul::{matmul, Operand};
use crate::ops::reduce::sum_columns;
use crate::ops::spectral_norm::{self, Spectral};
use crate::spec::conv::{conv2d_geometry, Geometry};

pub struct Discriminator {
    pub shape: ModelShape,
    pub params: ParamSet,
    /// With `--spectral-norm`, every kernel is used as W / σ(W).
    pub spectral: Option<SpectralState>,
}

/// The kernels spectral normalisation applies to, each read as a matrix
/// [all dimensions but the last, output channels], with the name of its
/// power-iteration vector u.
pub const KERNELS: [(&str, &str); 3] = [
    ("conv1.kernel", "conv1.sn_u"),
    ("conv2.kernel", "conv2.sn_u"),
    ("dense.kernel", "dense.sn_u"),
];

/// Spectral normalisation's state: the persistent power-iteration vectors
/// (checkpointed), and the buffers each step recomputes.
pub struct SpectralState {
    /// u of each kernel, named "{layer}.sn_u" [output channels].
    pub vectors: ParamSet,
    /// W / σ of each kernel, in the parameters' layout.
    normalized: Tensor,
    /// v of each kernel [rows].
    v: Vec<Tensor>,
    /// σ of each kernel, in `KERNELS` order.
    sigma: Tensor,
}

/// Activations of one batch of `batch` images, kept for the backward pass.
pub struct DiscWorkspace {
    pub batch: usize,
    geo1: Geometry,
    geo2: Geometry,
    col1: Tensor,
    a1: Tensor,
    l1: Tensor,
    mask1: Tensor,
    d1: Tensor,
    col2: Tensor,
    a2: Tensor,
    l2: Tensor,
    mask2: Tensor,
    d2: Tensor,
    /// [batch, 1]
    pub logits: Tensor,
    /// A conditional discriminator's classes [batch], as float class
    /// indices.
    pub labels: Option<Tensor>,
    d_d2: Tensor,
    d_l2: Tensor,
    d_a2: Tensor,
    dcol2: Tensor,
    d_d1: Tensor,
    d_l1: Tensor,
    d_a1: Tensor,
    dcol1: Tensor,
}

/// What a backward pass computes.
pub enum DiscGrads<'a> {
    /// The parameter gradients (the discriminator's own step).
    Weights,
    /// Only the gradient with respect to the input images, into this tensor
    /// (the generator's step, through a frozen discriminator).
    Input(&'a Tensor),
}

/// One convolution's backward pass: upstream gradient, column workspace,
/// where the input gradient goes (if wanted), and whether to write the
/// layer's weight gradients.
struct LayerGrads<'a> {
    dy: &'a Tensor,
    dcol: &'a Tensor,
    dx: Option<&'a Tensor>,
    weights: bool,
}

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE);

impl Discriminator {
    /// Parameters in Keras' layouts (see `model::keras`); a conditional
    /// discriminator's class rows come last, so that the unconditional
    /// parameters and their seeded initial values stay as they were.
    pub fn specs(shape: &ModelShape) -> Vec<ParamSpec> {
        let (c1, c2) = DISC_CHANNELS;
        let k2 = KERNEL * KERNEL;
        let flat = shape.disc_flat();
        let mut specs = vec![
            ParamSpec::new(
                "conv1.kernel",
                &[KERNEL, KERNEL, shape.channels, c1],
                Init::Glorot {
                    fan_in: k2 * shape.channels,
                    fan_out: k2 * c1,
                },
            ),
            ParamSpec::new("conv1.bias", &[c1], Init::Zeros),
            ParamSpec::new(
                "conv2.kernel",
                &[KERNEL, KERNEL, c1, c2],
                Init::Glorot {
                    fan_in: k2 * c1,
                    fan_out: k2 * c2,
                },
            ),
            ParamSpec::new("conv2.bias", &[c2], Init::Zeros),
            ParamSpec::new(
                "dense.kernel",
                &[flat, 1],
                Init::Glorot {
                    fan_in: flat,
                    fan_out: 1,
                },
            ),
            ParamSpec::new("dense.bias", &[1], Init::Zeros),
        ];
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
            true => Some(SpectralState::new(gpu, &params)?),
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

    /// Kernel `i` of `KERNELS` with its spectral-normalisation tensors.
    fn spectral_op(
        &self,
        sn: &SpectralState,
        i: usize,
        f: impl FnOnce(&Spectral) -> Result<()>,
    ) -> Result<()> {
        let (name, vector) = KERNELS[i];
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
        let (c1, c2) = DISC_CHANNELS;
        let s = &self.shape;
        let geo1 = conv2d_geometry(
            "discriminator conv1",
            batch,
            (s.height, s.width),
            &s.disc_conv1(),
        )?;
        let geo2 = conv2d_geometry(
            "discriminator conv2",
            batch,
            (geo1.oh, geo1.ow),
            &s.disc_conv2(),
        )?;
        let z = |label: &str, shape: &[usize]| gpu.zeros(label, shape);
        let act1 = [batch, geo1.oh, geo1.ow, c1];
        let act2 = [batch, geo2.oh, geo2.ow, c2];
        Ok(DiscWorkspace {
            batch,
            col1: z("disc col1", &[geo1.rows(), geo1.cols()])?,
            a1: z("disc a1", &act1)?,
            l1: z("disc l1", &act1)?,
            mask1: z("disc mask1", &act1)?,
            d1: z("disc d1", &act1)?,
            col2: z("disc col2", &[geo2.rows(), geo2.cols()])?,
            a2: z("disc a2", &act2)?,
            l2: z("disc l2", &act2)?,
            mask2: z("disc mask2", &act2)?,
            d2: z("disc d2", &act2)?,
            logits: z("disc logits", &[batch, 1])?,
            labels: match s.is_conditional() {
                true => Some(z("disc classes", &[batch])?),
                false => None,
            },
            d_d2: z("disc d_d2", &act2)?,
            d_l2: z("disc d_l2", &act2)?,
            d_a2: z("disc d_a2", &act2)?,
            dcol2: z("disc dcol2", &[geo2.rows(), geo2.cols()])?,
            d_d1: z("disc d_d1", &act1)?,
            d_l1: z("disc d_l1", &act1)?,
            d_a1: z("disc d_a1", &act1)?,
            dcol1: z("disc dcol1", &[geo1.rows(), geo1.cols()])?,
            geo1,
            geo2,
        })
    }

    /// Convolution `i` (0: conv1, 1: conv2) of the workspace reading `x`:
    /// forward, or with `backward` its gradients.
    fn conv(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &DiscWorkspace,
        i: usize,
        x: &Tensor,
        backward: Option<LayerGrads>,
    ) -> Result<()> {
        let (name, geo, out_c, col, y) = match i {
            0 => ("conv1", &ws.geo1, DISC_CHANNELS.0, &ws.col1, &ws.a1),
            _ => ("conv2", &ws.geo2, DISC_CHANNELS.1, &ws.col2, &ws.a2),
        };
        let (kernel, bias) = (format!("{name}.kernel"), format!("{name}.bias"));
        let p = &self.params;
        let t = Conv2dTensors {
            x,
            w: &self.kernel(&kernel),
            b: &p.value(&bias),
            col,
            y,
        };
        match backward {
            None => conv::conv2d_forward(gpu, prog, geo, out_c, &t),
            Some(g) => {
                let (dw, db) = (p.grad(&kernel), p.grad(&bias));
                let grads = Conv2dGrads {
                    dy: g.dy,
                    dw: g.weights.then_some((&dw, &db)),
                    dcol: g.dcol,
                    dx: g.dx,
                };
                conv::conv2d_backward(gpu, prog, geo, out_c, &t, &grads)
            }
        }
    }

    /// Records logits = D(x) (conditional: D(x, ws.labels)) for x [batch,
    /// height, width, channels], the dropout
    /// after conv1 and conv2 drawing from `dropout[0]` and `dropout[1]`.
    pub fn record_forward(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        ws: &DiscWorkspace,
        x: &Tensor,
        dropout: [RngSource; 2],
    ) -> Result<()> {
        let p = &self.params;
        if let Some(sn) = &self.spectral {
            for i in 0..KERNELS.len() {
                self.spectral_op(sn, i, |s| spectral_norm::forward(gpu, prog, s))?;
            }
        }
        self.conv(gpu, prog, ws, 0, x, None)?;
        activations::forward(gpu, prog, LEAKY, &ws.a1, &ws.l1)?;
        dropout::forward(
            gpu,
            prog,
            DROPOUT_RATE,
            dropout[0],
            &ws.l1,
            &ws.mask1,
            &ws.d1,
        )?;
        self.conv(gpu, prog, ws, 1, &ws.d1, None)?;
        activations::forward(gpu, prog, LEAKY, &ws.a2, &ws.l2)?;
        dropout::forward(
            gpu,
            prog,
            DROPOUT_RATE,
            dropout[1],
            &ws.l2,
            &ws.mask2,
            &ws.d2,
        )?;
        let flat = ws.d2.reshape(&[ws.batch, self.shape.disc_flat()])?;
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
            DiscGrads::Input(dx) => (false, Some(dx)),
        };
        let p = &self.params;
        let flat = ws.d2.reshape(&[ws.batch, self.shape.disc_flat()])?;
        let d_flat = ws.d_d2.reshape(&[ws.batch, self.shape.disc_flat()])?;
        if weight_grads {
            matmul(
                gpu,
                prog,
                Operand::transposed(&flat),
                Operand::plain(d_logits),
                None,
                &p.grad("dense.kernel"),
            )?;
            sum_columns(gpu, prog, d_logits, &p.grad("dense.bias"), 1.0)?;
            if let Some(labels) = &ws.labels {
                let grad = p.grad("projection.class_rows");
                class_rows_gradient(gpu, prog, &flat, labels, Some(d_logits), &grad)?;
            }
        }
        let dense = self.kernel("dense.kernel");
        matmul(
            gpu,
            prog,
            Operand::plain(d_logits),
            Operand::transposed(&dense),
            None,
            &d_flat,
        )?;
        if let Some(labels) = &ws.labels {
            let rows = p.value("projection.class_rows");
            add_class_rows(gpu, prog, &rows, labels, Some(d_logits), &d_flat)?;
        }
        dropout::backward(gpu, prog, &ws.mask2, &ws.d_d2, &ws.d_l2)?;
        activations::backward(gpu, prog, LEAKY, &ws.a2, &ws.d_l2, &ws.d_a2)?;
        let grads2 = LayerGrads {
            dy: &ws.d_a2,
            dcol: &ws.dcol2,
            dx: Some(&ws.d_d1),
            weights: weight_grads,
        };
        self.conv(gpu, prog, ws, 1, &ws.d1, Some(grads2))?;
        dropout::backward(gpu, prog, &ws.mask1, &ws.d_d1, &ws.d_l1)?;
        activations::backward(gpu, prog, LEAKY, &ws.a1, &ws.d_l1, &ws.d_a1)?;
        let grads1 = LayerGrads {
            dy: &ws.d_a1,
            dcol: &ws.dcol1,
            dx,
            weights: weight_grads,
        };
        self.conv(gpu, prog, ws, 0, x, Some(grads1))?;
        if let (Some(sn), true) = (&self.spectral, weight_grads) {
            for (i, (name, _)) in KERNELS.iter().enumerate() {
                let grad = p.grad(name);
                self.spectral_op(sn, i, |s| spectral_norm::backward(gpu, prog, s, &grad))?;
            }
        }
        Ok(())
    }
}

impl SpectralState {
    fn new(gpu: &Gpu, params: &ParamSet) -> Result<SpectralState> {
        let mut specs = Vec::new();
        let mut v = Vec::new();
        for (name, vector) in KERNELS {
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
            sigma: gpu.zeros("spectral norms", &[KERNELS.len()])?,
        })
    }
}
