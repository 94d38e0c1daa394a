//! Writing results: atomically to files (temp file + rename, so a reader or
//! an interrupted run never sees a partial file), or to standard output
//! where a closed pipe (`| head`) ends the output quietly.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// A file written to its temporary name, waiting to be renamed into place.
struct Staged {
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
}

fn io_err(path: &Path, action: &'static str, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        action,
        source,
    }
}

/// Writes `bytes` next to `path` under a temporary name (`None`: the path
/// is not a regular file and was written directly).
fn stage(path: &Path, bytes: &[u8]) -> Result<Option<Staged>> {
    stage_with(path, &mut |w| w.write_all(bytes))
}

/// What writes a file's contents, as a stream.
type Writing<'a> = dyn FnMut(&mut dyn Write) -> std::io::Result<()> + 'a;

/// What writes a file's contents after its head, as a stream, and then
/// gives the head (see [`write_atomic_with_head`]).
pub type WritingBody<'a> = dyn FnMut(&mut dyn Write) -> std::io::Result<Vec<u8>> + 'a;

/// [`stage`] with the contents streamed by `write` through a buffer, so a
/// large output is never held in memory whole.
fn stage_with(path: &Path, write: &mut Writing<'_>) -> Result<Option<Staged>> {
    stage_with_head(path, 0, &mut |w| write(w).map(|()| Vec::new()))
}

/// [`stage_with`] for contents whose first `head_len` bytes are known only
/// once the rest is written.
fn stage_with_head(
    path: &Path,
    head_len: usize,
    write: &mut WritingBody<'_>,
) -> Result<Option<Staged>> {
    let io = |action, source| io_err(path, action, source);
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            if head_len > 0 {
                return Err(Error::Usage(format!(
                    "{}: not a regular file, which a head written last needs",
                    path.display()
                )));
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| io("cannot open", e))?;
            let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &mut f);
            write(&mut buffered)
                .and_then(|_| buffered.flush())
                .map_err(|e| io("cannot write", e))?;
            return Ok(None);
        }
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            let target = std::fs::canonicalize(path).map_err(|e| io("cannot resolve link", e))?;
            return stage_with_head(&target, head_len, write);
        }
    }
    let dir = parent(path);
    let name = path
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{}: not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| {
            // Say which part of the path is wrong: "No such file or
            // directory" alone reads as if the output file were expected.
            let action = if dir.is_dir() {
                "cannot create temporary file"
            } else {
                "cannot write: its directory does not exist"
            };
            io(action, e)
        })?;
        write_in_blocks(&mut f, head_len, write).map_err(|e| io("cannot write", e))?;
        f.sync_all().map_err(|e| io("cannot flush", e))
    })();
    match written {
        Ok(()) => Ok(Some(Staged {
            tmp,
            path: path.to_path_buf(),
        })),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Streams `write`'s output into `file` in blocks of [`Block::SIZE`]
/// bytes, which a second thread writes while the next block fills. Once
/// the output outgrows one block, blocks bypass the page cache (Linux
/// `O_DIRECT`): the file must be on disk before it is renamed into place
/// anyway, and on the benchmark VM filling 763 MB of page cache took
/// 0.3–2.9 s (fresh memory is slow there after a few idle seconds) before
/// the `fsync` even began, where writing it straight to disk took 0.5–0.9 s.
/// The last, partial block goes through the page cache. Where direct I/O is
/// refused (another system, a file system without it), blocks are written
/// the ordinary way.
///
/// With a head (`head_len` > 0), `write` streams what follows it and then
/// gives the head: the first block is held back until then and written
/// last.
fn write_in_blocks(
    file: &mut std::fs::File,
    head_len: usize,
    write: &mut WritingBody<'_>,
) -> std::io::Result<()> {
    if head_len >= Block::SIZE {
        return Err(std::io::Error::other("a head must fit in the first block"));
    }
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Block>(Block::IN_FLIGHT);
    let (free_tx, free_rx) = std::sync::mpsc::channel::<Block>();
    std::thread::scope(|scope| {
        let disk = scope.spawn(move || {
            let mut disk = Disk {
                file,
                direct: false,
                refused: false,
                at: 0,
            };
            for block in full_rx {
                disk.write(&block)?;
                // Back to be filled again; the filler may be done already.
                let _ = free_tx.send(block);
            }
            Ok::<(), std::io::Error>(())
        });
        let mut first = Block::new();
        first.filled = head_len;
        let mut blocks = BlockWriter {
            full: full_tx,
            free: free_rx,
            current: first,
            head_len,
            held: None,
        };
        let streamed = match write(&mut blocks) {
            Ok(head) => blocks.finish(&head),
            Err(e) => {
                // Ends the stream, so the disk writer stops.
                drop(blocks);
                Err(e)
            }
        };
        let written = disk.join().expect("the disk writer panicked");
        // A failed write explains a block that could not be handed over.
        written.and(streamed)
    })
}

/// One block of output, aligned in memory for direct I/O.
struct Block {
    /// [`Block::SIZE`] bytes from `start` on.
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    /// Where in the file the block goes.
    offset: u64,
}

impl Block {
    const SIZE: usize = 4 << 20;
    /// Alignment of memory, file offsets and lengths that direct I/O needs
    /// (the largest logical block size in use).
    const ALIGN: usize = 4096;
    /// Full blocks waiting for the disk: bounds memory to a few blocks.
    const IN_FLIGHT: usize = 2;

    fn new() -> Self {
        let buf = vec![0u8; Self::SIZE + Self::ALIGN];
        let start = buf.as_ptr().align_offset(Self::ALIGN);
        Block {
            buf,
            start,
            filled: 0,
            offset: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.filled]
    }
}

/// The filling side of [`write_in_blocks`].
struct BlockWriter {
    full: std::sync::mpsc::SyncSender<Block>,
    free: std::sync::mpsc::Receiver<Block>,
    current: Block,
    /// Bytes the head takes at the start of the first block.
    head_len: usize,
    /// The first block, once full, while its head is not known.
    held: Option<Block>,
}

impl BlockWriter {
    /// Hands the current block to the disk writer (or holds it back, if it
    /// is the first and waits for its head) and takes a free one.
    fn hand_over(&mut self) -> std::io::Result<()> {
        let next = self.free.try_recv().unwrap_or_else(|_| Block::new());
        let full = std::mem::replace(&mut self.current, next);
        self.current.filled = 0;
        self.current.offset = full.offset + Block::SIZE as u64;
        if full.offset == 0 && self.head_len > 0 {
            self.held = Some(full);
            return Ok(());
        }
        send(&self.full, full)
    }

    /// Puts `head` in its place, hands over the last block, partial or
    /// empty, and the first if it was held, and ends the stream.
    fn finish(mut self, head: &[u8]) -> std::io::Result<()> {
        if head.len() != self.head_len {
            return Err(std::io::Error::other(format!(
                "the head came out {} bytes long, not the {} bytes left for it",
                head.len(),
                self.head_len
            )));
        }
        let first = self.held.as_mut().unwrap_or(&mut self.current);
        first.buf[first.start..first.start + head.len()].copy_from_slice(head);
        send(&self.full, self.current)?;
        match self.held {
            Some(first) => send(&self.full, first),
            None => Ok(()),
        }
    }
}

fn send(to_disk: &std::sync::mpsc::SyncSender<Block>, block: Block) -> std::io::Result<()> {
    to_disk
        .send(block)
        .map_err(|_| std::io::Error::other("the disk writer stopped"))
}

impl Write for BlockWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let block = &mut self.current;
        let n = data.len().min(Block::SIZE - block.filled);
        let at = block.start + block.filled;
        block.buf[at..at + n].copy_from_slice(&data[..n]);
        block.filled += n;
        if block.filled == Block::SIZE {
            self.hand_over()?;
        }
        Ok(n)
    }

    /// Full blocks are written as they fill and the rest by
    /// [`BlockWriter::finish`]: a flush in between would break the
    /// alignment direct I/O needs.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The writing side of [`write_in_blocks`].
struct Disk<'a> {
    file: &'a mut std::fs::File,
    direct: bool,
    /// Direct I/O was refused once: not asked for again.
    refused: bool,
    /// The file's position.
    at: u64,
}

impl Disk<'_> {
    fn write(&mut self, block: &Block) -> std::io::Result<()> {
        if block.offset != self.at {
            use std::io::Seek;
            self.at = self.file.seek(std::io::SeekFrom::Start(block.offset))?;
        }
        if block.filled < Block::SIZE {
            // A partial block (the last) cannot go direct.
            if self.direct && !set_direct(self.file, false) {
                return Err(std::io::Error::other("cannot switch off direct I/O"));
            }
            self.direct = false;
        } else if !self.direct && !self.refused {
            self.direct = set_direct(self.file, true);
            self.refused = !self.direct;
        }
        let bytes = block.bytes();
        let mut done = 0;
        while done < bytes.len() {
            match self.file.write(&bytes[done..]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    done += n;
                    self.at += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // Refused by this file system after all (or a short write
                // left the offset unaligned): go on the ordinary way.
                Err(e) if self.direct && e.kind() == std::io::ErrorKind::InvalidInput => {
                    self.direct = false;
                    self.refused = true;
                    if !set_direct(self.file, false) {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Switches direct I/O on or off for `file`; false when the system refuses.
#[cfg(target_os = "linux")]
fn set_direct(file: &std::fs::File, on: bool) -> bool {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl with F_GETFL and F_SETFL on an open descriptor reads and
    // sets its status flags only; no memory of ours is involved.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return false;
        }
        let flags = if on {
            flags | libc::O_DIRECT
        } else {
            flags & !libc::O_DIRECT
        };
        libc::fcntl(fd, libc::F_SETFL, flags) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &std::fs::File, on: bool) -> bool {
    !on
}

fn commit(s: Staged) -> Result<()> {
    std::fs::rename(&s.tmp, &s.path).map_err(|e| {
        let _ = std::fs::remove_file(&s.tmp);
        io_err(&s.path, "cannot move into place", e)
    })
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// renamed into place once complete. A path that is not a regular file
/// (`/dev/null`, a pipe, a terminal) is written directly: renaming over it
/// would replace the device with a file. A symbolic link is followed, so the
/// file it points to is replaced and the link kept.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    match stage(path, bytes)? {
        Some(s) => commit(s),
        None => Ok(()),
    }
}

/// [`write_atomic`] with the contents streamed by `write`.
pub fn write_atomic_with(path: &Path, write: &mut Writing<'_>) -> Result<()> {
    match stage_with(path, write)? {
        Some(s) => commit(s),
        None => Ok(()),
    }
}

/// [`write_atomic_with`] for contents whose first `head_len` bytes are
/// known only at the end: `write` streams everything after them and then
/// gives them (exactly `head_len` bytes; shorter than 4 MiB), and they are
/// written into their place before the file is renamed. For a file format
/// whose opening records a digest of all its input, written while the
/// input is still being read. `path` must be a regular file (or not exist).
pub fn write_atomic_with_head(
    path: &Path,
    head_len: usize,
    write: &mut WritingBody<'_>,
) -> Result<()> {
    match stage_with_head(path, head_len, write)? {
        Some(s) => commit(s),
        None => Ok(()),
    }
}

/// [`write_stdout`] with the contents streamed by `write`.
pub fn write_stdout_with(write: &mut Writing<'_>) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    match write(&mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io {
            path: "-".into(),
            action: "cannot write to standard output",
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Writes several files so that none is replaced until all are complete:
/// every file goes to its temporary name first, then all are renamed, in
/// the order given. A failure or interruption while writing leaves every
/// previous file intact.
///
/// The last file is the record of the set (`report` puts `report.json`
/// there): it is renamed only after the renames of all the others have been
/// made durable (their directories synced), so even after a power loss the
/// record on disk is never newer than the files it describes.
pub fn write_all_atomic(files: &[(std::path::PathBuf, Vec<u8>)]) -> Result<()> {
    let mut staged = Vec::new();
    for (i, (path, bytes)) in files.iter().enumerate() {
        match stage(path, bytes) {
            Ok(s) => staged.extend(s.map(|s| (i, s))),
            Err(e) => {
                for (_, s) in staged {
                    let _ = std::fs::remove_file(&s.tmp);
                }
                return Err(e);
            }
        }
    }
    let last = staged
        .pop_if(|(i, _)| *i + 1 == files.len())
        .map(|(_, s)| s);
    let mut staged = staged.into_iter().map(|(_, s)| s);
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    while let Some(s) = staged.next() {
        let dir = parent(&s.path).to_path_buf();
        if let Err(e) = commit(s) {
            // Nothing may be left behind under a temporary name.
            for s in staged.chain(last) {
                let _ = std::fs::remove_file(&s.tmp);
            }
            return Err(e);
        }
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs.iter().for_each(|d| sync_dir(d));
    if let Some(s) = last {
        let dir = parent(&s.path).to_path_buf();
        commit(s)?;
        sync_dir(&dir);
    }
    Ok(())
}

/// Files written one at a time, each complete under a temporary name (so
/// only one file's bytes are in memory at once), and renamed into place
/// together by [`StagedFiles::commit`]. Dropped before that, it removes
/// every temporary file: a failure half-way leaves nothing behind.
#[derive(Default)]
pub struct StagedFiles {
    staged: Vec<Staged>,
}

impl StagedFiles {
    /// Writes `bytes` under a temporary name beside `path`.
    pub fn add(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.staged.extend(stage(path, bytes)?);
        Ok(())
    }

    /// Renames every file into place, in the order added.
    pub fn commit(mut self) -> Result<()> {
        let mut dirs: Vec<std::path::PathBuf> = Vec::new();
        // Popped one at a time, so a failed rename leaves the rest to drop.
        self.staged.reverse();
        while let Some(s) = self.staged.pop() {
            let dir = parent(&s.path).to_path_buf();
            commit(s)?;
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        dirs.iter().for_each(|d| sync_dir(d));
        Ok(())
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        for s in &self.staged {
            let _ = std::fs::remove_file(&s.tmp);
        }
    }
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes renames and removals in `dir` durable (best effort: some file
/// systems cannot sync a directory, and nothing depends on it but the order
/// of events after a power loss).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// One file a report wrote: its path relative to the report's directory,
/// the SHA-256 and the length of the exact bytes written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileRecord {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

impl FileRecord {
    pub fn of(path: &str, bytes: &[u8]) -> Self {
        FileRecord {
            path: path.to_string(),
            sha256: crate::sources::sha256_hex(bytes),
            bytes: bytes.len() as u64,
        }
    }
}

/// Writes to standard output; a closed pipe is not an error.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io {
            path: "-".into(),
            action: "cannot write to standard output",
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("rackaudit-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.json");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let missing = write_atomic(&dir.join("missing/r.json"), b"x").unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("missing/r.json: cannot write: its directory does not exist"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Outputs of several blocks, written in pieces of awkward sizes, come
    /// back byte for byte (the blocks go straight to disk where the file
    /// system allows it, the tail through the page cache).
    #[test]
    fn large_streamed_outputs_are_written_whole() {
        let dir = std::env::temp_dir().join(format!("rackaudit-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.json");
        for size in [0, 7, Block::SIZE, 2 * Block::SIZE + 4097, 5 * Block::SIZE] {
            let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
            write_atomic_with(&path, &mut |w| {
                for piece in data.chunks(65_519) {
                    w.write_all(piece)?;
                }
                Ok(())
            })
            .unwrap();
            assert!(std::fs::read(&path).unwrap() == data, "{size} bytes");
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A head given after the rest lands at the start, whether the file
    /// is shorter than a block, ends at a block's end or spans several; a
    /// head of the wrong length fails and leaves no file.
    #[test]
    fn heads_given_last_are_written_first() {
        let dir = std::env::temp_dir().join(format!("rackaudit-head-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("headed.json");
        let head = b"{\"digest\": \"0123abcd\", ";
        for size in [0, 9, Block::SIZE - head.len(), 3 * Block::SIZE + 11] {
            let body: Vec<u8> = (0..size).map(|i| (i * 37 % 253) as u8).collect();
            write_atomic_with_head(&path, head.len(), &mut |w| {
                for piece in body.chunks(100_003) {
                    w.write_all(piece)?;
                }
                Ok(head.to_vec())
            })
            .unwrap();
            let written = std::fs::read(&path).unwrap();
            assert!(written[..head.len()] == head[..], "{size} bytes");
            assert!(written[head.len()..] == body[..], "{size} bytes");
        }
        std::fs::remove_file(&path).unwrap();
        let wrong = write_atomic_with_head(&path, head.len(), &mut |w| {
            w.write_all(&[b'x'; Block::SIZE])?;
            Ok(b"short".to_vec())
        });
        let wrong = wrong.unwrap_err().to_string();
        let expected = format!("5 bytes long, not the {} bytes left", head.len());
        assert!(wrong.contains(&expected), "{wrong}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Regression: `-o /dev/null` once renamed a file over the device.
    #[test]
    fn special_files_are_written_in_place_and_links_kept() {
        use std::os::unix::fs::FileTypeExt;
        let dir = std::env::temp_dir().join(format!("rackaudit-special-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            use std::io::Read;
            use std::os::unix::fs::OpenOptionsExt;
            // A non-blocking reader first, so the writer never waits and a
            // regression (renaming a file over the pipe) fails instead of hanging.
            const O_NONBLOCK: i32 = 0o4000;
            let mut reader = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(O_NONBLOCK)
                .open(&fifo)
                .unwrap();
            write_atomic(&fifo, b"through the pipe").unwrap();
            let mut got = Vec::new();
            let _ = reader.read_to_end(&mut got);
            assert_eq!(got, b"through the pipe");
            assert!(
                std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
                "still a pipe"
            );
        }
        let target = dir.join("real.json");
        let link = dir.join("link.json");
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
