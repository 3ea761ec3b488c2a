/*
 * bench_parse.c - parse throughput of our config parser against
 * upstream xl's libxlutil.
 *
 * Usage: bench-parse DIR...
 *
 * Every *.cfg file in the given directories is read into memory first,
 * so that the numbers measure parsing and not the disk or the page cache.
 * Each parser then parses the whole set over and over for a fixed wall
 * time.  The time is split into rounds, and the parsers take turns, so
 * that a burst of noise on the machine (another build, frequency scaling)
 * hits both of them rather than one.  See bench/README.md.
 *
 * Environment:
 *   BENCH_SECONDS  wall time given to each parser, in seconds (default 2)
 *   BENCH_ROUNDS   number of rounds that time is split into (default 5)
 */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxlutil.h>

#include "xlcfg.h"

#define DEFAULT_SECONDS 2.0
#define DEFAULT_ROUNDS 5
/* A cap on rounds keeps the per-round arrays small and fixed; more than
 * this many rounds would only measure the clock. */
#define MAX_ROUNDS 100
/* Ours and libxlutil; the check pass compares exactly two. */
#define NPARSERS 2

/* One config file, held in memory for the whole run. */
struct cfgfile {
    char *path;
    char *data;
    size_t len;
};

/* The set of files that both parsers are timed on. */
struct corpus {
    struct cfgfile *files;
    size_t n;
    size_t alloc;
    size_t bytes;
};

/* The two parsers under test, behind one signature, so that the timing
 * loop is the same code for both and cannot favour either. */
struct parser {
    const char *name;
    /* Parse one file from start to finish, including setting up and
     * tearing down the parser's state, since a caller always pays for
     * those too.  Returns 0 when the parser ran (whether or not the
     * config was valid), or an errno value when it could not run. */
    int (*parse)(const struct cfgfile *f, bool *valid);
    /* The rate of each round is kept apart from the totals, because the
     * median of the rounds is what the comparison rests on. */
    double files_per_s[MAX_ROUNDS];
    /* The totals are sums over all rounds. */
    uint64_t files;
    uint64_t bytes;
    double seconds;
};

/* libxlutil writes its error messages to a FILE; they are thrown away
 * here, but writing them is part of the work it does on a bad config, so
 * they go to /dev/null rather than being suppressed some other way. */
static FILE *devnull;

/* Something the compiler cannot prove unused, so that no call in the
 * timing loops could ever be optimised away as dead code. */
static volatile size_t sink;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p) {
        fprintf(stderr, "bench-parse: out of memory\n");
        exit(1);
    }
    return p;
}

static int64_t now_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC, because the wall clock may be stepped by NTP in
     * the middle of a round and would then give nonsense durations. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts)) {
        perror("bench-parse: clock_gettime");
        exit(1);
    }
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the parsers --------------------------------------------------- */

static int parse_ours(const struct cfgfile *f, bool *valid)
{
    struct xlcfg cfg;
    int rc;

    xlcfg_init(&cfg);
    rc = xlcfg_parse_buffer(&cfg, f->path, f->data, f->len);
    *valid = rc == 0 && xlcfg_ok(&cfg);
    sink += cfg.nsettings;
    xlcfg_dispose(&cfg);
    return rc;
}

static int parse_libxlutil(const struct cfgfile *f, bool *valid)
{
    XLU_Config *xc = xlu_cfg_init(devnull, f->path);
    int rc;

    if (!xc)
        return ENOMEM;
    /* The length fits in an int: read_cfg refuses files larger than
     * XLCFG_MAX_FILE_SIZE. */
    rc = xlu_cfg_readdata(xc, f->data, (int)f->len);
    xlu_cfg_destroy(xc);
    /* EINVAL is libxlutil's answer to a syntax error: it did parse the
     * file, and rejecting it is a result like any other.  Anything else
     * means it could not do the job. */
    *valid = rc == 0;
    sink += (size_t)rc;
    return rc == EINVAL ? 0 : rc;
}

/* ---- loading the files ------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_cfg_suffix(const char *name)
{
    size_t n = strlen(name);

    return n > 4 && strcmp(name + n - 4, ".cfg") == 0;
}

/* Read one file whole.  Returns false, having said why, when it cannot
 * or should not be part of the set. */
static bool read_cfg(const char *path, struct cfgfile *out)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf;
    size_t got;

    if (!f) {
        fprintf(stderr, "bench-parse: note: skipping %s: %s\n", path,
                strerror(errno));
        return false;
    }
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        fclose(f);
        return false;
    }
    /* Anything this big is not a config (our parser refuses it the same
     * way), and timing it would only measure memcpy. */
    if ((uintmax_t)st.st_size > XLCFG_MAX_FILE_SIZE) {
        fprintf(stderr, "bench-parse: note: skipping %s: too large\n", path);
        fclose(f);
        return false;
    }
    buf = xmalloc((size_t)st.st_size + 1);
    got = fread(buf, 1, (size_t)st.st_size + 1, f);
    if (ferror(f) || got > (size_t)st.st_size) {
        /* An error, or a file that grew while we read it: either way the
         * contents are not what stat described, so leave it out. */
        fprintf(stderr, "bench-parse: note: skipping %s: %s\n", path,
                ferror(f) ? strerror(errno) : "changed while read");
        fclose(f);
        free(buf);
        return false;
    }
    fclose(f);
    /* libxlutil aborts the whole process on a NUL byte inside a string,
     * so such a file cannot be in a set that both parsers process. */
    if (memchr(buf, '\0', got)) {
        fprintf(stderr, "bench-parse: note: skipping %s: contains a NUL "
                "byte, which libxlutil cannot handle\n", path);
        free(buf);
        return false;
    }
    out->path = xmalloc(strlen(path) + 1);
    strcpy(out->path, path);
    out->data = buf;
    out->len = got;
    return true;
}

static void corpus_add(struct corpus *c, const struct cfgfile *f)
{
    if (c->n == c->alloc) {
        c->alloc = c->alloc ? 2 * c->alloc : 64;
        c->files = realloc(c->files, c->alloc * sizeof(*c->files));
        if (!c->files) {
            fprintf(stderr, "bench-parse: out of memory\n");
            exit(1);
        }
    }
    c->files[c->n++] = *f;
    c->bytes += f->len;
}

/* Add every *.cfg in dir, in name order so that runs are repeatable.
 * Returns false when the directory cannot be read at all. */
static bool load_dir(struct corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, alloc = 0;

    if (!d) {
        fprintf(stderr, "bench-parse: note: skipping directory %s: %s\n",
                dir, strerror(errno));
        return false;
    }
    while ((de = readdir(d))) {
        if (!has_cfg_suffix(de->d_name))
            continue;
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            names = realloc(names, alloc * sizeof(*names));
            if (!names) {
                fprintf(stderr, "bench-parse: out of memory\n");
                exit(1);
            }
        }
        names[n] = xmalloc(strlen(dir) + strlen(de->d_name) + 2);
        sprintf(names[n], "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct cfgfile f;

        if (read_cfg(names[i], &f))
            corpus_add(c, &f);
        free(names[i]);
    }
    free(names);
    return true;
}

/*
 * Parse every file once with both parsers before any timing.  This
 * drops the files that one of them could not process, so that both are
 * timed on exactly the same set; it also warms the caches and the
 * allocator, so the first timed round is not the slowest for a reason
 * that has nothing to do with the parser.  Files that are invalid stay:
 * rejecting a config is part of a parser's job, and both do it.
 */
static void check_corpus(struct corpus *c, struct parser *ps,
                         size_t *nvalid, size_t *ndisagree)
{
    size_t kept = 0;

    *nvalid = *ndisagree = 0;
    c->bytes = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct cfgfile *f = &c->files[i];
        bool valid[NPARSERS], ok = true;
        int rc = 0;

        for (size_t p = 0; p < NPARSERS && ok; p++) {
            rc = ps[p].parse(f, &valid[p]);
            if (rc) {
                fprintf(stderr, "bench-parse: note: skipping %s: %s "
                        "could not parse it: %s\n", f->path, ps[p].name,
                        strerror(rc));
                ok = false;
            }
        }
        if (!ok) {
            free(f->path);
            free(f->data);
            continue;
        }
        /* The two are meant to accept exactly the same language; say
         * so when they do not, since a parser that gives up early on
         * a file it wrongly rejects would look faster than it is. */
        if (valid[0] != valid[1]) {
            fprintf(stderr, "bench-parse: note: %s: %s says %s, %s says "
                    "%s\n", f->path, ps[0].name,
                    valid[0] ? "valid" : "invalid", ps[1].name,
                    valid[1] ? "valid" : "invalid");
            ++*ndisagree;
        } else if (valid[0]) {
            ++*nvalid;
        }
        c->files[kept++] = *f;
        c->bytes += f->len;
    }
    c->n = kept;
}

/* ---- timing ------------------------------------------------------------- */

/* Parse the whole set again and again for about `seconds`.  Only whole
 * passes count, so that every file has the same weight in the result
 * whatever the time limit is. */
static void run_round(struct parser *p, const struct corpus *c,
                      double seconds, unsigned round)
{
    int64_t start = now_ns(), limit = (int64_t)(seconds * 1e9), elapsed;
    uint64_t passes = 0;

    do {
        for (size_t i = 0; i < c->n; i++) {
            bool valid;

            p->parse(&c->files[i], &valid);
        }
        passes++;
        elapsed = now_ns() - start;
    } while (elapsed < limit);

    p->files += passes * c->n;
    p->bytes += passes * c->bytes;
    p->seconds += elapsed / 1e9;
    p->files_per_s[round] = (double)(passes * c->n) / (elapsed / 1e9);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
    double s[MAX_ROUNDS];

    memcpy(s, v, n * sizeof(*v));
    qsort(s, n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double min_of(const double *v, unsigned n)
{
    double m = v[0];

    for (unsigned i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

static double max_of(const double *v, unsigned n)
{
    double m = v[0];

    for (unsigned i = 1; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

/* ---- the header ------------------------------------------------------- */

/* The CPU model from /proc/cpuinfo, which exists on Linux; the numbers
 * mean little without knowing what they were measured on. */
static void cpu_model(char *out, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];

    snprintf(out, size, "unknown CPU");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');

        /* x86 calls it "model name"; some other architectures only have
         * a "Hardware" or "cpu model" line, which is better than
         * nothing. */
        if (!colon || (strncmp(line, "model name", 10)
                       && strncmp(line, "cpu model", 9)
                       && strncmp(line, "Hardware", 8)))
            continue;
        colon++;
        colon += strspn(colon, " \t");
        colon[strcspn(colon, "\n")] = '\0';
        if (*colon) {
            snprintf(out, size, "%s", colon);
            break;
        }
    }
    fclose(f);
}

static bool env_seconds(double *out)
{
    const char *s = getenv("BENCH_SECONDS");
    char *end;

    *out = DEFAULT_SECONDS;
    if (!s || !*s)
        return true;
    errno = 0;
    *out = strtod(s, &end);
    /* The negated test also catches NaN, which compares false. */
    if (errno || *end || !(*out > 0 && *out < 1e6)) {
        fprintf(stderr, "bench-parse: BENCH_SECONDS=%s is not a positive "
                "number of seconds\n", s);
        return false;
    }
    return true;
}

static bool env_rounds(unsigned *out)
{
    const char *s = getenv("BENCH_ROUNDS");
    char *end;
    unsigned long v;

    *out = DEFAULT_ROUNDS;
    if (!s || !*s)
        return true;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || *s == '-' || v < 1 || v > MAX_ROUNDS) {
        fprintf(stderr, "bench-parse: BENCH_ROUNDS=%s is not a whole "
                "number from 1 to %d\n", s, MAX_ROUNDS);
        return false;
    }
    *out = (unsigned)v;
    return true;
}

int main(int argc, char **argv)
{
    struct parser ps[NPARSERS] = {
        { .name = "xlcfg (ours)", .parse = parse_ours },
        { .name = "libxlutil", .parse = parse_libxlutil },
    };
    const size_t nps = NPARSERS;
    struct corpus c = { 0 };
    double seconds, slice, med[NPARSERS];
    unsigned rounds, ndirs = 0;
    size_t nvalid, ndisagree;
    char model[256];
    long ncpu;

    if (argc < 2) {
        fprintf(stderr, "usage: bench-parse DIR...\n"
                "Times parsing every *.cfg in the directories with xld's "
                "parser and with libxlutil.\n"
                "Environment: BENCH_SECONDS (per parser, default %g), "
                "BENCH_ROUNDS (default %d).\n",
                DEFAULT_SECONDS, DEFAULT_ROUNDS);
        return 2;
    }
    if (!env_seconds(&seconds) || !env_rounds(&rounds))
        return 2;
    slice = seconds / rounds;

    devnull = fopen("/dev/null", "w");
    if (!devnull) {
        perror("bench-parse: /dev/null");
        return 1;
    }

    for (int i = 1; i < argc; i++)
        ndirs += load_dir(&c, argv[i]);
    check_corpus(&c, ps, &nvalid, &ndisagree);
    if (!c.n) {
        fprintf(stderr, "bench-parse: no *.cfg files to parse\n");
        return 1;
    }

    cpu_model(model, sizeof(model));
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    printf("bench-parse: config parse throughput, xld's parser against "
           "libxlutil\n");
    printf("machine: %ld CPU%s online, %s (the parsers run on one)\n",
           ncpu, ncpu == 1 ? "" : "s", model);
    printf("files:   %zu configs, %zu bytes, from %u of %d director%s\n"
           "         (%zu valid, %zu invalid, %zu the parsers disagree on)\n",
           c.n, c.bytes, ndirs, argc - 1, argc - 1 == 1 ? "y" : "ies",
           nvalid, c.n - nvalid - ndisagree, ndisagree);
    printf("time:    %g s per parser in %u rounds of %g s, parsers "
           "taking turns\n\n", seconds, rounds, slice);
    fflush(stdout);

    /* The order flips every round: whichever parser runs second may
     * benefit from caches the first one warmed, or suffer from the heat
     * it left, and flipping shares that out evenly. */
    for (unsigned r = 0; r < rounds; r++)
        for (size_t k = 0; k < nps; k++)
            run_round(&ps[r % 2 ? nps - 1 - k : k], &c, slice, r);

    printf("%-14s %10s %8s %13s %10s %10s\n", "", "overall", "", "median",
           "slowest", "fastest");
    printf("%-14s %10s %8s %13s %10s %10s\n", "parser", "files/s", "MB/s",
           "round", "round", "round");
    for (size_t k = 0; k < nps; k++) {
        struct parser *p = &ps[k];

        med[k] = median(p->files_per_s, rounds);
        printf("%-14s %10.0f %8.2f %13.0f %10.0f %10.0f\n", p->name,
               p->files / p->seconds, p->bytes / p->seconds / 1e6, med[k],
               min_of(p->files_per_s, rounds),
               max_of(p->files_per_s, rounds));
    }
    /* The ratio is of medians, which one disturbed round cannot move;
     * above 1 means ours parses faster. */
    printf("\nratio ours/libxlutil (median rounds): %.2f (%s)\n",
           med[0] / med[1], med[0] >= med[1] ? "ours is as fast or faster"
                                              : "ours is slower");

    for (size_t i = 0; i < c.n; i++) {
        free(c.files[i].path);
        free(c.files[i].data);
    }
    free(c.files);
    fclose(devnull);
    return 0;
}
