/* Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without
 * libFuzzer, so that the findings kept in tests/fuzz/regressions/<target>/
 * run in the normal test suite (and under ASan in `make check`).
 * usage: replay [--optional] FILE|DIR...  (a directory: each regular file in
 * it, sorted; after --optional a path that does not exist is skipped, so a
 * target's regressions/ directory may be added without reconfiguring).
 * Exit status 0 when every input ran; a crash, sanitizer report or hang is
 * the failure this test exists to catch. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a whole file; returns 0 on success. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
    int rc = -1;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) goto done;
    if (fseek(f, 0, SEEK_END) != 0) goto done;
    long len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) goto done;
    buf = malloc((size_t)len + 1); /* +1: a valid pointer for an empty file */
    if (!buf) goto done;
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) goto done;
    *data = buf;
    *size = (size_t)len;
    buf = NULL;
    rc = 0;
done:
    free(buf);
    if (f) fclose(f);
    return rc;
}

static int replay_file(const char *path)
{
    uint8_t *data;
    size_t size;
    if (read_file(path, &data, &size) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    printf("replay: %s (%zu bytes)\n", path, size);
    fflush(stdout); /* the name is out before a crash */
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays each regular file of dir; adds to *count. Returns the failures. */
static int replay_dir(const char *dir, int *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        fprintf(stderr, "replay: cannot read directory %s\n", dir);
        return 1;
    }
    int failures = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        int len = snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (len > 0 && (size_t)len < sizeof path && names[i]->d_name[0] != '.' &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path) != 0)
                failures++;
            else
                (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return failures;
}

int main(int argc, char **argv)
{
    int failures = 0, count = 0;
    bool optional = false;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "--optional") == 0) {
            optional = true;
        } else if (stat(argv[i], &st) != 0) {
            if (!optional) {
                fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
                failures++;
            }
        } else if (S_ISDIR(st.st_mode)) {
            failures += replay_dir(argv[i], &count);
        } else if (replay_file(argv[i]) != 0) {
            failures++;
        } else {
            count++;
        }
    }
    printf("replay: %d inputs replayed, %d unreadable\n", count, failures);
    return failures ? 1 : 0;
}
