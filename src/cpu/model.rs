//! Reference of one whole training step (`train::record_step`), built from
//! the reference ops, for the test that holds the GPU step against it.

use super::{
    activations, batchnorm, conv, dropout, ema, embedding, loss, matmul, optim, reduce, rng,
    spectral_norm,
};
use crate::model::{
    discriminator, gpu_seed, names, salt, ModelShape, DISC_CHANNELS, DROPOUT_RATE,
    GEN_BASE_CHANNELS, GEN_MID_CHANNELS, LEAKY_SLOPE,
};
use crate::ops::activations::Activation;
use crate::spec::conv::{conv2d_geometry, conv2d_transpose_geometry, Geometry};
use crate::train::{FakeBatchNorm, GanLoss, TrainConfig};
use std::collections::BTreeMap;

pub type Tensors = BTreeMap<String, Vec<f64>>;

/// A binary loss of `cpu::loss` on (logits, labels).
type BinaryLossFn = fn(&[f64], &[f64]) -> loss::BinaryLoss;

/// Both networks' weights, running statistics and optimiser state.
pub struct CpuGan {
    pub shape: ModelShape,
    /// The run's settings: batch, optimisers, seed, recipe options.
    pub cfg: TrainConfig,
    pub seed: u32,
    /// "generator/…", "discriminator/…", "optimizer/{net}/{k}/…" as in a
    /// checkpoint.
    pub tensors: Tensors,
    /// With spectral normalisation: each discriminator kernel's last power
    /// step and W / σ, by kernel name.
    spectral: BTreeMap<&'static str, (spectral_norm::PowerStep, Vec<f64>)>,
}

struct GenCache {
    z: Vec<f64>,
    classes: Option<Vec<f64>>,
    h0: Vec<f64>,
    h1: Vec<f64>,
    a1: Vec<f64>,
    s1: Vec<f64>,
    h2: Vec<f64>,
    a2: Vec<f64>,
}

struct DiscCache {
    n: usize,
    x: Vec<f64>,
    classes: Option<Vec<f64>>,
    a1: Vec<f64>,
    m1: Vec<f64>,
    d1: Vec<f64>,
    a2: Vec<f64>,
    m2: Vec<f64>,
    d2: Vec<f64>,
}

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE);

impl CpuGan {
    fn t(&self, name: &str) -> &[f64] {
        self.tensors
            .get(name)
            .unwrap_or_else(|| panic!("no tensor {name}"))
    }

    fn gen_geometry(&self, b: usize) -> (Geometry, Geometry) {
        let s = &self.shape;
        let g1 = conv2d_transpose_geometry("g1", b, s.seed_hw(), &s.gen_deconv1())
            .expect("valid geometry");
        let g2 = conv2d_transpose_geometry("g2", b, (g1.h, g1.w), &s.gen_deconv2())
            .expect("valid geometry");
        (g1, g2)
    }

    fn disc_geometry(&self, n: usize) -> (Geometry, Geometry) {
        let s = &self.shape;
        let g1 =
            conv2d_geometry("d1", n, (s.height, s.width), &s.disc_conv1()).expect("valid geometry");
        let g2 = conv2d_geometry("d2", n, (g1.oh, g1.ow), &s.disc_conv2()).expect("valid geometry");
        (g1, g2)
    }

    /// Dense's output: z·W + b, plus a conditional generator's class rows.
    fn gen_dense(&self, z: &[f64], classes: Option<&[f64]>) -> Vec<f64> {
        let b = self.cfg.batch_size;
        let features = self.t("generator/dense.bias").len();
        let mut h0 = matmul::matmul(
            z,
            self.t("generator/dense.kernel"),
            b,
            self.shape.latent,
            features,
        );
        matmul::add_bias(&mut h0, self.t("generator/dense.bias"));
        if let Some(y) = classes {
            let rows = self.t("generator/dense.class_kernel");
            embedding::add_class_rows(rows, features, y, None, &mut h0);
        }
        h0
    }

    fn gen_forward(
        &mut self,
        z: Vec<f64>,
        classes: Option<Vec<f64>>,
        update_running: bool,
    ) -> (Vec<f64>, GenCache) {
        let b = self.cfg.batch_size;
        let (g1, g2) = self.gen_geometry(b);
        let h0 = self.gen_dense(&z, classes.as_deref());
        let bn1 = batchnorm::forward_train(&h0, self.t("generator/bn1.gamma_beta"));
        let a1 = conv::conv2d_transpose_forward(
            &g1,
            GEN_BASE_CHANNELS,
            &bn1.y,
            self.t("generator/deconv1.kernel"),
            self.t("generator/deconv1.bias"),
        );
        let s1 = activations::forward(Activation::Selu, &a1);
        let bn2 = batchnorm::forward_train(&s1, self.t("generator/bn2.gamma_beta"));
        let a2 = conv::conv2d_transpose_forward(
            &g2,
            GEN_MID_CHANNELS,
            &bn2.y,
            self.t("generator/deconv2.kernel"),
            self.t("generator/deconv2.bias"),
        );
        let img = activations::forward(Activation::Tanh, &a2);
        if update_running {
            for (i, bn) in [&bn1, &bn2].iter().enumerate() {
                let r = self
                    .tensors
                    .get_mut(&names::running(i + 1))
                    .expect("running statistics");
                batchnorm::update_running(r, &bn.mean, &bn.var);
            }
        }
        (
            img,
            GenCache {
                z,
                classes,
                h0,
                h1: bn1.y,
                a1,
                s1,
                h2: bn2.y,
                a2,
            },
        )
    }

    /// The generator with its running batch-norm statistics (no cache: no
    /// gradient flows back through this pass).
    fn gen_inference(&self, z: &[f64], classes: Option<&[f64]>) -> Vec<f64> {
        let (g1, g2) = self.gen_geometry(self.cfg.batch_size);
        let h0 = self.gen_dense(z, classes);
        let bn = |i: usize, x: &[f64]| {
            let gb = self.t(&format!("generator/bn{i}.gamma_beta"));
            batchnorm::forward_inference(x, gb, self.t(&names::running(i)))
        };
        let a1 = conv::conv2d_transpose_forward(
            &g1,
            GEN_BASE_CHANNELS,
            &bn(1, &h0),
            self.t("generator/deconv1.kernel"),
            self.t("generator/deconv1.bias"),
        );
        let s1 = activations::forward(Activation::Selu, &a1);
        let a2 = conv::conv2d_transpose_forward(
            &g2,
            GEN_MID_CHANNELS,
            &bn(2, &s1),
            self.t("generator/deconv2.kernel"),
            self.t("generator/deconv2.bias"),
        );
        activations::forward(Activation::Tanh, &a2)
    }

    fn gen_backward(&self, c: &GenCache, d_img: &[f64]) -> Tensors {
        let b = self.cfg.batch_size;
        let (g1, g2) = self.gen_geometry(b);
        let d_a2 = activations::backward(Activation::Tanh, &c.a2, d_img);
        let (d_h2, dw2, db2) = conv::conv2d_transpose_backward(
            &g2,
            GEN_MID_CHANNELS,
            &c.h2,
            self.t("generator/deconv2.kernel"),
            &d_a2,
        );
        let (d_s1, dgb2) = batchnorm::backward(&c.s1, self.t("generator/bn2.gamma_beta"), &d_h2);
        let d_a1 = activations::backward(Activation::Selu, &c.a1, &d_s1);
        let (d_h1, dw1, db1) = conv::conv2d_transpose_backward(
            &g1,
            GEN_BASE_CHANNELS,
            &c.h1,
            self.t("generator/deconv1.kernel"),
            &d_a1,
        );
        let (d_h0, dgb1) = batchnorm::backward(&c.h0, self.t("generator/bn1.gamma_beta"), &d_h1);
        let features = d_h0.len() / b;
        let (_, dwd) = matmul::matmul_backward(
            &c.z,
            self.t("generator/dense.kernel"),
            &d_h0,
            b,
            self.shape.latent,
            features,
        );
        let mut grads = BTreeMap::from([
            ("dense.kernel".into(), dwd),
            ("dense.bias".into(), reduce::sum_columns(&d_h0, features)),
            ("bn1.gamma_beta".into(), dgb1),
            ("deconv1.kernel".into(), dw1),
            ("deconv1.bias".into(), db1),
            ("bn2.gamma_beta".into(), dgb2),
            ("deconv2.kernel".into(), dw2),
            ("deconv2.bias".into(), db2),
        ]);
        if let Some(y) = &c.classes {
            let grad = embedding::class_rows_gradient(&d_h0, features, y, None, self.shape.classes);
            grads.insert("dense.class_kernel".into(), grad);
        }
        grads
    }

    /// Discriminator kernel `name` as its layers use it: W / σ with
    /// spectral normalisation, else W.
    fn disc_kernel(&self, name: &str) -> &[f64] {
        match self.spectral.get(name) {
            Some((_, w_sn)) => w_sn,
            None => self.t(&names::param(names::DISCRIMINATOR, name)),
        }
    }

    /// With spectral normalisation, one power-iteration step per kernel
    /// (as every D forward pass on the GPU starts).
    fn normalize_disc(&mut self) {
        if !self.cfg.spectral_norm {
            return;
        }
        for (kernel, vector) in discriminator::KERNELS {
            let w = self.t(&names::param(names::DISCRIMINATOR, kernel));
            let u_key = names::param(names::DISCRIMINATOR, vector);
            let u = self.t(&u_key);
            let step = spectral_norm::power_iteration(w, w.len() / u.len(), u);
            let w_sn = spectral_norm::normalize(w, step.sigma);
            self.tensors.insert(u_key, step.u.clone());
            self.spectral.insert(kernel, (step, w_sn));
        }
    }

    fn disc_forward(
        &self,
        x: Vec<f64>,
        classes: Option<Vec<f64>>,
        n: usize,
        dropout_salts: [u32; 2],
        step: u32,
    ) -> (Vec<f64>, DiscCache) {
        let (g1, g2) = self.disc_geometry(n);
        let (c1, c2) = DISC_CHANNELS;
        let a1 = conv::conv2d_forward(
            &g1,
            c1,
            &x,
            self.disc_kernel("conv1.kernel"),
            self.t("discriminator/conv1.bias"),
        );
        let (d1, m1) = dropout::forward(
            &activations::forward(LEAKY, &a1),
            DROPOUT_RATE,
            self.seed,
            dropout_salts[0],
            step,
        );
        let a2 = conv::conv2d_forward(
            &g2,
            c2,
            &d1,
            self.disc_kernel("conv2.kernel"),
            self.t("discriminator/conv2.bias"),
        );
        let (d2, m2) = dropout::forward(
            &activations::forward(LEAKY, &a2),
            DROPOUT_RATE,
            self.seed,
            dropout_salts[1],
            step,
        );
        let flat = self.shape.disc_flat();
        let mut logits = matmul::matmul(&d2, self.disc_kernel("dense.kernel"), n, flat, 1);
        matmul::add_bias(&mut logits, self.t("discriminator/dense.bias"));
        if let Some(y) = &classes {
            let rows = self.t("discriminator/projection.class_rows");
            let projected = embedding::projection(rows, flat, y, &d2);
            for (l, p) in logits.iter_mut().zip(projected) {
                *l += p;
            }
        }
        (
            logits,
            DiscCache {
                n,
                x,
                classes,
                a1,
                m1,
                d1,
                a2,
                m2,
                d2,
            },
        )
    }

    /// (parameter gradients, input gradient).
    fn disc_backward(&self, c: &DiscCache, d_logits: &[f64]) -> (Tensors, Vec<f64>) {
        let (g1, g2) = self.disc_geometry(c.n);
        let (c1, c2) = DISC_CHANNELS;
        let flat = self.shape.disc_flat();
        let (mut d_d2, dwd) = matmul::matmul_backward(
            &c.d2,
            self.disc_kernel("dense.kernel"),
            d_logits,
            c.n,
            flat,
            1,
        );
        let mut class_grads = BTreeMap::new();
        if let Some(y) = &c.classes {
            let rows = self.t("discriminator/projection.class_rows");
            embedding::add_class_rows(rows, flat, y, Some(d_logits), &mut d_d2);
            let grad =
                embedding::class_rows_gradient(&c.d2, flat, y, Some(d_logits), self.shape.classes);
            class_grads.insert("projection.class_rows".to_string(), grad);
        }
        let d_a2 = activations::backward(LEAKY, &c.a2, &dropout::backward(&c.m2, &d_d2));
        let (d_d1, dw2, db2) =
            conv::conv2d_backward(&g2, c2, &c.d1, self.disc_kernel("conv2.kernel"), &d_a2);
        let d_a1 = activations::backward(LEAKY, &c.a1, &dropout::backward(&c.m1, &d_d1));
        let (dx, dw1, db1) =
            conv::conv2d_backward(&g1, c1, &c.x, self.disc_kernel("conv1.kernel"), &d_a1);
        let mut grads = BTreeMap::from([
            ("conv1.kernel".into(), dw1),
            ("conv1.bias".into(), db1),
            ("conv2.kernel".into(), dw2),
            ("conv2.bias".into(), db2),
            ("dense.kernel".into(), dwd),
            ("dense.bias".into(), vec![reduce::sum_all(d_logits)]),
        ]);
        grads.append(&mut class_grads);
        (grads, dx)
    }

    fn update(&mut self, net: &str, grads: &Tensors, step: u32) {
        for (name, g) in grads {
            let key = names::param(net, name);
            let mut param = self.tensors.remove(&key).expect("parameter");
            let opt = match net {
                names::DISCRIMINATOR => self.cfg.disc_optimizer(),
                _ => self.cfg.optimizer,
            };
            let keys: Vec<String> = (0..opt.state_count())
                .map(|k| names::optimizer_state(net, k, name))
                .collect();
            let mut state: Vec<Vec<f64>> = keys
                .iter()
                .map(|k| self.tensors.remove(k).expect("optimiser state"))
                .collect();
            optim::step(&opt, &mut param, g, &mut state, step + 1);
            self.tensors.insert(key, param);
            for (k, s) in keys.into_iter().zip(state) {
                self.tensors.insert(k, s);
            }
        }
    }

    /// One step of the schedule on `real` ([batch, h, w, 1] in [-1, 1]) at
    /// global step `step`; returns (D loss, G loss). A conditional model
    /// takes the real images' `classes`, for which it also draws its fakes.
    pub fn train_step(&mut self, real: &[f64], classes: Option<&[f64]>, step: u32) -> (f64, f64) {
        let b = self.cfg.batch_size;
        let latent = self.shape.latent;
        let z = rng::fill_normal(b * latent, self.seed, salt::NOISE_D_STEP, step, 0.0, 1.0);
        let gen_classes = classes.map(<[f64]>::to_vec);
        let mut x = match self.cfg.fake_batch_norm {
            FakeBatchNorm::Batch => self.gen_forward(z, gen_classes.clone(), false).0,
            FakeBatchNorm::Running => self.gen_inference(&z, classes),
        };
        x.extend_from_slice(real);
        let real = 1.0 - self.cfg.label_smoothing as f64;
        let labels: Vec<f64> = (0..2 * b).map(|i| if i < b { 0.0 } else { real }).collect();
        self.normalize_disc();
        let disc_classes = classes.map(|y| [y, y].concat());
        let (logits, cache) = self.disc_forward(x, disc_classes, 2 * b, salt::DROPOUT_D_STEP, step);
        let (d_loss, g_loss): (BinaryLossFn, BinaryLossFn) = match self.cfg.loss {
            GanLoss::Bce => (loss::bce_with_logits, loss::bce_with_logits),
            GanLoss::Hinge => (loss::hinge_discriminator, loss::hinge_generator),
        };
        let d = d_loss(&logits, &labels);
        let (mut d_grads, _) = self.disc_backward(&cache, &d.grad);
        for (kernel, (power, w_sn)) in &self.spectral {
            let g = d_grads.get_mut(*kernel).expect("a kernel gradient");
            *g = spectral_norm::backward(g, w_sn, power);
        }
        self.update(names::DISCRIMINATOR, &d_grads, step);

        let z = rng::fill_normal(b * latent, self.seed, salt::NOISE_G_STEP, step, 0.0, 1.0);
        let (img, gen_cache) = self.gen_forward(z, gen_classes.clone(), true);
        self.normalize_disc();
        let (logits, cache) = self.disc_forward(img, gen_classes, b, salt::DROPOUT_G_STEP, step);
        let g = g_loss(&logits, &vec![1.0; b]);
        let (_, dx) = self.disc_backward(&cache, &g.grad);
        let g_grads = self.gen_backward(&gen_cache, &dx);
        self.update(names::GENERATOR, &g_grads, step);
        if let Some(decay) = self.cfg.ema {
            self.update_average(ema::warmed_up_decay(decay as f64, step));
        }
        (d.loss, g.loss)
    }

    /// Moves every "generator_ema/…" tensor towards its "generator/…" one.
    fn update_average(&mut self, d: f64) {
        let average = names::param_prefix(names::GENERATOR_EMA);
        let trained = names::param_prefix(names::GENERATOR);
        let keys: Vec<String> = self
            .tensors
            .keys()
            .filter(|k| k.starts_with(&average))
            .cloned()
            .collect();
        for key in keys {
            let source = self.t(&key.replacen(&average, &trained, 1)).to_vec();
            let target = self.tensors.get_mut(&key).expect("listed above");
            ema::update(target, &source, d);
        }
    }

    /// The reference of a run with settings `cfg`, from `tensors` (as a
    /// checkpoint names them).
    pub fn new(shape: ModelShape, cfg: &TrainConfig, tensors: Tensors) -> CpuGan {
        CpuGan {
            shape,
            cfg: cfg.clone(),
            seed: gpu_seed(cfg.seed),
            tensors,
            spectral: BTreeMap::new(),
        }
    }
}
