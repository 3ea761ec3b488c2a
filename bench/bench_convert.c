/*
 * bench_convert.c - what a config costs xld: parse + convert into
 * libxl_domain_config (cfgparse) against libxlutil's parse alone, on the
 * same files in one run.  The comparison with the whole of `xl -N
 * create` (a process per config) is bench/dryrun.sh's.
 *
 * libxlutil's parse alone is the lower bound of what xl does with a
 * config (xl then converts it too), so a ratio near 1 means that the
 * whole semantic layer costs about as much as upstream's bare syntax
 * pass.  Only the files both accept are timed: an invalid file stops
 * at different points in each.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxlutil.h>

#include "xlcfg.h"
#include "xlconv.h"

struct file {
    char *path;
    char *buf;
    size_t len;
};

static volatile size_t sink;

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Parse and convert one config as `xlctl create --dry-run` does. */
static bool ours(const struct file *f, const struct xlconv_host *host)
{
    struct xlcfg cfg;
    libxl_domain_config dc;
    bool ok = false;

    xlcfg_init(&cfg);
    libxl_domain_config_init(&dc);
    if (xlcfg_parse_buffer(&cfg, f->path, f->buf, f->len) == 0
        && xlcfg_ok(&cfg))
        ok = xlconv_convert(&cfg, host, &dc) == 0;
    sink += cfg.nsettings + (size_t)dc.num_disks;
    libxl_domain_config_dispose(&dc);
    xlcfg_dispose(&cfg);
    return ok;
}

static bool theirs(const struct file *f, FILE *devnull)
{
    XLU_Config *c = xlu_cfg_init(devnull, f->path);
    bool ok;

    if (!c)
        return false;
    ok = xlu_cfg_readdata(c, f->buf, (int)f->len) == 0;
    xlu_cfg_destroy(c);
    sink++;
    return ok;
}

static int load(const char *dir, struct file **files, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        fprintf(stderr, "note: skipping %s: %s\n", dir, strerror(errno));
        return 0;
    }
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        struct file f = { 0 }, *nf;
        FILE *fp;
        long size;

        if (l < 5 || strcmp(e->d_name + l - 4, ".cfg"))
            continue;
        if (asprintf(&f.path, "%s/%s", dir, e->d_name) < 0)
            break;
        fp = fopen(f.path, "rb");
        if (!fp || fseek(fp, 0, SEEK_END) || (size = ftell(fp)) < 0
            || fseek(fp, 0, SEEK_SET) || !(f.buf = malloc((size_t)size + 1))
            || fread(f.buf, 1, (size_t)size, fp) != (size_t)size) {
            if (fp)
                fclose(fp);
            free(f.buf);
            free(f.path);
            continue;
        }
        fclose(fp);
        f.len = (size_t)size;
        nf = realloc(*files, (*n + 1) * sizeof(**files));
        if (!nf) {
            free(f.buf);
            free(f.path);
            break;
        }
        *files = nf;
        (*files)[(*n)++] = f;
    }
    closedir(d);
    return 0;
}

int main(int argc, char **argv)
{
    struct file *files = NULL, *valid = NULL;
    size_t n = 0, nvalid = 0, bytes = 0;
    struct xlconv_host host;
    FILE *devnull = fopen("/dev/null", "w");
    double seconds = 2.0, rate[2] = { 0, 0 };
    const char *env = getenv("BENCH_SECONDS");

    if (env && atof(env) > 0)
        seconds = atof(env);
    if (!devnull)
        return 1;
    xlconv_host_init(&host);
    for (int i = 1; i < argc; i++)
        load(argv[i], &files, &n);
    valid = calloc(n ? n : 1, sizeof(*valid));
    for (size_t i = 0; i < n; i++)
        if (ours(&files[i], &host) && theirs(&files[i], devnull)) {
            valid[nvalid++] = files[i];
            bytes += files[i].len;
        }
    if (!nvalid) {
        fprintf(stderr, "bench-convert: no config that both accept\n");
        return 1;
    }
    printf("bench-convert: %zu configs (%zu bytes) accepted by both; "
           "%.1f s per side\n", nvalid, bytes, seconds);
    /* Alternate the two sides in five rounds, so that a burst of load
     * on the machine hits both alike. */
    for (int round = 0; round < 5; round++) {
        for (int side = 0; side < 2; side++) {
            int64_t start = now_ns(), end = start + (int64_t)(seconds / 5
                                                              * 1e9);
            size_t done = 0;

            while (now_ns() < end) {
                for (size_t i = 0; i < nvalid; i++) {
                    if (side == 0)
                        ours(&valid[i], &host);
                    else
                        theirs(&valid[i], devnull);
                }
                done += nvalid;
            }
            rate[side] += (double)done / ((double)(now_ns() - start) / 1e9);
        }
    }
    rate[0] /= 5;
    rate[1] /= 5;
    printf("  xld parse+convert : %10.0f configs/s\n", rate[0]);
    printf("  libxlutil parse   : %10.0f configs/s\n", rate[1]);
    printf("  ratio (xld / libxlutil parse alone): %.2f\n", rate[0] / rate[1]);
    for (size_t i = 0; i < n; i++) {
        free(files[i].buf);
        free(files[i].path);
    }
    free(files);
    free(valid);
    fclose(devnull);
    xlconv_host_dispose(&host);
    return 0;
}
