// The step counter: a small storage buffer the training loop rewrites
// before every step (src/ops/counter.rs, `StepCounter`), so that the
// recorded step program draws new random numbers and reads the next batch
// without being recorded again.

struct StepCounter {
    // Training steps done before this one: the random streams' counter.
    step: u32,
    // Position in the epoch's shuffled order of this step's first image.
    batch_start: u32,
}
