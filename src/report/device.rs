//! Windows device names, for the places a report or a log is written.
//!
//! `--output NUL` and `--log NUL` are how a Windows admin says "throw it
//! away", as `/dev/null` is on Unix; `CON` is the console. They are not
//! files: they have no size to roll over at, and a temp file cannot be
//! renamed over them (Windows answers "Bad device type" or "Invalid
//! parameter"). Unix sees a device in the file's type, but Windows answers
//! a metadata query on `NUL` with an error, so the name is what tells:
//! Win32 maps the reserved names in any folder, with any extension, to the
//! device (`C:\reports\NUL.csv` is `NUL`), and `\\.\` names the device
//! namespace itself. On Unix these are ordinary names, and only the file
//! type counts.

use std::path::Path;

/// The reserved DOS device names (`COM0` and `LPT0` are not devices).
const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

/// Whether Windows would open `path` as a device rather than a file: a
/// reserved name (`NUL`, `CON`, `PRN`, `AUX`, `COM1`–`COM9`, `LPT1`–`LPT9`,
/// `CONIN$`, `CONOUT$`) as the last component, or a path in the `\\.\`
/// device namespace. Always false on other platforms.
pub fn is_device(path: &Path) -> bool {
    cfg!(windows) && names_a_device(&path.to_string_lossy())
}

/// [`is_device`]'s rule on a path's text, on every platform (so that the
/// rule is tested where the tests run).
pub fn names_a_device(path: &str) -> bool {
    // `\\.\` is the device namespace (`\\.\NUL`, `\\.\COM1`, `\\.\pipe\x`);
    // `\\?\` paths are taken literally, so `\\?\C:\x\NUL` is a file.
    let rest = path
        .strip_prefix(r"\\.\")
        .or_else(|| path.strip_prefix("//./"));
    if let Some(rest) = rest {
        // `\\.\C:\dir\file` is a file reached through the namespace.
        return !matches!(rest.as_bytes(), [d, b':', b'\\' | b'/', ..] if d.is_ascii_alphabetic())
            || names_a_device(&rest[3..]);
    }
    if path.starts_with(r"\\?\") {
        return false;
    }
    let last = path.rsplit(['\\', '/']).next().unwrap_or(path);
    // A drive-relative `C:NUL` names the device too.
    let last = match last.as_bytes() {
        [d, b':', ..] if d.is_ascii_alphabetic() => &last[2..],
        _ => last,
    };
    if last.eq_ignore_ascii_case("CONIN$") || last.eq_ignore_ascii_case("CONOUT$") {
        return true;
    }
    // Win32 drops the extension and trailing spaces before it compares:
    // `nul.txt` and `NUL ` are NUL.
    let stem = last.split('.').next().unwrap_or(last).trim_end_matches(' ');
    if RESERVED.iter().any(|r| stem.eq_ignore_ascii_case(r)) {
        return true;
    }
    let upper = stem.to_ascii_uppercase();
    matches!(
        upper.as_bytes(),
        [b'C', b'O', b'M', b'1'..=b'9'] | [b'L', b'P', b'T', b'1'..=b'9']
    )
}

#[cfg(test)]
mod tests {
    use super::names_a_device;

    #[test]
    fn reserved_names_in_any_folder_with_any_extension_are_devices() {
        for p in [
            "NUL",
            "nul",
            "Nul.csv",
            "NUL ",
            r"C:\reports\NUL",
            r"C:\reports\nul.json",
            "C:NUL",
            "reports/con",
            "CON",
            "PRN",
            "aux",
            "COM1",
            "com9.log",
            "LPT3",
            "CONOUT$",
            r"\\.\NUL",
            r"\\.\COM12",
            r"\\.\pipe\wsuscat",
            r"\\.\C:\reports\nul.csv",
        ] {
            assert!(names_a_device(p), "{p}");
        }
    }

    #[test]
    fn ordinary_and_verbatim_names_are_files() {
        for p in [
            "null",
            "NULL.csv",
            "console.log",
            "COM0",
            "COM10",
            "LPT",
            "report.csv",
            r"C:\NUL\report.csv",
            r"\\?\C:\reports\NUL",
            r"\\.\C:\reports\report.csv",
            r"\\server\share\report.csv",
            "",
        ] {
            assert!(!names_a_device(p), "{p}");
        }
    }
}
