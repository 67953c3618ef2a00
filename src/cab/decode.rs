//! The per-block decoders: stored, MSZIP and LZX.
//!
//! Each decoder keeps the history its method carries from block to block
//! (MSZIP's 32 KiB dictionary, LZX's window) and checks that a block decodes
//! to exactly the size its header claims: a block that decodes short or long
//! is damaged, whatever its checksum says.

use flate2::{Decompress, FlushDecompress, Status};

use super::folder::Compression;
use super::lzx::LzxDecoder;
use crate::error::{Error, ErrorKind};

pub(crate) enum Decoder {
    Stored,
    MsZip(Box<Decompress>),
    Lzx(Box<LzxDecoder>),
    /// The lzxd crate, for comparison only (feature `lzxd-compare`,
    /// selected with `WSUSCAT_LZX=lzxd`).
    #[cfg(feature = "lzxd-compare")]
    Lzxd(Box<lzxd::Lzxd>),
}

impl Decoder {
    pub(crate) fn new(compression: Compression) -> Result<Decoder, Error> {
        match compression {
            Compression::None => Ok(Decoder::Stored),
            Compression::MsZip => Ok(Decoder::MsZip(Box::new(Decompress::new(false)))),
            Compression::Lzx { window_bits } => {
                #[cfg(feature = "lzxd-compare")]
                if (15..=21).contains(&window_bits)
                    && std::env::var_os("WSUSCAT_LZX").is_some_and(|v| v == "lzxd")
                {
                    return Ok(lzxd_compare::decoder(window_bits));
                }
                LzxDecoder::new(window_bits)
                    .map(|d| Decoder::Lzx(Box::new(d)))
                    .map_err(|e| Error::new(ErrorKind::Malformed, e))
            }
            Compression::Quantum(_) => Err(Error::new(
                ErrorKind::Unsupported,
                "Quantum compression is not supported (Microsoft's catalogs use LZX or MSZIP)",
            )),
            Compression::Unknown(t) => Err(Error::new(
                ErrorKind::Malformed,
                format!("unknown compression type 0x{t:04x}"),
            )),
        }
    }

    /// Decodes one block into `out`, which on entry holds the previous
    /// block's output (MSZIP's dictionary) and on success holds exactly
    /// `expected` bytes.
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        expected: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        match self {
            Decoder::Stored => {
                if input.len() != expected {
                    return Err(format!(
                        "a stored block holds {} bytes but its header says {expected}",
                        input.len()
                    ));
                }
                out.clear();
                out.extend_from_slice(input);
                Ok(())
            }
            Decoder::MsZip(inflater) => decode_mszip(inflater, input, expected, out),
            Decoder::Lzx(lzx) => lzx.decode_block(input, expected, out),
            #[cfg(feature = "lzxd-compare")]
            Decoder::Lzxd(lzxd) => lzxd_compare::decode(lzxd, input, expected, out),
        }
    }
}

#[cfg(feature = "lzxd-compare")]
mod lzxd_compare {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::Decoder;

    pub(super) fn decoder(window_bits: u8) -> Decoder {
        use lzxd::WindowSize::*;
        // The caller checked 15..=21.
        let w = match window_bits {
            ..=15 => KB32,
            16 => KB64,
            17 => KB128,
            18 => KB256,
            19 => KB512,
            20 => MB1,
            _ => MB2,
        };
        Decoder::Lzxd(Box::new(lzxd::Lzxd::new(w)))
    }

    pub(super) fn decode(
        lzxd: &mut lzxd::Lzxd,
        input: &[u8],
        expected: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        // lzxd asserts on some invalid streams.
        let result = catch_unwind(AssertUnwindSafe(|| {
            lzxd.decompress_next(input, expected).map(|s| s.to_vec())
        }));
        match result {
            Ok(Ok(bytes)) if bytes.len() == expected => {
                out.clear();
                out.extend_from_slice(&bytes);
                Ok(())
            }
            Ok(Ok(bytes)) => Err(format!(
                "decoded {} bytes, expected {expected}",
                bytes.len()
            )),
            Ok(Err(e)) => Err(format!("{e}")),
            Err(_) => Err("lzxd panicked on the stream".to_string()),
        }
    }
}

fn decode_mszip(
    inflater: &mut Decompress,
    input: &[u8],
    expected: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let Some(deflate) = input.strip_prefix(b"CK") else {
        return Err("an MSZIP block must start with \"CK\"".into());
    };
    inflater.reset(false);
    if !out.is_empty() {
        inflater
            .set_dictionary(out)
            .map_err(|e| format!("cannot carry the previous block's history: {e}"))?;
    }
    out.clear();
    if out.capacity() < expected + 1 {
        out.reserve(expected + 1);
    }
    let status = inflater
        .decompress_vec(deflate, out, FlushDecompress::Finish)
        .map_err(|e| format!("deflate error: {e}"))?;
    if out.len() > expected {
        return Err(format!(
            "decodes to more than the {expected} bytes its header says"
        ));
    }
    if out.len() < expected {
        return Err(format!(
            "decodes to {} bytes, its header says {expected}",
            out.len()
        ));
    }
    if status != Status::StreamEnd && (inflater.total_in() as usize) < deflate.len() {
        return Err("the deflate stream does not end where the block does".into());
    }
    Ok(())
}
