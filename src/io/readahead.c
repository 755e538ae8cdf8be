/* Read-ahead: te_io_read_path on a thread of its own, handing what it reads
 * to the sink on the calling thread through a small ring of buffers, so that
 * reading and decompressing a file or archive overlaps with analysing it.
 * The sink sees the same calls in the same order as from te_io_read_path;
 * only the timing differs. Memory: TE_READAHEAD_SLOTS buffers of
 * TE_IO_BUFFER_BYTES. Batch input only (no ticks), and only files and
 * directories: a read from a pipe or terminal may block for as long as the
 * writer pleases, and a stop request (Ctrl-C) must not wait for it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.h"
#include "engine/limits.h"
#include "io/io.h"

typedef enum slot_kind { SLOT_BEGIN, SLOT_DATA, SLOT_END, SLOT_WARN, SLOT_DONE } slot_kind;

typedef struct slot {
    slot_kind kind;
    char *bytes; /* SLOT_DATA: TE_IO_BUFFER_BYTES; reused */
    size_t len;
    char *text; /* SLOT_BEGIN: the stream name; SLOT_WARN: the message */
} slot;

typedef struct readahead {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a slot was filled or emptied */
    slot slots[TE_READAHEAD_SLOTS];
    size_t head, count;
    te_status sink_status; /* first failure of the sink's data()/end(): stops reading */
    bool in_stream;        /* the sink's begin() accepted a stream not ended yet */
    char *stream_name;     /* of the stream the sink is in (calling thread) */
    te_error sink_error;   /* names the stream where the sink failed */

    /* the reading thread */
    const char *path;
    te_io_options options;
    te_summary io_summary; /* what the io layer counts, merged at the end */
    te_error error;
    te_status result;
} readahead;

/* ---- the reading thread: a sink that queues ---------------------------- */

/* Waits for a free slot and returns it, locked. NULL when the sink has
 * failed (reading should stop), unless `even_after_failure` (the last slot,
 * SLOT_DONE, is always posted: the calling thread waits for it). */
static slot *slot_to_fill(readahead *ra, bool even_after_failure)
{
    pthread_mutex_lock(&ra->lock);
    while (ra->count == TE_READAHEAD_SLOTS && (even_after_failure || ra->sink_status == TE_OK))
        pthread_cond_wait(&ra->changed, &ra->lock);
    if (ra->sink_status != TE_OK && !even_after_failure) {
        pthread_mutex_unlock(&ra->lock);
        return NULL;
    }
    return &ra->slots[(ra->head + ra->count) % TE_READAHEAD_SLOTS];
}

static void slot_filled(readahead *ra)
{
    ra->count++;
    pthread_cond_broadcast(&ra->changed);
    pthread_mutex_unlock(&ra->lock);
}

static te_status post_text(readahead *ra, slot_kind kind, const char *text)
{
    char *copy = strdup(text ? text : "");
    if (!copy) return TE_ERR_NOMEM;
    slot *s = slot_to_fill(ra, false);
    if (!s) {
        free(copy);
        return ra->sink_status;
    }
    s->kind = kind;
    s->text = copy;
    slot_filled(ra);
    return TE_OK;
}

/* The sink's begin() may skip a stream; the reader does not wait for its
 * answer (a round trip per archive member would serialise the two threads):
 * the bytes of a skipped stream are read and dropped on the calling thread. */
static te_status queue_begin(void *ctx, const char *name)
{
    return post_text(ctx, SLOT_BEGIN, name);
}

static te_status queue_data(void *ctx, const void *bytes, size_t len)
{
    readahead *ra = ctx;
    const char *p = bytes;
    while (len > 0) {
        size_t n = len < TE_IO_BUFFER_BYTES ? len : TE_IO_BUFFER_BYTES;
        slot *s = slot_to_fill(ra, false);
        if (!s) return ra->sink_status;
        s->kind = SLOT_DATA;
        memcpy(s->bytes, p, n);
        s->len = n;
        slot_filled(ra);
        p += n;
        len -= n;
    }
    return TE_OK;
}

static te_status queue_end(void *ctx)
{
    readahead *ra = ctx;
    slot *s = slot_to_fill(ra, false);
    if (!s) return ra->sink_status;
    s->kind = SLOT_END;
    slot_filled(ra);
    return TE_OK;
}

static void queue_warn(void *ctx, const char *message)
{
    (void)post_text(ctx, SLOT_WARN, message); /* out of memory: the warning is lost */
}

static void *reading_thread(void *arg)
{
    readahead *ra = arg;
    te_io_sink queue = {queue_begin, queue_data, queue_end, queue_warn, NULL, ra, &ra->io_summary};
    ra->result = te_io_read_path(ra->path, &ra->options, &queue, &ra->error);
    slot *s = slot_to_fill(ra, true);
    s->kind = SLOT_DONE;
    slot_filled(ra);
    return NULL;
}

/* ---- the calling thread: drains the ring into the sink ------------------ */

/* Hands one slot to the sink; false at SLOT_DONE. Once the sink has failed,
 * what is still queued is dropped (reading stops as it would without
 * read-ahead); an accepted stream is always ended. */
static bool deliver(readahead *ra, slot *s, const te_io_sink *sink)
{
    te_status st = TE_OK;
    pthread_mutex_lock(&ra->lock);
    bool failed = ra->sink_status != TE_OK;
    pthread_mutex_unlock(&ra->lock);
    switch (s->kind) {
    case SLOT_BEGIN:
        /* a stream the sink skips (begin not TE_OK) is not a failure */
        ra->in_stream = !failed && sink->begin(sink->ctx, s->text) == TE_OK;
        free(ra->stream_name);
        ra->stream_name = s->text; /* kept for an error message */
        s->text = NULL;
        break;
    case SLOT_DATA:
        if (!failed && ra->in_stream) st = sink->data(sink->ctx, s->bytes, s->len);
        break;
    case SLOT_END:
        if (ra->in_stream) st = sink->end(sink->ctx);
        ra->in_stream = false;
        break;
    case SLOT_WARN:
        if (sink->warn) sink->warn(sink->ctx, s->text);
        break;
    case SLOT_DONE:
        /* after a failure the reader may not get its end() through: as
         * te_io_read_path does, every accepted stream is ended */
        if (ra->in_stream) (void)sink->end(sink->ctx);
        ra->in_stream = false;
        return false;
    }
    free(s->text);
    s->text = NULL;
    if (st != TE_OK) {
        if (ra->sink_error.status == TE_OK)
            te_error_set(&ra->sink_error, st, "%s '%s': the consumer failed (%s)",
                         s->kind == SLOT_END ? "ending" : "reading",
                         ra->stream_name ? ra->stream_name : "?", te_status_name(st));
        pthread_mutex_lock(&ra->lock);
        if (ra->sink_status == TE_OK) ra->sink_status = st;
        pthread_cond_broadcast(&ra->changed);
        pthread_mutex_unlock(&ra->lock);
    }
    return true;
}

/* Files and directories (also "-" when stdin is a file). */
static bool never_blocks(const char *path)
{
    struct stat st;
    int rc = path && strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st)
             : path                         ? stat(path, &st)
                                            : -1;
    return rc == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

te_status te_io_read_path_ahead(const char *path, const te_io_options *options,
                                const te_io_sink *sink, te_error *err)
{
    if (!sink || !never_blocks(path) || (options && options->tick_interval_us > 0))
        return te_io_read_path(path, options, sink, err);
    readahead *ra = calloc(1, sizeof *ra);
    te_status st = TE_ERR_NOMEM;
    size_t allocated = 0;
    if (!ra) goto done;
    for (; allocated < TE_READAHEAD_SLOTS; allocated++)
        if (!(ra->slots[allocated].bytes = malloc(TE_IO_BUFFER_BYTES))) goto done;
    pthread_mutex_init(&ra->lock, NULL);
    pthread_cond_init(&ra->changed, NULL);
    ra->path = path;
    if (options) ra->options = *options;
    ra->options.tick_interval_us = 0;
    ra->error.status = TE_OK;
    pthread_t thread;
    if (pthread_create(&thread, NULL, reading_thread, ra) != 0) {
        /* no thread: read on this one */
        st = te_io_read_path(path, options, sink, err);
        goto destroy;
    }
    for (;;) {
        pthread_mutex_lock(&ra->lock);
        while (ra->count == 0)
            pthread_cond_wait(&ra->changed, &ra->lock);
        slot *s = &ra->slots[ra->head];
        pthread_mutex_unlock(&ra->lock);
        bool more = deliver(ra, s, sink); /* the slot stays ours until released */
        pthread_mutex_lock(&ra->lock);
        ra->head = (ra->head + 1) % TE_READAHEAD_SLOTS;
        ra->count--;
        pthread_cond_broadcast(&ra->changed);
        pthread_mutex_unlock(&ra->lock);
        if (!more) break;
    }
    pthread_join(thread, NULL);
    /* what the reader could not hand over (the sink failed) is freed here */
    for (size_t i = 0; i < TE_READAHEAD_SLOTS; i++) {
        free(ra->slots[i].text);
        ra->slots[i].text = NULL;
    }
    if (sink->summary) te_summary_add(sink->summary, &ra->io_summary);
    st = ra->result;
    if (err && ra->error.status != TE_OK) *err = ra->error;
    if (st == TE_OK && ra->sink_status != TE_OK) {
        /* the reader finished before it learned of the failure */
        st = ra->sink_status;
        if (err) *err = ra->sink_error;
    }
    free(ra->stream_name);
destroy:
    pthread_cond_destroy(&ra->changed);
    pthread_mutex_destroy(&ra->lock);
done:
    if (ra)
        for (size_t i = 0; i < allocated; i++)
            free(ra->slots[i].bytes);
    free(ra);
    if (st == TE_ERR_NOMEM && err && err->status == TE_OK)
        te_error_set(err, TE_ERR_NOMEM, "out of memory setting up read-ahead");
    return st;
}
