// One way to write a file, used by every writer of slift (data, samples, models, checkpoints,
// records, the lock file, report, plots, exports, FFT wisdom, job scripts, lock files):
// - whole files go to a temporary made with O_CREAT | O_EXCL | O_NOFOLLOW under a descriptor of
//   the target's directory ("<name>.tmp.<random>"), are fsync'ed and renamed over the target, so
//   readers see the old file or the complete new one, a failed or killed write leaves the old one,
//   and a link planted at any name is never opened, let alone written through;
// - files opened in place (locks, a data set's .partial) are opened with O_NOFOLLOW and must be
//   plain files: a planted symbolic link is refused, its target untouched; so is a hard link at a
//   name whose data are written in place (a .partial);
// - a command's output replaces an existing file only with --force, never one of its inputs;
// - names read from files or configs that become part of a path are checked to be one component.
// Every failure names the file or directory and the system's reason ("Permission denied").
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace slift {

// Writes `content` to `path` atomically (creating the parent directories), replacing any file there.
void write_file_atomic(const std::string& path, const std::string& content);

// std::filesystem::create_directories with an error that names the directory and the reason.
void create_directories(const std::string& dir);

// Opens (creating) a file that is used in place, read-write, never through a link; takes
// flock(`operation`) on it when `operation` is not 0. Returns the descriptor, or -1 when
// `operation` has LOCK_NB and another process holds the lock. The lock is on the file that bears
// the name: if a holder renamed it away meanwhile, the new file at the name is opened and locked.
// `data`: the caller writes its data in place, so a file with other hard links is refused too
// (writing would change them); a lock file's few bytes may be shared (a run directory copied
// with `cp -al`).
int open_in_place(const std::string& path, int operation, bool data = false);

// May a command write its output `out`? Not a directory, never one of its `inputs` (path and what
// it is, e.g. {config, "the config file"}), even with --force; an existing file only with `force`.
// `flag` names the output on the command line ("--out", "OUT", "--plot"). Usage errors.
void check_output(const std::string& flag, const std::string& out,
                  const std::vector<std::pair<std::string, std::string>>& inputs, bool force);

// `name` (read from `what`: a file, a key) as one path component: not empty, not "." or "..", no
// '/' and no control character. Returns it; a usage error otherwise.
const std::string& path_component(const std::string& name, const std::string& what);

}  // namespace slift
