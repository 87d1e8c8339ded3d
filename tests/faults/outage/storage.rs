//! File systems of their own for a SQLite database: a small tmpfs to fill up, and an ext4 image
//! on a loop device whose files can be made immutable. Mounting needs root (`CAP_SYS_ADMIN`)
//! and, for ext4, a free loop device: where that is missing the test fails with the reason.
//!
//! Why not `mount -o remount,ro`: Linux refuses it (EBUSY) while a process holds a file of the
//! mount open for writing, as the server holds its database. The immutable attribute of ext4 is
//! the read-only storage a running process can meet: every write to an open file fails (EPERM),
//! reads go on, and clearing it heals without reopening anything. The `-shm` index is left
//! alone: SQLite maps it into memory, where a write to an immutable file is a SIGBUS, not an
//! error.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file system mounted on a folder; unmounted on drop.
#[derive(Debug)]
pub struct Mount {
    path: PathBuf,
}

impl Mount {
    /// A tmpfs of `size` (`"4m"`) on `path` (created).
    pub fn tmpfs(path: &Path, size: &str) -> Self {
        std::fs::create_dir_all(path).unwrap();
        run(
            "mount",
            &[
                "-t".as_ref(),
                "tmpfs".as_ref(),
                "-o".as_ref(),
                format!("size={size},mode=0700").as_ref(),
                "tmpfs".as_ref(),
                path.as_os_str(),
            ],
            "a tmpfs is mounted for the database (root, CAP_SYS_ADMIN)",
        );
        Self {
            path: path.to_owned(),
        }
    }

    /// An ext4 file system of `megabytes` in the image file `image`, on a loop device, on
    /// `path` (created); no blocks reserved for root.
    pub fn ext4(path: &Path, image: &Path, megabytes: u64) -> Self {
        std::fs::create_dir_all(path).unwrap();
        std::fs::File::create(image)
            .unwrap()
            .set_len(megabytes << 20)
            .unwrap();
        run(
            "mkfs.ext4",
            &[
                "-q".as_ref(),
                "-m".as_ref(),
                "0".as_ref(),
                image.as_os_str(),
            ],
            "an ext4 image is made (mkfs.ext4 of e2fsprogs)",
        );
        run(
            "mount",
            &[
                "-o".as_ref(),
                "loop".as_ref(),
                image.as_os_str(),
                path.as_os_str(),
            ],
            "an ext4 image is mounted on a loop device (root, CAP_SYS_ADMIN, /dev/loop*)",
        );
        Self {
            path: path.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills the file system to the last byte with a file: its path.
    pub fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        for chunk in [1 << 20, 64 << 10, 4 << 10, 512, 1] {
            let zeros = vec![0_u8; chunk];
            while file.write_all(&zeros).is_ok() {}
        }
        let _ = file.sync_all();
        filler
    }

    /// Makes the database's files and folder immutable (`on`), or writable again.
    pub fn immutable(&self, files: &[&Path], on: bool) {
        let flag = if on { "+i" } else { "-i" };
        let mut args = vec![flag.as_ref()];
        args.extend(files.iter().map(|file| file.as_os_str()));
        args.push(self.path.as_os_str());
        run(
            "chattr",
            &args,
            "the immutable attribute is set (chattr of e2fsprogs, root)",
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        // Lazily: a server still being killed may hold a file for a moment.
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Runs a command of the test's set-up; fails the test, saying what was needed, when it fails.
fn run(program: &str, args: &[&std::ffi::OsStr], needed: &str) {
    let output = Command::new(program).args(args).output();
    match output {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "this test needs that {needed}, and `{program}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => panic!("this test needs that {needed}; `{program}` can't run: {error}"),
    }
}
