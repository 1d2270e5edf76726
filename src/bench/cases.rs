//! One case per op family at the model's layer shapes. A case allocates
//! its inputs only when `--ops` selects one of the ops it times.

use super::harness::Bencher;
use crate::error::Result;
use crate::gpu::{Program, Tensor};
use crate::ops::activations::{self, Activation};
use crate::ops::conv::{self, Conv2dGrads, Conv2dTensors};
use crate::ops::counter::RngSource;
use crate::ops::counter::StepCounter;
use crate::ops::dropout;
use crate::ops::matmul::{self, matmul, Operand};
use crate::ops::{batchnorm, loss, optim};
use crate::spec::conv::Geometry;
use crate::spec::optim::Optimizer;

impl Bencher<'_> {
    pub(super) fn matmul_case(
        &mut self,
        op: &str,
        batch: usize,
        (m, k, n): (usize, usize, usize),
        a_t: bool,
        b_t: bool,
    ) -> Result<()> {
        if !self.wanted(op) {
            return Ok(());
        }
        let a = self.random("a", &if a_t { [k, m] } else { [m, k] })?;
        let b = self.random("b", &if b_t { [n, k] } else { [k, n] })?;
        let c = self.zeros("c", &[m, n])?;
        let gpu = self.gpu;
        let flops = matmul::flops(m, n, k);
        let bytes = 4.0 * (m * k + k * n + m * n) as f64;
        let shape = format!(
            "[{m}x{k}]{}·[{k}x{n}]{}",
            if a_t { "ᵀ" } else { "" },
            if b_t { "ᵀ" } else { "" }
        );
        self.measure(op, shape, batch, flops, bytes, |p| {
            let a = if a_t {
                Operand::transposed(&a)
            } else {
                Operand::plain(&a)
            };
            let b = if b_t {
                Operand::transposed(&b)
            } else {
                Operand::plain(&b)
            };
            matmul(gpu, p, a, b, None, &c)
        })
    }

    pub(super) fn conv_case(
        &mut self,
        name: &str,
        g: Geometry,
        other_c: usize,
        transpose: bool,
    ) -> Result<()> {
        // The forward's data movement alone (im2col, or col2im for the
        // transpose) is timed too, to show what share of the layer it is.
        let movement = if transpose { "col2im" } else { "im2col" };
        let ops = [
            format!("{name} forward"),
            format!("{name} {movement} alone"),
            format!("{name} backward-input"),
            format!("{name} backward-weights"),
        ];
        if !self.wants_any(&ops) {
            return Ok(());
        }
        let gpu = self.gpu;
        let image = g.n * g.h * g.w * g.c;
        let grid = g.rows() * other_c;
        let x = self.random(
            "x",
            &if transpose {
                vec![g.n, g.oh, g.ow, other_c]
            } else {
                g.image_shape().to_vec()
            },
        )?;
        let w = self.random("w", &[g.kh, g.kw, g.c, other_c])?;
        let bias_len = if transpose { g.c } else { other_c };
        let b = self.random("b", &[bias_len])?;
        let col = conv::col_workspace(gpu, "col", &g, other_c)?;
        let dcol = conv::col_workspace(gpu, "dcol", &g, other_c)?;
        let y = self.zeros(
            "y",
            &if transpose {
                g.image_shape().to_vec()
            } else {
                vec![g.n, g.oh, g.ow, other_c]
            },
        )?;
        let dy = self.random("dy", y.shape())?;
        let dx = self.zeros("dx", x.shape())?;
        let dw = self.zeros("dw", w.shape())?;
        let db = self.zeros("db", &[bias_len])?;
        let flops = matmul::flops(g.rows(), other_c, g.cols());
        let col_bytes = 4.0 * (g.rows() * g.cols()) as f64;
        let io = 4.0 * (image + grid + g.cols() * other_c) as f64;
        let t = Conv2dTensors {
            x: &x,
            w: &w,
            b: &b,
            col: &col,
            y: &y,
        };
        let shape = format!(
            "{}x{}x{} {} {}x{}x{} k{} s{}",
            if transpose { g.oh } else { g.h },
            if transpose { g.ow } else { g.w },
            if transpose { other_c } else { g.c },
            "→",
            if transpose { g.h } else { g.oh },
            if transpose { g.w } else { g.ow },
            if transpose { g.c } else { other_c },
            g.kh,
            g.stride
        );
        let batch = g.n;
        // Forward, then each backward product on its own: dx (input
        // gradient) and dw + db (weight gradient).
        let fwd = |p: &mut Program| {
            if transpose {
                conv::conv2d_transpose_forward(gpu, p, &g, other_c, &t)
            } else {
                conv::conv2d_forward(gpu, p, &g, other_c, &t)
            }
        };
        self.measure(
            &format!("{name} forward"),
            shape.clone(),
            batch,
            flops,
            io + 2.0 * col_bytes,
            fwd,
        )?;
        self.measure(
            &format!("{name} {movement} alone"),
            shape.clone(),
            batch,
            0.0,
            io + col_bytes,
            |p| {
                if transpose {
                    conv::col2im(gpu, p, &g, &conv::Cols::ByPatch(col.clone()), Some(&b), &y)
                } else {
                    conv::im2col(gpu, p, &g, &x, &col)
                }
            },
        )?;
        let bwd = |p: &mut Program, want_dx: bool| {
            let d = Conv2dGrads {
                dy: &dy,
                dw: (!want_dx).then_some(&dw),
                db: (!want_dx).then_some(&db),
                dcol: &dcol,
                dx: want_dx.then_some(&dx),
                dx_through: None,
            };
            if transpose {
                conv::conv2d_transpose_backward(gpu, p, &g, other_c, &t, &d)
            } else {
                conv::conv2d_backward(gpu, p, &g, other_c, &t, &d)
            }
        };
        self.measure(
            &format!("{name} backward-input"),
            shape.clone(),
            batch,
            flops,
            io + 2.0 * col_bytes,
            |p| bwd(p, true),
        )?;
        self.measure(
            &format!("{name} backward-weights"),
            shape,
            batch,
            flops,
            io + col_bytes,
            |p| bwd(p, false),
        )
    }

    pub(super) fn elementwise(
        &mut self,
        op: &str,
        batch: usize,
        shape: &[usize],
        act: Activation,
    ) -> Result<()> {
        if !self.wants_any(&[format!("{op} forward"), format!("{op} backward")]) {
            return Ok(());
        }
        let gpu = self.gpu;
        let x = self.random("x", shape)?;
        let dy = self.random("dy", shape)?;
        let y = self.zeros("y", shape)?;
        let len = x.len() as f64;
        let desc = format!("{shape:?}");
        self.measure(
            &format!("{op} forward"),
            desc.clone(),
            batch,
            len,
            8.0 * len,
            |p| activations::forward(gpu, p, act, &x, &y),
        )?;
        self.measure(
            &format!("{op} backward"),
            desc,
            batch,
            2.0 * len,
            12.0 * len,
            |p| activations::backward(gpu, p, act, &x, &dy, &y),
        )
    }

    pub(super) fn batchnorm_case(&mut self, op: &str, batch: usize, shape: &[usize]) -> Result<()> {
        if !self.wants_any(&[format!("{op} forward"), format!("{op} backward")]) {
            return Ok(());
        }
        let gpu = self.gpu;
        let c = shape[shape.len() - 1];
        let x = self.random("x", shape)?;
        let dy = self.random("dy", shape)?;
        let y = self.zeros("y", shape)?;
        let dx = self.zeros("dx", shape)?;
        let gb = self.random("gb", &[2, c])?;
        let stats = self.zeros("stats", &[2, c])?;
        let running = self.zeros("running", &[2, c])?;
        let dgb = self.zeros("dgb", &[2, c])?;
        let len = x.len() as f64;
        let desc = format!("{shape:?}");
        self.measure(
            &format!("{op} forward"),
            desc.clone(),
            batch,
            7.0 * len,
            16.0 * len,
            |p| batchnorm::forward_train(gpu, p, &x, &gb, &stats, &running, true, &y),
        )?;
        self.measure(
            &format!("{op} backward"),
            desc,
            batch,
            12.0 * len,
            28.0 * len,
            |p| batchnorm::backward(gpu, p, &x, &stats, &gb, &dy, &dgb, None, &dx),
        )
    }
}

pub(super) fn dropout_case(bench: &mut Bencher, batch: usize, shape: &[usize]) -> Result<()> {
    if !bench.wants_any(&["dropout forward".into(), "dropout backward".into()]) {
        return Ok(());
    }
    let gpu = bench.gpu;
    let x = bench.random("x", shape)?;
    let mask = bench.zeros("mask", shape)?;
    let y = bench.zeros("y", shape)?;
    let counter = StepCounter::default().upload(bench.gpu, "counter")?;
    let len = x.len() as f64;
    let rng = RngSource {
        seed: 1,
        salt: 2,
        counter: &counter,
    };
    bench.measure(
        "dropout forward",
        format!("{shape:?}"),
        batch,
        2.0 * len,
        12.0 * len,
        |p| dropout::forward(gpu, p, 0.3, rng, &x, &mask, &y),
    )?;
    bench.measure(
        "dropout backward",
        format!("{shape:?}"),
        batch,
        len,
        12.0 * len,
        |p| dropout::backward(gpu, p, &mask, &x, &y),
    )
}

pub(super) fn bce_case(bench: &mut Bencher, n: usize) -> Result<()> {
    if !bench.wanted("bce_with_logits") {
        return Ok(());
    }
    let gpu = bench.gpu;
    let z = bench.random("z", &[n, 1])?;
    let labels = bench.random("labels", &[n, 1])?;
    let grad = bench.zeros("grad", &[n, 1])?;
    let metrics = bench.zeros("metrics", &[loss::SLOT])?;
    bench.measure(
        "bce_with_logits",
        format!("[{n}]"),
        n,
        20.0 * n as f64,
        12.0 * n as f64,
        |p| {
            loss::binary_loss(
                gpu,
                p,
                loss::BinaryKind::Bce,
                &z,
                &labels,
                &grad,
                &metrics,
                0,
            )
        },
    )
}

pub(super) fn optim_case(
    bench: &mut Bencher,
    op: &str,
    batch: usize,
    len: usize,
    opt: Optimizer,
) -> Result<()> {
    if !bench.wanted(op) {
        return Ok(());
    }
    let gpu = bench.gpu;
    let param = bench.random("param", &[len])?;
    let grad = bench.random("grad", &[len])?;
    let state: Vec<Tensor> = (0..opt.state_count())
        .map(|_| bench.zeros("state", &[len]))
        .collect::<Result<_>>()?;
    let counter = StepCounter::default().upload(bench.gpu, "counter")?;
    let words = 2 + 2 * opt.state_count();
    bench.measure(
        op,
        format!("{len} parameters"),
        batch,
        10.0 * len as f64,
        4.0 * (words * len) as f64,
        |p| optim::step(gpu, p, &opt, &param, &grad, &state, &counter),
    )
}
