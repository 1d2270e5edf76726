//! Reference of one whole training step (`train::record_step`), built from
//! the reference ops, for the test that holds the GPU step against it.

use super::{
    activations, batchnorm, conv, dropout, ema, embedding, loss, matmul, optim, reduce, rng,
    spectral_norm,
};
use crate::model::{discriminator, gpu_seed, names, salt, ModelShape, DROPOUT_RATE, LEAKY_SLOPE};
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
    /// Per block: batch norm's input (block 0: Dense's output) and output,
    /// the convolution's output.
    blocks: Vec<GenBlockCache>,
}

struct GenBlockCache {
    x: Vec<f64>,
    h: Vec<f64>,
    a: Vec<f64>,
}

struct DiscCache {
    n: usize,
    classes: Option<Vec<f64>>,
    /// Per block: the input (block 0: the images), the convolution's
    /// output, the dropout mask
    /// and the block's output.
    blocks: Vec<DiscBlockCache>,
}

struct DiscBlockCache {
    x: Vec<f64>,
    a: Vec<f64>,
    mask: Vec<f64>,
    d: Vec<f64>,
}

const LEAKY: Activation = Activation::LeakyRelu(LEAKY_SLOPE);

impl CpuGan {
    fn t(&self, name: &str) -> &[f64] {
        self.tensors
            .get(name)
            .unwrap_or_else(|| panic!("no tensor {name}"))
    }

    fn gen_geometry(&self, b: usize) -> Vec<Geometry> {
        let s = &self.shape;
        let mut hw = s.seed_hw();
        (0..s.blocks)
            .map(|i| {
                let g = conv2d_transpose_geometry("g", b, hw, &s.gen_deconv(i))
                    .expect("valid geometry");
                hw = (g.h, g.w);
                g
            })
            .collect()
    }

    fn disc_geometry(&self, n: usize) -> Vec<Geometry> {
        let s = &self.shape;
        let mut hw = (s.height, s.width);
        (0..s.blocks)
            .map(|i| {
                let g = conv2d_geometry("d", n, hw, &s.disc_conv(i)).expect("valid geometry");
                hw = (g.oh, g.ow);
                g
            })
            .collect()
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

    /// The blocks from Dense's output `h0` to the image, batch norm `i`
    /// normalising with `bn(i, x)`; returns the image and each block's
    /// (input, normalised input, convolution output).
    fn gen_blocks(
        &self,
        h0: &[f64],
        mut bn: impl FnMut(usize, &[f64]) -> Vec<f64>,
    ) -> (Vec<f64>, Vec<GenBlockCache>) {
        let geos = self.gen_geometry(self.cfg.batch_size);
        let mut x = h0.to_vec();
        let mut blocks = Vec::with_capacity(geos.len());
        for (i, g) in geos.iter().enumerate() {
            let h = bn(i, &x);
            let a = conv::conv2d_transpose_forward(
                g,
                self.shape.gen_deconv(i).in_c,
                &h,
                self.t(&format!("generator/deconv{}.kernel", i + 1)),
                self.t(&format!("generator/deconv{}.bias", i + 1)),
            );
            let last = i + 1 == geos.len();
            let out = activations::forward(
                if last {
                    Activation::Tanh
                } else {
                    Activation::Selu
                },
                &a,
            );
            blocks.push(GenBlockCache { x, h, a });
            x = out;
        }
        (x, blocks)
    }

    fn gen_forward(
        &mut self,
        z: Vec<f64>,
        classes: Option<Vec<f64>>,
        update_running: bool,
    ) -> (Vec<f64>, GenCache) {
        let h0 = self.gen_dense(&z, classes.as_deref());
        let mut stats = Vec::new();
        let (img, blocks) = self.gen_blocks(&h0, |i, x| {
            let gb = self.t(&format!("generator/bn{}.gamma_beta", i + 1));
            let bn = batchnorm::forward_train(x, gb);
            stats.push((bn.mean, bn.var));
            bn.y
        });
        if update_running {
            for (i, (mean, var)) in stats.iter().enumerate() {
                let r = self
                    .tensors
                    .get_mut(&names::running(i + 1))
                    .expect("running statistics");
                batchnorm::update_running(r, mean, var);
            }
        }
        (img, GenCache { z, classes, blocks })
    }

    /// The generator with its running batch-norm statistics (no cache: no
    /// gradient flows back through this pass).
    fn gen_inference(&self, z: &[f64], classes: Option<&[f64]>) -> Vec<f64> {
        let h0 = self.gen_dense(z, classes);
        let bn = |i: usize, x: &[f64]| {
            let gb = self.t(&format!("generator/bn{}.gamma_beta", i + 1));
            batchnorm::forward_inference(x, gb, self.t(&names::running(i + 1)))
        };
        self.gen_blocks(&h0, bn).0
    }

    fn gen_backward(&self, c: &GenCache, d_img: &[f64]) -> Tensors {
        let b = self.cfg.batch_size;
        let geos = self.gen_geometry(b);
        let mut grads = BTreeMap::new();
        let mut d_out = d_img.to_vec();
        for i in (0..geos.len()).rev() {
            let block = &c.blocks[i];
            let act = match i + 1 == geos.len() {
                true => Activation::Tanh,
                false => Activation::Selu,
            };
            let d_a = activations::backward(act, &block.a, &d_out);
            let name = |p: &str| format!("deconv{}.{p}", i + 1);
            let (d_h, dw, db) = conv::conv2d_transpose_backward(
                &geos[i],
                self.shape.gen_deconv(i).in_c,
                &block.h,
                self.t(&format!("generator/{}", name("kernel"))),
                &d_a,
            );
            let bn = format!("bn{}.gamma_beta", i + 1);
            let (d_x, dgb) =
                batchnorm::backward(&block.x, self.t(&format!("generator/{bn}")), &d_h);
            grads.insert(name("kernel"), dw);
            grads.insert(name("bias"), db);
            grads.insert(bn, dgb);
            d_out = d_x;
        }
        let d_h0 = d_out;
        let features = d_h0.len() / b;
        let (_, dwd) = matmul::matmul_backward(
            &c.z,
            self.t("generator/dense.kernel"),
            &d_h0,
            b,
            self.shape.latent,
            features,
        );
        grads.insert("dense.kernel".into(), dwd);
        grads.insert("dense.bias".into(), reduce::sum_columns(&d_h0, features));
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
        for (kernel, vector) in discriminator::spectral_kernels(&self.shape) {
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
        dropout_salt: fn(usize) -> u32,
        step: u32,
    ) -> (Vec<f64>, DiscCache) {
        let geos = self.disc_geometry(n);
        let mut input = x;
        let mut blocks = Vec::with_capacity(geos.len());
        for (i, g) in geos.iter().enumerate() {
            let a = conv::conv2d_forward(
                g,
                self.shape.disc_conv(i).out_c,
                &input,
                self.disc_kernel(&format!("conv{}.kernel", i + 1)),
                self.t(&format!("discriminator/conv{}.bias", i + 1)),
            );
            let (d, mask) = dropout::forward(
                &activations::forward(LEAKY, &a),
                DROPOUT_RATE,
                self.seed,
                dropout_salt(i),
                step,
            );
            blocks.push(DiscBlockCache {
                x: input,
                a,
                mask,
                d: d.clone(),
            });
            input = d;
        }
        let flat = self.shape.disc_flat();
        let mut logits = matmul::matmul(&input, self.disc_kernel("dense.kernel"), n, flat, 1);
        matmul::add_bias(&mut logits, self.t("discriminator/dense.bias"));
        if let Some(y) = &classes {
            let rows = self.t("discriminator/projection.class_rows");
            let projected = embedding::projection(rows, flat, y, &input);
            for (l, p) in logits.iter_mut().zip(projected) {
                *l += p;
            }
        }
        (logits, DiscCache { n, classes, blocks })
    }

    /// (parameter gradients, input gradient).
    fn disc_backward(&self, c: &DiscCache, d_logits: &[f64]) -> (Tensors, Vec<f64>) {
        let geos = self.disc_geometry(c.n);
        let flat = self.shape.disc_flat();
        let features = &c.blocks.last().expect("a discriminator has blocks").d;
        let (mut d_out, dwd) = matmul::matmul_backward(
            features,
            self.disc_kernel("dense.kernel"),
            d_logits,
            c.n,
            flat,
            1,
        );
        let mut grads = BTreeMap::from([
            ("dense.kernel".to_string(), dwd),
            ("dense.bias".to_string(), vec![reduce::sum_all(d_logits)]),
        ]);
        if let Some(y) = &c.classes {
            let rows = self.t("discriminator/projection.class_rows");
            embedding::add_class_rows(rows, flat, y, Some(d_logits), &mut d_out);
            let grad = embedding::class_rows_gradient(
                features,
                flat,
                y,
                Some(d_logits),
                self.shape.classes,
            );
            grads.insert("projection.class_rows".to_string(), grad);
        }
        for i in (0..geos.len()).rev() {
            let block = &c.blocks[i];
            let d_a =
                activations::backward(LEAKY, &block.a, &dropout::backward(&block.mask, &d_out));
            let (dx, dw, db) = conv::conv2d_backward(
                &geos[i],
                self.shape.disc_conv(i).out_c,
                &block.x,
                self.disc_kernel(&format!("conv{}.kernel", i + 1)),
                &d_a,
            );
            grads.insert(format!("conv{}.kernel", i + 1), dw);
            grads.insert(format!("conv{}.bias", i + 1), db);
            d_out = dx;
        }
        (grads, d_out)
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
        let (logits, cache) = self.disc_forward(x, disc_classes, 2 * b, salt::dropout_d_step, step);
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
        let (logits, cache) = self.disc_forward(img, gen_classes, b, salt::dropout_g_step, step);
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
