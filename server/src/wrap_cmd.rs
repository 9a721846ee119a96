//! `kmsgate wrap`: the encrypted key material a cloud's import expects, from the wrapping
//! public key its GetParametersForImport returned, for every algorithm any dialect accepts
//! (the wrapping itself is `byok-wrap`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use byok_wrap::{Algorithm, PublicKey, Sm2Format};
use clap::{Args, ValueEnum};
use rand_core::{OsRng, RngCore};

use crate::material_source::MaterialSource;

#[derive(Args, Debug)]
pub(crate) struct WrapArgs {
    /// RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1,
    /// RSA_AES_KEY_WRAP_SHA_256, SM2PKE or SM2_ENCRYPT
    #[arg(long, value_name = "ALGORITHM", value_parser = parse_algorithm)]
    pub algorithm: Algorithm,

    /// The wrapping public key: base64 DER as GetParametersForImport returns it, a PEM, or
    /// @FILE holding either, or DER
    // A PEM value starts with "-----": not a flag.
    #[arg(long, value_name = "B64|PEM|@FILE", allow_hyphen_values = true)]
    pub public_key: String,

    /// The plaintext key material: @FILE (raw bytes), hex:HEX, base64:B64, or random:N
    /// (N fresh random bytes; needs --material-out)
    #[arg(long, value_name = "SOURCE")]
    pub material: String,

    /// Where to write generated (random:N) material, raw, so it can be imported again later
    #[arg(long, value_name = "FILE")]
    pub material_out: Option<PathBuf>,

    /// Write the encrypted material here instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Output encoding
    #[arg(long, value_enum, default_value_t = Format::Base64)]
    pub format: Format,

    /// SM2 ciphertext layout: der (C1C3C2 as OpenSSL writes it), raw (x‖y‖C3‖C2) or raw04
    /// (04‖x‖y‖C3‖C2)
    #[arg(long, value_name = "LAYOUT", default_value = "der", value_parser = parse_sm2_format)]
    pub sm2_format: Sm2Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Base64,
    Raw,
}

fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    Algorithm::parse(s).ok_or_else(|| {
        format!(
            "unknown algorithm {s:?}: one of RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256, SM2PKE, SM2_ENCRYPT"
        )
    })
}

fn parse_sm2_format(s: &str) -> Result<Sm2Format, String> {
    Sm2Format::parse(s).ok_or_else(|| format!("unknown SM2 layout {s:?}: der, raw or raw04"))
}

/// Why the material could not be wrapped; the message is for the user.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WrapFailure {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("cannot write {0}: {1}")]
    Write(String, std::io::Error),
    #[error("--public-key: {0}")]
    PublicKey(byok_wrap::PublicKeyError),
    #[error("--material: {0}")]
    Material(String),
    #[error("--out names the material's file: the wrapped material would replace the plaintext")]
    OutOverMaterial,
    #[error(transparent)]
    Wrap(#[from] byok_wrap::WrapError),
}

pub(crate) fn main(args: &WrapArgs) -> ExitCode {
    match run(args, &mut std::io::stdout(), &mut std::io::stderr()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kmsgate wrap: {e}");
            ExitCode::from(1)
        }
    }
}

/// Writes the encrypted material to `--out` or `stdout`; warnings go to `stderr`.
pub(crate) fn run(
    args: &WrapArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), WrapFailure> {
    let key_bytes = match args.public_key.strip_prefix('@') {
        Some(path) => read(Path::new(path))?,
        None => args.public_key.clone().into_bytes(),
    };
    let key = PublicKey::parse(&key_bytes).map_err(WrapFailure::PublicKey)?;
    refuse_out_over_material(args)?;
    let (material, keep_in) = material(args)?;
    if !importable_length(&material) {
        // Kept, not refused: users test the clouds' refusals too.
        let _ = writeln!(
            stderr,
            "kmsgate wrap: warning: {} bytes of material; symmetric keys take 32 (AES_256) or 16 (SM4) bytes, HMAC keys 28 to 128 (AWS), asymmetric keys a PKCS#8 DER private key, so an import of this is refused",
            material.len()
        );
    }
    let wrapped = byok_wrap::wrap(&key, args.algorithm, &material, args.sm2_format)?;
    // Random material is kept only once it is wrapped: a wrap that fails (a key that does not
    // fit the algorithm) leaves no file behind to refuse the next attempt. Kept before the
    // output is written: wrapped material without the plaintext could never be imported again.
    if let Some(path) = keep_in {
        write_private_new(path, &material)
            .map_err(|e| WrapFailure::Write(path.display().to_string(), e))?;
        // Now that it exists, a path reaching it another way (`..`, a link) shows as well.
        refuse_out_over_material(args)?;
    }
    let output = match args.format {
        Format::Base64 => format!("{}\n", STANDARD.encode(&wrapped)).into_bytes(),
        Format::Raw => wrapped,
    };
    match &args.out {
        Some(path) => std::fs::write(path, &output)
            .map_err(|e| WrapFailure::Write(path.display().to_string(), e)),
        None => stdout
            .write_all(&output)
            .map_err(|e| WrapFailure::Write("stdout".into(), e)),
    }
}

/// Whether some key of some cloud imports material like this: 16 bytes (SM4), 28 to 128 bytes
/// (AES_256's 32, AWS's HMAC keys), or one DER SEQUENCE filling it (a PKCS#8 private key).
fn importable_length(material: &[u8]) -> bool {
    let der_length = match material {
        [0x30, n, ..] if *n < 0x80 => Some(2 + usize::from(*n)),
        [0x30, 0x81, n, ..] => Some(3 + usize::from(*n)),
        [0x30, 0x82, hi, lo, ..] => Some(4 + usize::from(u16::from_be_bytes([*hi, *lo]))),
        _ => None,
    };
    material.len() == 16
        || (28..=128).contains(&material.len())
        || der_length == Some(material.len())
}

/// `--out` naming the material's own file would replace the plaintext with its wrapped form,
/// which can never be imported again without it.
fn refuse_out_over_material(args: &WrapArgs) -> Result<(), WrapFailure> {
    let Some(out) = &args.out else {
        return Ok(());
    };
    let input = args.material.strip_prefix('@').map(Path::new);
    let clash = [input, args.material_out.as_deref()]
        .into_iter()
        .flatten()
        .any(|material| same_file(out, material));
    if clash {
        return Err(WrapFailure::OutOverMaterial);
    }
    Ok(())
}

/// Whether two paths name one file: the same path, or one existing file reached both ways
/// (links, `..`).
fn same_file(a: &Path, b: &Path) -> bool {
    let absolute = |p: &Path| std::path::absolute(p).ok();
    if absolute(a).is_some_and(|x| Some(x) == absolute(b)) {
        return true;
    }
    matches!(
        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
        (Ok(x), Ok(y)) if x == y
    )
}

fn read(path: &Path) -> Result<Vec<u8>, WrapFailure> {
    crate::material_source::read_file(path, crate::material_source::MAX_FILE)
        .map_err(|e| WrapFailure::Read(path.to_owned(), e))
}

/// Writes plaintext key material to a new file its owner alone can read (0600 on Unix, as
/// the root key file). An existing file is refused, never overwritten: it may hold the only
/// copy of material imported before.
fn write_private_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = kms_core::create_private_file(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The material, and for random material the file to keep it in.
fn material(args: &WrapArgs) -> Result<(Vec<u8>, Option<&Path>), WrapFailure> {
    let bad = |why: String| WrapFailure::Material(why);
    // The value itself is never echoed: a mistyped hex: or base64: value is nearly key
    // material.
    let source = MaterialSource::parse(&args.material).map_err(bad)?;
    if args.material_out.is_some() && !matches!(source, MaterialSource::Random(_)) {
        return Err(bad(
            "--material-out is for random:N material; material given with @FILE, hex: or base64: is already in hand"
                .into(),
        ));
    }
    match source {
        MaterialSource::File(path) => Ok((read(&path)?, None)),
        MaterialSource::Bytes(bytes) => Ok((bytes, None)),
        MaterialSource::Random(n) => {
            let out = args.material_out.as_ref().ok_or_else(|| {
                bad(
                    "random material needs --material-out FILE, or it could never be imported again"
                        .into(),
                )
            })?;
            let mut material = vec![0u8; n];
            // Refused up front when the file exists, before any work; `write_private_new`
            // still refuses one that appears meanwhile.
            if out.exists() {
                return Err(WrapFailure::Write(
                    out.display().to_string(),
                    std::io::Error::from(std::io::ErrorKind::AlreadyExists),
                ));
            }
            OsRng
                .try_fill_bytes(&mut material)
                .map_err(|e| bad(format!("the system random number generator failed: {e}")))?;
            Ok((material, Some(out.as_path())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_lengths_some_cloud_imports_raise_no_warning() {
        for n in [16, 28, 32, 64, 128] {
            assert!(importable_length(&vec![1; n]), "{n} bytes");
        }
        for n in [0, 2, 15, 17, 24, 27, 129, 300] {
            assert!(!importable_length(&vec![1; n]), "{n} bytes");
        }
        // PKCS#8 private keys: one DER SEQUENCE, short (Ed25519) or long (RSA) form.
        let mut ed25519 = vec![0x30, 0x2e];
        ed25519.resize(48, 4);
        assert!(importable_length(&ed25519));
        let mut rsa = vec![0x30, 0x82, 0x04, 0xbc];
        rsa.resize(4 + 0x4bc, 2);
        assert!(importable_length(&rsa));
        rsa.push(0);
        assert!(!importable_length(&rsa), "a SEQUENCE and a byte more");
    }
}
