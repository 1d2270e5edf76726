//! The stable-Rust stand-in for `fuzz/` (cargo-fuzz needs nightly): the
//! committed corpus plus seeded random mutations of it, and of a real
//! checkpoint, through the same entry points as the fuzz targets. Every
//! input must give an error or a value, never a panic; a mutated tensor
//! byte must never load.

use gan_gpu::data::images_from_bytes;
use gan_gpu::train::checkpoint;
use rand::{Rng, SeedableRng};
use std::path::Path;

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(kind);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// One to four random edits: flip, overwrite with an interesting value,
/// truncate, duplicate a run, or insert random bytes.
fn mutate(rng: &mut impl Rng, input: &[u8], header_bias: usize) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        if v.is_empty() {
            v.push(rng.random());
            continue;
        }
        // Half the edits land in the first `header_bias` bytes, where the
        // parsers make their decisions.
        let span = if rng.random_bool(0.5) {
            header_bias.min(v.len())
        } else {
            v.len()
        };
        let at = rng.random_range(0..span);
        match rng.random_range(0..5) {
            0 => v[at] ^= 1 << rng.random_range(0..8),
            1 => {
                let interesting = [0u32, 1, 0x7f, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff];
                let x = interesting[rng.random_range(0..interesting.len())].to_be_bytes();
                for (i, b) in x.iter().enumerate() {
                    if at + i < v.len() {
                        v[at + i] = *b;
                    }
                }
            }
            2 => v.truncate(at),
            3 => {
                let end = (at + rng.random_range(1..64)).min(v.len());
                let run = v[at..end].to_vec();
                v.splice(at..at, run);
            }
            _ => {
                let extra: Vec<u8> = (0..rng.random_range(1..16)).map(|_| rng.random()).collect();
                v.splice(at..at, extra);
            }
        }
    }
    v
}

fn no_panic<T>(what: &str, f: impl FnOnce() -> T + std::panic::UnwindSafe) -> T {
    std::panic::catch_unwind(f).unwrap_or_else(|_| panic!("{what} panicked"))
}

#[test]
fn idx_reader_survives_corpus_and_mutations() {
    let seeds = corpus("idx");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mutations = 3000;
    let mut accepted = 0;
    for s in &seeds {
        no_panic("corpus input", || {
            let _ = images_from_bytes(Path::new("corpus"), s);
        });
    }
    for i in 0..mutations {
        let input = mutate(&mut rng, &seeds[i % seeds.len()], 24);
        let ok = no_panic(&format!("IDX mutation {i}"), || {
            images_from_bytes(Path::new("mutant"), &input).is_ok()
        });
        accepted += usize::from(ok);
    }
    println!(
        "IDX reader: {} corpus inputs + {mutations} mutations, {accepted} accepted, 0 panics",
        seeds.len()
    );
}

#[test]
fn checkpoint_loader_survives_corpus_and_mutations() {
    let mut seeds = corpus("checkpoint");
    // A real checkpoint of the seed's model, from a one-step run.
    let dir = tempfile::tempdir().unwrap();
    let cfg = crate::common::config(4, gan_gpu::spec::optim::Optimizer::adam(2e-4), 8, 1);
    gan_gpu::train::run::train(
        crate::common::run_opts(cfg, dir.path(), None),
        &std::sync::atomic::AtomicBool::new(true),
    )
    .unwrap();
    let real = std::fs::read(dir.path().join("checkpoint.safetensors")).unwrap();
    let header_len = 8 + u64::from_le_bytes(real[..8].try_into().unwrap()) as usize;
    seeds.push(real.clone());
    for s in &seeds {
        no_panic("corpus input", || {
            let _ = checkpoint::from_bytes(Path::new("corpus"), s);
        });
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let mutations = 400;
    for i in 0..mutations {
        let input = mutate(&mut rng, &seeds[i % seeds.len()], header_len.min(4096));
        no_panic(&format!("checkpoint mutation {i}"), || {
            let _ = checkpoint::from_bytes(Path::new("mutant"), &input);
        });
    }
    // Every single-byte change in the tensor data is caught by the checksums.
    let flips = 300;
    for i in 0..flips {
        let mut input = real.clone();
        let at = rng.random_range(header_len..input.len());
        input[at] ^= 1 << rng.random_range(0..8);
        let err = checkpoint::from_bytes(Path::new("mutant"), &input)
            .err()
            .unwrap_or_else(|| panic!("flip {i} at byte {at} loaded"));
        assert!(err.to_string().contains("damaged"), "{err}");
    }
    println!(
        "checkpoint loader: {} corpus inputs + {mutations} mutations + {flips} data flips (all refused), 0 panics",
        seeds.len()
    );
}
