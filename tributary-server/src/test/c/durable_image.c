/*
 * durable_image: an LD_PRELOAD library that records what a power loss would leave of one
 * directory tree. Test code only (io.tributary.durability.PowerLossDisk compiles and loads it).
 *
 * A file's bytes survive a power loss only once the file was fsync'd; a name created, renamed or
 * deleted in a directory only once the directory was fsync'd. This library keeps the "durable
 * image" of the tree under $TRIBUTARY_DURABLE_ROOT in $TRIBUTARY_DURABLE_IMAGE:
 *
 *   content/<key>        the bytes a file had at its last fsync or fdatasync, where key is
 *                        <inode>-<birth seconds>-<birth nanoseconds> (a reused inode number is
 *                        another key)
 *   dirs/<path>.list     a directory's entries at its last fsync, one per line:
 *                        "f <key> <name>" for a regular file, "d - <name>" for a sub-directory;
 *                        <path> is the directory relative to the root with "/" written as "%2F"
 *                        and "%" as "%25", the root itself being "."
 *   journal.log          one line per record, in order: "file <path> <key> <bytes>",
 *                        "dir <path> <entries>", "baseline <files> <dirs>", "unsupported <call>"
 *   baseline.done        written once the tree as it was at load time was recorded as durable
 *
 * The library only records; rebuilding the tree after a simulated crash is PowerLossDisk's job.
 * Every record is written to a temp file in the image and renamed into place, so a SIGKILL in
 * the middle of one leaves the previous record intact. The intercepted call runs first and its
 * result and errno are returned unchanged; a record is made only when it succeeded. Records are
 * serialised by one mutex. The library's own I/O goes straight to the C library (no fsync of its
 * own, so it cannot recurse). If the environment variables are not set it records nothing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_msync)(void *, size_t, int);
static int (*real_syncfs)(int);
static int (*real_sync_file_range)(int, off64_t, off64_t, unsigned int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned int);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char root[PATH_MAX];
static size_t root_len;
static char image[PATH_MAX];
static int enabled;
static unsigned long tmp_counter;
static long baseline_files;
static long baseline_dirs;

static void resolve(void) {
  real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  real_msync = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "msync");
  real_syncfs = (int (*)(int))dlsym(RTLD_NEXT, "syncfs");
  real_sync_file_range = (int (*)(int, off64_t, off64_t, unsigned int))dlsym(RTLD_NEXT, "sync_file_range");
  real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  real_renameat = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
  real_renameat2 = (int (*)(int, const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT, "renameat2");
}

/* Aborts the process: a record that cannot be made would make the test's image a lie. */
static void die(const char *what, const char *path) {
  char msg[PATH_MAX + 256];
  int n = snprintf(msg, sizeof msg, "durable_image: %s %s: %s\n", what, path, strerror(errno));
  if (n > 0) {
    ssize_t ignored = write(2, msg, (size_t)n);
    (void)ignored;
  }
  abort();
}

/* Formats a path into out (PATH_MAX bytes); a path that does not fit aborts rather than truncates. */
static void format_path(char *out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out, PATH_MAX, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= PATH_MAX) {
    errno = ENAMETOOLONG;
    die("path too long:", fmt);
  }
}

static void append_journal(const char *fmt, ...) {
  char line[PATH_MAX + 256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  char path[PATH_MAX];
  format_path(path, "%s/journal.log", image);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    die("cannot open", path);
  }
  if (n > 0 && write(fd, line, (size_t)n) != n) {
    die("cannot write", path);
  }
  close(fd);
}

/* The record key of the file at (dirfd, name), or of dirfd itself when name is "". */
static int key_of(int dirfd, const char *name, char *key, size_t key_size, mode_t *mode) {
  struct statx sx;
  int flags = AT_SYMLINK_NOFOLLOW | (name[0] == '\0' ? AT_EMPTY_PATH : 0);
  if (statx(dirfd, name, flags, STATX_TYPE | STATX_INO | STATX_BTIME, &sx) != 0) {
    return -1;
  }
  long long sec = (sx.stx_mask & STATX_BTIME) ? (long long)sx.stx_btime.tv_sec : 0;
  unsigned nsec = (sx.stx_mask & STATX_BTIME) ? sx.stx_btime.tv_nsec : 0;
  snprintf(key, key_size, "%llu-%lld-%u", (unsigned long long)sx.stx_ino, sec, nsec);
  *mode = sx.stx_mode;
  return 0;
}

/* "<root>/a/b" -> "a%2Fb"; the root -> "."; returns -1 for a path outside the root. */
static int escaped_relative(const char *path, char *out, size_t out_size) {
  if (strncmp(path, root, root_len) != 0 || (path[root_len] != '\0' && path[root_len] != '/')) {
    return -1;
  }
  const char *rel = path[root_len] == '\0' ? "." : path + root_len + 1;
  size_t o = 0;
  for (const char *c = rel; *c != '\0'; c++) {
    const char *rep = *c == '/' ? "%2F" : *c == '%' ? "%25" : NULL;
    size_t len = rep == NULL ? 1 : 3;
    if (o + len + 1 > out_size) {
      return -1;
    }
    if (rep == NULL) {
      out[o++] = *c;
    } else {
      memcpy(out + o, rep, 3);
      o += 3;
    }
  }
  out[o] = '\0';
  return 0;
}

static void temp_path(char *out) {
  format_path(out, "%s/tmp.%d.%lu", image, (int)getpid(), ++tmp_counter);
}

static void rename_into_place(const char *tmp, const char *target) {
  if (real_rename(tmp, target) != 0) { /* the C library's: the image is not under the root */
    die("cannot rename into", target);
  }
}

/* Copies the whole current content of the open file src_fd to content/<key>. Returns its size. */
static long long record_content(int src_fd, const char *key) {
  char tmp[PATH_MAX];
  char target[PATH_MAX];
  temp_path(tmp);
  format_path(target, "%s/content/%s", image, key);
  int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    die("cannot create", tmp);
  }
  char buf[1 << 16];
  long long total = 0;
  for (;;) {
    ssize_t n = pread(src_fd, buf, sizeof buf, (off_t)total);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      die("cannot read the file synced as", key);
    }
    if (n == 0) {
      break;
    }
    for (ssize_t w = 0; w < n;) {
      ssize_t m = write(out, buf + w, (size_t)(n - w));
      if (m < 0 && errno == EINTR) {
        continue;
      }
      if (m < 0) {
        die("cannot write", tmp);
      }
      w += m;
    }
    total += n;
  }
  close(out);
  rename_into_place(tmp, target);
  return total;
}

/* Writes dirs/<rel>.list with the current entries of the open directory dir_fd. Returns their count. */
static long record_listing(int dir_fd, const char *rel) {
  char tmp[PATH_MAX];
  char target[PATH_MAX];
  temp_path(tmp);
  format_path(target, "%s/dirs/%s.list", image, rel);
  int dup_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) {
    die("cannot reopen directory", rel);
  }
  DIR *d = fdopendir(dup_fd);
  if (d == NULL) {
    die("cannot list directory", rel);
  }
  FILE *out = fopen(tmp, "we");
  if (out == NULL) {
    die("cannot create", tmp);
  }
  long entries = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      continue;
    }
    char key[96];
    mode_t mode;
    if (key_of(dirfd(d), e->d_name, key, sizeof key, &mode) != 0) {
      continue; /* removed while we listed: its removal is as durable as its presence */
    }
    if (S_ISREG(mode)) {
      fprintf(out, "f %s %s\n", key, e->d_name);
      entries++;
    } else if (S_ISDIR(mode)) {
      fprintf(out, "d - %s\n", e->d_name);
      entries++;
    }
  }
  closedir(d);
  if (fclose(out) != 0) {
    die("cannot write", tmp);
  }
  rename_into_place(tmp, target);
  return entries;
}

/* Records what a successful fsync/fdatasync of fd made durable, if fd is under the root. */
static void record(int fd) {
  if (!enabled) {
    return;
  }
  int saved_errno = errno;
  char proc[64];
  char path[PATH_MAX];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, path, sizeof path - 1);
  if (n <= 0) {
    errno = saved_errno;
    return;
  }
  path[n] = '\0';
  const char *deleted = " (deleted)";
  size_t dl = strlen(deleted);
  if ((size_t)n > dl && strcmp(path + n - dl, deleted) == 0) {
    path[n - dl] = '\0';
  }
  char rel[PATH_MAX];
  if (escaped_relative(path, rel, sizeof rel) != 0) {
    errno = saved_errno;
    return;
  }
  pthread_mutex_lock(&lock);
  char key[96];
  mode_t mode;
  if (key_of(fd, "", key, sizeof key, &mode) == 0) {
    if (S_ISREG(mode)) {
      int rd = open(proc, O_RDONLY | O_CLOEXEC);
      if (rd < 0) {
        die("cannot reopen", path);
      }
      long long bytes = record_content(rd, key);
      close(rd);
      append_journal("file %s %s %lld\n", rel, key, bytes);
    } else if (S_ISDIR(mode)) {
      long entries = record_listing(fd, rel);
      append_journal("dir %s %ld\n", rel, entries);
    }
  }
  pthread_mutex_unlock(&lock);
  errno = saved_errno;
}

static int baseline_visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (type != FTW_F && type != FTW_D) {
    return 0;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC | (type == FTW_D ? O_DIRECTORY : 0));
  if (fd < 0) {
    die("cannot open", path);
  }
  char key[96];
  mode_t mode;
  char rel[PATH_MAX];
  if (key_of(fd, "", key, sizeof key, &mode) != 0 || escaped_relative(path, rel, sizeof rel) != 0) {
    die("cannot identify", path);
  }
  if (S_ISREG(mode)) {
    record_content(fd, key);
    baseline_files++;
  } else if (S_ISDIR(mode)) {
    record_listing(fd, rel);
    baseline_dirs++;
  }
  close(fd);
  return 0;
}

__attribute__((constructor)) static void init(void) {
  resolve();
  const char *r = getenv("TRIBUTARY_DURABLE_ROOT");
  const char *i = getenv("TRIBUTARY_DURABLE_IMAGE");
  if (r == NULL || i == NULL) {
    return;
  }
  if (realpath(r, root) == NULL) {
    die("cannot resolve root", r);
  }
  root_len = strlen(root);
  if (realpath(i, image) == NULL) {
    die("cannot resolve image", i);
  }
  char marker[PATH_MAX];
  format_path(marker, "%s/baseline.done", image);
  enabled = 1;
  if (access(marker, F_OK) == 0) {
    return; /* a child process of the recorded one: the baseline is already there */
  }
  char sub[PATH_MAX];
  format_path(sub, "%s/content", image);
  if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
    die("cannot create", sub);
  }
  format_path(sub, "%s/dirs", image);
  if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
    die("cannot create", sub);
  }
  if (nftw(root, baseline_visit, 32, FTW_PHYS) != 0) {
    die("cannot walk", root);
  }
  append_journal("baseline %ld %ld\n", baseline_files, baseline_dirs);
  int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    die("cannot create", marker);
  }
  close(fd);
}

int fsync(int fd) {
  int rc = real_fsync(fd);
  if (rc == 0) {
    record(fd);
  }
  return rc;
}

int fdatasync(int fd) {
  int rc = real_fdatasync(fd);
  if (rc == 0) {
    record(fd);
  }
  return rc;
}

/* Notes a call whose durability the image does not model (see below). */
static void note_unsupported(const char *call) {
  if (!enabled) {
    return;
  }
  int saved_errno = errno;
  pthread_mutex_lock(&lock);
  append_journal("unsupported %s\n", call);
  pthread_mutex_unlock(&lock);
  errno = saved_errno;
}

/*
 * Calls whose durability this library does not model. Nothing under test uses them (the JDK's
 * FileChannel.force is fsync/fdatasync; nothing forces a MappedByteBuffer); the journal says so
 * if that changes, and the test fails on such a line.
 */
int msync(void *addr, size_t length, int flags) {
  int rc = real_msync(addr, length, flags);
  if ((flags & MS_SYNC) != 0) {
    note_unsupported("msync");
  }
  return rc;
}

int syncfs(int fd) {
  int rc = real_syncfs(fd);
  note_unsupported("syncfs");
  return rc;
}

/*
 * sync_file_range makes nothing durable (no file metadata, no device cache flush; the man page
 * says so), so the image is left as it was: RocksDB, SOFAJRaft's log store, calls it to start
 * writeback early and relies on fsync/fdatasync for durability.
 */
int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
  return real_sync_file_range(fd, offset, nbytes, flags);
}

/* (dirfd, p) as an absolute path in out (PATH_MAX bytes); -1 when it cannot be resolved. */
static int absolute_at(int dirfd, const char *p, char *out) {
  if (p[0] == '/') {
    format_path(out, "%s", p);
    return 0;
  }
  char base[PATH_MAX];
  if (dirfd == AT_FDCWD) {
    if (getcwd(base, sizeof base) == NULL) {
      return -1;
    }
  } else {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
    ssize_t n = readlink(proc, base, sizeof base - 1);
    if (n <= 0) {
      return -1;
    }
    base[n] = '\0';
  }
  format_path(out, "%s/%s", base, p);
  return 0;
}

/*
 * A directory renamed under the root keeps its entries: what was durable in it (its fsync'd
 * listing, and its sub-directories' listings) is durable under the new name, since the listing
 * belongs to the directory, not to its name. The name itself is durable only once the parent is
 * fsync'd, which the parent's listing records as usual. (SOFAJRaft writes a snapshot into a temp
 * directory, fsyncs it, renames it to snapshot_<index> and fsyncs the parent.)
 */
static void moved(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
  if (!enabled) {
    return;
  }
  int saved_errno = errno;
  char from_abs[PATH_MAX];
  char to_abs[PATH_MAX];
  char from[PATH_MAX];
  char to[PATH_MAX];
  struct stat st;
  if (absolute_at(olddirfd, oldpath, from_abs) != 0 || absolute_at(newdirfd, newpath, to_abs) != 0
      || stat(to_abs, &st) != 0 || !S_ISDIR(st.st_mode)
      || escaped_relative(from_abs, from, sizeof from) != 0 || escaped_relative(to_abs, to, sizeof to) != 0) {
    errno = saved_errno;
    return;
  }
  pthread_mutex_lock(&lock);
  char dirs[PATH_MAX];
  format_path(dirs, "%s/dirs", image);
  DIR *d = opendir(dirs);
  size_t from_len = strlen(from);
  if (d != NULL) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      size_t len = strlen(e->d_name);
      if (len < 5 || strcmp(e->d_name + len - 5, ".list") != 0 || strncmp(e->d_name, from, from_len) != 0) {
        continue;
      }
      const char *rest = e->d_name + from_len; /* ".list" for the directory itself, "%2F..." below it */
      if (strcmp(rest, ".list") != 0 && strncmp(rest, "%2F", 3) != 0) {
        continue;
      }
      char old_list[PATH_MAX];
      char new_list[PATH_MAX];
      format_path(old_list, "%s/%s", dirs, e->d_name);
      format_path(new_list, "%s/%s%s", dirs, to, rest);
      rename_into_place(old_list, new_list);
    }
    closedir(d);
  }
  append_journal("moved %s %s\n", from, to);
  pthread_mutex_unlock(&lock);
  errno = saved_errno;
}

int rename(const char *oldpath, const char *newpath) {
  int rc = real_rename(oldpath, newpath);
  if (rc == 0) {
    moved(AT_FDCWD, oldpath, AT_FDCWD, newpath);
  }
  return rc;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
  int rc = real_renameat(olddirfd, oldpath, newdirfd, newpath);
  if (rc == 0) {
    moved(olddirfd, oldpath, newdirfd, newpath);
  }
  return rc;
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
  int rc = real_renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
  if (rc == 0) {
    moved(olddirfd, oldpath, newdirfd, newpath);
  }
  return rc;
}
