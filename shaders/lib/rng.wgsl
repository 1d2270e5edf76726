// Counter-based random numbers shared by random.wgsl and dropout.wgsl (the
// Rust side prepends this file to them). A number depends only on (seed,
// salt, step counter, element index): no state is carried between
// dispatches, any element can be drawn in any order, and src/cpu/rng.rs
// reproduces every bit on the CPU.

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

// Uniform in [0, 1) with 24 random bits.
fn rng_uniform(key: u32, i: u32) -> f32 {
    return f32(rng_u32(key, i) >> 8u) * (1.0 / 16777216.0);
}

// Standard normal by Box-Muller from draws 2i and 2i+1; u1 is in (0, 1] so
// the log is finite.
fn rng_normal(key: u32, i: u32) -> f32 {
    let u1 = (f32(rng_u32(key, 2u * i) >> 8u) + 1.0) * (1.0 / 16777216.0);
    let u2 = f32(rng_u32(key, 2u * i + 1u) >> 8u) * (1.0 / 16777216.0);
    return sqrt(-2.0 * log(u1)) * cos(6.2831853071795864 * u2);
}
