// im2col and col2im: the two data movements that turn a strided 2-D
// convolution and its transpose into matrix products (matmul.wgsl).
//
// Geometry: an NHWC image [n, h, w, c] and a grid of [n, oh, ow] patches of
// kh × kw pixels, patch (oy, ox) starting at pixel (oy·stride - pad_top,
// ox·stride - pad_left). The column matrix has one row per patch and one
// column per (ky, kx, ci), matching Keras' kernel layout [kh, kw, c, ·]:
//   col[(b·oh + oy)·ow + ox, (ky·kw + kx)·c + ci]
//       = image[b, oy·stride + ky - pad_top, ox·stride + kx - pad_left, ci]
// (zero outside the image). im2col builds col from an image; col2im is its
// exact adjoint, summing every column entry back onto its pixel. col2im is
// written as a gather (each pixel reads the entries that map to it) so it
// needs no atomics and is deterministic.
//
//   Conv2d forward:           y = im2col(x) · W + b
//   Conv2d input gradient:    dx = col2im(dy · Wᵀ)
//   Conv2d weight gradient:   dW = im2col(x)ᵀ · dy
//   Conv2dTranspose forward:  y = col2im(x · Wᵀ) + b
//   ... and its gradients:    dx = im2col(dy) · W,  dW = im2col(dy)ᵀ · x
// The generator's transposed convolutions apply their activation (SELU or
// tanh, lib/activation.wgsl) in col2im's store as well:
// col2im_bias_activation* write y and act(y) in one pass. The
// discriminator's input gradients pass through the LeakyReLU → dropout of
// the layer below in the same way (col2im_leaky_relu_dropout*), and its
// first layer's, in the generator's step, through the generator's tanh
// (col2im_tanh_backward).

struct Params {
    n: u32,
    h: u32,
    w: u32,
    c: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    pad_top: u32,
    pad_left: u32,
    // col2im_bias_activation*: 1 SELU, 2 tanh
    activation: u32,
    // col2im_leaky_relu_dropout*: LeakyReLU's slope below zero
    alpha: f32,
    // The scalar col2im kernels: 1 when the columns are laid [cols, rows]
    // (see col_entry)
    by_tap: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// im2col: the image; col2im: the columns
@group(0) @binding(1) var<storage, read> src: array<f32>;
// im2col: the columns; col2im: the image
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
// col2im_bias*: added per image channel
@group(0) @binding(3) var<storage, read> bias: array<f32>;
// col2im_bias_activation: the activation of the image
@group(0) @binding(4) var<storage, read_write> act: array<f32>;
// The same three as vec4s, for the *_vec4 kernels (channels a multiple of
// 4): one invocation moves 4 channels, a quarter of the invocations and
// one 16-byte access instead of four.
@group(0) @binding(5) var<storage, read> src4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dst4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> act4: array<vec4<f32>>;
// What col2im's gradient epilogues read per image element, as scalars and
// as vec4s: col2im_leaky_relu_dropout*, the signed dropout factor
// (dropout.wgsl); col2im_tanh_backward, tanh's input
@group(0) @binding(9) var<storage, read> saved: array<f32>;
@group(0) @binding(10) var<storage, read> saved4: array<vec4<f32>>;

// One invocation per column-matrix element: consecutive invocations write
// consecutive addresses and mostly read consecutive channels. (One
// invocation per (patch, tap) copying a run of channels does less index
// arithmetic but measured slower on lavapipe: its lanes touch addresses c
// apart instead of adjacent ones.)
@compute @workgroup_size(GRID_WORKGROUP)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    let cols = p.kh * p.kw * p.c;
    if i >= p.n * p.oh * p.ow * cols {
        return;
    }
    let row = i / cols;
    let col = i % cols;
    let ci = col % p.c;
    let tap = col / p.c;
    let kx = tap % p.kw;
    let ky = tap / p.kw;
    let ox = row % p.ow;
    let oy = (row / p.ow) % p.oh;
    let b = row / (p.ow * p.oh);
    // Signed arithmetic: the padding makes the first rows negative.
    let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
    let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
    var v = 0.0;
    if iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w) {
        v = src[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ci];
    }
    dst[i] = v;
}

// Column `col` of patch row `row`: im2col's layout [rows, cols], or with
// p.by_tap [cols, rows], which the product makes when the columns are
// few (a one-channel kernel's 25 taps): it then has 25 rows of C, which
// fill a workgroup better than 25 columns. Adjacent pixels read adjacent
// patches of a tap there.
fn col_entry(row: u32, col: u32) -> f32 {
    if p.by_tap == 1u {
        return src[col * p.n * p.oh * p.ow + row];
    }
    return src[row * p.kh * p.kw * p.c + col];
}

// Pixel (iy, ix) is read by tap ky of patch row oy exactly when
// oy·stride + ky = iy + pad_top, so only taps ky ≡ iy + pad_top (mod
// stride) contribute: the loops start at that residue and step by stride,
// and the patch row oy = (iy + pad_top - ky) / stride steps down by one as
// they do (likewise ox): no division inside the loops, since a division by
// a non-constant is a scalar loop over the lanes on a CPU driver.
struct Pixel {
    b: u32,
    // iy + pad_top, ix + pad_left
    ty: u32,
    tx: u32,
    // the channel (or vec4 of channels)
    ci: u32,
}

// Element i of an NHWC image of `c` channels (or vec4s of channels).
fn pixel_of(i: u32, c: u32) -> Pixel {
    let flat = i / c;
    let rest = flat / p.w;
    return Pixel(rest / p.h, rest % p.h + p.pad_top, flat % p.w + p.pad_left, i % c);
}

fn gather(i: u32) -> f32 {
    let px = pixel_of(i, p.c);
    var s = 0.0;
    var oy = px.ty / p.stride;
    for (var ky = px.ty % p.stride; ky < p.kh && ky <= px.ty; ky += p.stride) {
        if oy < p.oh {
            var ox = px.tx / p.stride;
            for (var kx = px.tx % p.stride; kx < p.kw && kx <= px.tx; kx += p.stride) {
                if ox < p.ow {
                    s += col_entry((px.b * p.oh + oy) * p.ow + ox, (ky * p.kw + kx) * p.c + px.ci);
                }
                ox -= 1u;
            }
        }
        oy -= 1u;
    }
    return s;
}

fn gather4(i: u32) -> vec4<f32> {
    let c4 = p.c / 4u;
    let px = pixel_of(i, c4);
    let cols4 = p.kh * p.kw * c4;
    var s = vec4(0.0);
    var oy = px.ty / p.stride;
    for (var ky = px.ty % p.stride; ky < p.kh && ky <= px.ty; ky += p.stride) {
        if oy < p.oh {
            var ox = px.tx / p.stride;
            for (var kx = px.tx % p.stride; kx < p.kw && kx <= px.tx; kx += p.stride) {
                if ox < p.ow {
                    s += src4[((px.b * p.oh + oy) * p.ow + ox) * cols4 + (ky * p.kw + kx) * c4 + px.ci];
                }
                ox -= 1u;
            }
        }
        oy -= 1u;
    }
    return s;
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c / 4u {
        dst4[i] = gather4(i);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im_bias_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c / 4u {
        dst4[i] = gather4(i) + bias4[i % (p.c / 4u)];
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c {
        dst[i] = gather(i);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c {
        dst[i] = gather(i) + bias[i % p.c];
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im_bias_activation_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c / 4u {
        let v = gather4(i) + bias4[i % (p.c / 4u)];
        dst4[i] = v;
        act4[i] = activate4(p.activation, v);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im_bias_activation(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c {
        let v = gather(i) + bias[i % p.c];
        dst[i] = v;
        act[i] = activate(p.activation, v);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im_leaky_relu_dropout_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c / 4u {
        let v = gather4(i);
        let g = saved4[i];
        dst4[i] = leaky_relu_dropout_grad4(v, g, p.alpha);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im_leaky_relu_dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c {
        dst[i] = leaky_relu_dropout_grad(gather(i), saved[i], p.alpha);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn col2im_tanh_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.n * p.h * p.w * p.c {
        dst[i] = tanh_grad(gather(i), saved[i]);
    }
}
