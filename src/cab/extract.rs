//! Reading many members while decoding each folder once.
//!
//! A shard holds about 12,500 members in one folder. Opening each member
//! separately re-decodes the folder from its start every time (quadratic:
//! minutes per shard); here members are picked out of the stream as it
//! passes.

use std::io::{Read, Seek};

use super::cabinet::Cabinet;
use super::file::FileEntry;
use super::stream::FolderReader;
use crate::error::{Error, ErrorKind, Result};

impl Cabinet {
    /// Streams every folder that holds a wanted member once, front to back,
    /// and hands each wanted member's bytes to `on_member` in folder order.
    /// A member the folder cannot fully supply is an error.
    pub fn stream_members<R, W, F>(
        &self,
        open: impl FnMut() -> Result<R>,
        wanted: W,
        on_member: F,
    ) -> Result<()>
    where
        R: Read + Seek,
        W: Fn(&FileEntry) -> bool,
        F: FnMut(&FileEntry, Vec<u8>) -> Result<()>,
    {
        self.stream_members_resuming(None, open, wanted, on_member)
    }

    /// [`Cabinet::stream_members`], going on with `resume` (when given), a reader of one
    /// of this cabinet's folders left part way (by a [`super::MemberReader`]
    /// that read an earlier member): its folder is not decoded again from
    /// the start, only from where it stands. Every wanted member of that
    /// folder must start at or after that point (an error otherwise: its
    /// first bytes are gone); other folders are opened as usual.
    pub fn stream_members_resuming<R, W, F>(
        &self,
        resume: Option<FolderReader<R>>,
        open: impl FnMut() -> Result<R>,
        wanted: W,
        on_member: F,
    ) -> Result<()>
    where
        R: Read + Seek,
        W: Fn(&FileEntry) -> bool,
        F: FnMut(&FileEntry, Vec<u8>) -> Result<()>,
    {
        let mut sink = Collect {
            active: Vec::new(),
            on_member,
        };
        self.stream(
            open,
            resume,
            &|_| true,
            &wanted,
            false,
            &mut |_| {},
            &mut sink,
        )
        .map(|_| ())
    }

    /// Decodes every block of every folder (data after the last member
    /// included, so every checksum is verified) and hands every member to
    /// `on_member`. `progress` is told the compressed bytes read so far.
    /// Returns how many blocks carry a checksum of 0 (MS-CAB's "not
    /// computed"): decoded, but not checksummed.
    pub fn stream_all<R, F>(
        &self,
        open: impl FnMut() -> Result<R>,
        progress: &mut dyn FnMut(u64),
        on_member: F,
    ) -> Result<u64>
    where
        R: Read + Seek,
        F: FnMut(&FileEntry, Vec<u8>) -> Result<()>,
    {
        let mut sink = Collect {
            active: Vec::new(),
            on_member,
        };
        self.stream(open, None, &|_| true, &|_| true, true, progress, &mut sink)
    }

    /// Like [`Cabinet::stream_all`], for the folders `folders` selects only;
    /// the count of blocks not checksummed is theirs.
    pub fn stream_folders<R, F>(
        &self,
        open: impl FnMut() -> Result<R>,
        folders: &dyn Fn(u16) -> bool,
        on_member: F,
    ) -> Result<u64>
    where
        R: Read + Seek,
        F: FnMut(&FileEntry, Vec<u8>) -> Result<()>,
    {
        let mut sink = Collect {
            active: Vec::new(),
            on_member,
        };
        self.stream(open, None, folders, &|_| true, true, &mut |_| {}, &mut sink)
    }

    /// Like [`Cabinet::stream_all`], but each member's bytes go to `sink`
    /// piece by piece (at most one block at a time) as the folder decodes,
    /// so nothing here holds a member: what a member costs is the sink's
    /// business. Returns how many blocks carry a checksum of 0.
    pub fn stream_all_pieces<'c, R: Read + Seek>(
        &'c self,
        open: impl FnMut() -> Result<R>,
        progress: &mut dyn FnMut(u64),
        sink: &mut dyn MemberSink<'c>,
    ) -> Result<u64> {
        self.stream(open, None, &|_| true, &|_| true, true, progress, sink)
    }

    /// Decodes every block of folder `folder` from `reader` (positioned
    /// anywhere before the folder's data: it is only sought forward) and
    /// checks that the blocks produce every byte the folder's members
    /// claim, without keeping any of them.
    pub fn drain_folder<R: Read + Seek>(&self, reader: R, folder: u16) -> Result<Drained> {
        let mut r = self.open_folder(reader, folder)?;
        while !r.take(usize::MAX)?.is_empty() {}
        let produced = r.produced();
        let mut members: Vec<&FileEntry> =
            self.files.iter().filter(|f| f.folder == folder).collect();
        members.sort_by_key(|f| (f.folder_offset, f.size));
        let end = members.iter().map(|f| f.folder_end()).max().unwrap_or(0);
        // The first member, in folder order, that the blocks cut short is
        // the one a streaming reader would have been filling.
        if let Some(f) = members.iter().find(|f| f.folder_end() > produced) {
            return Err(ended_early(folder, produced, end, Some(f)));
        }
        Ok(Drained {
            member_bytes: members.iter().map(|f| u64::from(f.size)).sum(),
            blocks_not_checksummed: r.blocks_not_checksummed(),
        })
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one private walker behind five public entry points, each fixing some arguments"
    )]
    fn stream<'c, R: Read + Seek>(
        &'c self,
        mut open: impl FnMut() -> Result<R>,
        mut resume: Option<FolderReader<R>>,
        folders: &dyn Fn(u16) -> bool,
        wanted: &dyn Fn(&FileEntry) -> bool,
        drain: bool,
        progress: &mut dyn FnMut(u64),
        sink: &mut dyn MemberSink<'c>,
    ) -> Result<u64> {
        let mut consumed_before = 0u64;
        let mut unchecksummed = 0u64;
        for folder in self.folders.iter().filter(|f| folders(f.index)) {
            let mut members: Vec<&FileEntry> = self
                .files
                .iter()
                .filter(|f| f.folder == folder.index && wanted(f))
                .collect();
            if members.is_empty() && !drain {
                continue;
            }
            members.sort_by_key(|f| (f.folder_offset, f.size));
            let end = members.iter().map(|f| f.folder_end()).max().unwrap_or(0);
            let mut reader = match resume.take_if(|r| r.entry().index == folder.index) {
                Some(r) => {
                    if let Some(f) = members
                        .iter()
                        .find(|f| u64::from(f.folder_offset) < r.position())
                    {
                        return Err(Error::new(
                            ErrorKind::Io,
                            format!(
                                "member {:?} starts at byte {} of folder {}, before byte {} where the reader left it",
                                f.name,
                                f.folder_offset,
                                folder.index,
                                r.position()
                            ),
                        )
                        .with_folder(folder.index));
                    }
                    r
                }
                None => self.open_folder(open()?, folder.index)?,
            };
            // Members started and not ended yet, in the order they started.
            let mut active: Vec<&FileEntry> = Vec::new();
            // Members not started yet, in folder order.
            let mut pending = members.iter().copied().peekable();
            loop {
                let pos = reader.position();
                // Start the members that begin at or before here.
                while let Some(f) = pending.next_if(|f| u64::from(f.folder_offset) <= pos) {
                    sink.start(f, pos)?;
                    active.push(f);
                }
                // End the complete ones, in order.
                while let Some(i) = active.iter().position(|f| f.folder_end() <= pos) {
                    sink.end(active.remove(i))?;
                }
                progress(consumed_before + reader.consumed());
                if pos >= end {
                    if drain {
                        while !reader.take(usize::MAX)?.is_empty() {
                            progress(consumed_before + reader.consumed());
                        }
                    }
                    break;
                }
                // Read up to the next member start, so starts are exact.
                let limit = match pending.peek() {
                    Some(f) => (u64::from(f.folder_offset) - pos).max(1),
                    None => end - pos,
                };
                let chunk = reader.take(limit.min(usize::MAX as u64) as usize)?;
                if chunk.is_empty() {
                    // pos < end: some member still needs bytes.
                    let missing = active.first().copied().or(pending.peek().copied());
                    return Err(ended_early(folder.index, pos, end, missing));
                }
                for f in &active {
                    let part = member_part(f, chunk, pos);
                    if !part.is_empty() {
                        sink.piece(f, part)?;
                    }
                }
            }
            consumed_before += reader.consumed();
            unchecksummed += reader.blocks_not_checksummed();
        }
        Ok(unchecksummed)
    }
}

/// What [`Cabinet::drain_folder`] established about a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// The sizes of the folder's members, added up.
    pub member_bytes: u64,
    /// How many of its blocks carry a checksum of 0 (not computed).
    pub blocks_not_checksummed: u64,
}

/// Where [`Cabinet::stream_all_pieces`] hands members, as their folder
/// decodes. For each member: `start`, its bytes in order through `piece`
/// (never empty pieces; none for an empty member), then `end`, unless the
/// stream fails first. Members of one folder may overlap in a hostile
/// cabinet, so several can be started and not ended at once. An error
/// from any call stops the stream with that error.
/// A member is the same `&'c FileEntry` (an entry of the cabinet's table)
/// in every call.
pub trait MemberSink<'c> {
    /// `file` starts; the folder has been decoded up to `pos`.
    fn start(&mut self, file: &'c FileEntry, pos: u64) -> Result<()>;
    /// The next bytes of `file`.
    fn piece(&mut self, file: &'c FileEntry, bytes: &[u8]) -> Result<()>;
    /// Every byte of `file` has been handed over.
    fn end(&mut self, file: &'c FileEntry) -> Result<()>;
}

/// Collects each member whole, for [`Cabinet::stream_members`] and the
/// callers that want members as vectors.
struct Collect<'c, F> {
    active: Vec<(&'c FileEntry, Vec<u8>)>,
    on_member: F,
}

impl<'c, F: FnMut(&FileEntry, Vec<u8>) -> Result<()>> MemberSink<'c> for Collect<'c, F> {
    fn start(&mut self, file: &'c FileEntry, _: u64) -> Result<()> {
        self.active
            .push((file, Vec::with_capacity(file.size.min(64 << 20) as usize)));
        Ok(())
    }

    fn piece(&mut self, file: &'c FileEntry, bytes: &[u8]) -> Result<()> {
        if let Some((_, buf)) = self.active.iter_mut().find(|(f, _)| std::ptr::eq(*f, file)) {
            buf.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn end(&mut self, file: &'c FileEntry) -> Result<()> {
        match self.active.iter().position(|(f, _)| std::ptr::eq(*f, file)) {
            Some(i) => {
                let (f, bytes) = self.active.remove(i);
                (self.on_member)(f, bytes)
            }
            None => Ok(()),
        }
    }
}

/// The bytes of `chunk`, which starts at folder offset `pos`, that belong
/// to member `f`: from its start (or the chunk's) up to its end (or the
/// chunk's). Empty when the member does not overlap the chunk.
fn member_part<'a>(f: &FileEntry, chunk: &'a [u8], pos: u64) -> &'a [u8] {
    let start = u64::from(f.folder_offset).max(pos);
    let skip = usize::try_from(start - pos).unwrap_or(usize::MAX);
    let want = usize::try_from(f.folder_end().saturating_sub(start)).unwrap_or(usize::MAX);
    let from = chunk.get(skip..).unwrap_or_default();
    from.get(..want).unwrap_or(from)
}

/// The error for a folder that ends at `pos`, before `end`, the end of the
/// last member wanted from it; `missing` is the first member cut short.
fn ended_early(folder: u16, pos: u64, end: u64, missing: Option<&FileEntry>) -> Error {
    let message = match missing {
        Some(f) => format!(
            "truncated: folder {folder} ends at byte {pos}, but member {:?} needs bytes {}..{}",
            f.name,
            f.folder_offset,
            f.folder_end()
        ),
        None => format!("truncated: folder {folder} ends at byte {pos}, before byte {end}"),
    };
    Error::new(ErrorKind::Truncated, message).with_folder(folder)
}

#[cfg(test)]
mod tests {
    use crate::cab::writer::CabBuilder;
    use crate::cab::{Cabinet, Compression};
    use std::io::Cursor;

    #[test]
    fn every_member_comes_out_whole_and_in_order() {
        let mut b = CabBuilder::new();
        b.add_folder(Compression::MsZip);
        let mut expected = Vec::new();
        for i in 0..300 {
            let body =
                format!("<LocalizedProperties><Title>update {i}</Title></LocalizedProperties>")
                    .repeat(i % 7 + 1);
            b.add_file(&format!("l\\en\\{i}"), body.as_bytes());
            expected.push(body.into_bytes());
        }
        b.add_file("empty", b"");
        expected.push(Vec::new());
        let bytes = b.finish();
        let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
        let mut got = Vec::new();
        cab.stream_members(
            || Ok(Cursor::new(&bytes[..])),
            |_| true,
            |_, data| {
                got.push(data);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(got, expected);

        let mut picked = Vec::new();
        cab.stream_members(
            || Ok(Cursor::new(&bytes[..])),
            |f| f.name.ends_with("\\42"),
            |f, data| {
                picked.push((f.name.clone(), data.len()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(picked, vec![("l\\en\\42".to_string(), expected[42].len())]);
    }

    /// Going on from a folder reader left after one member gives the later
    /// members without a second decoding from the start; a wanted member
    /// that began before that point is an error, never a member cut short.
    #[test]
    fn resuming_gives_the_later_members_and_refuses_earlier_ones() {
        let mut b = CabBuilder::new();
        b.add_folder(Compression::Lzx { window_bits: 16 });
        let bodies: Vec<Vec<u8>> = (0..40)
            .map(|i| format!("<x n=\"{i}\"/>").repeat(500).into_bytes())
            .collect();
        for (i, body) in bodies.iter().enumerate() {
            b.add_file(&format!("m{i}"), body);
        }
        let bytes = b.finish();
        let cab = Cabinet::parse(&mut Cursor::new(&bytes)).unwrap();
        let left_after = |n: usize| {
            let file = cab.find(&format!("m{n}")).unwrap().clone();
            let mut m = cab.open_member(Cursor::new(&bytes[..]), &file).unwrap();
            while !m.next_chunk(usize::MAX).unwrap().is_empty() {}
            m.into_folder()
        };
        let mut got = Vec::new();
        let mut opens = 0;
        cab.stream_members_resuming(
            Some(left_after(9)),
            || {
                opens += 1;
                Ok(Cursor::new(&bytes[..]))
            },
            |f| f.name == "m10" || f.name == "m39",
            |f, data| {
                got.push((f.name.clone(), data));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(opens, 0, "the folder is not opened again");
        assert_eq!(
            got,
            vec![
                ("m10".to_string(), bodies[10].clone()),
                ("m39".to_string(), bodies[39].clone())
            ]
        );
        let e = cab
            .stream_members_resuming(
                Some(left_after(9)),
                || Ok(Cursor::new(&bytes[..])),
                |f| f.name == "m3",
                |_, _| Ok(()),
            )
            .unwrap_err();
        assert!(e.to_string().contains("before byte"), "{e}");
    }
}
