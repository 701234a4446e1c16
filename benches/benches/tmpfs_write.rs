//! Writing a segment into tmpfs, where every new segment lands on fresh
//! pages: `pwrite` of 32 KiB chunks from a buffer the muxer filled, as
//! the file store appends, against the muxer copying straight into a
//! shared mapping of the file (pages populated in one `madvise`, or one
//! fault each), which would save `pwrite`'s copy into the page cache
//! (10–14 % of the server's core near capacity, docs/architecture.md
//! "Near capacity"). Throughput in bytes written; the 64 newest files are
//! kept and older ones deleted, so pages recycle as in a server whose old
//! segments go. On /dev/shm (else the temporary directory, said so).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memmap2::{Advice, MmapMut};

const CHUNK: usize = 32 << 10;
const FILE: usize = 1 << 20;
const KEEP: u64 = 64;

/// Files named by number in a directory of their own; the one KEEP
/// before the newest is deleted as each new one is named.
struct Ring {
    dir: tempfile::TempDir,
    next: u64,
}

impl Ring {
    fn new() -> Ring {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            eprintln!("tmpfs_write: no /dev/shm, writing into the temporary directory");
            tempfile::tempdir()
        };
        Ring {
            dir: dir.expect("a directory to write in"),
            next: 0,
        }
    }

    fn path(&self, n: u64) -> PathBuf {
        self.dir.path().join(n.to_string())
    }

    fn new_file(&mut self) -> PathBuf {
        if let Some(old) = self.next.checked_sub(KEEP) {
            let _ = std::fs::remove_file(self.path(old));
        }
        self.next += 1;
        self.path(self.next - 1)
    }
}

/// What the muxer produces: 8 MiB of bytes, read in turn.
struct Source {
    data: Vec<u8>,
    at: usize,
}

impl Source {
    fn chunk(&mut self) -> &[u8] {
        if self.at + CHUNK > self.data.len() {
            self.at = 0;
        }
        self.at += CHUNK;
        &self.data[self.at - CHUNK..self.at]
    }
}

fn by_pwrite(ring: &mut Ring, source: &mut Source, buffer: &mut [u8]) {
    let file = File::create(ring.new_file()).unwrap();
    for at in (0..FILE).step_by(CHUNK) {
        buffer.copy_from_slice(source.chunk());
        file.write_all_at(buffer, at as u64).unwrap();
    }
}

fn by_mapping(ring: &mut Ring, source: &mut Source, populate: bool) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(ring.new_file())
        .unwrap();
    file.set_len(FILE as u64).unwrap();
    // SAFETY: the file is this process's own, new, and not resized while
    // mapped.
    let mut map = unsafe { MmapMut::map_mut(&file) }.unwrap();
    if populate {
        map.advise(Advice::PopulateWrite).unwrap();
    }
    for at in (0..FILE).step_by(CHUNK) {
        map[at..at + CHUNK].copy_from_slice(source.chunk());
    }
}

fn tmpfs_write(c: &mut Criterion) {
    let mut source = Source {
        data: (0..8 << 20).map(|i: u32| (i * 7) as u8).collect(),
        at: 0,
    };
    let mut group = c.benchmark_group("tmpfs_write 1 MiB file");
    group.throughput(Throughput::Bytes(FILE as u64));
    let mut buffer = vec![0; CHUNK];
    let mut ring = Ring::new();
    group.bench_function("pwrite 32 KiB chunks", |b| {
        b.iter(|| by_pwrite(&mut ring, &mut source, &mut buffer))
    });
    let mut ring = Ring::new();
    group.bench_function("mapping, populated", |b| {
        b.iter(|| by_mapping(&mut ring, &mut source, true))
    });
    let mut ring = Ring::new();
    group.bench_function("mapping, faults", |b| {
        b.iter(|| by_mapping(&mut ring, &mut source, false))
    });
    group.finish();
}

criterion_group!(benches, tmpfs_write);
criterion_main!(benches);
