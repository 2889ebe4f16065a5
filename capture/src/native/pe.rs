//! The `Machine` field of a Windows DLL's PE header, read before the DLL is
//! loaded: a 64-bit process cannot load a 32-bit DLL (nor the reverse), and
//! Windows only says "%1 is not a valid Win32 application" (error 193).

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// What a DLL or a process is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Architecture {
    /// 32-bit x86 (`IMAGE_FILE_MACHINE_I386`, `i686-pc-windows-*`).
    X86,
    /// 64-bit x64 (`IMAGE_FILE_MACHINE_AMD64`, `x86_64-pc-windows-*`).
    X64,
    /// 64-bit ARM (`IMAGE_FILE_MACHINE_ARM64`).
    Arm64,
    /// Another `Machine` value.
    Other(u16),
}

impl Architecture {
    /// From a PE header's `Machine` field.
    pub fn from_machine(machine: u16) -> Self {
        match machine {
            0x014c => Self::X86,
            0x8664 => Self::X64,
            0xaa64 => Self::Arm64,
            m => Self::Other(m),
        }
    }

    /// What this process is built for, `None` off the three Windows
    /// architectures.
    pub fn of_process() -> Option<Self> {
        if cfg!(target_arch = "x86_64") {
            Some(Self::X64)
        } else if cfg!(target_arch = "x86") {
            Some(Self::X86)
        } else if cfg!(target_arch = "aarch64") {
            Some(Self::Arm64)
        } else {
            None
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X86 => f.write_str("32-bit (x86)"),
            Self::X64 => f.write_str("64-bit (x64)"),
            Self::Arm64 => f.write_str("64-bit (ARM64)"),
            Self::Other(m) => write!(f, "machine 0x{m:04x}"),
        }
    }
}

/// The architecture in the PE header of `r`; `None` when it is no PE image
/// (no `MZ` signature, or no `PE\0\0` where the DOS header points).
pub(crate) fn read_architecture(mut r: impl Read + Seek) -> io::Result<Option<Architecture>> {
    let mut dos = [0u8; 64];
    if r.read_exact(&mut dos).is_err() || &dos[..2] != b"MZ" {
        return Ok(None);
    }
    let e_lfanew = u32::from_le_bytes([dos[60], dos[61], dos[62], dos[63]]);
    r.seek(SeekFrom::Start(u64::from(e_lfanew)))?;
    let mut nt = [0u8; 6];
    if r.read_exact(&mut nt).is_err() || &nt[..4] != b"PE\0\0" {
        return Ok(None);
    }
    Ok(Some(Architecture::from_machine(u16::from_le_bytes([
        nt[4], nt[5],
    ]))))
}

/// The architecture a Windows DLL at `path` is built for, from its PE header
/// (on any platform: a deployment check can run anywhere); `None` when the
/// file cannot be read or is no PE image.
pub fn dll_architecture(path: impl AsRef<Path>) -> Option<Architecture> {
    let file = std::fs::File::open(path.as_ref()).ok()?;
    read_architecture(io::BufReader::new(file)).ok().flatten()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Cursor;

    use super::*;

    /// A minimal PE prefix: DOS header pointing at 0x80, `PE\0\0`, `machine`.
    pub(crate) fn pe_image(machine: u16) -> Vec<u8> {
        let mut v = vec![0u8; 0x80];
        v[..2].copy_from_slice(b"MZ");
        v[60..64].copy_from_slice(&0x80u32.to_le_bytes());
        v.extend_from_slice(b"PE\0\0");
        v.extend_from_slice(&machine.to_le_bytes());
        v.extend_from_slice(&[0u8; 18]);
        v
    }

    #[test]
    fn machine_field_is_read() {
        for (m, a) in [
            (0x014c, Architecture::X86),
            (0x8664, Architecture::X64),
            (0xaa64, Architecture::Arm64),
            (0x01c4, Architecture::Other(0x01c4)),
        ] {
            assert_eq!(
                read_architecture(Cursor::new(pe_image(m))).unwrap(),
                Some(a)
            );
        }
    }

    #[test]
    fn not_a_pe_image() {
        assert_eq!(
            read_architecture(Cursor::new(b"\x7fELF".to_vec())).unwrap(),
            None
        );
        let mut bad = pe_image(0x8664);
        bad[0x80] = b'X';
        assert_eq!(read_architecture(Cursor::new(bad)).unwrap(), None);
        let mut far = pe_image(0x8664);
        far[60..64].copy_from_slice(&0x4000u32.to_le_bytes());
        assert_eq!(read_architecture(Cursor::new(far)).unwrap(), None);
    }

    #[test]
    fn names_say_the_bitness() {
        assert_eq!(Architecture::X86.to_string(), "32-bit (x86)");
        assert_eq!(Architecture::X64.to_string(), "64-bit (x64)");
    }
}
