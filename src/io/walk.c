/* Directory walk: every regular file below the directory the user named, in
 * sorted order ("dir/sub/file"), each read like a named file (archives and
 * compressed files are opened) except that binary files are skipped.
 * Entries are opened relative to their directory (openat, O_NOFOLLOW), so a
 * walk never leaves the tree. Symbolic links are not followed unless asked,
 * and then only when they resolve inside the tree and do not loop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/limits.h"
#include "io/io_internal.h"

typedef struct io_dir_id {
    dev_t dev;
    ino_t ino;
} io_dir_id;

typedef struct io_walker {
    io_run *run;
    io_scope scope;
    size_t len;      /* of run->walk_path */
    char *root_real; /* resolved root, when symbolic links are followed */
    io_dir_id open_dirs[TE_MAX_DIR_DEPTH + 1];
} io_walker;

static void walk_dir(io_walker *w, int fd, unsigned depth);

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_open_dir(const io_walker *w, unsigned depth, const struct stat *st)
{
    for (unsigned i = 0; i <= depth && i <= TE_MAX_DIR_DEPTH; i++)
        if (w->open_dirs[i].dev == st->st_dev && w->open_dirs[i].ino == st->st_ino) return true;
    return false;
}

static void skip_note(io_walker *w, const char *why)
{
    io_note(w->run, &w->scope, "%s: %s", w->run->walk_path, why);
    w->run->summary->members_skipped++;
}

static void open_failed(io_walker *w)
{
    io_warn(w->run, "cannot open '%s': %s", w->run->walk_path, strerror(errno));
    w->run->summary->inputs_failed++;
}

static void read_file(io_walker *w, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        skip_note(w, "changed while the directory was read, skipped");
        return;
    }
    io_item item = {.name = w->run->walk_path,
                    .scope = &w->scope,
                    .seek_fd = -1,
                    .named = false,
                    .open_archives = true,
                    .decompress = true,
                    .skip_binary = true};
    io_read_fd(w->run, &item, fd, true);
}

static void enter_dir(io_walker *w, int fd, unsigned depth)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        close(fd);
        skip_note(w, "changed while the directory was read, skipped");
        return;
    }
    if (is_open_dir(w, depth - 1, &st)) {
        close(fd);
        skip_note(w, "symbolic link loop, not followed");
        return;
    }
    walk_dir(w, fd, depth);
}

static bool inside_root(const char *root, const char *real)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/') return true;
    return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* Follows a symbolic link when it resolves inside the tree and is no loop. */
static void follow_link(io_walker *w, unsigned depth)
{
    char *real = realpath(w->run->walk_path, NULL);
    struct stat st;
    if (!real || stat(real, &st) != 0) {
        skip_note(w, "symbolic link to a missing target, skipped");
    } else if (!inside_root(w->root_real, real)) {
        skip_note(w, "symbolic link leading out of the directory, not followed");
    } else if (S_ISDIR(st.st_mode)) {
        if (depth + 1 > TE_MAX_DIR_DEPTH) {
            skip_note(w, "directory nested too deep, not read");
        } else {
            int fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0)
                open_failed(w);
            else
                enter_dir(w, fd, depth + 1);
        }
    } else if (S_ISREG(st.st_mode)) {
        int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            open_failed(w);
        } else {
            read_file(w, fd);
            close(fd);
        }
    } else {
        skip_note(w, "symbolic link to a special file, skipped");
    }
    free(real);
}

static void walk_entry(io_walker *w, int dir_fd, const char *entry, unsigned depth)
{
    struct stat st;
    if (fstatat(dir_fd, entry, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        open_failed(w);
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        if (w->root_real)
            follow_link(w, depth);
        else
            skip_note(w, "symbolic link, not followed");
    } else if (S_ISDIR(st.st_mode)) {
        if (depth + 1 > TE_MAX_DIR_DEPTH) {
            skip_note(w, "directory nested too deep, not read");
            return;
        }
        int fd = openat(dir_fd, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            open_failed(w);
        else
            enter_dir(w, fd, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
        /* O_NONBLOCK: never hang on a FIFO put in the file's place */
        int fd = openat(dir_fd, entry, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            open_failed(w);
            return;
        }
        read_file(w, fd);
        close(fd);
    } else {
        skip_note(w, "special file (device, FIFO or socket), not read");
    }
}

/* Reads the names of a directory, sorted; NULL and *count 0 when empty. */
static char **read_names(io_walker *w, DIR *dir, size_t *count)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == TE_MAX_DIR_ENTRIES) {
            io_warn(w->run, "%s: more than %u entries; the rest is not read", w->run->walk_path,
                    TE_MAX_DIR_ENTRIES);
            w->run->summary->members_skipped++;
            break;
        }
        if (n == cap) {
            size_t new_cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, new_cap * sizeof *names);
            if (!grown) goto nomem;
            names = grown;
            cap = new_cap;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) goto nomem;
        n++;
    }
    if (n > 1) qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names;
nomem:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    *count = 0;
    w->run->fatal =
        te_error_set(w->run->err, TE_ERR_NOMEM, "reading '%s': out of memory", w->run->walk_path);
    return NULL;
}

static void walk_dir(io_walker *w, int fd, unsigned depth)
{
    io_run *run = w->run;
    struct stat st;
    if (fstat(fd, &st) == 0) {
        w->open_dirs[depth].dev = st.st_dev;
        w->open_dirs[depth].ino = st.st_ino;
    }
    DIR *dir = fdopendir(fd);
    if (!dir) {
        open_failed(w);
        close(fd);
        return;
    }
    size_t count = 0;
    char **names = read_names(w, dir, &count);
    size_t base = w->len;
    for (size_t i = 0; i < count && !io_run_done(run); i++) {
        const char *sep = base > 0 && run->walk_path[base - 1] == '/' ? "" : "/";
        size_t need = strlen(sep) + strlen(names[i]);
        if (base + need >= sizeof run->walk_path) {
            io_note(run, &w->scope, "%s/%s: path too long, not read", run->walk_path, names[i]);
            run->summary->members_skipped++;
            continue;
        }
        memcpy(run->walk_path + base, sep, strlen(sep));
        memcpy(run->walk_path + base + strlen(sep), names[i], strlen(names[i]) + 1);
        w->len = base + need;
        walk_entry(w, dirfd(dir), names[i], depth);
        w->len = base;
        run->walk_path[base] = '\0';
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    closedir(dir);
}

void io_walk(io_run *run, int fd, const char *root_name)
{
    io_walker w = {.run = run, .scope = {.name = root_name}};
    size_t n = strlen(root_name);
    while (n > 1 && root_name[n - 1] == '/')
        n--; /* "dir/" names its files "dir/x" */
    if (n >= sizeof run->walk_path) {
        io_warn(run, "cannot open '%s': path too long", root_name);
        run->summary->inputs_failed++;
        close(fd);
        return;
    }
    memcpy(run->walk_path, root_name, n);
    run->walk_path[n] = '\0';
    w.len = n;
    if (run->options->follow_symlinks_in_dirs) {
        w.root_real = realpath(run->walk_path, NULL);
        if (!w.root_real)
            io_warn(run, "%s: cannot resolve the directory (%s): symbolic links not followed",
                    root_name, strerror(errno));
    }
    walk_dir(&w, fd, 0);
    io_scope_finish(run, &w.scope);
    free(w.root_real);
}
