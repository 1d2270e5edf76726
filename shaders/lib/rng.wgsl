// Counter-based random numbers shared by random.wgsl, dropout.wgsl and
// data.wgsl (the Rust side prepends this file to them). A number depends
// only on (seed, salt, step counter, element index): no state is carried
// between dispatches, any element can be drawn in any order, and
// src/cpu/rng.rs reproduces every bit on the CPU.

// PCG's RXS-M-XS output permutation (O'Neill 2014), used as a hash; it is a
// bijection on u32.
fn pcg_hash(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn rng_key(seed: u32, salt: u32, counter: u32) -> u32 {
    return pcg_hash(seed ^ pcg_hash(salt ^ pcg_hash(counter)));
}

fn rng_u32(key: u32, i: u32) -> u32 {
    return pcg_hash(key ^ pcg_hash(i));
}

// Inverted dropout's factor for element i: 0, or `scale` = 1 / (1 - rate)
// where its random u32 is >= threshold = rate · 2³² (an integer comparison,
// so the mask is bit-identical on every device).
fn dropout_factor(key: u32, i: u32, threshold: u32, scale: f32) -> f32 {
    return select(0.0, scale, rng_u32(key, i) >= threshold);
}

// Uniform in [0, 1) with 24 random bits.
fn rng_uniform(key: u32, i: u32) -> f32 {
    return f32(rng_u32(key, i) >> 8u) * (1.0 / 16777216.0);
}

// cos(2π·u) for u in [0, 1), to ~1e-7 on every WGSL implementation. WGSL
// bounds the built-in cos only to 2^-11 absolute, and only on [-π, π];
// Chromium's SwiftShader is ~1e-4 off, enough to move a training step's
// gradients by 1%. u's quadrant is taken exactly (4u is exact), leaving
// x in [-π/4, π/4], where Taylor series to x^8 and x^9 are within 3e-8.
fn cos_turns(u: f32) -> f32 {
    let q = round(4.0 * u);
    let x = (4.0 * u - q) * 1.5707963267948966;
    let x2 = x * x;
    let c = 1.0 + x2 * (-1.0 / 2.0 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0))));
    let s = x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362880.0)))));
    switch u32(q) & 3u {
        case 0u: { return c; }
        case 1u: { return -s; }
        case 2u: { return -c; }
        default: { return s; }
    }
}

// Standard normal by Box-Muller from draws 2i and 2i+1; u1 is in (0, 1] so
// the log is finite.
fn rng_normal(key: u32, i: u32) -> f32 {
    let u1 = (f32(rng_u32(key, 2u * i) >> 8u) + 1.0) * (1.0 / 16777216.0);
    let u2 = f32(rng_u32(key, 2u * i + 1u) >> 8u) * (1.0 / 16777216.0);
    return sqrt(-2.0 * log(u1)) * cos_turns(u2);
}
