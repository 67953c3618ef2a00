//! CFFILE: one member's name, size and place in its folder.

/// `_A_NAME_IS_UTF`: the name is UTF-8 rather than the writer's code page.
pub const ATTR_NAME_IS_UTF: u16 = 0x80;

/// One member of a cabinet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// The name exactly as stored (without the terminating NUL).
    pub raw_name: Vec<u8>,
    /// The name for display and lookup: UTF-8 when valid, otherwise lossily
    /// decoded (the writer's code page is unknown).
    pub name: String,
    /// Uncompressed size in bytes.
    pub size: u32,
    /// Offset of the first byte in the folder's uncompressed stream.
    pub folder_offset: u32,
    /// Index of the folder holding the member.
    pub folder: u16,
    /// MS-DOS date and time, as stored.
    pub date: u16,
    pub time: u16,
    /// Attribute bits, as stored.
    pub attributes: u16,
}

impl FileEntry {
    /// The end of the member in its folder's uncompressed stream.
    pub fn folder_end(&self) -> u64 {
        u64::from(self.folder_offset) + u64::from(self.size)
    }

    /// Whether the name, used as a path, would escape the extraction root:
    /// an absolute path, a drive letter, or a `..` component. wsuscat never
    /// writes members to disk, but `verify` reports such names because a
    /// catalog should never contain them.
    pub fn has_unsafe_path(&self) -> bool {
        let name = &self.name;
        if name.starts_with('/') || name.starts_with('\\') {
            return true;
        }
        let bytes = name.as_bytes();
        if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
            return true;
        }
        name.split(['/', '\\']).any(|part| part == "..")
    }

    /// Case-insensitive (ASCII) comparison with backslashes and slashes
    /// treated alike, as Windows would look a member up.
    pub fn name_matches(&self, wanted: &str) -> bool {
        let a = self.name.as_bytes();
        let b = wanted.as_bytes();
        a.len() == b.len()
            && a.iter().zip(b).all(|(&x, &y)| {
                let norm = |c: u8| {
                    if c == b'/' {
                        b'\\'
                    } else {
                        c.to_ascii_lowercase()
                    }
                };
                norm(x) == norm(y)
            })
    }
}
