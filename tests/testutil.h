/*
 * testutil.h - small helpers shared by the test programs: reading files
 * and finding the test configs.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The source tree (set by make check; "." when run by hand there). */
static inline const char *tu_srcdir(void)
{
    const char *d = getenv("XLD_SRCDIR");

    return d && *d ? d : ".";
}

/* The shared xl corpus, when it is there (CI has it beside the checkout). */
static inline const char *tu_corpus(void)
{
    const char *d = getenv("XLD_CORPUS");

    return d && *d ? d : "../shared/xl-corpus/public";
}

/* The whole file in a malloc'd buffer with a NUL after it, or NULL. */
static inline char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (!f)
        return NULL;
    do {
        if (cap - n < 4096) {
            char *nb = realloc(buf, cap = cap * 2 + 8192);

            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int tu_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.cfg files of a directory, sorted, as malloc'd paths.  Returns
 * the count (0 when the directory is missing). */
static inline size_t tu_list_cfgs(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t n = 0;

    *out = NULL;
    if (!d)
        return 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        char **nv;

        if (l < 5 || strcmp(e->d_name + l - 4, ".cfg") != 0)
            continue;
        nv = realloc(v, (n + 1) * sizeof(*v));
        if (!nv)
            break;
        v = nv;
        if (asprintf(&v[n], "%s/%s", dir, e->d_name) < 0)
            break;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof(*v), tu_strcmp);
    *out = v;
    return n;
}

static inline void tu_free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

#endif /* TESTUTIL_H */
