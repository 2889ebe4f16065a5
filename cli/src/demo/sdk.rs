//! Which face SDK the demo's kiosk drives.
//!
//! The point of the demo is the real path: the kiosk calls a native library
//! through the vendor's C ABI (`wxpayCallFaceService`), exactly as it would
//! call `WxpayFaceSDK.dll`. The library is `wxface-sdk-emu`'s cdylib, which
//! `wxface-cli` depends on so that every cargo build of `wxface` builds it
//! too (as `target/<profile>/deps/libwxface_sdk_emu.so`, or next to the
//! binary when `wxface-sdk-emu` itself was built).
//!
//! Order of choice (`--sdk auto`, the default):
//!
//! 1. `--sdk-lib PATH` (or `WXFACE_SDK_LIBRARY`), when given: that library or an error;
//! 2. the emulator library next to the executable, in its `deps/` directory,
//!    or in the directory above (when the executable is a test in `deps/`);
//! 3. otherwise the same emulator in-process (no C ABI), announced by a
//!    notice line: a `wxface` binary copied or installed without its library
//!    still runs the demo.
//!
//! `--sdk native` makes step 3 an error; `--sdk in-process` skips 1 and 2.
//! The library is configured through its `WXFACE_EMU_*` environment
//! variables; the demo sets them before each kiosk starts, while no call into
//! the library is in progress.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use wxface_capture::{FaceSdk, NativeFaceSdk};
use wxface_sandbox::{EmuConfig, EmulatedFaceSdk, Outcome};

use crate::error::CliError;

/// `--sdk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SdkMode {
    /// The emulator library through the C ABI if found, else in-process.
    Auto,
    /// The emulator library through the C ABI, or fail.
    Native,
    /// The emulator in this process (no C ABI).
    InProcess,
}

/// File name of the emulator library on this platform.
pub fn library_file_name() -> String {
    format!(
        "{}wxface_sdk_emu{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Where the emulator library is looked for, in order, for an executable in
/// `exe_dir`.
pub fn candidates(exe_dir: &Path) -> Vec<PathBuf> {
    let name = library_file_name();
    let mut v = vec![exe_dir.join("deps").join(&name), exe_dir.join(&name)];
    if exe_dir.file_name().is_some_and(|n| n == "deps") {
        if let Some(parent) = exe_dir.parent() {
            v.push(parent.join(&name));
        }
    }
    v
}

/// The emulator library next to the running executable, if any.
pub fn find_library() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    candidates(dir).into_iter().find(|p| p.is_file())
}

/// What one kiosk of the demo is to see.
#[derive(Debug, Clone)]
pub struct EmuSettings {
    /// The sandbox.
    pub sandbox_url: String,
    /// The kiosk's device id.
    pub device_id: String,
    /// The test person recognised.
    pub person: String,
    /// What the person does.
    pub outcome: Outcome,
    /// How long recognition takes.
    pub latency: Duration,
}

/// The face SDK the demo uses: a loaded native library, or the in-process
/// emulator.
pub enum DemoSdk {
    /// The emulator library through the C ABI.
    Native {
        /// The library (loaded once for the whole demo).
        sdk: Arc<NativeFaceSdk>,
    },
    /// The emulator in-process.
    InProcess {
        /// Why the library is not used (for the notice line).
        reason: String,
    },
}

impl DemoSdk {
    /// Choose per `mode` and `explicit` (a `--sdk-lib` path).
    ///
    /// # Errors
    /// A library that was asked for and cannot be loaded.
    pub fn choose(mode: SdkMode, explicit: Option<&Path>) -> Result<Self, CliError> {
        if mode == SdkMode::InProcess {
            return Ok(Self::InProcess {
                reason: "--sdk in-process".into(),
            });
        }
        let path = match explicit {
            Some(p) => Some(p.to_owned()),
            None => find_library(),
        };
        match path {
            Some(p) => {
                let sdk = NativeFaceSdk::load(&p).map_err(|e| {
                    CliError::Runtime(format!("cannot load the face SDK library: {e}"))
                })?;
                Ok(Self::Native { sdk: Arc::new(sdk) })
            }
            None if mode == SdkMode::Native => Err(CliError::Runtime(format!(
                "{} is not next to the wxface executable; build it with \
                 `cargo build -p wxface-sdk-emu` or pass --sdk-lib PATH",
                library_file_name()
            ))),
            None => Ok(Self::InProcess {
                reason: format!("{} was not found next to wxface", library_file_name()),
            }),
        }
    }

    /// One line describing the choice.
    pub fn describe(&self) -> String {
        match self {
            Self::Native { sdk } => {
                format!("C ABI (wxpayCallFaceService) → {}", sdk.path().display())
            }
            Self::InProcess { reason } => {
                format!("in-process emulator, without the C ABI ({reason})")
            }
        }
    }

    /// Whether the kiosk goes through the C ABI.
    pub fn is_native(&self) -> bool {
        matches!(self, Self::Native { .. })
    }

    /// The SDK for one kiosk configured with `s`.
    ///
    /// For the library this sets its `WXFACE_EMU_*` variables: call it only
    /// while no kiosk is using the library (between kiosks).
    ///
    /// # Errors
    /// The in-process emulator's HTTP client cannot be built.
    pub fn for_kiosk(&self, s: &EmuSettings) -> Result<Arc<dyn FaceSdk>, CliError> {
        match self {
            Self::Native { sdk } => {
                let vars = [
                    ("WXFACE_EMU_SANDBOX_URL", s.sandbox_url.clone()),
                    ("WXFACE_EMU_DEVICE_ID", s.device_id.clone()),
                    ("WXFACE_EMU_PERSON", s.person.clone()),
                    ("WXFACE_EMU_OUTCOME", s.outcome.as_str().to_owned()),
                    ("WXFACE_EMU_LATENCY_MS", s.latency.as_millis().to_string()),
                ];
                for (k, v) in vars {
                    // The library reads these at its next call, on this thread;
                    // nothing else in the process reads them.
                    std::env::set_var(k, v);
                }
                Ok(sdk.clone())
            }
            Self::InProcess { .. } => {
                let mut c = EmuConfig::new(s.sandbox_url.clone());
                c.device_id = s.device_id.clone();
                c.person = Some(s.person.clone());
                c.outcome = s.outcome;
                c.recognition_latency = s.latency;
                Ok(Arc::new(EmulatedFaceSdk::new(c)?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_cover_deps_and_the_parent_of_deps() {
        let name = library_file_name();
        let c = candidates(Path::new("/t/release"));
        assert_eq!(
            c,
            vec![
                PathBuf::from("/t/release/deps").join(&name),
                PathBuf::from("/t/release").join(&name)
            ]
        );
        let c = candidates(Path::new("/t/debug/deps"));
        assert_eq!(c.len(), 3);
        assert_eq!(c[2], PathBuf::from("/t/debug").join(&name));
    }
}
