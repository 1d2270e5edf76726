//! Reference for Conv2d and Conv2dTranspose: direct loops over output
//! pixels and kernel taps. Geometry (sizes, padding) is the shared
//! [`Geometry`]; kernels are in Keras' layout.

use crate::spec::conv::Geometry;

/// The image pixel that tap (ky, kx) of patch (oy, ox) reads, if inside.
fn source_pixel(
    g: &Geometry,
    oy: usize,
    ox: usize,
    ky: usize,
    kx: usize,
) -> Option<(usize, usize)> {
    let iy = (oy * g.stride + ky).checked_sub(g.pad_top)?;
    let ix = (ox * g.stride + kx).checked_sub(g.pad_left)?;
    (iy < g.h && ix < g.w).then_some((iy, ix))
}

/// Calls f(image index, patch index without channel, kernel tap) for every
/// (patch, tap) that lands inside the image, channel 0; callers add channels.
fn for_each_tap(g: &Geometry, mut f: impl FnMut(usize, usize, usize)) {
    for b in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                for ky in 0..g.kh {
                    for kx in 0..g.kw {
                        if let Some((iy, ix)) = source_pixel(g, oy, ox, ky, kx) {
                            let pixel = (b * g.h + iy) * g.w + ix;
                            let patch = (b * g.oh + oy) * g.ow + ox;
                            f(pixel, patch, ky * g.kw + kx);
                        }
                    }
                }
            }
        }
    }
}

/// Conv2d: x [n, h, w, c] → y [n, oh, ow, out_c]; kernel [kh, kw, c, out_c].
pub fn conv2d_forward(g: &Geometry, out_c: usize, x: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
    let c = g.c;
    let mut y = vec![0.0; g.rows() * out_c];
    for (patch, row) in y.chunks_mut(out_c).enumerate() {
        row.copy_from_slice(&b[..out_c]);
        let _ = patch;
    }
    for_each_tap(g, |pixel, patch, tap| {
        for ci in 0..c {
            let xv = x[pixel * c + ci];
            for co in 0..out_c {
                y[patch * out_c + co] += xv * w[(tap * c + ci) * out_c + co];
            }
        }
    });
    y
}

/// Gradients of Conv2d: (dx, dw, db).
pub fn conv2d_backward(
    g: &Geometry,
    out_c: usize,
    x: &[f64],
    w: &[f64],
    dy: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let c = g.c;
    let mut dx = vec![0.0; x.len()];
    let mut dw = vec![0.0; w.len()];
    for_each_tap(g, |pixel, patch, tap| {
        for ci in 0..c {
            for co in 0..out_c {
                let wi = (tap * c + ci) * out_c + co;
                let g = dy[patch * out_c + co];
                dx[pixel * c + ci] += g * w[wi];
                dw[wi] += g * x[pixel * c + ci];
            }
        }
    });
    let db = super::reduce::sum_columns(dy, out_c);
    (dx, dw, db)
}

/// Conv2dTranspose: x [n, oh, ow, in_c] (the patch grid) → y [n, h, w, c]
/// (the image); kernel [kh, kw, c, in_c]. Each input pixel scatters its
/// kernel-weighted value over the image pixels its patch covers.
pub fn conv2d_transpose_forward(
    g: &Geometry,
    in_c: usize,
    x: &[f64],
    w: &[f64],
    b: &[f64],
) -> Vec<f64> {
    let c = g.c;
    let mut y: Vec<f64> = (0..g.n * g.h * g.w * c).map(|i| b[i % c]).collect();
    for_each_tap(g, |pixel, patch, tap| {
        for co in 0..c {
            for ci in 0..in_c {
                y[pixel * c + co] += x[patch * in_c + ci] * w[(tap * c + co) * in_c + ci];
            }
        }
    });
    y
}

/// Gradients of Conv2dTranspose: (dx, dw, db).
pub fn conv2d_transpose_backward(
    g: &Geometry,
    in_c: usize,
    x: &[f64],
    w: &[f64],
    dy: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let c = g.c;
    let mut dx = vec![0.0; x.len()];
    let mut dw = vec![0.0; w.len()];
    for_each_tap(g, |pixel, patch, tap| {
        for co in 0..c {
            let gy = dy[pixel * c + co];
            for ci in 0..in_c {
                let wi = (tap * c + co) * in_c + ci;
                dx[patch * in_c + ci] += gy * w[wi];
                dw[wi] += gy * x[patch * in_c + ci];
            }
        }
    });
    let db = super::reduce::sum_columns(dy, c);
    (dx, dw, db)
}
