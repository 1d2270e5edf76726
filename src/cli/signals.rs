//! How `gan-gpu` ends: signals that stop a run cleanly, and a closed
//! stdout that ends the process quietly.

use gan_gpu::{Error, Result};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Rust ignores SIGPIPE, so printing into a closed pipe (`gan-gpu info |
/// head -1`) would panic; restoring the default ends the process quietly,
/// as other command-line tools do.
pub fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default before any
    // thread starts has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// SIGINT (Ctrl-C), SIGTERM (`kill`) and SIGHUP (a closed terminal) all
/// finish the current step, write a checkpoint and end the run; the exit
/// status is 128 + the signal's number (130, 143, 129), as shells report.
pub struct StopSignals {
    pub stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl StopSignals {
    pub fn install() -> Result<StopSignals> {
        let stop = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for sig in STOP_SIGNALS {
            // A second signal ends the process at once, without a checkpoint.
            let installed =
                signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, stop.clone())
                    .and_then(|_| {
                        signal_hook::flag::register_usize(sig, signal.clone(), sig as usize)
                    })
                    .and_then(|_| signal_hook::flag::register(sig, stop.clone()));
            installed.map_err(|e| {
                Error::Config(format!("cannot install the handler of signal {sig}: {e}"))
            })?;
        }
        Ok(StopSignals { stop, signal })
    }

    fn number(&self) -> i32 {
        self.signal.load(Ordering::SeqCst) as i32
    }

    pub fn name(&self) -> &'static str {
        match self.number() {
            signal_hook::consts::SIGINT => "Ctrl-C (SIGINT)",
            signal_hook::consts::SIGTERM => "SIGTERM",
            _ => "SIGHUP",
        }
    }

    pub fn exit_code(&self) -> i32 {
        128 + self.number()
    }
}

#[cfg(unix)]
const STOP_SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];
#[cfg(not(unix))]
const STOP_SIGNALS: [i32; 2] = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];
