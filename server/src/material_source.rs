//! How a user names key material on a command line or in a seed file: `@FILE` (its raw
//! bytes), `hex:HEX`, `base64:B64`, or `random:N` where fresh material makes sense.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Material longer than this is surely a mistake (the clouds take 16 or 32 bytes).
pub(crate) const MAX_RANDOM: usize = 1024;

/// Files named for key material or public keys hold a few kilobytes at most; a larger one
/// (a device such as `/dev/zero`, a wrong path) is refused instead of read without end.
pub(crate) const MAX_FILE: u64 = 1 << 20;

/// Reads a file of at most `limit` bytes.
pub(crate) fn read_file(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB",
            limit / 1024
        )));
    }
    Ok(bytes)
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum MaterialSource {
    File(PathBuf),
    Bytes(Vec<u8>),
    Random(usize),
}

impl MaterialSource {
    pub(crate) fn parse(source: &str) -> Result<MaterialSource, String> {
        if let Some(path) = source.strip_prefix('@') {
            return Ok(MaterialSource::File(PathBuf::from(path)));
        }
        if let Some(hex_text) = source.strip_prefix("hex:") {
            // Positions count in the value as given, leading spaces included.
            let skipped = hex_text.len() - hex_text.trim_start().len();
            return hex::decode(hex_text.trim())
                .map(MaterialSource::Bytes)
                .map_err(|e| format!("not hex: {}", hex_fault(&e, skipped)));
        }
        if let Some(b64) = source.strip_prefix("base64:") {
            let skipped = b64.len() - b64.trim_start().len();
            return STANDARD
                .decode(b64.trim())
                .map(MaterialSource::Bytes)
                .map_err(|e| format!("not base64: {}", base64_fault(&e, skipped)));
        }
        if let Some(n) = source.strip_prefix("random:") {
            return n
                .parse()
                .ok()
                .filter(|n| (1..=MAX_RANDOM).contains(n))
                .map(MaterialSource::Random)
                .ok_or_else(|| format!("random:N takes N from 1 to {MAX_RANDOM}"));
        }
        Err("it is not @FILE, hex:HEX, base64:B64 or random:N".to_owned())
    }
}

/// What is wrong with a hex value, never quoting it: the decoder's own message repeats the
/// offending character, a character of (nearly) key material.
fn hex_fault(e: &hex::FromHexError, skipped: usize) -> String {
    match e {
        hex::FromHexError::InvalidHexCharacter { index, .. } => format!(
            "a character that is not a hex digit at position {}",
            index + skipped
        ),
        hex::FromHexError::OddLength | hex::FromHexError::InvalidStringLength => {
            "an odd number of hex digits".to_owned()
        }
    }
}

/// What is wrong with a base64 value, never quoting it (see [`hex_fault`]).
fn base64_fault(e: &base64::DecodeError, skipped: usize) -> String {
    match e {
        base64::DecodeError::InvalidByte(offset, _) => format!(
            "a character outside the base64 alphabet at position {}",
            offset + skipped
        ),
        base64::DecodeError::InvalidLength(_) => "a length that is not a base64 length".to_owned(),
        base64::DecodeError::InvalidLastSymbol(offset, _) => format!(
            "a last character at position {} that leaves bits over",
            offset + skipped
        ),
        base64::DecodeError::InvalidPadding => "wrong padding".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_and_its_mistakes() {
        assert_eq!(
            MaterialSource::parse("@k.bin"),
            Ok(MaterialSource::File("k.bin".into()))
        );
        assert_eq!(
            MaterialSource::parse("hex:00ff"),
            Ok(MaterialSource::Bytes(vec![0, 255]))
        );
        assert_eq!(
            MaterialSource::parse("base64:AP8="),
            Ok(MaterialSource::Bytes(vec![0, 255]))
        );
        assert_eq!(
            MaterialSource::parse("random:32"),
            Ok(MaterialSource::Random(32))
        );
        for bad in ["hex:0g", "base64:!!", "random:0", "random:2000", "00ff", ""] {
            assert!(MaterialSource::parse(bad).is_err(), "{bad}");
        }
        // A faulty value is described, never quoted: its characters are nearly key material.
        // Positions count in the value as given.
        assert!(
            MaterialSource::parse("hex:  00fz")
                .unwrap_err()
                .contains("position 5")
        );
        for (bad, secret) in [
            ("hex:00fz", 'z'),
            ("base64:AP8*", '*'),
            ("base64:AQ=Q", 'Q'),
        ] {
            let why = MaterialSource::parse(bad).unwrap_err();
            assert!(!why.contains(secret), "{why}");
            assert!(why.contains("position"), "{why}");
        }
    }

    #[test]
    fn files_beyond_the_bound_are_refused_not_read_to_the_end() {
        let dir = std::env::temp_dir().join(format!("kmsgate-material-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let small = dir.join("small");
        std::fs::write(&small, [7u8; 32]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read_file(&small, MAX_FILE).ok(), Some(vec![7u8; 32]));
        let big = dir.join("big");
        std::fs::write(&big, vec![0u8; MAX_FILE as usize + 1]).unwrap_or_else(|e| panic!("{e}"));
        assert!(read_file(&big, MAX_FILE).is_err());
        // An endless device is cut off at the bound.
        #[cfg(unix)]
        assert!(read_file(Path::new("/dev/zero"), MAX_FILE).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
